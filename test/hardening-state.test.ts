/**
 * Hardening of state and answers: private test GT cannot be probed, transitions are atomic under
 * races, boards never show stale state, and the small findings (CSV, lookups, headers, token
 * writes). Each test failed before the fix it guards.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { encodeMask } from '../datasets/imagenet-s/png-write.ts';
import { IGNORE_ID } from '../evaluator/metrics/image-record.ts';
import { decodePng } from '../evaluator/input/png.ts';
import { openDb } from '../server/storage/db.ts';
import { csvCell } from '../server/domain/leaderboard.ts';
import { Queries } from '../server/storage/queries.ts';
import type { ScoreRecord } from '../server/domain/score-record.ts';
import { miniPredictions, testServer, waitFor, type TestServer } from './helpers/server.ts';
import { craftZip } from './helpers/zip.ts';

const work = mkdtempSync(join(tmpdir(), 'isb-hard-st-'));
let srv: TestServer;
let alice: string, admin: string;
let preds: Awaited<ReturnType<typeof miniPredictions>>;
const VAL = 'imagenetsmini.semi-supervised.validation';
const TEST = 'imagenetsmini.semi-supervised.test';
const UNSUP_TEST = 'imagenetsmini.fully-unsupervised.test';

before(async () => {
  srv = await testServer({ QUOTA_TEST_PER_DAY: '0' });
  alice = srv.user('alice');
  admin = srv.user('root', true);
  preds = await miniPredictions(join(work, 'preds'));
});
after(async () => {
  await srv.cleanup();
  rmSync(work, { recursive: true, force: true });
});

const api = () => request(srv.server);
const auth = (t: string) => ({ Authorization: `Bearer ${t}` });
const upload = (token: string, benchmark: string, file: string, fields: Record<string, string> = {}) =>
  Object.entries(fields).reduce((r, [k, v]) => r.field(k, v), api().post('/api/submissions').set(auth(token)).field('benchmark', benchmark)).attach('file', file);
async function finished(token: string, id: number) {
  return waitFor(async () => {
    const r = await api().get(`/api/submissions/${id}`).set(auth(token));
    return ['finished', 'failed', 'cancelled'].includes(r.body.status) ? r.body : undefined;
  }, 60_000, `submission ${id}`);
}

/**
 * The test predictions with one pixel of `id` placed on an ignore pixel of the GT or on a labelled
 * one (the two probes an attacker would compare).
 */
async function probeZip(where: 'ignore' | 'labelled', id: number, withMatch: boolean): Promise<string> {
  const t = preds.mini.subsets.test;
  const rel = t.masks[0];
  const gt = decodePng(readFileSync(join(srv.catalogue.benchmarks.get(TEST)!.gtDir, rel)));
  const pred = decodePng(readFileSync(join(t.predictionsDir!, rel)));
  const at = gt.ids.findIndex((g) => (where === 'ignore' ? g === IGNORE_ID : g !== IGNORE_ID));
  assert.ok(at >= 0, `the GT of ${rel} has ${where} pixels`);
  const ids = Uint16Array.from(pred.ids);
  ids[at] = id;
  const zip = join(work, `probe-${where}-${id}-${withMatch}.zip`);
  await craftZip(zip, (z) => {
    t.masks.slice(1).forEach((m) => z.addFile(join(t.predictionsDir!, m), m));
    z.addBuffer(encodeMask(ids, gt.width, gt.height), rel);
    if (withMatch) z.addBuffer(Buffer.from(JSON.stringify(Object.fromEntries(Array.from({ length: 7 }, (_, k) => [k, k])))), 'match.json');
  });
  return zip;
}
/** What a user is told about a submission, less what always differs (id, times). */
function answer(view: Record<string, unknown>): Record<string, unknown> {
  const { id: _id, created_at: _c, started_at: _s, finished_at: _f, ...rest } = view;
  return rest;
}

