/**
 * A converted baseline (baselines/convert/convert.py): its manifest and an ONNX Runtime session,
 * and one image from file to label map exactly as the reference `inference.py` of its family does.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Manifest, type Device, type Fallback } from './manifest.ts';
import { preprocess } from './preprocess.ts';
import { nearestIndex } from './resize.ts';

// the manifest and device names load without ONNX Runtime (the server imports them at start)
export { DEVICES, Manifest, type Device, type Fallback } from './manifest.ts';
export { nearestIndex } from './resize.ts';


export interface Baseline { dir: string; manifest: Manifest; session: ort.InferenceSession; provider: string; fallbacks: Fallback[] }


/**
 * The CUDA provider is not in the npm package: the host copies libonnxruntime_providers_cuda.so and
 * libonnxruntime_providers_shared.so from NuGet's Microsoft.ML.OnnxRuntime.Gpu.Linux (the version
 * of onnxruntime-node) beside the binding, with CUDA 12 and cuDNN 9 on the library path (README).
 */
const ORT_BIN = join(dirname(createRequire(import.meta.url).resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', `${process.platform}`, process.arch);
const CUDA_FILES = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'];

/**
 * `auto`: CUDA when its provider libraries are present, else WebGPU if it initialises, else CPU;
 * a named GPU device falls back to CPU. ONNX Runtime throws rather than falling back, so each
 * provider is tried in turn and every one passed over is reported with its reason.
 */
export async function openSession(path: string, device: Device): Promise<{ session: ort.InferenceSession; provider: string; fallbacks: Fallback[] }> {
  const order = device === 'auto' ? ['cuda', 'webgpu', 'cpu'] : device === 'cpu' ? ['cpu'] : [device, 'cpu'];
  const fallbacks: Fallback[] = [];
  for (const provider of order) {
    if (provider === 'cuda') {
      const missing = CUDA_FILES.filter((f) => !existsSync(join(ORT_BIN, f)));
      if (missing.length) { fallbacks.push({ provider, reason: `${missing.join(' and ')} not installed in ${ORT_BIN}` }); continue; }
    }
    try {
      // logSeverityLevel 4: a provider that fails is reported here once, not also by ONNX Runtime's own logger
      const session = await ort.InferenceSession.create(path, { executionProviders: [provider], graphOptimizationLevel: 'all', logSeverityLevel: 4 });
      return { session, provider, fallbacks };
    } catch (e) {
      if (provider === 'cpu') throw e;
      fallbacks.push({ provider, reason: (e as Error).message.split('\n')[0].replace(/^.*?(Failed|failed)/, '$1').slice(0, 300) });
    }
  }
  throw new Error('unreachable: cpu is always last');
}

export async function loadBaseline(dir: string, device: Device = 'cpu'): Promise<Baseline> {
  const manifest = Manifest.parse(JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')));
  const s = await openSession(join(dir, manifest.onnx.file), device);
  return { dir, manifest, ...s };
}

/**
 * The size the logits are resized to before the arg-max: the image's, or under the max_res rule a
 * smaller one, then nearest-upsampled. PASS always takes (max_res, int(max_res·W/H)), landscape
 * included (its quirk); ImageNetSegModel puts max_res on the long side: (max_res, int(max_res·W/H))
 * when H > W, else (int(max_res·H/W), max_res). Sizes here are [width, height].
 */
export function labelSize(m: Manifest, W: number, H: number): [number, number] {
  const r = m.max_res.pixels;
  if (r <= 0 || W * H <= r * r) return [W, H];
  if (m.max_res.rule === 'pass' || H > W) return [Math.trunc((r * W) / H), r];
  return [r, Math.trunc((r * H) / W)];
}

export interface Prediction { ids: Uint16Array; width: number; height: number }

/**
 * One image (a path or its bytes) to its label map at the image's own size. `at` overrides the
 * arg-max size of the family's rule (tests: the rule is what reproduces the reference).
 */
export async function predict(b: Baseline, image: string | Buffer, at?: [number, number]): Promise<Prediction> {
  const x = await preprocess(image, b.manifest.preprocessing.resize_short_side);
  const W = x.origWidth, H = x.origHeight;
  const [lw, lh] = at ?? labelSize(b.manifest, W, H);
  const out = await b.session.run({
    image: new ort.Tensor('float32', x.tensor, [1, 3, x.height, x.width]),
    target: new ort.Tensor('uint8', new Uint8Array(lw * lh), [1, 1, lh, lw]),
  }, ['labels']);
  const labels = out.labels.data as BigInt64Array;
  const small = new Uint16Array(lw * lh);
  for (let i = 0; i < small.length; i++) small[i] = Number(labels[i]);
  if (lw === W && lh === H) return { ids: small, width: W, height: H };
  const ids = new Uint16Array(W * H);
  const col = Int32Array.from({ length: W }, (_, x0) => nearestIndex(x0, lw, W));
  for (let y = 0; y < H; y++) {
    const sy = nearestIndex(y, lh, H) * lw, row = y * W;
    for (let x0 = 0; x0 < W; x0++) ids[row + x0] = small[sy + col[x0]];
  }
  return { ids, width: W, height: H };
}

/** The network's logits alone for a normalised input (1, 3, h, w): the labels' target size is not used. */
export async function runLogits(b: Baseline, input: Float32Array, h: number, w: number): Promise<ort.Tensor> {
  const out = await b.session.run({ image: new ort.Tensor('float32', input, [1, 3, h, w]), target: new ort.Tensor('uint8', new Uint8Array(1), [1, 1, 1, 1]) }, ['logits']);
  return out.logits;
}

/** A raw float32 file (numpy's tofile). */
export async function f32File(path: string): Promise<Float32Array> {
  const b = await readFile(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** ONNX Runtime's logits for the parity inputs the converter saved, against PyTorch's. */
export async function measureParity(b: Baseline): Promise<NonNullable<Manifest['parity']>> {
  let maxAbs = 0, same = 0, total = 0;
  for (const [i, p] of b.manifest.parity_inputs.entries()) {
    const input = await f32File(join(b.dir, 'parity', `${i}.input.f32`));
    const ref = await f32File(join(b.dir, 'parity', `${i}.logits.f32`));
    const [, , h, w] = p.input, [, C, fh, fw] = p.logits;
    const got = (await runLogits(b, input, h, w)).data as Float32Array;
    for (let k = 0; k < ref.length; k++) maxAbs = Math.max(maxAbs, Math.abs(got[k] - ref[k]));
    // labels: the arg-max over classes at each position
    const n = fh * fw;
    for (let q = 0; q < n; q++) {
      let a = 0, bb = 0;
      for (let c = 1; c < C; c++) { if (ref[c * n + q] > ref[a * n + q]) a = c; if (got[c * n + q] > got[bb * n + q]) bb = c; }
      total++;
      if (a === bb) same++;
    }
  }
  return { maxAbsLogit: maxAbs, labelAgreement: same / total, ort: `onnxruntime-node ${ort.env.versions?.common ?? ''}`.trim() };
}
