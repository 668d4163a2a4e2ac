/**
 * The official numbers: every golden suite of ../shared/golden reproduced within the tolerances of
 * its README, every metric and every per-class IoU, plus the raw float32 accumulators bit for bit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluate } from '../evaluator/run/evaluate.ts';
import { buildGtStore } from '../evaluator/run/gt-cache.ts';
import { parseMatch, matchToJsonText } from '../evaluator/input/match.ts';
import { parseNamesList } from '../evaluator/input/names.ts';
import { OFFICIAL_HIST_NAMES } from '../evaluator/metrics/accumulator.ts';
import { resultToJson } from '../evaluator/report.ts';
import { DirectorySource } from '../evaluator/input/sources.ts';
import { compareMetrics, goldenSkip, goldenSuites, SUMMARY_KEYS, type GoldenSuite } from './helpers/golden.ts';

async function run(s: GoldenSuite, match?: 'auto' | 'file' | null, workers = 2, gtOnce = false) {
  const names = parseNamesList(readFileSync(join(s.dir, 'names.txt'), 'utf8'));
  assert.deepEqual(names.problems, []);
  let m: Parameters<typeof evaluate>[0]['match'] = null;
  if (match === 'auto') m = 'auto';
  else if (match === 'file') {
    const parsed = parseMatch(readFileSync(join(s.dir, 'match.json'), 'utf8'), s.classes);
    assert.deepEqual(parsed.problems, []);
    m = parsed.match;
  }
  const gt = gtOnce ? await buildGtStore({ gtRoot: join(s.dir, 'gt'), masks: names.masks }) : undefined;
  return evaluate({ gtRoot: join(s.dir, 'gt'), pred: await DirectorySource.open(join(s.dir, 'pred')), masks: names.masks, classes: s.classes, match: m, workers, gt });
}

test('golden suites are present', { skip: goldenSkip }, () => {
  assert.ok(goldenSuites().length >= 5, 'expected at least the five public suites');
});

for (const s of goldenSuites()) {
  const hasMatch = s.flavour === 'unsupervised';
  test(`golden ${s.name}: official metrics reproduced${hasMatch ? ' (with its match.json)' : ''}`, async () => {
    const r = await run(s, hasMatch ? 'file' : null);
    assert.deepEqual(compareMetrics(resultToJson(r) as unknown as Record<string, unknown>, s.expected.primary.metrics), []);
  });

  test(`golden ${s.name}: float32 and exact accumulators match the official diagnostics`, async () => {
    const diag = JSON.parse(readFileSync(join(s.dir, 'diagnostics.json'), 'utf8')).primary;
    const r = await run(s, hasMatch ? 'file' : null, 0);
    const acc = r.accumulator;
    for (const [ours, name] of Object.entries(OFFICIAL_HIST_NAMES) as [keyof typeof OFFICIAL_HIST_NAMES, string][]) {
      assert.deepEqual([...acc.all[ours]], diag.accumulators[name], `float32 accumulator ${name}`);
      assert.deepEqual([...acc.exact[ours]], diag.accumulators_exact[name], `exact accumulator ${name}`);
      for (let g = 0; g < 4; g++) assert.deepEqual([...acc.groups[g][ours]], diag.accumulators[`${name}s`][g], `size group ${g} accumulator ${name}s`);
    }
    // per image: F-measure (float32) and Img-Acc decisions
    diag.per_image.forEach((p: { fmeasure_f32: number; img_label: number; img_acc_hit: boolean; name: string }, i: number) => {
      assert.equal(acc.perImage[i].fmeasure, p.fmeasure_f32, `F of ${p.name}`);
      assert.equal(acc.perImage[i].imgLabel, p.img_label, `Img-Acc label of ${p.name}`);
      assert.equal(acc.perImage[i].hit, p.img_acc_hit, `Img-Acc hit of ${p.name}`);
    });
  });

  test(`golden ${s.name}: with the GT decoded once (a GT store), the same accumulators bit for bit and the same GT hashes`, async () => {
    const direct = await run(s, hasMatch ? 'file' : null, 2);
    const once = await run(s, hasMatch ? 'file' : null, 2, true);
    for (const name of Object.keys(OFFICIAL_HIST_NAMES) as (keyof typeof OFFICIAL_HIST_NAMES)[]) {
      assert.deepEqual(once.accumulator.all[name], direct.accumulator.all[name], name);
      for (let g = 0; g < 4; g++) assert.deepEqual(once.accumulator.groups[g][name], direct.accumulator.groups[g][name], `${name} group ${g}`);
    }
    assert.deepEqual(once.metrics, direct.metrics);
    assert.deepEqual(once.accumulator.perImage, direct.accumulator.perImage);
    assert.deepEqual(once.gtDigests, direct.gtDigests);
  });

  if (hasMatch) {
    test(`golden ${s.name}: default matching identical to the official match.py, ties included`, async () => {
      const r = await run(s, 'auto');
      const official = s.expected.official_match as { match_json_text: string };
      assert.equal(matchToJsonText(r.match!), official.match_json_text);
      const withMatch = s.expected.with_official_match as { metrics: Record<string, unknown> };
      assert.deepEqual(compareMetrics(resultToJson(r) as unknown as Record<string, unknown>, withMatch.metrics), []);
    });

    test(`golden ${s.name}: scores without a match are the official ones too`, async () => {
      const r = await run(s, null);
      const without = s.expected.without_match as { metrics: Record<string, unknown> };
      assert.deepEqual(compareMetrics(resultToJson(r) as unknown as Record<string, unknown>, without.metrics), []);
    });
  }
}

test('the golden comparison catches a drift of any single metric', { skip: goldenSkip }, () => {
  const s = goldenSuites()[0];
  const e = s.expected.primary.metrics;
  const exact = { ...e, IoUs: (e.IoUs as number[]).slice() } as Record<string, unknown>;
  for (const k of SUMMARY_KEYS) if (exact[k] === 'NaN') exact[k] = NaN;
  assert.deepEqual(compareMetrics(exact, e), []);
  for (const k of SUMMARY_KEYS) {
    const drifted = { ...exact, [k]: Number.isNaN(exact[k] as number) ? 1 : (exact[k] as number) + 2e-4 };
    assert.equal(compareMetrics(drifted, e).length, 1, `a drift of ${k} must be reported`);
  }
  const iou = (exact.IoUs as number[]).slice();
  iou[7] += 2e-6;
  assert.equal(compareMetrics({ ...exact, IoUs: iou }, e).length, 1, 'a drift of one IoU must be reported');
});
