/**
 * Boundary extraction (docs/imagenet-s-metrics.md §2.1).
 *
 * Officially: per label, `cv2.erode` with a 3×3 kernel n times on a zero-padded binary mask, i.e. a
 * pixel is interior iff its (2n+1)×(2n+1) window lies inside the image and holds only its own label.
 * That costs O(classes · n · pixels). We compute the same predicate in O(pixels) for any n:
 *   1. per row, runs of equal ids: pixel x of run [a, b] is "row-interior" iff a + n ≤ x ≤ b - n;
 *   2. per column, a counter of consecutive row-interior pixels with equal ids; when the counter at
 *      row y reaches 2n + 1, pixel (y - n, x) is interior.
 * Ids are compared directly: L = (id + 1) mod 65536 is a bijection of ids, so equality is the same.
 * id 65535 has L = 0 and is never boundary (§2.1, §10.12), though it still bounds its neighbours.
 */
import { roundHalfEven } from './round.ts';

/** n = max(1, round-half-even(0.03 · diagonal)), in double precision like Python's `round`. */
export function dilationWidth(height: number, width: number): number {
  return Math.max(roundHalfEven(0.03 * Math.sqrt(height * height + width * width)), 1);
}

/**
 * Writes 1 for boundary pixels and 0 for interior pixels into `out` (length width·height).
 * `scratch` (Int32Array of ≥ width) may be passed to avoid an allocation per image.
 */
export function boundaryFlags(
  ids: Uint16Array,
  width: number,
  height: number,
  n: number,
  out: Uint8Array,
  scratch?: Int32Array,
): Uint8Array {
  out.fill(1, 0, width * height);
  const span = 2 * n + 1;
  if (width < span || height < span) return clearWrapped(ids, out, width * height);
  const cnt = scratch && scratch.length >= width ? scratch : new Int32Array(width);
  cnt.fill(0, 0, width);
  for (let y = 0; y < height; y++) {
    const base = y * width;
    const prevBase = base - width;
    const outRow = (y - n) * width; // the row whose window is complete at this row
    let zeroFrom = 0; // columns before the current run's interior that are not row-interior
    let a = 0;
    while (a < width) {
      const v = ids[base + a];
      let b = a + 1;
      while (b < width && ids[base + b] === v) b++;
      const lo = a + n, hi = b - 1 - n; // row-interior part of the run [a, b-1]
      if (lo <= hi) {
        if (zeroFrom < lo) cnt.fill(0, zeroFrom, lo);
        for (let x = lo; x <= hi; x++) {
          const c = cnt[x] > 0 && ids[prevBase + x] === v ? cnt[x] + 1 : 1;
          cnt[x] = c;
          if (c >= span) out[outRow + x] = 0;
        }
        zeroFrom = hi + 1;
      }
      a = b;
    }
    if (zeroFrom < width) cnt.fill(0, zeroFrom, width);
  }
  return clearWrapped(ids, out, width * height);
}

function clearWrapped(ids: Uint16Array, out: Uint8Array, len: number): Uint8Array {
  // id 65535 is rare; scanning for it costs little next to the passes above.
  if (ids.indexOf(65535) >= 0) for (let i = 0; i < len; i++) if (ids[i] === 65535) out[i] = 0;
  return out;
}

/** Reference implementation: the official erosion loop, literally. Used by tests only. */
export function boundaryFlagsReference(ids: Uint16Array, width: number, height: number, n: number): Uint8Array {
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = ids[y * width + x];
      let interior = y >= n && y <= height - 1 - n && x >= n && x <= width - 1 - n;
      for (let yy = y - n; interior && yy <= y + n; yy++) {
        for (let xx = x - n; xx <= x + n; xx++) {
          if (ids[yy * width + xx] !== v) { interior = false; break; }
        }
      }
      out[y * width + x] = interior || v === 65535 ? 0 : 1;
    }
  }
  return out;
}
