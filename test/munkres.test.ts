import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { munkres } from '../evaluator/metrics/munkres.ts';
import { CooccurrenceAccumulator, matchToJsonText, parseMatch } from '../evaluator/input/match.ts';
import { rng } from '../datasets/imagenet-s/synth-image.ts';

function bruteForceMin(cost: number[][]): number {
  const n = cost.length;
  let best = Infinity;
  const used = new Array(n).fill(false);
  const go = (i: number, s: number) => {
    if (s >= best) return;
    if (i === n) { best = s; return; }
    for (let j = 0; j < n; j++) if (!used[j]) { used[j] = true; go(i + 1, s + cost[i][j]); used[j] = false; }
  };
  go(0, 0);
  return best;
}

test('finds a minimum-cost assignment (checked by brute force, ties and integer costs included)', () => {
  const r = rng(5);
  for (let t = 0; t < 200; t++) {
    const n = 1 + Math.floor(r() * 7);
    const cost = Array.from({ length: n }, () => Array.from({ length: n }, () => (t % 2 ? Math.floor(r() * 4) : r())));
    const a = munkres(cost, n);
    assert.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: n }, (_, i) => i), 'a permutation');
    const total = a.reduce((s, j, i) => s + cost[i][j], 0);
    assert.ok(Math.abs(total - bruteForceMin(cost)) < 1e-9, `optimal on case ${t}`);
  }
});

test('tie-breaking follows the original scan order: the last zero of the first row', () => {
  // all-equal costs: step 2 stars the diagonal greedily (first zero per row)
  assert.deepEqual([...munkres([[1, 1, 1], [1, 1, 1], [1, 1, 1]], 3)], [0, 1, 2]);
  // a case needing step 4/5 where findAZero's "last zero in the row" decides the result
  const cost = [[0, 0, 1], [0, 1, 1], [1, 0, 0]];
  assert.deepEqual([...munkres(cost, 3)], [1, 0, 2]);
});

test('tied optima: the same assignment as python munkres 1.1.4 on 60 tied matrices (fixture: test/fixtures/munkres-ties.py)', () => {
  const fixture = JSON.parse(readFileSync(new URL('./fixtures/munkres-ties.json', import.meta.url), 'utf8')) as { cases: { cost: number[][]; assignment: number[] }[] };
  let tiedAndScanDependent = 0;
  for (const [k, c] of fixture.cases.entries()) {
    const ours = [...munkres(c.cost, c.cost.length)];
    assert.deepEqual(ours, c.assignment, `case ${k}`);
    // the case is only a tie-breaking check when another optimum exists
    const total = c.assignment.reduce((s, j, i) => s + c.cost[i][j], 0);
    if (countOptima(c.cost, total) > 1) tiedAndScanDependent++;
  }
  assert.ok(tiedAndScanDependent >= 30, `${tiedAndScanDependent} of the cases have several optima`);
});

function countOptima(cost: number[][], best: number): number {
  const n = cost.length;
  const used = new Array(n).fill(false);
  let count = 0;
  const go = (i: number, s: number): void => {
    if (s > best) return;
    if (i === n) { if (s === best) count++; return; }
    for (let j = 0; j < n; j++) if (!used[j]) { used[j] = true; go(i + 1, s + cost[i][j]); used[j] = false; }
  };
  go(0, 0);
  return count;
}

test('default match text is written as the official match.py writes it; match.json is validated', () => {
  const co = new CooccurrenceAccumulator(3);
  co.images = 2;
  co.counts.set([0, 2, 0, 2, 0, 0, 0, 0, 1]);
  assert.equal(matchToJsonText(co.result()), '{"1": 2, "2": 1, "3": 3, "0": 0}');
  assert.equal(parseMatch('{nope', 3).problems[0].code, 'match-not-json');
  assert.deepEqual(parseMatch('{"0": 0, "7": 1, "x": 2}', 3).problems[0].details, { keys: ['"7"', '"x"'], classes: 3 });
  assert.deepEqual(parseMatch('{"0": 0, "1": 9, "2": 1.5}', 3).problems[0].details, { values: ['1 → 9', '2 → 1.5'], classes: 3 });
  assert.deepEqual(parseMatch('[1,2]', 3).match, null);
  assert.equal(parseMatch('{"0": 0, "1": 3}', 3).match!.get(1), 3);
});
