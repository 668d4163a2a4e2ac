/**
 * The Munkres (Hungarian) assignment exactly as the official matcher runs it (python `munkres`
 * 1.1.4, minimisation), written from the behaviour described in docs/imagenet-s-metrics.md §7.
 * Tie-breaking is the point: when several assignments cost the same, the official match is the
 * one this scan order finds (findAZero returns the *last* uncovered zero of the first row that has
 * one), and scipy-style solvers pick differently.
 *
 * All arithmetic is double, comparisons are exact `=== 0`, like the original.
 * Returns, for each row, the column assigned to it.
 */
export function munkres(cost: ArrayLike<number>[] | Float64Array, n: number): Int32Array {
  const C = new Float64Array(n * n);
  if (cost instanceof Float64Array) C.set(cost.subarray(0, n * n));
  else for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) C[i * n + j] = (cost as ArrayLike<number>[])[i][j];

  const rowCov = new Uint8Array(n), colCov = new Uint8Array(n);
  const marked = new Uint8Array(n * n); // 1 = star, 2 = prime
  // For speed, per row: the column of its star (-1 if none); per column: the row of its star.
  const starInRow = new Int32Array(n).fill(-1), starInCol = new Int32Array(n).fill(-1);
  const primeInRow = new Int32Array(n).fill(-1);

  // step 1: subtract each row's minimum
  for (let i = 0; i < n; i++) {
    let m = Infinity;
    for (let j = 0; j < n; j++) if (C[i * n + j] < m) m = C[i * n + j];
    for (let j = 0; j < n; j++) C[i * n + j] -= m;
  }
  // step 2: star the first uncovered zero of each row
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (C[i * n + j] === 0 && !colCov[j] && !rowCov[i]) {
        marked[i * n + j] = 1; starInRow[i] = j; starInCol[j] = i;
        colCov[j] = 1; rowCov[i] = 1;
        break;
      }
    }
  }
  rowCov.fill(0); colCov.fill(0);

  // Uncovered zeros per row are found by scanning; we keep, per row, the count of zeros so rows
  // without zeros are skipped quickly (a pure speed-up: the scan order is unchanged).
  const zerosInRow = new Int32Array(n);
  const recountZeros = (): void => {
    for (let i = 0; i < n; i++) {
      let z = 0;
      for (let j = 0; j < n; j++) if (C[i * n + j] === 0) z++;
      zerosInRow[i] = z;
    }
  };
  recountZeros();

  const findAZero = (i0: number, j0: number): [number, number] => {
    for (let di = 0; di < n; di++) {
      const i = (i0 + di) % n;
      if (rowCov[i] || zerosInRow[i] === 0) continue;
      let found = -1;
      // columns cyclically from j0; keep the last uncovered zero met
      for (let dj = 0; dj < n; dj++) {
        const j = (j0 + dj) % n;
        if (C[i * n + j] === 0 && !colCov[j]) found = j;
      }
      if (found >= 0) return [i, found];
    }
    return [-1, -1];
  };

  for (;;) {
    // step 3
    let covered = 0;
    for (let j = 0; j < n; j++) {
      colCov[j] = starInCol[j] >= 0 ? 1 : 0;
      covered += colCov[j];
    }
    if (covered >= n) break;

    // step 4 (row/col restart at 0 each time step 4 is entered, as in the original)
    let row = 0, col = 0;
    let z0r = -1, z0c = -1;
    for (;;) {
      const [r, c] = findAZero(row, col);
      if (r < 0) {
        // step 6: add the smallest uncovered value to covered rows, subtract it from uncovered columns
        let m = Number.MAX_SAFE_INTEGER; // the original starts at sys.maxsize
        for (let i = 0; i < n; i++) {
          if (rowCov[i]) continue;
          for (let j = 0; j < n; j++) if (!colCov[j] && C[i * n + j] < m) m = C[i * n + j];
        }
        for (let i = 0; i < n; i++) {
          let z = 0;
          for (let j = 0; j < n; j++) {
            const k = i * n + j;
            if (rowCov[i]) C[k] += m;
            if (!colCov[j]) C[k] -= m;
            if (C[k] === 0) z++;
          }
          zerosInRow[i] = z;
        }
        row = 0; col = 0; // step 6 returns to step 4, which starts afresh
        continue;
      }
      marked[r * n + c] = 2;
      primeInRow[r] = c;
      const sc = starInRow[r];
      if (sc >= 0) {
        row = r; col = sc;
        rowCov[r] = 1; colCov[sc] = 0;
      } else {
        z0r = r; z0c = c;
        break;
      }
    }

    // step 5: augmenting path of alternating primes and stars
    const path: [number, number][] = [[z0r, z0c]];
    for (;;) {
      const last = path[path.length - 1];
      const r = starInCol[last[1]];
      if (r < 0) break;
      path.push([r, last[1]]);
      path.push([r, primeInRow[r]]);
    }
    for (const [r, c] of path) {
      const k = r * n + c;
      if (marked[k] === 1) {
        marked[k] = 0;
        if (starInRow[r] === c) starInRow[r] = -1;
        if (starInCol[c] === r) starInCol[c] = -1;
      } else {
        marked[k] = 1;
      }
    }
    // re-derive star indices for the toggled cells (a cell newly starred owns its row and column)
    for (const [r, c] of path) {
      if (marked[r * n + c] === 1) { starInRow[r] = c; starInCol[c] = r; }
    }
    rowCov.fill(0); colCov.fill(0);
    for (let k = 0; k < n * n; k++) if (marked[k] === 2) marked[k] = 0;
    primeInRow.fill(-1);
  }

  const assignment = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) assignment[i] = starInRow[i];
  return assignment;
}
