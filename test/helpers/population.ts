/**
 * A known population for the bootstrap's validity study: synthetic images (the generator's shapes,
 * sizes and prediction errors, at thumbnail size so thousands take a second), each with one or
 * two predictions, taken through the evaluator's real per-image path (runs → joint table →
 * accumulator) without PNG files. Tables of contributions come out, one per prediction.
 */
import { makeImage, drawGt, drawPrediction, rng, seedOf } from '../../datasets/imagenet-s/synth-image.ts';
import { idsToRuns } from '../../evaluator/metrics/runs.ts';
import { buildImageRecordFromRuns, RunRecordScratch } from '../../evaluator/metrics/image-record.ts';
import { OfficialAccumulator, identityLut } from '../../evaluator/metrics/accumulator.ts';
import { packContributions, type ContributionTable } from '../../evaluator/statistics/bootstrap.ts';
import type { ImageContribution } from '../../evaluator/metrics/accumulator.ts';

export interface Population { classes: number; folder: Int32Array; tables: ContributionTable[]; contributions: ImageContribution[][] }

/**
 * `size` images of `classes` classes, `predictions` independent predictions of each (same error
 * model). `classOf(i)`: image i's main class, 1..classes (its class folder); by default cycling.
 */
export function population(size: number, classes: number, predictions: number, seed = 7, classOf = (i: number) => 1 + (i % classes)): Population {
  const accs = Array.from({ length: predictions }, () => new OfficialAccumulator(classes, { contributions: true }));
  const lut = identityLut(classes), scratch = new RunRecordScratch();
  const style = { classes, idOf: (c: number) => c };
  for (let i = 0; i < size; i++) {
    const r = rng(seedOf(seed, `image ${i}`));
    const img = makeImage(r, classOf(i), () => 1 + Math.floor(r() * classes), [36 + Math.floor(r() * 28), 48 + Math.floor(r() * 32)]);
    const gt = idsToRuns(drawGt(img), img.width, img.height);
    accs.forEach((acc, p) => {
      const pred = drawPrediction(rng(seedOf(seed, `prediction ${p} of ${i}`)), img, style).ids;
      acc.update(buildImageRecordFromRuns(gt, idsToRuns(pred, img.width, img.height), classes, scratch), lut);
    });
  }
  const folder = Int32Array.from({ length: size }, (_, i) => classOf(i) - 1);
  return { classes, folder, tables: accs.map((a) => packContributions(a.contributions, classes, folder)), contributions: accs.map((a) => a.contributions) };
}

/**
 * Two submissions of exactly equal population quality: each image appears twice, once as (first
 * prediction, second prediction) and once swapped, so the population metrics of A and B are equal
 * (row i of A is row i ± size of B).
 */
export function symmetricPair(p: Population): [ContributionTable, ContributionTable] {
  const [x, y] = p.contributions;
  const folder = [...p.folder, ...p.folder];
  return [packContributions([...x, ...y], p.classes, folder), packContributions([...y, ...x], p.classes, folder)];
}

/**
 * E submissions of exactly equal population quality (the symmetric pair, for E entries): each image
 * appears E times, copy s of entry e holding prediction (e + s) mod E. Needs E predictions.
 */
export function symmetricBoard(p: Population, E: number): ContributionTable[] {
  if (p.contributions.length < E) throw new Error(`symmetricBoard: ${p.contributions.length} predictions for ${E} entries`);
  const folder = Array.from({ length: E }, () => [...p.folder]).flat();
  return Array.from({ length: E }, (_, e) => packContributions(Array.from({ length: E }, (_, s) => p.contributions[(e + s) % E]).flat(), p.classes, folder));
}
