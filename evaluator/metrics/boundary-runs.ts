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
  // vertical segments, double-buffered: those of the previous row and those being built, each as
  // x0, x1, id and the row where the segment started
  prevX0: Int32Array<ArrayBuffer> = new Int32Array(0); prevX1: Int32Array<ArrayBuffer> = new Int32Array(0); prevId: Int32Array<ArrayBuffer> = new Int32Array(0); prevRow0: Int32Array<ArrayBuffer> = new Int32Array(0);
  nextX0: Int32Array<ArrayBuffer> = new Int32Array(0); nextX1: Int32Array<ArrayBuffer> = new Int32Array(0); nextId: Int32Array<ArrayBuffer> = new Int32Array(0); nextRow0: Int32Array<ArrayBuffer> = new Int32Array(0);
  x0 = new Int32Array(0); x1 = new Int32Array(0);

  ensure(width: number): void {
    if (this.prevX0.length < width + 1) {
      const n = width + 1;
      this.prevX0 = new Int32Array(n); this.prevX1 = new Int32Array(n); this.prevId = new Int32Array(n); this.prevRow0 = new Int32Array(n);
      this.nextX0 = new Int32Array(n); this.nextX1 = new Int32Array(n); this.nextId = new Int32Array(n); this.nextRow0 = new Int32Array(n);
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
  let prevX0 = s.prevX0, prevX1 = s.prevX1, prevId = s.prevId, prevRow0 = s.prevRow0; // segments of the previous row
  let nextX0 = s.nextX0, nextX1 = s.nextX1, nextId = s.nextId, nextRow0 = s.nextRow0; // segments being built
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
      while (j < cur && prevX1[j] < lo) j++;
      let x = lo;
      let q = j;
      while (x <= hi) {
        let e: number, sr: number;
        const covered = q < cur && prevX0[q] <= x;
        if (covered) {
          e = prevX1[q] < hi ? prevX1[q] : hi;
          sr = prevId[q] === v ? prevRow0[q] : y;
          // Stretches old enough to be interior stay so while they last: one start value for all of
          // them keeps pieces merged (otherwise curved edges fragment the state into a piece per column).
          if (sr <= mature) sr = -1;
        } else {
          const ns = q < cur ? prevX0[q] - 1 : hi;
          e = ns < hi ? ns : hi;
          sr = y;
        }
        // emit [x, e] with (v, sr), merged with the previous piece when contiguous and equal
        if (nxt > 0 && nextX1[nxt - 1] === x - 1 && nextId[nxt - 1] === v && nextRow0[nxt - 1] === sr) nextX1[nxt - 1] = e;
        else { nextX0[nxt] = x; nextX1[nxt] = e; nextId[nxt] = v; nextRow0[nxt] = sr; nxt++; }
        if (covered && prevX1[q] <= e) q++;
        x = e + 1;
      }
      j = q;
    }
    let t = prevX0; prevX0 = nextX0; nextX0 = t;
    t = prevX1; prevX1 = nextX1; nextX1 = t;
    t = prevId; prevId = nextId; nextId = t;
    t = prevRow0; prevRow0 = nextRow0; nextRow0 = t;
    cur = nxt;
    // interior of row y - n: stretches that started at or before y - 2n
    const row = y - n;
    if (row >= 0) {
      first[row] = out;
      if (out + cur > x0.length) { s.x0 = x0; s.x1 = x1; s.ensureOut(out + cur); x0 = s.x0; x1 = s.x1; }
      const lim = y - 2 * n;
      const rowStart = out;
      for (let i = 0; i < cur; i++) {
        if (prevRow0[i] > lim) continue;
        if (out > rowStart && x1[out - 1] === prevX0[i] - 1) x1[out - 1] = prevX1[i];
        else { x0[out] = prevX0[i]; x1[out] = prevX1[i]; out++; }
      }
      end[row] = out;
    }
  }
  for (let row = Math.max(0, height - n); row < height; row++) { first[row] = out; end[row] = out; }
  s.prevX0 = prevX0; s.prevX1 = prevX1; s.prevId = prevId; s.prevRow0 = prevRow0; s.nextX0 = nextX0; s.nextX1 = nextX1; s.nextId = nextId; s.nextRow0 = nextRow0;
  s.x0 = x0; s.x1 = x1;
  return { first, end, x0, x1 };
}
