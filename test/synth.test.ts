/** The synthetic generator: deterministic by seed, accepted by the evaluator. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { evaluate } from '../evaluator/run/evaluate.ts';
import { DirectorySource } from '../evaluator/input/sources.ts';
import { writeMiniSplit } from '../datasets/imagenet-s/mini.ts';
import { permutation, rng, seedOf } from '../datasets/imagenet-s/synth-image.ts';
import { writeLikeSplit } from '../datasets/imagenet-s/synth-like.ts';
import { imageSize } from '../datasets/imagenet-s/image-header.ts';
import { parseNamesList } from '../evaluator/input/names.ts';
import { TOOLBOX, toolboxSkip } from './helpers/golden.ts';

const dir = mkdtempSync(join(tmpdir(), 'isb-synth-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function scoreMini(seed: number, name: string, permuted = false) {
  const m = await writeMiniSplit(join(dir, name), { seed, withPredictions: true, permuted });
  const v = m.subsets.validation;
  return evaluate({ gtRoot: v.masksDir, pred: await DirectorySource.open(v.predictionsDir!), masks: v.masks, classes: m.classes, match: permuted ? 'auto' : null, workers: 2 });
}

test('the same seed gives the same files and the same scores; another seed gives others', async () => {
  const a = await scoreMini(5, 'a'), b = await scoreMini(5, 'b'), c = await scoreMini(6, 'c');
  assert.deepEqual(a.metrics, b.metrics);
  const file = 'ImageNetSmini/validation-segmentation/n90000001/SYNTH_validation_00000001.png';
  assert.deepEqual(readFileSync(join(dir, 'a', file)), readFileSync(join(dir, 'b', file)));
  assert.notDeepEqual(a.metrics.IoUs, c.metrics.IoUs);
  assert.ok(a.metrics.mIoU > 30 && a.metrics.mIoU < 99, `a perturbed prediction scores in between (${a.metrics.mIoU})`);
});

test('permuted predictions are recovered by the default matching', async () => {
  const supervised = await scoreMini(5, 'sup');
  const permuted = await scoreMini(5, 'perm', true);
  // the generator's permutation, inverted exactly: predicted id perm[c - 1] → class c, other → other
  const perm = permutation(6, rng(seedOf(5, 'permutation')));
  const expected = new Map([[0, 0], ...perm.map((p, i) => [p, i + 1] as [number, number])]);
  assert.deepEqual(new Map([...permuted.match!].sort((a, b) => a[0] - b[0])), new Map([...expected].sort((a, b) => a[0] - b[0])));
  assert.deepEqual(permuted.metrics, supervised.metrics, 'the same predictions up to renaming score the same');
});

test('JPEG images match their masks in size (header parse agrees with libvips)', async () => {
  const m = await writeMiniSplit(join(dir, 'img'), { seed: 1 });
  for (const rel of m.subsets.validation.masks.slice(0, 6)) {
    const jpeg = readFileSync(join(m.root, 'validation', rel.replace('.png', '.JPEG')));
    const meta = await sharp(jpeg).metadata();
    assert.deepEqual(imageSize(jpeg), { width: meta.width, height: meta.height, format: 'jpeg' });
    const mask = await sharp(readFileSync(join(m.subsets.validation.masksDir, rel))).metadata();
    assert.deepEqual([mask.width, mask.height], [meta.width, meta.height]);
  }
});

test('synth --like --scale keeps a deterministic fraction with real names, and its predictions score', { skip: toolboxSkip }, async () => {
  const r = await writeLikeSplit(join(dir, 'like300'), 'ImageNetS300', TOOLBOX, { scale: 0.02, seed: 2, withPredictions: true, images: false, trainPerClass: 0 });
  assert.ok(r.counts.validation > 40 && r.counts.validation < 130, `about 2 % of 4097: ${r.counts.validation}`);
  const masks = parseNamesList(readFileSync(r.lists.validation, 'utf8')).masks;
  assert.ok(masks.every((m) => /^n\d{8}\/ILSVRC2012_val_\d{8}\.png$/.test(m)));
  const res = await evaluate({ gtRoot: join(r.root, 'validation-segmentation'), pred: await DirectorySource.open(r.predictions!.validation), masks, classes: 300, workers: 2 });
  assert.equal(res.images, masks.length);
  const again = await writeLikeSplit(join(dir, 'like300b'), 'ImageNetS300', TOOLBOX, { scale: 0.02, seed: 2, withPredictions: true, images: false, trainPerClass: 0 });
  assert.deepEqual(again.counts, r.counts);
});
