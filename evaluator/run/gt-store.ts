/**
 * Ground truth decoded once: every GT mask of a names list in run-length form (runs.ts), packed
 * into a few arrays on shared memory. A server or scoring worker builds it once per hosted GT
 * (split × phase: all protocols share it) and every later submission decodes only its predictions;
 * worker threads read it in place (a job carries the shared arrays, not a copy).
 *
 * Building reads each mask once, checks it with the same rules as the per-pair path (a problem is
 * the host's: the build fails with `gt-unreadable` / `gt-invalid`), decodes it into runs and keeps
 * the sha256 of its bytes, so provenance hashes stay those of the bytes actually scored against.
 */
import type { RunMap } from '../metrics/runs.ts';
import type { Problem } from '../input/rules.ts';

/** Shared, read-only run maps of N masks: image i's rows are rowFirst/rowEnd[rowBase[i] ..], relative to runBase[i]. */
export interface GtStore {
  count: number;
  width: Int32Array;
  height: Int32Array;
  rowBase: Int32Array;
  runBase: Int32Array;
  rowFirst: Int32Array;
  rowEnd: Int32Array;
  start: Int32Array;
  value: Uint16Array;
}

/** One decoded mask on its way into a store (what a worker sends back). */
export interface GtRuns { width: number; height: number; rowFirst: Int32Array; rowEnd: Int32Array; start: Int32Array; value: Uint16Array }

export interface GtStoreBuild {
  store: GtStore;
  /** sha256 of each mask's bytes, names-list order. */
  digests: string[];
  /** Bytes of shared memory the store holds. */
  bytes: number;
}

/** Packs decoded masks (names-list order) into one store. */
export function packGtStore(items: GtRuns[]): { store: GtStore; bytes: number } {
  const count = items.length;
  let rows = 0, runs = 0;
  for (const r of items) { rows += r.height; runs += r.start.length; }
  const ints = (n: number) => new Int32Array(new SharedArrayBuffer(Math.max(1, n) * 4));
  const store: GtStore = {
    count, width: ints(count), height: ints(count), rowBase: ints(count + 1), runBase: ints(count + 1),
    rowFirst: ints(rows), rowEnd: ints(rows), start: ints(runs), value: new Uint16Array(new SharedArrayBuffer(Math.max(1, runs) * 2)),
  };
  let row = 0, run = 0;
  items.forEach((r, i) => {
    store.width[i] = r.width; store.height[i] = r.height; store.rowBase[i] = row; store.runBase[i] = run;
    store.rowFirst.set(r.rowFirst, row); store.rowEnd.set(r.rowEnd, row);
    store.start.set(r.start, run); store.value.set(r.value, run);
    row += r.height; run += r.start.length;
  });
  store.rowBase[count] = row; store.runBase[count] = run;
  const bytes = (count * 4 + 2 * (count + 1)) * 4 + rows * 8 + runs * 6;
  return { store, bytes };
}

/** Image i of a store as a run map (views, no copy). */
export function gtRunsOf(s: GtStore, i: number): RunMap {
  const r0 = s.rowBase[i], r1 = s.rowBase[i + 1], k0 = s.runBase[i], k1 = s.runBase[i + 1];
  return {
    width: s.width[i], height: s.height[i],
    rowFirst: s.rowFirst.subarray(r0, r1), rowEnd: s.rowEnd.subarray(r0, r1),
    start: s.start.subarray(k0, k1), value: s.value.subarray(k0, k1),
    blueNonZero: 0,
  };
}

/** A mask's decode for a store: its runs trimmed to size, or its problems. */
export type GtDecodeResult = { id: number; runs: GtRuns; sha256: string } | { id: number; problems: Problem[] };
