/**
 * The built-in default: generates the synthetic `mini` split (if absent) with a prediction zip,
 * scores the zip with the evaluator exactly as `npm run evaluate` would, and prints the result
 * and the command that reproduces it.
 */
import './stdout.ts';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { evaluate, formatSummary, openPredictionSource, parseNamesList } from '../evaluator/index.ts';
import { MINI_CLASSES, MINI_SPLIT, writeMiniSplit } from '../datasets/imagenet-s/mini.ts';
import { zipDirectory } from '../datasets/imagenet-s/zip-write.ts';

const out = resolve(process.env.DEMO_DIR ?? 'data/demo');
const split = join(out, MINI_SPLIT);
const zipPath = join(out, 'predictions', 'validation.zip');
if (!existsSync(zipPath)) {
  await rm(out, { recursive: true, force: true });
  const files = await writeMiniSplit(out, { withPredictions: true });
  await zipDirectory(files.subsets.validation.predictionsDir!, zipPath);
  console.log(`generated the synthetic mini split in ${out}`);
}
const gt = join(split, 'validation-segmentation');
const namesFile = join(split, 'validation.txt');
const names = parseNamesList(await readFile(namesFile, 'utf8'));
const source = await openPredictionSource(zipPath, names.masks);
const result = await evaluate({ gtRoot: gt, pred: source, masks: names.masks, classes: MINI_CLASSES.length });
await source.close();
console.log(formatSummary(result, MINI_CLASSES.map((c) => c.name)));
const rel = (p: string): string => p.replace(process.cwd() + '/', '');
console.log(`\nsame result from the command line:\n  npm run -s evaluate -- --gt ${rel(gt)} --pred ${rel(zipPath)} --names ${rel(namesFile)} --classes ${MINI_CLASSES.length}`);