test('private GT: submissions differing only in whether a probe lies on ignore or labelled GT pixels get byte-identical answers', async () => {
  // fully-unsupervised test: id 9 has no key in match.json, wherever it lies
  const failed = [];
  for (const where of ['ignore', 'labelled'] as const) {
    const r = await upload(alice, UNSUP_TEST, await probeZip(where, 9, true)).expect(202);
    failed.push(answer(await finished(alice, r.body.id)));
  }
  assert.equal(failed[0].status, 'failed');
  assert.match(JSON.stringify(failed[0].problems), /predicted ids without a key: 9/);
  assert.equal(JSON.stringify(failed[0]), JSON.stringify(failed[1]));

  // supervised test: the out-of-range warning counts every predicted pixel
  const warned = [];
  for (const where of ['ignore', 'labelled'] as const) {
    const r = await upload(alice, TEST, await probeZip(where, 4000, false)).expect(202);
    const s = await finished(alice, r.body.id);
    assert.equal(s.status, 'finished');
    warned.push(JSON.stringify(s.warnings));
  }
  assert.match(warned[0], /"code":"out-of-range-ids".*"pixels":1/);
  assert.equal(warned[0], warned[1]);

  // validation keeps the official rule (ids on ignore pixels are not looked at)
  const t = srv.catalogue.benchmarks.get(VAL)!;
  assert.equal(t.gtPrivate, false);
});

test('private GT: per-class results are the owner\'s; boards show aggregates unless the host sets TEST_DETAIL=public', async () => {
  const r = await upload(alice, TEST, preds.zips.test).expect(202);
  const s = await finished(alice, r.body.id);
  assert.equal(s.classes.length, 7, 'the owner sees every class');
  const board = await api().get(`/api/leaderboards/${TEST}?all=true`).expect(200);
  const row = board.body.rows.find((x: { submission: number }) => x.submission === r.body.id);
  assert.equal(typeof row.metrics.mIoU, 'number');
  assert.equal(row.metrics.IoUs, undefined);
  assert.equal(row.metrics.BIoUs, undefined);
  const valBoard = await upload(alice, VAL, preds.zips.validation).expect(202);
  await finished(alice, valBoard.body.id);
  const v = await api().get(`/api/leaderboards/${VAL}`).expect(200);
  assert.equal(v.body.rows[0].metrics.IoUs.length, 7, 'validation boards keep per-class results');

  const open = await testServer({ TEST_DETAIL: 'public' });
  try {
    const bob = open.user('bob');
    const x = await request(open.server).post('/api/submissions').set(auth(bob)).field('benchmark', TEST).attach('file', preds.zips.test).expect(202);
    await waitFor(async () => (await request(open.server).get(`/api/submissions/${x.body.id}`).set(auth(bob))).body.status === 'finished' || undefined, 60_000, 'scoring');
    const b = await request(open.server).get(`/api/leaderboards/${TEST}`).expect(200);
    assert.equal(b.body.rows[0].metrics.IoUs.length, 7);
  } finally {
    await open.cleanup();
  }
});

test('transitions are conditional on the attempt: a cancel, delete or requeue that lands first wins and the result is discarded', () => {
  const q = new Queries(openDb(join(work, 'states.sqlite')));
  const u = q.createUser('u', false);
  const add = () => q.insertSubmission({ user_id: u.id, benchmark: 'b', method: null, description: null, link: null, file: 'f', file_bytes: 1, images: 1, has_match: false, private: false, baseline: false }).id;
  const scores = (id: number) => q.scoresOf(id).length;
  const rec = (mIoU: number): ScoreRecord => ({ version: 1, images: 1, metrics: { mIoU, mBIoU: 0, Acc: 0, FMeasure: 0, S: null, MS: null, ML: null, L: null, BS: null, BMS: null, BML: null, BL: null, IoUs: [], BIoUs: [] } });

  const a = add();
  const att = q.startScoring(a)!;
  assert.ok(q.cancel(a));
  assert.equal(q.finish(att, 'v', rec(1), [], null), false);
  assert.equal(q.submission(a)!.status, 'cancelled');
  assert.equal(scores(a), 0);
  assert.equal(q.cancel(a), false, 'a second cancel loses');

  const d = add();
  const attD = q.startScoring(d)!;
  assert.ok(q.deleteSubmission(d));
  assert.equal(q.finish(attD, 'v', rec(1), [], null), false, 'no FOREIGN KEY failure: nothing is stored');
  assert.equal(q.fail(attD, 'x', null, 'submission'), false);

  const r = add();
  const first = q.startScoring(r)!;
  assert.ok(q.finish(first, 'v', rec(1), [], null));
  assert.equal(q.cancel(r), false, 'a finished submission cannot be cancelled');
  assert.ok(q.requeue(r));
  const second = q.startScoring(r)!;
  assert.equal(q.finish(first, 'v', rec(2), [], null), false, 'a stale attempt stores nothing');
  assert.ok(q.finish(second, 'v', rec(3), [], null));
  assert.equal(scores(r), 2);
});

