/**
 * The child process of a model run (run.ts): `run-child.ts <model.onnx> <model.json> <jobs.json> <out dir> [device]`.
 * One ONNX Runtime session; per image of jobs.json ([{image, mask}], names-list order) a line
 * {"event":"image"} (its time limit starts), the prediction as the benchmark's PNG mask, and a
 * progress line; then {"ok":true,"secondsPerImage":…,"provider":…,"runtime":…,"fallbacks":[…]}, or {"ok":false,"error":…}.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { encodeMask } from '../../datasets/imagenet-s/png-write.ts';
import { openSession, type Device } from '../runner/model.ts';
import { ModelJson } from './bundle.ts';
import { predictImage } from './predict.ts';

const [path, json, jobsFile, outDir, device = 'cpu'] = process.argv.slice(2);
const line = (o: object): void => { process.stdout.write(`${JSON.stringify(o)}\n`); };
try {
  const model = ModelJson.parse(JSON.parse(json));
  const jobs = JSON.parse(await readFile(jobsFile, 'utf8')) as { image: string; mask: string }[];
  // the device as for baselines: auto tries CUDA, then WebGPU, then the CPU, and says what it passed over
  const { session, provider, fallbacks } = await openSession(path, device as Device);
  const t0 = performance.now();
  for (const [i, j] of jobs.entries()) {
    line({ event: 'image' });
    const p = await predictImage(session, model, j.image);
    const out = join(outDir, j.mask);
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, encodeMask(p.ids, p.width, p.height));
    line({ event: 'done', done: i + 1, total: jobs.length });
  }
  line({ ok: true, secondsPerImage: jobs.length ? (performance.now() - t0) / 1000 / jobs.length : 0, provider, runtime: `onnxruntime-node ${ort.env.versions?.common ?? ''}`.trim(), fallbacks });
} catch (e) {
  line({ ok: false, error: (e as Error).message.replace(/\s+/g, ' ') });
}
