/**
 * The boundary predicate of boundary.ts, on runs: per row, the *interior* pixels as sorted,
 * disjoint intervals. Cost O(runs) per row, for any dilation width n.
 *
 * A pixel is interior iff its (2n+1)² window is inside the image and holds only its id. Per row,
 * the row-interior part of a run [a, b] is [a+n, b-n]. Down the columns we keep, as segments,
 * where the current vertical stretch of row-interior, equal-id pixels started; at row y the pixels
 * of row y-n whose stretch started at or before y-2n are interior.
 */
import type { RunMap } from './runs.ts';

export interface Intervals {
  /** Row t's intervals are k in first[t] .. end[t]-1, each [x0[k], x1[k]] inclusive. */
  first: Int32Array;
  end: Int32Array;
  x0: Int32Array;
  x1: Int32Array;
}

/** Reusable buffers for one image size class. */
export class IntervalScratch {
  // segment state, double-buffered: x0, x1, id, start row
  sa: Int32Array<ArrayBuffer> = new Int32Array(0); sb: Int32Array<ArrayBuffer> = new Int32Array(0); sv: Int32Array<ArrayBuffer> = new Int32Array(0); ss: Int32Array<ArrayBuffer> = new Int32Array(0);
  ta: Int32Array<ArrayBuffer> = new Int32Array(0); tb: Int32Array<ArrayBuffer> = new Int32Array(0); tv: Int32Array<ArrayBuffer> = new Int32Array(0); ts: Int32Array<ArrayBuffer> = new Int32Array(0);
  x0 = new Int32Array(0); x1 = new Int32Array(0);

  ensure(width: number): void {
    if (this.sa.length < width + 1) {
      const n = width + 1;
      this.sa = new Int32Array(n); this.sb = new Int32Array(n); this.sv = new Int32Array(n); this.ss = new Int32Array(n);
      this.ta = new Int32Array(n); this.tb = new Int32Array(n); this.tv = new Int32Array(n); this.ts = new Int32Array(n);
    }
  }

  ensureOut(n: number): void {
    if (this.x0.length < n) {
      const c = Math.max(n, this.x0.length * 2);
      const a = new Int32Array(c), b = new Int32Array(c);
      a.set(this.x0); b.set(this.x1);
      this.x0 = a; this.x1 = b;
    }
  }
}

export function interiorIntervals(m: RunMap, n: number, s: IntervalScratch): Intervals {
  const { width, height, rowFirst, rowEnd, start, value } = m;
  s.ensure(width);
  s.ensureOut(height * 4);
  const first = new Int32Array(height), end = new Int32Array(height);
  // Locals, not scratch fields, in the loops: V8 cannot hoist loads of fields that are reassigned.
  let sa = s.sa, sb = s.sb, sv = s.sv, ss = s.ss; // segments of the previous row
  let ta = s.ta, tb = s.tb, tv = s.tv, ts = s.ts; // segments being built
  let x0 = s.x0, x1 = s.x1;
  let out = 0;
  let cur = 0;
  for (let y = 0; y < height; y++) {
    let nxt = 0;
    let j = 0;
    const mature = y - 2 * n;
    const r0 = rowFirst[y], r1 = rowEnd[y];
    for (let k = r0; k < r1; k++) {
      const a = start[k], b = (k + 1 < r1 ? start[k + 1] : width) - 1;
      const lo = a + n, hi = b - n;
      if (lo > hi) continue;
      const v = value[k];
      while (j < cur && sb[j] < lo) j++;
      let x = lo;
      let q = j;
      while (x <= hi) {
        let e: number, sr: number;
        const covered = q < cur && sa[q] <= x;
        if (covered) {
          e = sb[q] < hi ? sb[q] : hi;
          sr = sv[q] === v ? ss[q] : y;
          // Stretches old enough to be interior stay so while they last: one start value for all of
          // them keeps pieces merged (otherwise curved edges fragment the state into a piece per column).
          if (sr <= mature) sr = -1;
        } else {
          const ns = q < cur ? sa[q] - 1 : hi;
          e = ns < hi ? ns : hi;
          sr = y;
        }
        // emit [x, e] with (v, sr), merged with the previous piece when contiguous and equal
        if (nxt > 0 && tb[nxt - 1] === x - 1 && tv[nxt - 1] === v && ts[nxt - 1] === sr) tb[nxt - 1] = e;
        else { ta[nxt] = x; tb[nxt] = e; tv[nxt] = v; ts[nxt] = sr; nxt++; }
        if (covered && sb[q] <= e) q++;
        x = e + 1;
      }
      j = q;
    }
    let t = sa; sa = ta; ta = t;
    t = sb; sb = tb; tb = t;
    t = sv; sv = tv; tv = t;
    t = ss; ss = ts; ts = t;
    cur = nxt;
    // interior of row y - n: stretches that started at or before y - 2n
    const row = y - n;
    if (row >= 0) {
      first[row] = out;
      if (out + cur > x0.length) { s.x0 = x0; s.x1 = x1; s.ensureOut(out + cur); x0 = s.x0; x1 = s.x1; }
      const lim = y - 2 * n;
      const rowStart = out;
      for (let i = 0; i < cur; i++) {
        if (ss[i] > lim) continue;
        if (out > rowStart && x1[out - 1] === sa[i] - 1) x1[out - 1] = sb[i];
        else { x0[out] = sa[i]; x1[out] = sb[i]; out++; }
      }
      end[row] = out;
    }
  }
  for (let row = Math.max(0, height - n); row < height; row++) { first[row] = out; end[row] = out; }
  s.sa = sa; s.sb = sb; s.sv = sv; s.ss = ss; s.ta = ta; s.tb = tb; s.tv = tv; s.ts = ts;
  s.x0 = x0; s.x1 = x1;
  return { first, end, x0, x1 };
}
