import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boundaryFlags, boundaryFlagsReference, dilationWidth } from '../evaluator/metrics/boundary.ts';
import { rng } from '../datasets/imagenet-s/synth-image.ts';

test('dilation width rounds half to even like Python (§2.1)', () => {
  const cases: [number, number, number][] = [
    [30, 40, 2], [90, 120, 4], [150, 200, 8], [210, 280, 10], [450, 600, 22], [375, 500, 19], [900, 1200, 45], [1, 1, 1], [2, 2, 1], [10, 10, 1],
  ];
  for (const [h, w, n] of cases) assert.equal(dilationWidth(h, w), n, `${h}×${w}`);
});

/** Random piecewise-constant label maps: rectangles and blobs, sometimes noise and id 65535. */
function randomIds(r: () => number, w: number, h: number): Uint16Array {
  const ids = new Uint16Array(w * h);
  const k = 1 + Math.floor(r() * 5);
  for (let s = 0; s < k; s++) {
    const v = r() < 0.1 ? 65535 : Math.floor(r() * 4);
    const x0 = Math.floor(r() * w), y0 = Math.floor(r() * h);
    const x1 = x0 + Math.floor(r() * w), y1 = y0 + Math.floor(r() * h);
    for (let y = y0; y < Math.min(h, y1); y++) for (let x = x0; x < Math.min(w, x1); x++) ids[y * w + x] = v;
  }
  if (r() < 0.3) for (let i = 0; i < 5; i++) ids[Math.floor(r() * w * h)] = 7;
  return ids;
}

test('O(pixels) boundary equals the official erosion definition on random maps, n = 1..12, degenerate sizes included', () => {
  const r = rng(42);
  let checked = 0;
  for (let t = 0; t < 300; t++) {
    const w = 1 + Math.floor(r() * 40), h = 1 + Math.floor(r() * 40);
    const n = 1 + Math.floor(r() * 12);
    const ids = randomIds(r, w, h);
    const fast = boundaryFlags(ids, w, h, n, new Uint8Array(w * h));
    assert.deepEqual(fast, boundaryFlagsReference(ids, w, h, n), `${w}×${h}, n = ${n}`);
    checked++;
  }
  assert.equal(checked, 300);
});

test('boundary of a uniform image is its frame of width n; id 65535 is never boundary', () => {
  const w = 9, h = 7, n = 2;
  const flags = boundaryFlags(new Uint16Array(w * h).fill(3), w, h, n, new Uint8Array(w * h));
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const frame = x < n || y < n || x >= w - n || y >= h - n;
    assert.equal(flags[y * w + x], frame ? 1 : 0, `(${x}, ${y})`);
  }
  const wrapped = boundaryFlags(new Uint16Array(w * h).fill(65535), w, h, n, new Uint8Array(w * h));
  assert.equal(wrapped.reduce((a, b) => a + b, 0), 0);
});
