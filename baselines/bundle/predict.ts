/**
 * One image through a submitted model: prepared and made into a mask as stages.ts does, the graph
 * run here (ONNX Runtime), with the image's mirror averaged in when model.json asks.
 */
import * as ort from 'onnxruntime-node';
import { prepareImage, toMask, type GraphOutput, type Mask, type Prepared } from './stages.ts';
import type { ModelJson } from './bundle.ts';

const f32 = Math.fround;

/** The graph on one prepared image (and its mirror, averaged, with flip_average). */
export async function runGraph(session: ort.InferenceSession, m: ModelJson, p: Prepared): Promise<GraphOutput> {
  const { x, w, h } = p;
  const run = async (input: Float32Array) => (await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', input, [1, 3, h, w]) }))[session.outputNames[0]];
  const y = await run(x);
  if (m.output === 'labels') {
    const [oh, ow] = y.dims.length === 3 ? [y.dims[1], y.dims[2]] : [y.dims[2], y.dims[3]];
    return { kind: 'labels', data: Float64Array.from(y.data as ArrayLike<number | bigint>, Number), oh, ow };
  }
  let logits = toFloat32(y);
  const [, C, oh, ow] = y.dims;
  if (m.flip_average) {
    const mirrored = new Float32Array(x.length);
    for (let c = 0; c < 3; c++) for (let r = 0; r < h; r++) for (let q = 0; q < w; q++) mirrored[(c * h + r) * w + q] = x[(c * h + r) * w + (w - 1 - q)];
    const back = toFloat32(await run(mirrored));
    const avg = new Float32Array(logits.length);
    for (let c = 0; c < C; c++) for (let r = 0; r < oh; r++) for (let q = 0; q < ow; q++) {
      const i = (c * oh + r) * ow + q;
      avg[i] = f32(f32(logits[i] + back[(c * oh + r) * ow + (ow - 1 - q)]) / 2);
    }
    logits = avg;
  }
  return { kind: 'logits', logits, C, oh, ow };
}

/** One image, start to end, in this thread. */
export async function predictImage(session: ort.InferenceSession, m: ModelJson, image: string | Buffer): Promise<Mask> {
  const p = await prepareImage(m, image);
  return toMask(await runGraph(session, m, p), p.W, p.H);
}

function toFloat32(t: ort.Tensor): Float32Array {
  return t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>);
}

