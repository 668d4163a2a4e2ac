/** The command-line contract the acceptance checks call. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeMiniSplit } from '../datasets/imagenet-s/mini.ts';
import { zipDirectory } from '../datasets/imagenet-s/zip-write.ts';
import { compareMetrics, goldenSkip, GOLDEN } from './helpers/golden.ts';

const ROOT = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'isb-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function evaluateCli(args: string[]) {
  return spawnSync('npm', ['run', '-s', 'evaluate', '--', ...args], { cwd: ROOT, encoding: 'utf8' });
}

const KEYS = ['Acc', 'mIoU', 'mBIoU', 'S', 'MS', 'ML', 'L', 'BS', 'BMS', 'BML', 'BL', 'FMeasure', 'IoUs', 'images', 'warnings', 'provenance', 'reproduce'];

test('scores a golden suite: summary and per-class table on stdout, the JSON contract in --json, exit 0', { skip: goldenSkip }, () => {
  const g = join(GOLDEN, 'p4-supervised-300');
  const out = join(dir, 'p4.json');
  const r = evaluateCli(['--gt', join(g, 'gt'), '--pred', join(g, 'pred'), '--names', join(g, 'names.txt'), '--classes', '300', '--json', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /mIoU 23\.48 {3}b-mIoU 20\.90/);
  assert.match(r.stdout, /300  class 300/);
  const json = JSON.parse(readFileSync(out, 'utf8'));
  assert.deepEqual(Object.keys(json), KEYS);
  assert.equal(json.IoUs.length, 301);
  const expected = JSON.parse(readFileSync(join(g, 'expected.json'), 'utf8')).primary.metrics;
  assert.deepEqual(compareMetrics(json, expected), []);
});

test('--match auto computes, applies and returns the official default match', { skip: goldenSkip }, () => {
  const g = join(GOLDEN, 'p3-unsupervised-50');
  const out = join(dir, 'p3.json');
  const r = evaluateCli(['--gt', join(g, 'gt'), '--pred', join(g, 'pred'), '--names', join(g, 'names.txt'), '--classes', '50', '--match', 'auto', '--json', out]);
  assert.equal(r.status, 0, r.stderr);
  const json = JSON.parse(readFileSync(out, 'utf8'));
  assert.deepEqual(json.match, JSON.parse(readFileSync(join(g, 'match.json'), 'utf8')));
  const viaFile = join(dir, 'p3-file.json');
  assert.equal(evaluateCli(['--gt', join(g, 'gt'), '--pred', join(g, 'pred'), '--names', join(g, 'names.txt'), '--classes', '50', '--match', join(g, 'match.json'), '--json', viaFile]).status, 0);
  // the same result, down to the hashes; only the command that reproduces each differs
  const { match: _m, reproduce: ra, ...a } = json;
  const { reproduce: rb, ...b } = JSON.parse(readFileSync(viaFile, 'utf8'));
  assert.deepEqual(a, b);
  assert.match(ra, /--match auto/);
  assert.match(rb, /--match \S+match\.json/);
});

test('invalid input: exit 2, the report on stderr, {error, problems} in --json; a zip works as --pred', async () => {
  const mini = await writeMiniSplit(join(dir, 'mini'), { withPredictions: true, validation: 8, test: 1 });
  const v = mini.subsets.validation;
  const zip = join(dir, 'preds.zip');
  await zipDirectory(v.predictionsDir!, zip);
  const ok = evaluateCli(['--gt', v.masksDir, '--pred', zip, '--names', v.namesFile, '--classes', '6', '--quiet']);
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.stdout, '');

  const names = join(dir, 'names-extra.txt');
  writeFileSync(names, readFileSync(v.namesFile, 'utf8') + '\nn90000001/X.JPEG n90000001/missing-one.png\nn90000002/Y.JPEG n90000002/missing-two.png');
  const out = join(dir, 'err.json');
  const bad = evaluateCli(['--gt', v.masksDir, '--pred', zip, '--names', names, '--classes', '6', '--json', out]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /n90000001\/missing-one\.png: prediction file is missing/);
  assert.match(bad.stderr, /n90000002\/missing-two\.png: prediction file is missing/);
  const report = JSON.parse(readFileSync(out, 'utf8'));
  assert.deepEqual(Object.keys(report), ['error', 'problems']);
  assert.deepEqual(report.problems.map((p: { file: string }) => p.file), ['n90000001/missing-one.png', 'n90000002/missing-two.png']);

  const badMatch = join(dir, 'bad-match.json');
  writeFileSync(badMatch, '{"0": 0, "1": 99}');
  const m = evaluateCli(['--gt', v.masksDir, '--pred', zip, '--names', v.namesFile, '--classes', '6', '--match', badMatch]);
  assert.equal(m.status, 2);
  assert.match(m.stderr, /values must be GT class ids 0\.\.6; invalid: 1 → 99/);
  // the atomic writer's temporary files (named by the CLI's pid, not ours) are all gone
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('err.json.') || f.includes('.tmp')), []);
});

test('--ci, compare and --verify: intervals and resamples in the JSON, paired differences offline, every number re-checked', async () => {
  const a = await writeMiniSplit(join(dir, 'ci-a'), { withPredictions: true, validation: 60, test: 1 });
  const b = await writeMiniSplit(join(dir, 'ci-b'), { withPredictions: true, validation: 60, test: 1, predictionSeed: 77 });
  const v = a.subsets.validation;
  const zip = join(dir, 'ci-a.zip');
  await zipDirectory(v.predictionsDir!, zip);
  const common = ['--gt', v.masksDir, '--names', v.namesFile, '--classes', '6', '--ci', '--quiet'];
  const ra = join(dir, 'ci-a.json'), rb = join(dir, 'ci-b.json');
  assert.equal(evaluateCli([...common, '--pred', zip, '--json', ra]).status, 0);
  assert.equal(evaluateCli([...common, '--pred', b.subsets.validation.predictionsDir!, '--json', rb]).status, 0);
  const A = JSON.parse(readFileSync(ra, 'utf8')), B = JSON.parse(readFileSync(rb, 'utf8'));
  for (const k of ['mIoU', 'mBIoU', 'Acc', 'FMeasure']) {
    const [lo, hi] = A.ci[k];
    assert.ok(lo < A[k] && A[k] < hi, `${k}: ${A[k]} in [${lo}, ${hi}]`);
    assert.equal(A.bootstrap.samples[k].length, 1000);
  }
  assert.equal(A.bootstrap.seed, B.bootstrap.seed, 'one names list, one set of resamples');
  assert.match(A.provenance.predictionsSha256, /^[0-9a-f]{64}$/);
  assert.equal(B.provenance.predictionsSha256, null, 'a directory has no single hash');
  assert.equal(A.provenance.gtSha256, B.provenance.gtSha256);
  assert.match(A.reproduce, /^npm run -s evaluate -- --gt .* --ci --verify /);

  const cmp = join(dir, 'cmp.json');
  const c = spawnSync('npm', ['run', '-s', 'compare', '--', ra, rb, '--json', cmp], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(c.status, 0, c.stderr);
  const C = JSON.parse(readFileSync(cmp, 'utf8'));
  assert.equal(C.mIoU.diff, B.mIoU - A.mIoU);
  assert.ok(C.mIoU.ci[0] < C.mIoU.diff && C.mIoU.diff < C.mIoU.ci[1]);
  assert.equal(C.mIoU.significant, C.mIoU.ci[0] > 0 || C.mIoU.ci[1] < 0);
  const self = spawnSync('npm', ['run', '-s', 'compare', '--', ra, ra, '--json', cmp], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(self.status, 0);
  assert.deepEqual(JSON.parse(readFileSync(cmp, 'utf8')).mIoU, { diff: 0, ci: [0, 0], significant: false });
  // another names list: other resamples, refused
  const other = await writeMiniSplit(join(dir, 'ci-c'), { withPredictions: true, validation: 30, test: 1 });
  const rc = join(dir, 'ci-c.json');
  assert.equal(evaluateCli(['--gt', other.subsets.validation.masksDir, '--names', other.subsets.validation.namesFile, '--classes', '6', '--ci', '--quiet', '--pred', other.subsets.validation.predictionsDir!, '--json', rc]).status, 0);
  const refused = spawnSync('npm', ['run', '-s', 'compare', '--', ra, rc], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /cannot be compared: their resamples differ/);

  // --verify: the result itself is reproduced; a one-ulp change of one stored number is named
  const again = evaluateCli([...common, '--pred', zip, '--verify', ra]);
  assert.equal(again.status, 0, again.stderr);
  const ulp = (x: number): number => { const f = new Float64Array([x]); new BigInt64Array(f.buffer)[0] += 1n; return f[0]; };
  for (const [path, edit] of [['IoUs[2]', (r: typeof A) => { r.IoUs[2] = ulp(r.IoUs[2]); }], ['bootstrap.samples.mIoU[517]', (r: typeof A) => { r.bootstrap.samples.mIoU[517] = ulp(r.bootstrap.samples.mIoU[517]); }]] as const) {
    const changed = JSON.parse(readFileSync(ra, 'utf8'));
    edit(changed);
    const file = join(dir, 'ci-a-changed.json');
    writeFileSync(file, JSON.stringify(changed));
    const r = evaluateCli([...common, '--pred', zip, '--verify', file]);
    assert.equal(r.status, 1, `${path} changed by one ulp`);
    assert.match(r.stderr, new RegExp(`not reproduced: ${path.replace(/[[\].]/g, '\\$&')} is `));
  }
  // a result scored against other predictions: the first metric that differs is named
  const wrong = evaluateCli([...common, '--pred', zip, '--verify', rb]);
  assert.equal(wrong.status, 1);
  assert.match(wrong.stderr, /not reproduced: /);
});
