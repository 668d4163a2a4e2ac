/**
 * Bench section `baselines`: the runner (ONNX Runtime, CPU) against PyTorch eager on the CPU for the
 * same model and the same images, in one run, for one model of each family at full size with 919
 * classes (random-initialised, converted by the real converter): PASS ResNet-50, RF-ConvNeXt-T
 * (rfmultiple, the heaviest variant: three dilated branches per block) and ViT-B/16; on generated
 * JPEGs of typical ImageNet sizes. PyTorch runs on all cores with the BLAS Debian's alternatives give
 * it (printed; the reference BLAS makes its linear layers ~15× slower: install libopenblas0-pthread). Both sides include decoding, preprocessing, the resize to the
 * image size and the arg-max, and writing the PNGs; neither includes loading the model.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import sharp from 'sharp';
import { loadBaseline, predict } from '../baselines/runner/model.ts';
import { checkBundle } from '../baselines/bundle/check.ts';
import { runBundle } from '../baselines/bundle/run.ts';
import { encodeMask } from '../datasets/imagenet-s/png-write.ts';
import { pickSize, rng } from '../datasets/imagenet-s/synth-image.ts';
import { decodePng } from '../evaluator/index.ts';

const ROOT = resolve(import.meta.dirname, '..');
const PY = '/usr/bin/python3';
const MODELS = [
  { id: 'pass-r50', arch: 'pass-r50', args: [], label: 'PASS ResNet-50' },
  { id: 'rf-convnext-t-rfmultiple', arch: 'rf-convnext-t', args: ['--variant', 'rfmultiple'], label: 'RF-ConvNeXt-T rfmultiple' },
  { id: 'vit-b16', arch: 'vit-b16', args: [], label: 'ViT-B/16' },
];

export async function baselinesBench(benchDir: string, count: number, only?: string[]): Promise<void> {
  if (spawnSync(PY, ['-c', 'import torch, torchvision']).status !== 0) { console.log('  (/usr/bin/python3 with torch and torchvision not found: skipped)'); return; }
  const dir = join(benchDir, 'baselines');
  const images = join(dir, 'images', 'n01000001');
  mkdirSync(images, { recursive: true });
  const r = rng(11);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const [h, w] = pickSize(r, 0);
    const name = `img${i}`;
    names.push(name);
    const file = join(images, `${name}.JPEG`);
    if (existsSync(file)) continue;
    const px = Buffer.alloc(w * h * 3);
    for (let k = 0; k < px.length; k++) px[k] = (((k / 3) % w) * 255) / w + ((k * 2654435761) >>> 26);
    await sharp(px, { raw: { width: w, height: h, channels: 3 } }).blur(3).jpeg({ quality: 85 }).toFile(file);
  }
  const results: Record<string, unknown> = {};
  for (const m of MODELS.filter((x) => !only || only.includes(x.id))) {
    const ckpt = join(dir, `${m.id}-919.pth`), model = join(dir, `model-${m.id}`), refDir = join(dir, `ref-${m.id}`), oursDir = join(dir, `ours-${m.id}`);
    if (!existsSync(ckpt)) {
      const made = spawnSync(PY, [join(ROOT, 'baselines/convert/make_checkpoint.py'), '--arch', m.arch, '--classes', '919', '--seed', '1', ...m.args, '--out', ckpt], { encoding: 'utf8' });
      if (made.status !== 0) throw new Error(made.stderr);
    }
    if (!existsSync(join(model, 'manifest.json'))) {
      const conv = spawnSync(PY, [join(ROOT, 'baselines/convert/convert.py'), '--arch', m.arch, '--checkpoint', ckpt, '--classes', '919', '--out', model], { encoding: 'utf8' });
      if (conv.status !== 0) throw new Error(conv.stderr);
    }
    // PyTorch eager (threads: PyTorch's default, all cores)
    const ref = spawnSync(PY, [join(ROOT, 'baselines/convert/reference.py'), '--arch', m.arch, '--checkpoint', ckpt, '--classes', '919', '--images', join(dir, 'images'), '--out', refDir, '--timing'], { encoding: 'utf8' });
    if (ref.status !== 0) throw new Error(ref.stderr);
    const torch = JSON.parse(ref.stderr.trim().split('\n').pop()!) as { images: number; seconds: number; threads: number; blas: string[] };
    // ONNX Runtime (intra-op threads: its default, all cores)
    const b = await loadBaseline(model, 'cpu');
    await predict(b, join(images, `${names[0]}.JPEG`)); // warm-up, as reference.py --timing does
    const t = performance.now();
    for (const n of names) {
      const p = await predict(b, join(images, `${n}.JPEG`));
      const out = join(oursDir, 'n01000001', `${n}.png`);
      await mkdir(dirname(out), { recursive: true });
      await writeFile(out, encodeMask(p.ids, p.width, p.height));
    }
    const ours = (performance.now() - t) / 1000;
    await b.session.release();
    let same = 0, pixels = 0;
    for (const n of names) {
      const a = decodePng(readFileSync(join(refDir, 'n01000001', `${n}.png`))), o = decodePng(readFileSync(join(oursDir, 'n01000001', `${n}.png`)));
      for (let i = 0; i < a.ids.length; i++) if (a.ids[i] === o.ids[i]) same++;
      pixels += a.ids.length;
    }
    results[m.id] = { torch, ours, agreement: same / pixels, pixels };
    if (m === MODELS[0]) console.log(`  PyTorch ${torch.threads} thread(s), BLAS ${torch.blas.join(', ') || 'unknown'}${torch.blas.some((x) => x.includes('/blas/')) ? ' (the reference BLAS: install libopenblas0-pthread for a fair comparison)' : ''}; ONNX Runtime its default threads`);
    console.log(`  ${m.label}, 919 classes, ${count} JPEGs of typical sizes, CPU: PyTorch eager ${(torch.images / torch.seconds).toFixed(2)} img/s, ONNX Runtime runner ${(count / ours).toFixed(2)} img/s (${(torch.seconds / ours).toFixed(2)}× PyTorch); labels agree on ${((100 * same) / pixels).toFixed(5)} % of ${(pixels / 1e6).toFixed(1)} M pixels`);
  }
  if (!only || only.includes('model-bundle')) results['model-bundle'] = await modelBundleBench(dir, names);
  writeFileSync(join(dir, 'last.json'), JSON.stringify(results));
}

/**
 * A submitted model (docs/model-submissions.md): docs/examples/export_model.py's LR-ASPP MobileNetV3
 * with 919 classes + other (random weights), run by the model runner in its watched child process
 * (baselines/bundle/run.ts) against the same network in PyTorch eager (the same script's --predict),
 * on the same JPEGs; both decode, preprocess, run, arg-max and write PNGs.
 */
