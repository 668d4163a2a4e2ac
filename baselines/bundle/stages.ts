/**
 * The parts of a model run around the graph, with no ONNX Runtime in them, so that worker threads run
 * them while the graph runs (run-child.ts): an image decoded as Pillow's `convert('RGB')` does
 * (runner/preprocess.ts), resized as torchvision's Resize on a PIL image (runner/resize.ts) and
 * normalised in float32 as ToTensor + Normalize; the graph's logits resized bilinearly (half-pixel,
 * as F.interpolate(mode='bilinear', align_corners=False)) to the image's size where they are
 * smaller, then the first maximum over the channels (torch.argmax), or its labels nearest-resized.
 */
import { decodeRGB, normalise } from '../runner/preprocess.ts';
import { nearestIndex, resizeBilinearRGB } from '../runner/resize.ts';
import { inputSize, type ModelJson } from './bundle.ts';

export interface Mask { ids: Uint16Array; width: number; height: number }
const f32 = Math.fround;

/** An image made ready for the graph: its normalised input (1×3×h×w) and its own size. */
export interface Prepared { x: Float32Array; w: number; h: number; W: number; H: number }
/** What the graph returned, as plain arrays (they cross to a worker thread). */
export type GraphOutput =
  | { kind: 'labels'; data: Float64Array; oh: number; ow: number }
  | { kind: 'logits'; logits: Float32Array; C: number; oh: number; ow: number };

/** Decode, resize and normalise (no ONNX Runtime: a worker thread does this while the graph runs). */
export async function prepareImage(m: ModelJson, image: string | Buffer): Promise<Prepared> {
  const d = await decodeRGB(image);
  const W = d.width, H = d.height;
  const [w, h] = inputSize(m, W, H);
  const rgb = w === W && h === H ? d.rgb : resizeBilinearRGB(d.rgb, W, H, w, h);
  return { x: normalise(rgb, w, h, m.input.mean, m.input.std), w, h, W, H };
}

/** The graph's output as the image's mask: logits resized and arg-maxed, labels nearest-resized (a worker thread's work). */
export function toMask(out: GraphOutput, W: number, H: number): Mask {
  if (out.kind === 'logits') return { ids: argmaxResized(out.logits, out.C, out.oh, out.ow, W, H), width: W, height: H };
  const ids = new Uint16Array(W * H);
  for (let r = 0; r < H; r++) {
    const sr = nearestIndex(r, out.oh, H);
    for (let c = 0; c < W; c++) ids[r * W + c] = out.data[sr * out.ow + nearestIndex(c, out.ow, W)];
  }
  return { ids, width: W, height: H };
}

/** One axis of half-pixel bilinear interpolation: source index, next index, weights (PyTorch's upsample_bilinear2d). */
function taps(outSize: number, inSize: number): { i0: Int32Array; i1: Int32Array; l0: Float32Array; l1: Float32Array } {
  const scale = f32(inSize / outSize);
  const i0 = new Int32Array(outSize), i1 = new Int32Array(outSize), l0 = new Float32Array(outSize), l1 = new Float32Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const src = Math.max(0, f32(f32(scale * f32(o + 0.5)) - 0.5));
    const a = Math.floor(src);
    i0[o] = a; i1[o] = a + (a < inSize - 1 ? 1 : 0);
    l1[o] = f32(src - a); l0[o] = f32(1 - l1[o]);
  }
  return { i0, i1, l0, l1 };
}

/** Arg-max over C channels of the logits resized to W×H (no resize when equal), first maximum wins. */
export function argmaxResized(logits: Float32Array, C: number, oh: number, ow: number, W: number, H: number): Uint16Array {
  const ids = new Uint16Array(W * H), plane = oh * ow;
  if (oh === H && ow === W) {
    for (let p = 0; p < plane; p++) {
      let best = logits[p], k = 0;
      for (let c = 1; c < C; c++) { const v = logits[c * plane + p]; if (v > best) { best = v; k = c; } }
      ids[p] = k;
    }
    return ids;
  }
  const ty = taps(H, oh), tx = taps(W, ow);
  for (let r = 0; r < H; r++) {
    const a0 = ty.i0[r] * ow, a1 = ty.i1[r] * ow, h0 = ty.l0[r], h1 = ty.l1[r];
    for (let q = 0; q < W; q++) {
      const b0 = tx.i0[q], b1 = tx.i1[q], w0 = tx.l0[q], w1 = tx.l1[q];
      let best = -Infinity, k = 0;
      for (let c = 0; c < C; c++) {
        const o = c * plane;
        const v = f32(f32(h0 * f32(f32(w0 * logits[o + a0 + b0]) + f32(w1 * logits[o + a0 + b1]))) + f32(h1 * f32(f32(w0 * logits[o + a1 + b0]) + f32(w1 * logits[o + a1 + b1]))));
        if (v > best) { best = v; k = c; }
      }
      ids[r * W + q] = k;
    }
  }
  return ids;
}