test('cancel and delete raced against the end of scoring: a cancel answered "cancelled" never ends finished, a delete never crashes', async () => {
  const cancelled: number[] = [], deleted: number[] = [];
  let tooLate = 0;
  for (let i = 0; i < 16; i++) {
    const r = await upload(alice, VAL, preds.zips.validation).expect(202);
    const id: number = r.body.id;
    // half at once (queued, or just taken), half once scoring is seen under way
    if (i % 4 >= 2) await waitFor(() => srv.q.submission(id)?.status !== 'queued', 30_000, 'scoring to start');
    if (i % 2 === 0) {
      const c = await api().delete(`/api/submissions/${id}`).set(auth(alice));
      const end = await finished(alice, id);
      if (c.status === 200) {
        assert.equal(c.body.status, 'cancelled');
        cancelled.push(id);
      } else {
        tooLate++;
        assert.equal(c.status, 409);
        assert.equal(c.body.status, end.status, 'the 409 names the final state');
      }
    } else {
      await api().delete(`/api/admin/submissions/${id}`).set(auth(admin)).expect(204);
      deleted.push(id);
    }
  }
  // the scorer is still alive and serves the next submission; scoring is one at a time, so by the
  // time it is done every result still in flight for the ones above has landed (or been refused)
  const last = await upload(alice, VAL, preds.zips.validation).expect(202);
  assert.equal((await finished(alice, last.body.id)).status, 'finished');
  // ids are never reused: the last upload comes after the deleted ones, the newest of them included
  assert.ok(last.body.id > Math.max(...deleted), `${last.body.id} after ${Math.max(...deleted)}`);
  for (const id of cancelled) {
    const again = (await api().get(`/api/submissions/${id}`).set(auth(alice))).body;
    assert.equal(again.status, 'cancelled');
    assert.equal(again.metrics, undefined);
    assert.equal(srv.q.scoresOf(id).length, 0);
  }
  for (const id of deleted) {
    assert.equal(srv.q.submission(id), undefined);
    assert.equal(srv.q.scoresOf(id).length, 0);
  }
  assert.ok(cancelled.length > 0, `some cancels won the race (${cancelled.length} cancelled, ${tooLate} too late)`);
});

test('the anonymous board cache sees every state change, also ones made outside the HTTP handlers', async () => {
  const r = await upload(alice, VAL, preds.zips.validation).expect(202);
  await finished(alice, r.body.id);
  const rows = async () => (await api().get(`/api/leaderboards/${VAL}?all=true`).expect(200)).body.rows.map((x: { submission: number }) => x.submission);
  assert.ok((await rows()).includes(r.body.id));
  const computed = srv.boards.computed;
  assert.ok((await rows()).includes(r.body.id));
  assert.equal(srv.boards.computed, computed, 'the second view was served from the cache');
  // a re-score queued and then cancelled (as the admin CLI and the owner would, synchronously)
  assert.ok(srv.q.requeue(r.body.id));
  assert.ok(srv.q.cancel(r.body.id));
  assert.ok(!(await rows()).includes(r.body.id), 'the cancelled row left the cached board');
});

