/**
 * Where a baseline runner's time goes, per image (GPU hosts: scripts/bench-baselines-gpu.sh runs it):
 *   node profile-runner.mjs <model dir> <dir of JPEGs> [device]
 * Prints the median milliseconds of: decode + exact resize + normalise; the network alone (logits
 * only); the network with the in-graph upsampling and arg-max to the image size; PNG encoding; and
 * the whole prediction on images of one size seen before (a provider that compiles per shape pays
 * on the first image of each size).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { loadBaseline, predict, runLogits, type Device } from '../baselines/runner/model.ts';
import { preprocess } from '../baselines/runner/preprocess.ts';
import { encodeMask } from '../datasets/imagenet-s/png-write.ts';

const [modelDir, images, device = 'auto'] = process.argv.slice(2);
const b = await loadBaseline(modelDir, device as Device);
const files = readdirSync(images).filter((f) => f.endsWith('.JPEG')).sort().map((f) => join(images, f));
const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)];
const time = async <T>(f: () => Promise<T>): Promise<[T, number]> => { const t = performance.now(); const r = await f(); return [r, performance.now() - t]; };
const pre: number[] = [], net: number[] = [], full: number[] = [], png: number[] = [], first: number[] = [];
const seen = new Set<string>();
for (const file of files) {
  const [x, tp] = await time(() => preprocess(file));
  const image = new ort.Tensor('float32', x.tensor, [1, 3, x.height, x.width]);
  const key = `${x.width}x${x.height}`;
  const [, tn] = await time(() => runLogits(b, x.tensor, x.height, x.width));
  const [, tf] = await time(() => b.session.run({ image, target: new ort.Tensor('uint8', new Uint8Array(x.origWidth * x.origHeight), [1, 1, x.origHeight, x.origWidth]) }, ['labels']));
  const [p] = await time(() => predict(b, file));
  const [, te] = await time(async () => encodeMask(p.ids, p.width, p.height));
  (seen.has(key) ? full : first).push(tf);
  seen.add(key);
  pre.push(tp); net.push(tn); png.push(te);
}
const [, again] = await time(async () => { for (const f of files) await predict(b, f); });
console.log(JSON.stringify({
  provider: b.provider, images: files.length, sizes: seen.size,
  ms: { preprocess: median(pre), network_logits_only: median(net), network_upsample_argmax_first_of_size: median(first), network_upsample_argmax_size_seen: full.length ? median(full) : null, png: median(png), whole_predict_warm_mean: again / files.length },
}));
