/**
 * The child process of a trial run (trial.ts): `trial-child.ts <model.onnx> <model.json as JSON>`.
 * Makes an ONNX Runtime session on the CPU, runs the model on two images of different sizes and
 * aspect (noise, preprocessed by model.json's rules) and prints one JSON line: the slower image's
 * seconds, or what went wrong. Nothing else of the server is loaded here.
 */
import * as ort from 'onnxruntime-node';
import { inputSize, ModelJson } from './bundle.ts';
import type { ChildOutput } from './trial.ts';

const [path, json] = process.argv.slice(2);
const done = (o: ChildOutput): void => { process.stdout.write(`${JSON.stringify(o)}\n`); };

try {
  const model = ModelJson.parse(JSON.parse(json));
  const session = await ort.InferenceSession.create(path, { executionProviders: ['cpu'], graphOptimizationLevel: 'all', logSeverityLevel: 4, intraOpNumThreads: 1 });
  let slowest = 0;
  // two images: landscape and portrait, odd sizes (a stride-32 network must cope with any size)
  for (const [W, H] of [[97, 71], [66, 103]] as const) {
    const [w, h] = inputSize(model, W, H);
    const data = new Float32Array(3 * w * h);
    let seed = 12345;
    for (let c = 0; c < 3; c++) {
      for (let i = 0; i < w * h; i++) {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        data[c * w * h + i] = ((seed >>> 16) / 65535 - model.input.mean[c]) / model.input.std[c];
      }
    }
    process.stdout.write('{"event":"image"}\n');
    const t = performance.now();
    const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', data, [1, 3, h, w]) });
    slowest = Math.max(slowest, (performance.now() - t) / 1000);
    const y = out[session.outputNames[0]];
    const d = y.dims;
    if (model.output === 'logits') {
      if (d.length !== 4 || d[0] !== 1 || d[1] !== model.classes + 1) throw new Error(`output "${session.outputNames[0]}" is ${d.join('×')} for a ${w}×${h} input; 1×${model.classes + 1}×h×w expected`);
      if (y.type !== 'float32' && y.type !== 'float16') throw new Error(`output is ${y.type}; float logits expected`);
    } else {
      const [oh, ow] = d.length === 3 ? [d[1], d[2]] : d.length === 4 && d[1] === 1 ? [d[2], d[3]] : [-1, -1];
      if (d[0] !== 1 || oh !== h || ow !== w) throw new Error(`output "${session.outputNames[0]}" is ${d.join('×')} for a ${w}×${h} input; 1×${h}×${w} labels expected`);
    }
  }
  done({ ok: true, secondsPerImage: slowest, provider: 'cpu' });
} catch (e) {
  done({ ok: false, error: (e as Error).message.replace(/\s+/g, ' ') });
}
