/**
 * The server against the real app: real SQLite file, real worker pool, real zips.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import request from 'supertest';
import { encodeMask } from '../datasets/imagenet-s/png-write.ts';
import { decodePng, EVALUATOR_VERSION } from '../evaluator/index.ts';
import { zipDirectory } from '../datasets/imagenet-s/zip-write.ts';
import { evaluatorResult, miniPredictions, testServer, waitFor, type TestServer } from './helpers/server.ts';
import { craftZip } from './helpers/zip.ts';

const ROOT = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'isb-srv-test-'));
let srv: TestServer;
let alice: string, bob: string, carol: string, admin: string;
let preds: Awaited<ReturnType<typeof miniPredictions>>;
let worse: Awaited<ReturnType<typeof miniPredictions>>;
let permuted: Awaited<ReturnType<typeof miniPredictions>>;

const VAL = 'imagenetsmini.semi-supervised.validation';
const TEST = 'imagenetsmini.semi-supervised.test';

before(async () => {
  srv = await testServer({ QUOTA_TEST_PER_DAY: '2', MAX_UPLOAD_BYTES: String(3_000_000) });
  alice = srv.user('alice');
  bob = srv.user('bob');
  carol = srv.user('carol');
  admin = srv.user('root', true);
  preds = await miniPredictions(join(work, 'preds'));
  worse = await miniPredictions(join(work, 'worse'), { predictionSeed: 99 });
  permuted = await miniPredictions(join(work, 'perm'), { permuted: true });
});
after(async () => {
  await srv.cleanup();
  rmSync(work, { recursive: true, force: true });
});

const api = () => request(srv.server);
function upload(token: string | null, benchmark: string, file: string, fields: Record<string, string> = {}) {
  let r = api().post('/api/submissions');
  if (token) r = r.set('Authorization', `Bearer ${token}`);
  r = r.field('benchmark', benchmark);
  for (const [k, v] of Object.entries(fields)) r = r.field(k, v);
  return r.attach('file', file);
}
async function finished(token: string, id: number) {
  return waitFor(async () => {
    const r = await api().get(`/api/submissions/${id}`).set('Authorization', `Bearer ${token}`);
    return ['finished', 'failed', 'cancelled'].includes(r.body.status) ? r.body : undefined;
  }, 60_000, `submission ${id}`);
}
function submissionsOnDisk(): string[] {
  const d = join(srv.dataDir, 'submissions');
  return existsSync(d) ? readdirSync(d) : [];
}
test('benchmarks: four protocols × two phases of the hosted split', async () => {
  const r = await api().get('/api/benchmarks').expect(200);
  assert.equal(r.body.length, 8);
  const b = r.body.find((x: { id: string }) => x.id === VAL);
  assert.deepEqual(b, { id: VAL, split: 'imagenetsmini', protocol: 'semi-supervised', phase: 'validation', classes: 6, images: 36, open: true });
});

test('a good upload is scored with the same metrics the evaluator CLI gives for the same masks', async () => {
  const r = await upload(alice, VAL, preds.zips.validation, { method: 'Alice-Net', link: 'https://example.org/alice' }).expect(202);
  assert.deepEqual(Object.keys(r.body), ['id', 'status']);
  assert.equal(r.body.status, 'queued');
  const s = await finished(alice, r.body.id);
  assert.equal(s.status, 'finished', JSON.stringify(s));
  assert.deepEqual(s.progress, { done: 36, total: 36 });
  assert.equal(s.method, 'Alice-Net');
  assert.equal(s.evaluator_version, EVALUATOR_VERSION);
  assert.match(EVALUATOR_VERSION, /^src-[0-9a-f]{12}$/);
  const out = join(work, 'cli.json');
  const split = join(srv.dataDir, 'demo-dataset', 'ImageNetSmini');
  const cli = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/evaluate.ts'), '--gt', join(split, 'validation-segmentation'), '--pred', preds.zips.validation, '--names', join(split, 'validation.txt'), '--classes', '6', '--json', out, '--quiet'], { encoding: 'utf8' });
  assert.equal(cli.status, 0, cli.stderr);
  const { warnings: _w, images: _i, provenance, reproduce: _r, ...expected } = JSON.parse(readFileSync(out, 'utf8'));
  assert.deepEqual(s.provenance, provenance, 'the same names, GT bytes and zip, by hash');
  assert.match(s.provenance.predictionsSha256, /^[0-9a-f]{64}$/);
  const { BIoUs, ...official } = s.metrics;
  assert.deepEqual(official, expected, 'the official keys, IoUs included, as the CLI gives them');
  assert.equal(s.classes.length, 7);
  assert.deepEqual(s.classes[1], { id: 1, wnid: 'n90000001', name: 'synthetic ellipse one', IoU: expected.IoUs[1], BIoU: s.classes[1].BIoU, gt_images: s.classes[1].gt_images, gt_pixels: s.classes[1].gt_pixels });
  // per-class b-IoU is not in the CLI's JSON: compare with the evaluator's own accumulator
  const own = await evaluatorResult(srv, VAL, preds.mini.subsets.validation.predictionsDir!);
  assert.deepEqual(s.classes.map((c: { BIoU: number }) => c.BIoU), own.metrics.BIoUs);
  assert.deepEqual(BIoUs, own.metrics.BIoUs, 'the record keeps per-class b-IoU beside IoU');
  assert.ok(s.classes.some((c: { BIoU: number }) => c.BIoU > 0));

  // reproducible offline: the result.json the page links to passes the CLI's --verify, as does the API's
  assert.match(s.reproduce.command, /^npm run -s evaluate -- --gt .* --ci --verify result-\d+\.json$/);
  for (const url of [s.reproduce.result_url, `/api/submissions/${s.id}/result.json`]) {
    const res = await api().get(url).set('Authorization', `Bearer ${alice}`).buffer(true).parse((r2, cb) => { let d = ''; r2.on('data', (c: Buffer) => { d += c.toString(); }); r2.on('end', () => cb(null, d)); }).expect(200);
    const file = join(work, `result-${s.id}.json`);
    writeFileSync(file, res.body as string);
    const verify = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/evaluate.ts'), '--gt', join(split, 'validation-segmentation'), '--pred', preds.zips.validation, '--names', join(split, 'validation.txt'), '--classes', '6', '--ci', '--verify', file], { encoding: 'utf8' });
    assert.equal(verify.status, 0, `${url}: ${verify.stderr}`);
    assert.match(verify.stdout, /every number of .* reproduced \(36 images, 1000 resamples\)/);
  }
  // the intervals and the error analysis of a validation submission
  for (const k of ['mIoU', 'mBIoU', 'Acc', 'FMeasure']) assert.ok(s.ci[k][0] <= s.metrics[k] && s.metrics[k] <= s.ci[k][1], k);
  assert.ok(s.analysis.worst.length > 0 && s.analysis.confusion.length > 0);
  // public GT: each class's ground-truth images and pixels, as the evaluator's own contributions give them
  // counted here from the GT masks themselves
  const bench = srv.catalogue.benchmarks.get(VAL)!;
  const gtImages = new Array<number>(own.metrics.IoUs.length).fill(0), gtPixels = new Array<number>(own.metrics.IoUs.length).fill(0);
  for (const m of bench.masks) {
    const { ids } = decodePng(readFileSync(join(bench.gtDir, m)));
    const seen = new Set<number>();
    for (const id of ids) if (id < gtPixels.length) { gtPixels[id]++; seen.add(id); }
    for (const id of seen) gtImages[id]++;
  }
  assert.deepEqual(s.classes.map((c: { gt_images: number }) => c.gt_images), gtImages);
  assert.deepEqual(s.classes.map((c: { gt_pixels: number }) => c.gt_pixels), gtPixels);
  assert.ok(s.analysis.worst.every((w: { mIoU: number }, i: number, a: { mIoU: number }[]) => i === 0 || a[i - 1].mIoU <= w.mIoU), 'worst first');
  const overlay = await api().get(s.analysis.worst[0].prediction_overlay).set('Authorization', `Bearer ${alice}`).expect(200);
  assert.equal(overlay.headers['content-type'], 'image/webp');
});

test('progress as server-sent events, ending with the final state', async () => {
  const r = await upload(alice, 'imagenetsmini.free.validation', preds.zips.validation).expect(202);
  const events = await api().get(`/api/submissions/${r.body.id}/events`).set('Authorization', `Bearer ${alice}`).buffer(true).parse((res, cb) => {
    let data = '';
    res.on('data', (c: Buffer) => { data += c.toString(); });
    res.on('end', () => cb(null, data));
  });
  const payloads = String(events.body).split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)));
  assert.ok(payloads.length >= 1);
  assert.equal(payloads.at(-1).status, 'finished');
  assert.equal(payloads.at(-1).done, 36);
});

test('every class of bad upload is rejected with all its problems, nothing kept, no quota used', async () => {
  const before = submissionsOnDisk().length;
  const countBefore = (srv.db.prepare('SELECT COUNT(*) n FROM submissions').get() as { n: number }).n;
  // one zip with a missing mask, an extra file, a wrong size, a paletted mask and a non-PNG
  const masks = preds.mini.subsets.validation.masks;
  const dir = preds.mini.subsets.validation.predictionsDir!;
  const bad = join(work, 'bad.zip');
  await craftZip(bad, (z) => {
    masks.slice(4).forEach((m) => z.addFile(join(dir, m), m)); // masks[0..3] handled below; masks[0] missing
    z.addBuffer(encodeMask(new Uint16Array(12), 4, 3), masks[1]);
    z.addBuffer(encodeMask(new Uint16Array(4), 2, 2, { encoding: 'palette' }), masks[2]);
    z.addBuffer(Buffer.from('GIF89a'), masks[3]);
    z.addBuffer(Buffer.from('x'), 'n90000001/not-in-split.png');
    z.addBuffer(Buffer.from('notes'), 'notes.docx');
  });
  const r = await upload(alice, VAL, bad).expect(400);
  const byFile = Object.fromEntries(r.body.problems.map((p: { file: string; code: string }) => [p.file, p.code]));
  assert.deepEqual(byFile, {
    [masks[0]]: 'missing-file', [masks[1]]: 'size-mismatch', [masks[2]]: 'palette-png', [masks[3]]: 'not-png',
    'n90000001/not-in-split.png': 'extra-file', 'notes.docx': 'unexpected-file',
  });
  assert.equal(r.body.problems.find((p: { code: string }) => p.code === 'size-mismatch').details.width, 4);
  assert.equal(r.body.problems.length, 6);
  assert.match(r.body.error, /6 problem\(s\); nothing was queued/);

  const evil = join(work, 'evil.zip');
  await craftZip(evil, (z) => {
    z.addBuffer(Buffer.from('x'), 'aa/aa/etc/evil.png');
    z.addBuffer(Buffer.from('/etc/passwd'), 'n90000001/link.png', { mode: 0o120777 });
  }, [['aa/aa/etc/evil.png', '../../etc/evil.png']]);
  const e = await upload(alice, VAL, evil).expect(400);
  assert.deepEqual(e.body.problems.filter((p: { code: string }) => p.code.startsWith('zip-')).map((p: { file: string; code: string }) => [p.file, p.code]),
    [['../../etc/evil.png', 'zip-slip'], ['n90000001/link.png', 'zip-symlink']]);

  const notZip = join(work, 'not.zip');
  writeFileSync(notZip, 'plain text');
  assert.equal((await upload(alice, VAL, notZip).expect(400)).body.problems[0].code, 'zip-unreadable');

  const huge = join(work, 'huge.zip');
  writeFileSync(huge, Buffer.alloc(3_500_000, 7));
  await upload(alice, VAL, huge).expect(413);

  await upload(null, VAL, preds.zips.validation).expect(401);
  await upload('isb_not-a-real-token', VAL, preds.zips.validation).expect(401);
  await upload(alice, 'imagenets919.semi-supervised.validation', preds.zips.validation).expect(400);

  assert.equal(submissionsOnDisk().length, before, 'no file kept');
  assert.deepEqual(readdirSync(join(srv.dataDir, 'uploads')), [], 'no temporary upload left');
  assert.equal((srv.db.prepare('SELECT COUNT(*) n FROM submissions').get() as { n: number }).n, countBefore, 'nothing queued');
});

test('quota: per user, ground truth and UTC day; on test a submission failed by its own fault counts, cancelled ones do not; 429 says when it resets', async () => {
  // a submission that passes the header checks but fails while scoring (truncated PNG body)
  const masks = preds.mini.subsets.test.masks;
  const dir = preds.mini.subsets.test.predictionsDir!;
  const failing = join(work, 'failing.zip');
  await craftZip(failing, (z) => {
    masks.slice(1).forEach((m) => z.addFile(join(dir, m), m));
    z.addBuffer(readFileSync(join(dir, masks[0])).subarray(0, 60), masks[0]);
  });
  const f = await upload(bob, TEST, failing).expect(202);
  const fs = await finished(bob, f.body.id);
  assert.equal(fs.status, 'failed');
  assert.match(fs.problems[0].problem, /truncated/);

  // the failure was an answer about the test phase: it used one of bob's two places
  const a = await upload(bob, TEST, preds.zips.test).expect(202);
  await finished(bob, a.body.id);
  const over = await upload(bob, TEST, preds.zips.test).expect(429);
  assert.match(over.body.error, /quota reached: 2 submission\(s\) per UTC day shared by .*imagenetsmini\.free\.test/);
  assert.ok(Number(over.headers['retry-after']) > 0);
  // the four protocols share the test GT, and so its quota
  await upload(bob, 'imagenetsmini.free.test', preds.zips.test).expect(429);
  assert.equal(over.body.resets_at, new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() + 1)).toISOString());
  // another benchmark and the validation phase are separate (validation: unlimited)
  await upload(bob, VAL, preds.zips.validation).expect(202);
  const me = await api().get('/api/me').set('Authorization', `Bearer ${bob}`).expect(200);
  const q = me.body.quotas.find((x: { benchmark: string }) => x.benchmark === TEST);
  assert.deepEqual({ ...q, shared: undefined }, { benchmark: TEST, limit: 2, used: 2, resetsAt: over.body.resets_at, shared: undefined });
  assert.equal(q.shared.length, 4);
});

test('cancel: only the owner cancels; a finished submission cannot be cancelled (409 with its state)', async () => {
  // cancelling queued and running submissions, and the quota they leave: server-rules.test.ts (a split
  // large enough that scoring takes seconds, so those cancels cannot lose the race)
  const a = await upload(carol, TEST, preds.zips.test).expect(202);
  await api().delete(`/api/submissions/${a.body.id}`).set('Authorization', `Bearer ${bob}`).expect(404); // not bob's
  await finished(carol, a.body.id);
  const late = await api().delete(`/api/submissions/${a.body.id}`).set('Authorization', `Bearer ${carol}`).expect(409);
  assert.equal(late.body.status, 'finished');
  assert.equal(late.body.submission.status, 'finished');
});

test('fully-unsupervised validation: the default matching is computed and offered for download', async () => {
  const r = await upload(alice, 'imagenetsmini.fully-unsupervised.validation', permuted.zips.validation).expect(202);
  const s = await finished(alice, r.body.id);
  assert.equal(s.status, 'finished', JSON.stringify(s));
  assert.equal(s.match, 'default matching (computed)');
  const m = await api().get(s.match_url).set('Authorization', `Bearer ${alice}`).expect(200);
  const match = JSON.parse(m.text);
  const split = join(srv.dataDir, 'demo-dataset', 'ImageNetSmini');
  const out = join(work, 'auto.json');
  spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/evaluate.ts'), '--gt', join(split, 'validation-segmentation'), '--pred', permuted.zips.validation, '--names', join(split, 'validation.txt'), '--classes', '6', '--match', 'auto', '--json', out, '--quiet']);
  const cli = JSON.parse(readFileSync(out, 'utf8'));
  assert.deepEqual(match, cli.match);
  assert.equal(s.metrics.mIoU, cli.mIoU);
});

test('fully-unsupervised test: match.json is required; with one the upload is accepted', async () => {
  const B = 'imagenetsmini.fully-unsupervised.test';
  const r = await upload(alice, B, permuted.zips.test).expect(400);
  assert.deepEqual(r.body.problems.map((p: { file: string }) => p.file), ['match.json']);
  assert.match(r.body.problems[0].problem, /required for fully-unsupervised test submissions/);
  const withMatch = join(work, 'perm-test-match.zip');
  const match = JSON.stringify({ 0: 0, 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6 });
  await zipDirectory(permuted.mini.subsets.test.predictionsDir!, withMatch, '', { 'match.json': match, 'method.txt': 'Method name: Perm\nLink: https://example.org/p\n' });
  const ok = await upload(alice, B, withMatch).expect(202);
  const s = await finished(alice, ok.body.id);
  assert.equal(s.status, 'finished', JSON.stringify(s));
  assert.equal(s.method, 'Perm');
  assert.equal(s.link, 'https://example.org/p');
  // a match.json with ids outside 0..C is caught before queueing
  const badMatch = join(work, 'perm-test-badmatch.zip');
  await zipDirectory(permuted.mini.subsets.test.predictionsDir!, badMatch, '', { 'match.json': '{"0": 0, "1": 77}' });
  assert.match((await upload(alice, B, badMatch).expect(400)).body.problems[0].problem, /values must be GT class ids 0\.\.6/);
});

test('leaderboard: order, shared ranks for ties, one row per user unless all, private rows, hidden rows, CSV', async () => {
  const B = 'imagenetsmini.distance-matching.validation';
  const ids: Record<string, number> = {};
  for (const [who, token, zip] of [['alice', alice, preds.zips.validation], ['bob', bob, preds.zips.validation], ['carol', carol, worse.zips.validation], ['alice2', alice, worse.zips.validation]] as const) {
    ids[who] = (await upload(token, B, zip, { method: who }).expect(202)).body.id;
    await finished(token, ids[who]);
  }
  const board = (q = '', token?: string) => { const r = api().get(`/api/leaderboards/${B}${q}`); return token ? r.set('Authorization', `Bearer ${token}`) : r; };
  const r = (await board().expect(200)).body;
  const all = (await board('?all=true').expect(200)).body.rows as { rank: number; user: string; submission: number; metrics: { mIoU: number } }[];
  assert.equal(all.length, 4);
  const score = (id: number) => all.find((x) => x.submission === id)!.metrics.mIoU;
  // the expected order comes from the evaluator, not from what the board shows
  const good = (await evaluatorResult(srv, B, preds.mini.subsets.validation.predictionsDir!)).metrics.mIoU;
  const bad = (await evaluatorResult(srv, B, worse.mini.subsets.validation.predictionsDir!)).metrics.mIoU;
  assert.notEqual(good, bad);
  assert.equal(score(ids.alice), good);
  assert.equal(score(ids.bob), good);
  assert.equal(score(ids.carol), bad);
  assert.equal(score(ids.alice2), bad);
  const otherBetter = bad > good;
  // one row per user (alice's best), ties share a rank, earlier submissions first among equals
  assert.deepEqual(r.rows.map((x: { rank: number; user: string; submission: number }) => [x.rank, x.user, x.submission]),
    otherBetter ? [[1, 'carol', ids.carol], [1, 'alice', ids.alice2], [3, 'bob', ids.bob]] : [[1, 'alice', ids.alice], [1, 'bob', ids.bob], [3, 'carol', ids.carol]]);
  assert.deepEqual(all.map((x) => x.rank), [1, 1, 3, 3]);
  // how sure the order is: identical predictions are tied resample by resample (paired interval [0, 0]);
  // their rank intervals are equal; the leader has none to be tied with
  const stats = (await board('?all=true').expect(200)).body;
  assert.equal(stats.intervals.level, 0.95);
  const rowsWithStats = stats.rows as { submission: number; rank_ci: [number, number]; tied_with_leader: boolean | null; ci: { mIoU: [number, number] }; metrics: { mIoU: number } }[];
  assert.equal(rowsWithStats[0].tied_with_leader, null);
  assert.equal(rowsWithStats[1].tied_with_leader, true, 'the same masks as the leader');
  assert.deepEqual(rowsWithStats[0].rank_ci, rowsWithStats[1].rank_ci);
  assert.deepEqual(rowsWithStats[2].rank_ci, rowsWithStats[3].rank_ci);
  assert.equal(rowsWithStats[0].rank_ci[0], 1);
  for (const row of rowsWithStats) assert.ok(row.ci.mIoU[0] <= row.metrics.mIoU && row.metrics.mIoU <= row.ci.mIoU[1]);
  // one procedure for both: "≈ #1" exactly when the rank interval starts at 1, and each rank inside its interval
  for (const row of (rowsWithStats as unknown as { rank: number; rank_ci: [number, number]; tied_with_leader: boolean | null }[]).slice(1)) {
    assert.equal(row.tied_with_leader, row.rank_ci[0] === 1);
  }
  for (const row of rowsWithStats as unknown as { rank: number; rank_ci: [number, number] }[]) assert.ok(row.rank_ci[0] <= row.rank && row.rank <= row.rank_ci[1]);
  const asc = (await board('?order=asc').expect(200)).body.rows;
  assert.equal(asc[0].user, otherBetter ? 'bob' : 'carol');
  // a rank is a place by quality in either order, and agrees with its rank interval (ascending, the
  // best row comes last, still rank 1)
  type Ranked = { submission: number; rank: number; rank_ci: [number, number] };
  const places = (rows: Ranked[]) => new Map(rows.map((x) => [x.submission, [x.rank, x.rank_ci]]));
  const ascAll = (await board('?order=asc&all=true').expect(200)).body.rows as Ranked[];
  assert.deepEqual(places(ascAll), places(rowsWithStats as unknown as Ranked[]));
  assert.deepEqual(ascAll.map((x) => x.rank), [3, 3, 1, 1]);
  const byF = (await board('?sort=FMeasure&all=1').expect(200)).body;
  assert.equal(byF.sort, 'FMeasure');
  for (let i = 1; i < byF.rows.length; i++) assert.ok(byF.rows[i - 1].metrics.FMeasure >= byF.rows[i].metrics.FMeasure);
  await board('?sort=nonsense').expect(400);

  // private: visible to its owner only
  await api().patch(`/api/submissions/${ids.carol}`).set('Authorization', `Bearer ${carol}`).send({ private: true, method: 'Carol-v2' }).expect(200);
  assert.ok(!(await board().expect(200)).body.rows.some((x: { user: string }) => x.user === 'carol'));
  const own = (await board('', carol).expect(200)).body.rows.find((x: { user: string }) => x.user === 'carol');
  assert.equal(own.method, 'Carol-v2');
  // hidden by an admin: gone for everyone; a non-admin cannot hide
  await api().post(`/api/admin/submissions/${ids.bob}/hide`).set('Authorization', `Bearer ${alice}`).send({}).expect(403);
  await api().post(`/api/admin/submissions/${ids.bob}/hide`).set('Authorization', `Bearer ${admin}`).send({ value: true }).expect(200);
  assert.deepEqual((await board().expect(200)).body.rows.map((x: { user: string }) => x.user), ['alice']);
  const aliceShown = (await board().expect(200)).body.rows[0];
  assert.equal(aliceShown.submission, otherBetter ? ids.alice2 : ids.alice);
  // CSV
  const csv = await api().get(`/api/leaderboards/${B}.csv`).expect(200);
  assert.match(csv.headers['content-type'], /text\/csv/);
  const lines = csv.text.trim().split('\r\n');
  const head = 'rank,rank_ci_lo,rank_ci_hi,tied_with_leader,submission,user,method,link,baseline,submitted_at,mIoU,mBIoU,Acc,FMeasure,S,MS,ML,L,BS,BMS,BML,BL';
  assert.ok(lines[0].startsWith(`${head},mIoU_ci_lo,mIoU_ci_hi,mBIoU_ci_lo,`), lines[0]);
  assert.equal(lines.length, 2);
  // alone on the board: rank 1 in every resample, no leader to be tied with
  assert.match(lines[1], new RegExp(`^1,1,1,,${aliceShown.submission},"alice","${aliceShown.method}",,false,`));
  const cells = lines[1].split(','), at = (k: string) => Number(cells[lines[0].split(',').indexOf(k)]);
  assert.ok(at('mIoU_ci_lo') <= at('mIoU') && at('mIoU') <= at('mIoU_ci_hi'));
});

test('admin: re-score keeps the old score and adds a new one; baselines are flagged', async () => {
  const r = await upload(admin, 'imagenetsmini.free.test', preds.zips.test, { baseline: 'true', method: 'Baseline' }).expect(202);
  await finished(admin, r.body.id);
  await upload(alice, 'imagenetsmini.free.test', preds.zips.test, { baseline: 'true' }).expect(403);
  await api().post(`/api/admin/submissions/${r.body.id}/rescore`).set('Authorization', `Bearer ${admin}`).expect(202);
  const s = await waitFor(async () => {
    const x = (await api().get(`/api/submissions/${r.body.id}`).set('Authorization', `Bearer ${admin}`)).body;
    return x.status === 'finished' && x.scores.length === 2 ? x : undefined;
  });
  assert.equal(s.scores[0].mIoU, s.scores[1].mIoU);
  const row = (await api().get('/api/leaderboards/imagenetsmini.free.test').expect(200)).body.rows[0];
  assert.equal(row.baseline, true);
});

test('dataset hosting: classes, lists, images and validation masks; test masks are refused by every route', async () => {
  const classes = (await api().get('/api/splits/imagenetsmini/classes').expect(200)).body;
  assert.equal(classes.length, 7);
  assert.deepEqual(classes[1], { id: 1, wnid: 'n90000001', name: 'synthetic ellipse one' });
  const list = (await api().get('/api/splits/imagenetsmini/test/list').expect(200)).text.split('\n');
  assert.equal(list.length, 24);
  const [jpeg, png] = list[0].split(' ');
  await api().get(`/api/splits/imagenetsmini/test/images/${jpeg}`).expect(200).expect('content-type', /jpeg/);
  const refused = await api().get(`/api/splits/imagenetsmini/test/masks/${png}`).expect(403);
  assert.match(refused.body.error, /test masks are private/);
  await api().get(`/api/splits/imagenetsmini/test-segmentation/images/${png}`).expect(404);
  await api().get(`/api/splits/imagenetsmini/test/images/..%2F..%2Ftest-segmentation%2F${png.replace('/', '%2F')}`).expect(404);
  await api().get(`/api/splits/imagenetsmini/validation/images/n90000001/..%2F..%2Fvalidation-segmentation`).expect(400);
  const vmask = (await api().get('/api/splits/imagenetsmini/validation/list').expect(200)).text.split('\n')[0].split(' ')[1];
  await api().get(`/api/splits/imagenetsmini/validation/masks/${vmask}`).expect(200).expect('content-type', /png/);
  const splits = (await api().get('/api/splits').expect(200)).body;
  assert.equal(splits[0].subsets.test.masks, undefined);
});

test('tokens are stored hashed: the database holds SHA-256 digests, never a token', async () => {
  const rows = srv.db.prepare('SELECT hash, prefix FROM tokens').all() as { hash: string; prefix: string }[];
  assert.ok(rows.length >= 4);
  const digest = createHash('sha256').update(alice).digest('hex');
  assert.ok(rows.some((r) => r.hash === digest));
  for (const r of rows) assert.match(r.hash, /^[0-9a-f]{64}$/);
  srv.db.pragma('wal_checkpoint(TRUNCATE)');
  const file = readFileSync(join(srv.dataDir, 'imagenet-s-bench.sqlite')).toString('latin1');
  for (const t of [alice, bob, carol, admin]) assert.ok(!file.includes(t) && !file.includes(t.slice(10)), 'no token in the database file');
  // revoking a token locks it out
  const extra = (await api().post('/api/me/tokens').set('Authorization', `Bearer ${alice}`).send({ label: 'ci' }).expect(201)).body;
  await api().get('/api/me').set('Authorization', `Bearer ${extra.token}`).expect(200);
  await api().delete(`/api/me/tokens/${extra.id}`).set('Authorization', `Bearer ${alice}`).expect(204);
  await api().get('/api/me').set('Authorization', `Bearer ${extra.token}`).expect(401);
});

test('errors never carry stack traces; unknown routes and bad bodies get clear answers', async () => {
  const r = await api().patch('/api/submissions/1').set('Authorization', `Bearer ${alice}`).set('content-type', 'application/json').send('{"method": ').expect(400);
  assert.deepEqual(r.body, { error: 'invalid request' }, 'nothing but the answer: no message from the parser, no stack');
  assert.doesNotMatch(r.text, /\bat .+:\d+:\d+|node_modules|\/work\//);
  await api().get('/api/nope').expect(404);
  const z = await api().patch('/api/submissions/1').set('Authorization', `Bearer ${alice}`).send({ link: 'javascript:alert(1)' }).expect(400);
  assert.equal(z.body.error, 'invalid request');
});

test('test phase: intervals and hashes only; no per-image data, error analysis, resamples or overlays, by page or API', async () => {
  const r = await upload(alice, TEST, preds.zips.test, { method: 'Alice-test' }).expect(202);
  const s = await finished(alice, r.body.id);
  assert.equal(s.status, 'finished');
  assert.ok(s.ci.mIoU[0] <= s.metrics.mIoU && s.metrics.mIoU <= s.ci.mIoU[1], 'aggregate intervals are shown');
  assert.match(s.provenance.gtSha256, /^[0-9a-f]{64}$/);
  assert.equal(s.analysis, undefined);
  assert.equal(s.reproduce, undefined);
  assert.ok(s.classes.every((c: { gt_images?: number; gt_pixels?: number }) => c.gt_images === undefined && c.gt_pixels === undefined), 'nothing of the test GT per class');
  const score = srv.q.latestScore(s.id)!;
  assert.ok(srv.q.samplesOf(score.id), 'resamples are kept for paired comparisons and rank intervals');
  assert.equal(srv.q.perImageOf(score.id), undefined, 'nothing per image is stored for a test phase');
  assert.equal(JSON.parse(score.record).analysis, undefined);
  const firstTest = srv.catalogue.benchmarks.get(TEST)!.masks[0].replace(/\.png$/, '.webp');
  for (const url of [`/submissions/${s.id}/result.json`, `/api/submissions/${s.id}/result.json`, `/submissions/${s.id}/prediction/${firstTest}`]) {
    await api().get(url).set('Authorization', `Bearer ${alice}`).expect(404);
  }
  const page = await api().get(`/submissions/${s.id}`).expect(200);
  assert.doesNotMatch(page.text, /Error analysis|Worst images|\/prediction\/|result\.json/);
  assert.match(page.text, /Ground truth \(sha256/);
  // the validation page of the same user shows all of it
  const v = await upload(alice, VAL, preds.zips.validation).expect(202);
  await finished(alice, v.body.id);
  const vPage = await api().get(`/submissions/${v.body.id}`).expect(200);
  assert.match(vPage.text, /Error analysis/);
  const worst = (await api().get(`/api/submissions/${v.body.id}`).set('Authorization', `Bearer ${alice}`).expect(200)).body.analysis.worst;
  // overlays are addressed by the image's name, not its place in the list
  assert.equal(worst[0].prediction_overlay, `/submissions/${v.body.id}/prediction/${worst[0].image.replace(/\.png$/, '.webp')}`);
  assert.ok(vPage.text.includes(worst[0].prediction_overlay));
  await api().get(worst[0].prediction_overlay).expect(200).expect('content-type', 'image/webp');
  await api().get(`/submissions/${v.body.id}/prediction/n99999999/not-in-the-list.webp`).expect(404);
  // a score computed against another names list: its worst images are not shown, nor served
  const vScore = srv.q.latestScore(v.body.id)!;
  srv.db.prepare(`UPDATE scores SET record = json_set(record, '$.provenance.namesSha256', 'another list') WHERE id = ?`).run(vScore.id);
  const stale = (await api().get(`/api/submissions/${v.body.id}`).set('Authorization', `Bearer ${alice}`).expect(200)).body.analysis;
  assert.deepEqual([stale.worst, stale.names_changed], [[], true]);
  assert.match((await api().get(`/submissions/${v.body.id}`).expect(200)).text, /names list has changed since this submission was scored/);
  await api().get(worst[1].prediction_overlay).expect(404);
  srv.db.prepare('UPDATE scores SET record = ? WHERE id = ?').run(vScore.record, vScore.id);
  assert.match(vPage.text, /--ci --verify result-\d+\.json/);
  assert.ok(srv.q.perImageOf(srv.q.latestScore(v.body.id)!.id)!.mIoU.length === 36);
});

test('compare page: the paired result against the first entry', async () => {
  const B = 'imagenetsmini.free.validation';
  const a = (await upload(alice, B, preds.zips.validation, { method: 'A' }).expect(202)).body.id;
  const b = (await upload(bob, B, worse.zips.validation, { method: 'B' }).expect(202)).body.id;
  const c = (await upload(carol, B, preds.zips.validation, { method: 'C' }).expect(202)).body.id;
  for (const [t, id] of [[alice, a], [bob, b], [carol, c]] as const) await finished(t, id);
  const page = await api().get(`/compare?ids=${a},${b},${c}`).expect(200);
  assert.match(page.text, /<strong>C<\/strong> against <strong>A<\/strong>: mIoU \+0\.00 points, 95 % paired interval \+0\.00 to \+0\.00: <span class="muted">not distinguishable<\/span>/);
  assert.match(page.text, /<strong>B<\/strong> against <strong>A<\/strong>: mIoU [+−]\d+\.\d\d points, 95 % paired interval/);
});