async function modelBundleBench(dir: string, names: string[]): Promise<unknown> {
  const bundle = join(dir, 'lraspp-919.zip'), list = join(dir, 'names.txt'), torchDir = join(dir, 'torch-lraspp'), oursDir = join(dir, 'ours-lraspp');
  writeFileSync(list, names.map((n) => `n01000001/${n}.JPEG n01000001/${n}.png`).join('\n') + '\n');
  const made = spawnSync(PY, [join(ROOT, 'docs/examples/export_model.py'), '--classes', '919', '--out', bundle, '--predict-images', join(dir, 'images'), '--predict-names', list, '--predict-out', torchDir], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(made.stderr);
  const torch = JSON.parse(made.stderr.trim().split('\n').pop()!) as { images: number; seconds: number; threads: number };
  const work = join(dir, 'lraspp-run');
  mkdirSync(work, { recursive: true });
  const check = await checkBundle(bundle, { classes: 919, maxModelBytes: 512 << 20, extractTo: work });
  if (check.problems.length) throw new Error(JSON.stringify(check.problems));
  const jobs = names.map((n) => ({ image: join(dir, 'images', 'n01000001', `${n}.JPEG`), mask: `n01000001/${n}.png` }));
  // the child's own clock, from the second image on (its first warms up, as PyTorch's does)
  const timed = async (out: string, stageThreads?: number) => {
    let firstDone = 0;
    const t = performance.now();
    const run = await runBundle(work, check.model!, jobs, out, { seconds: 120, stageThreads, onImage: (d) => { if (d === 1) firstDone = performance.now(); } });
    if (run.problem) throw new Error(run.problem.problem);
    return { ours: (performance.now() - firstDone) / 1000, total: (performance.now() - t) / 1000 };
  };
  // the run as the server does it (on the CPU: stages in the graph's thread), then with the stages
  // forced onto worker threads (what a GPU run does), to see what they cost or buy here
  const { ours, total } = await timed(oursDir);
  const threaded = await timed(join(dir, 'ours-lraspp-threads'), 2);
  let same = 0, pixels = 0;
  for (const n of names) {
    const a = decodePng(readFileSync(join(torchDir, 'n01000001', `${n}.png`))), o = decodePng(readFileSync(join(oursDir, 'n01000001', `${n}.png`)));
    for (let i = 0; i < a.ids.length; i++) if (a.ids[i] === o.ids[i]) same++;
    pixels += a.ids.length;
  }
  console.log(`  model bundle (LR-ASPP MobileNetV3-Large, 919 classes, exported by docs/examples/export_model.py), ${names.length} JPEGs, CPU: PyTorch eager ${(torch.images / torch.seconds).toFixed(2)} img/s (${torch.threads} threads), model runner ${((names.length - 1) / ours).toFixed(2)} img/s (${(torch.seconds / torch.images / (ours / (names.length - 1))).toFixed(2)}× PyTorch; ${total.toFixed(1)} s with the child's start and session; with the stages on 2 worker threads, as on a GPU: ${((names.length - 1) / threaded.ours).toFixed(2)} img/s); masks agree on ${((100 * same) / pixels).toFixed(5)} % of ${(pixels / 1e6).toFixed(1)} M pixels`);
  return { torch, ours, total, threaded, agreement: same / pixels };
}
