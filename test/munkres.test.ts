import { test } from 'node:test';
import assert from 'node:assert/strict';
import { munkres } from '../evaluator/munkres.ts';
import { CooccurrenceAccumulator, matchToJsonText, parseMatch } from '../evaluator/match.ts';
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

test('default match text is written as the official match.py writes it; match.json is validated', () => {
  const co = new CooccurrenceAccumulator(3);
  co.images = 2;
  co.counts.set([0, 2, 0, 2, 0, 0, 0, 0, 1]);
  assert.equal(matchToJsonText(co.result()), '{"1": 2, "2": 1, "3": 3, "0": 0}');
  assert.match(parseMatch('{nope', 3).problems[0].problem, /not valid JSON/);
  assert.match(parseMatch('{"0": 0, "7": 1, "x": 2}', 3).problems[0].problem, /keys must be predicted ids 0\.\.3; invalid: "7", "x"/);
  assert.match(parseMatch('{"0": 0, "1": 9, "2": 1.5}', 3).problems[0].problem, /values must be GT class ids 0\.\.3; invalid: 1 → 9, 2 → 1\.5/);
  assert.deepEqual(parseMatch('[1,2]', 3).match, null);
  assert.equal(parseMatch('{"0": 0, "1": 3}', 3).match!.get(1), 3);
});
