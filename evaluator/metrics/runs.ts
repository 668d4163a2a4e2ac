/**
 * Run-length id maps: masks are piecewise constant, so a row of 500 pixels is typically 2–10 runs.
 * The evaluator's hot path (boundaries, joint table) works on runs, so its cost follows the number
 * of runs rather than the number of pixels.
 *
 * Row r is runs rowFirst[r] .. rowEnd[r]-1: run k covers x in [start[k], start[k+1]) (the last run
 * of a row ends at the width) with id value[k]. Identical consecutive rows may share one range.
 */
export interface RunMap {
  width: number;
  height: number;
  rowFirst: Int32Array;
  rowEnd: Int32Array;
  start: Int32Array;
  value: Uint16Array;
  /** Pixels whose blue channel is non-zero (RGB/RGBA only). */
  blueNonZero: number;
}

/** Growable run storage used while decoding. */
export class RunBuilder {
  start: Int32Array;
  value: Uint16Array;
  length = 0;
  constructor(capacity = 4096) {
    this.start = new Int32Array(capacity);
    this.value = new Uint16Array(capacity);
  }
  reset(): void { this.length = 0; }
  push(x: number, v: number): void {
    if (this.length === this.start.length) this.grow();
    this.start[this.length] = x;
    this.value[this.length++] = v;
  }
  /** Makes room for `extra` more runs. */
  reserve(extra: number): void {
    while (this.length + extra > this.start.length) this.grow();
  }
  private grow(): void {
    const s = new Int32Array(this.start.length * 2), v = new Uint16Array(this.value.length * 2);
    s.set(this.start); v.set(this.value);
    this.start = s; this.value = v;
  }
}

/** Converts a per-pixel id map into runs (used for interlaced PNGs and by tests). */
export function idsToRuns(ids: Uint16Array, width: number, height: number, blueNonZero = 0): RunMap {
  const b = new RunBuilder(height * 4);
  const rowFirst = new Int32Array(height), rowEnd = new Int32Array(height);
  for (let y = 0; y < height; y++) {
    const base = y * width;
    rowFirst[y] = b.length;
    let v = ids[base];
    b.push(0, v);
    for (let x = 1; x < width; x++) {
      const u = ids[base + x];
      if (u !== v) { b.push(x, u); v = u; }
    }
    rowEnd[y] = b.length;
  }
  return { width, height, rowFirst, rowEnd, start: b.start, value: b.value, blueNonZero };
}

/** Expands runs back into ids (tests). */
export function runsToIds(m: RunMap): Uint16Array {
  const ids = new Uint16Array(m.width * m.height);
  for (let y = 0; y < m.height; y++) {
    for (let k = m.rowFirst[y]; k < m.rowEnd[y]; k++) {
      const end = k + 1 < m.rowEnd[y] ? m.start[k + 1] : m.width;
      ids.fill(m.value[k], y * m.width + m.start[k], y * m.width + end);
    }
  }
  return ids;
}