test('CSV cells starting with = + - @ TAB or CR are neutralised; numbers stay numbers', async () => {
  assert.equal(csvCell('-1+1|cmd'), `"'-1+1|cmd"`);
  assert.equal(csvCell('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
  assert.equal(csvCell('\tcalc'), `"'\tcalc"`);
  assert.equal(csvCell('\rcalc'), `"'\rcalc"`);
  assert.equal(csvCell('@SUM(A1)'), `"'@SUM(A1)"`);
  assert.equal(csvCell('+1'), `"'+1"`);
  // every text cell is quoted: a spreadsheet that splits on ';' (most European locales) cannot
  // start a new cell, and so a formula, inside one
  assert.equal(csvCell('a;=1+1'), '"a;=1+1"');
  assert.equal(csvCell('plain'), '"plain"');
  assert.equal(csvCell(-1.5), '-1.5');
  assert.equal(csvCell(67.25), '67.25');
  assert.equal(csvCell(true), 'true');
  assert.equal(csvCell(null), '');
  const r = await upload(alice, VAL, preds.zips.validation).expect(202);
  await finished(alice, r.body.id);
  await api().patch(`/api/submissions/${r.body.id}`).set(auth(alice)).send({ method: '-1+1|cmd' }).expect(200);
  const csv = (await api().get(`/api/leaderboards/${VAL}.csv?all=true`).expect(200)).text;
  const line = csv.split('\r\n').find((l) => l.includes(`,${r.body.id},`))!;
  assert.match(line, /,"'-1\+1\|cmd",/);
  const head = csv.split('\r\n')[0].split(',');
  assert.equal(line.split(',')[head.indexOf('baseline')], 'false', 'booleans are plain');
  assert.match(line, /,\d+(\.\d+)?,/, 'metric columns are plain numbers');
});

test('split and subset look-ups use own properties only: __proto__ and friends are 404, not 500', async () => {
  for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
    await api().get(`/api/splits/imagenetsmini/${name}/list`).expect(404);
    await api().get(`/api/splits/imagenetsmini/${name}/images/n90000001/a.png`).expect(404);
    await api().get(`/api/splits/${name}/classes`).expect(404);
  }
});

test('security headers on every response: nosniff, a CSP with frame-ancestors none', async () => {
  for (const path of ['/api/health', '/api/nope', `/api/leaderboards/${VAL}.csv`]) {
    const r = await api().get(path);
    assert.equal(r.headers['x-content-type-options'], 'nosniff', path);
    assert.match(r.headers['content-security-policy'], /frame-ancestors 'none'/, path);
    assert.match(r.headers['content-security-policy'], /default-src 'none'/, path);
    assert.equal(r.headers['x-frame-options'], 'DENY', path);
  }
});

test('a token\'s last use is written at most once a minute, not on every request', async () => {
  const t = srv.user('frequent');
  await api().get('/api/me').set(auth(t)).expect(200);
  const read = () => (srv.db.prepare("SELECT last_used_at FROM tokens t JOIN users u ON u.id = t.user_id WHERE u.name = 'frequent'").get() as { last_used_at: string }).last_used_at;
  const first = read();
  assert.ok(first);
  await new Promise((r) => setTimeout(r, 20));
  for (let i = 0; i < 5; i++) await api().get('/api/me').set(auth(t)).expect(200);
  assert.equal(read(), first);
});

test('admin metrics: memory, event-loop delay, uploads in progress and the queue; admins only', async () => {
  await api().get('/api/admin/metrics').set(auth(alice)).expect(403);
  await api().post('/api/admin/metrics/reset').set(auth(alice)).expect(403);
  await api().post('/api/admin/metrics/reset').set(auth(admin)).expect(204);
  const m = (await api().get('/api/admin/metrics').set(auth(admin)).expect(200)).body;
  assert.ok(m.memory.rssMB > 0);
  assert.equal(typeof m.eventLoop.maxMs, 'number');
  assert.equal(m.uploadsInProgress, 0);
  assert.ok(m.queue.finished > 0);
});

test('method.txt supplies the method as papers report it (name, description, links, backbone, pretraining, extra data); PATCH sets and clears; the validation and test rows link both ways', async () => {
  const v = preds.mini.subsets.validation;
  const zip = join(work, 'with-method.zip');
  await craftZip(zip, (z) => {
    v.masks.forEach((m) => z.addFile(join(v.predictionsDir!, m), m));
    z.addBuffer(Buffer.from('Method name: Blob-Net\r\nDescription: ellipses, mostly\nLink: https://example.org/blob\nLink: javascript:alert(1)\n'
      + 'Paper: https://arxiv.org/abs/2301.00001\nCode: javascript:alert(2)\nCode: https://github.com/example/blob-net\nBackbone: ResNet-50\nPretraining: ImageNet-1k, self-supervised (DINO)\nExtra data: none\n'), 'method.txt');
  });
  const r = await upload(alice, VAL, zip).expect(202);
  const s = await finished(alice, r.body.id);
  assert.deepEqual([s.method, s.description, s.link, s.paper, s.code, s.backbone, s.pretraining, s.extra_data],
    ['Blob-Net', 'ellipses, mostly', 'https://example.org/blob', 'https://arxiv.org/abs/2301.00001', 'https://github.com/example/blob-net', 'ResNet-50', 'ImageNet-1k, self-supervised (DINO)', 'none']);
  const p = await api().patch(`/api/submissions/${r.body.id}`).set(auth(alice)).send({ description: null, backbone: 'ResNet-50 (dilated)' }).expect(200);
  assert.deepEqual([p.body.method, p.body.description, p.body.link, p.body.backbone], ['Blob-Net', null, 'https://example.org/blob', 'ResNet-50 (dilated)']);
  const bad = await api().patch(`/api/submissions/${r.body.id}`).set(auth(alice)).send({ code: 'javascript:alert(1)' }).expect(400);
  assert.match(JSON.stringify(bad.body), /code/);
  // the same method (name, case aside) on the test phase: each row links to the other
  const t = await upload(alice, TEST, preds.zips.test, { method: 'blob-net' }).expect(202);
  const ts = await finished(alice, t.body.id);
  assert.deepEqual(ts.other_phase, { phase: 'validation', benchmark: VAL, submission: r.body.id });
  const board = (await api().get(`/api/leaderboards/${VAL}?all=true`).expect(200)).body.rows as { submission: number; other_phase: unknown; backbone: string | null }[];
  const row = board.find((x) => x.submission === r.body.id)!;
  assert.deepEqual(row.other_phase, { phase: 'test', benchmark: TEST, submission: t.body.id });
  assert.equal(row.backbone, 'ResNet-50 (dilated)');
});

test('progress events of a queued submission carry its place in line; the first event says where it stands', async () => {
  const ids: number[] = [];
  for (let i = 0; i < 4; i++) ids.push((await upload(alice, VAL, preds.zips.validation).expect(202)).body.id);
  const last = ids[3];
  const placeNow = srv.q.submission(last)!.status === 'queued' ? srv.q.queuePosition(last) : null;
  const res = await api().get(`/api/submissions/${last}/events`).set(auth(alice)).buffer(true).parse((r, cb) => { let d = ''; r.on('data', (c: Buffer) => { d += c.toString(); }); r.on('end', () => cb(null, d)); }).expect(200);
  const events = String(res.body).split('\n\n').filter((x) => x.startsWith('event: progress')).map((x) => JSON.parse(x.split('data: ')[1]) as { status: string; position?: number });
  assert.equal(events.at(-1)!.status, 'finished');
  assert.ok(events.filter((e) => e.status === 'finished').every((e) => e.position === undefined), 'no place once it has ended');
  if (placeNow !== null) {
    assert.equal(events[0].status, 'queued');
    assert.ok(events[0].position! >= 1 && events[0].position! <= placeNow, `${events[0].position} ≤ ${placeNow}`);
  }
  assert.ok(events.some((e) => e.status === 'queued' && e.position! >= 1), JSON.stringify(events));
});
