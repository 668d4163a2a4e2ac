/**
 * The run-based hot path must equal the per-pixel reference path exactly: decoding, interior
 * intervals (boundaries) and the per-image joint tables.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { boundaryFlagsReference, dilationWidth } from '../evaluator/metrics/boundary.ts';
import { interiorIntervals, IntervalScratch } from '../evaluator/metrics/boundary-runs.ts';
import { buildImageRecord, buildImageRecordFromRuns, RecordScratch, RunRecordScratch, type ImageRecord } from '../evaluator/metrics/image-record.ts';
import { decodePng, decodePngRuns } from '../evaluator/input/png.ts';
import { idsToRuns, runsToIds } from '../evaluator/metrics/runs.ts';
import { encodeMask, type MaskEncoding } from '../datasets/imagenet-s/png-write.ts';
import { drawGt, drawPrediction, makeImage, rng } from '../datasets/imagenet-s/synth-image.ts';

function blocks(r: () => number, w: number, h: number, ids: number[]): Uint16Array {
  const out = new Uint16Array(w * h);
  const k = 1 + Math.floor(r() * 6);
  for (let s = 0; s < k; s++) {
    const v = ids[Math.floor(r() * ids.length)];
    const x0 = Math.floor(r() * w), y0 = Math.floor(r() * h), x1 = x0 + Math.floor(r() * w), y1 = y0 + Math.floor(r() * h);
    const round = r() < 0.5;
    for (let y = y0; y < Math.min(h, y1); y++) for (let x = x0; x < Math.min(w, x1); x++) {
      if (round) { const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2, rx = (x1 - x0) / 2 + 0.5, ry = (y1 - y0) / 2 + 0.5; if (((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 > 1) continue; }
      out[y * w + x] = v;
    }
  }
  return out;
}

test('interior intervals equal the official boundary definition (random maps, curved shapes, n = 1..15)', () => {
  const r = rng(11);
  const s = new IntervalScratch();
  for (let t = 0; t < 600; t++) {
    const w = 1 + Math.floor(r() * 45), h = 1 + Math.floor(r() * 45), n = 1 + Math.floor(r() * 15);
    const ids = blocks(r, w, h, [0, 1, 2, 65535]);
    const iv = interiorIntervals(idsToRuns(ids, w, h), n, s);
    const flags = new Uint8Array(w * h).fill(1);
    for (let y = 0; y < h; y++) for (let q = iv.first[y]; q < iv.end[y]; q++) flags.fill(0, y * w + iv.x0[q], y * w + iv.x1[q] + 1);
    for (let i = 0; i < w * h; i++) if (ids[i] === 65535) flags[i] = 0;
    assert.deepEqual(flags, boundaryFlagsReference(ids, w, h, n), `${w}×${h}, n = ${n}, case ${t}`);
  }
});

test('run decoding equals per-pixel decoding for every accepted encoding and interlaced files', async () => {
  const r = rng(12);
  for (let t = 0; t < 40; t++) {
    const w = 1 + Math.floor(r() * 70), h = 1 + Math.floor(r() * 50);
    const ids = blocks(r, w, h, [0, 3, 255, 1000, 4095]);
    const enc = (['rgb', 'rgba', 'gray16', 'graya16'] as MaskEncoding[])[t % 4];
    const png = encodeMask(ids, w, h, { encoding: enc, blue: t % 5 === 0 ? 1 : 0 });
    const runs = decodePngRuns(png);
    assert.deepEqual(runsToIds(runs), decodePng(png).ids, `case ${t} (${enc})`);
    assert.equal(runs.blueNonZero, decodePng(png).blueNonZero);
  }
  const rgb = Buffer.alloc(33 * 21 * 3);
  for (let i = 0; i < 33 * 21; i++) rgb[i * 3] = (i * 7) % 5;
  const interlaced = await sharp(rgb, { raw: { width: 33, height: 21, channels: 3 } }).png({ progressive: true }).toBuffer();
  assert.deepEqual(runsToIds(decodePngRuns(interlaced)), decodePng(interlaced).ids);
});

function normalise(x: ImageRecord): string {
  const nG = x.gtIds.length, plane = x.predIds.length * nG;
  const cells: string[] = [];
  for (let j = 0; j < x.keys.length; j++) {
    const f = Math.floor(x.keys[j] / plane), rest = x.keys[j] % plane;
    cells.push(`${f}:${x.predIds[Math.floor(rest / nG)]}:${x.gtIds[rest % nG]}=${x.counts[j]}`);
  }
  return JSON.stringify({ cells: cells.sort(), pixels: x.pixels, oor: x.oorPixels, oorIds: [...x.oorIds].sort(), blue: x.blueNonZero });
}

test('run-based records equal per-pixel records (synthetic images: ignore bands, out-of-range ids, noise)', () => {
  const r = rng(13);
  const C = 20;
  for (let t = 0; t < 60; t++) {
    const size: [number, number] = [20 + Math.floor(r() * 200), 20 + Math.floor(r() * 200)];
    const img = makeImage(r, 1 + Math.floor(r() * C), () => 1 + Math.floor(r() * C), size);
    const gt = drawGt(img);
    const { ids: pred } = drawPrediction(r, img, { classes: C, idOf: (c) => (t % 7 === 0 && c > 0 ? c + 40 : c) });
    if (t % 5 === 0) for (let i = 0; i < 30; i++) pred[Math.floor(r() * pred.length)] = [65535, 1000, 999, 3][i % 4];
    const { width: w, height: h } = img;
    const viaPixels = buildImageRecord({ width: w, height: h, ids: gt, blueNonZero: 0 }, { width: w, height: h, ids: pred, blueNonZero: 0 }, C, new RecordScratch());
    const viaRuns = buildImageRecordFromRuns(idsToRuns(gt, w, h), idsToRuns(pred, w, h), C, new RunRecordScratch());
    assert.equal(normalise(viaRuns), normalise(viaPixels), `case ${t}, ${w}×${h}, n = ${dilationWidth(h, w)}`);
  }
});
