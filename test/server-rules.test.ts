/** Server rules checked directly: fair scheduling, auth-failure limits, admin delete, migrations. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { migrate, openDb } from '../server/storage/db.ts';
import { Queries } from '../server/storage/queries.ts';
import { readScoreRecord } from '../server/domain/score-record.ts';
import { miniPredictions, testServer, waitFor } from './helpers/server.ts';

const work = mkdtempSync(join(tmpdir(), 'isb-rules-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('fair queue: one user\'s twenty uploads do not block everyone', () => {
  const q = new Queries(openDb(join(work, 'fair.sqlite')));
  const a = q.createUser('busy', false), b = q.createUser('late', false), c = q.createUser('later', false);
  const add = (user: number) => q.insertSubmission({ user_id: user, benchmark: 'x', method: null, description: null, link: null, file: 'f', file_bytes: 1, images: 1, has_match: false, private: false, baseline: false }).id;
  const busy = Array.from({ length: 20 }, () => add(a.id));
  const serve = (): number => {
    const n = q.nextQueued()!;
    const attempt = q.startScoring(n.id);
    assert.ok(attempt);
    assert.ok(q.finish(attempt, 't', { version: 1, images: 1, metrics: { mIoU: 0, mBIoU: 0, Acc: 0, FMeasure: 0, S: null, MS: null, ML: null, L: null, BS: null, BMS: null, BML: null, BL: null, IoUs: [], BIoUs: [] } }, [], null));
    return n.id;
  };
  assert.equal(serve(), busy[0]);
  const late = add(b.id), later = add(c.id);
  // the users not served yet come first, then the busy user again, round-robin by last service
  assert.equal(serve(), late);
  assert.equal(serve(), later);
  assert.equal(serve(), busy[1]);
  const late2 = add(b.id);
  assert.equal(serve(), late2, 'b was served longer ago than a');
  assert.equal(serve(), busy[2]);
});

test('migrations are numbered, applied once, and recorded', () => {
  const db = openDb(join(work, 'mig.sqlite'));
  const rows = db.prepare('SELECT version, name FROM schema_migrations').all() as { version: number; name: string }[];
  // every file of server/storage/migrations, numbered 1..N without a gap, applied in order
  const files = readdirSync(join(import.meta.dirname, '..', 'server', 'storage', 'migrations')).filter((f) => f.endsWith('.sql')).sort();
  assert.deepEqual(files.map((f) => Number(f.slice(0, 3))), files.map((_, i) => i + 1));
  assert.deepEqual(rows.map((r) => r.version), files.map((_, i) => i + 1));
  assert.ok(files.length >= 7);
  assert.deepEqual(migrate(db), [], 'nothing applied twice');
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
});

test('failed authentications are rate-limited per client; admins delete submissions and their files', async () => {
  const srv = await testServer({ AUTH_FAILURES_PER_MINUTE: '3', TRUST_PROXY: 'loopback' });
  try {
    const api = () => request(srv.server);
    const admin = srv.user('root', true), u = srv.user('user');
    // an attacker behind the local reverse proxy (TRUST_PROXY=loopback: its X-Forwarded-For is believed)
    const attacker = '203.0.113.9';
    for (let i = 0; i < 3; i++) await api().get('/api/me').set('X-Forwarded-For', attacker).set('Authorization', 'Bearer isb_wrong').expect(401);
    const blocked = await api().get('/api/me').set('X-Forwarded-For', attacker).set('Authorization', 'Bearer isb_wrong').expect(429);
    assert.match(blocked.body.error, /too many failed authentications/);
    // while blocked, even a valid token is refused from that client (no guessing through the limit)
    await api().get('/api/me').set('X-Forwarded-For', attacker).set('Authorization', `Bearer ${u}`).expect(429);
    // other clients are not affected, and public routes need no token
    await api().get('/api/me').set('Authorization', `Bearer ${u}`).expect(200);
    await api().get('/api/benchmarks').set('X-Forwarded-For', attacker).expect(200);

    const { zips } = await miniPredictions(join(work, 'p'));
    const r = await api().post('/api/submissions').set('Authorization', `Bearer ${u}`).field('benchmark', 'imagenetsmini.free.validation').attach('file', zips.validation).expect(202);
    await waitFor(() => srv.q.submission(r.body.id)?.status === 'finished');
    const file = join(srv.dataDir, srv.q.submission(r.body.id)!.file);
    assert.ok(existsSync(file));
    await api().delete(`/api/admin/submissions/${r.body.id}`).set('Authorization', `Bearer ${u}`).expect(403);
    await api().delete(`/api/admin/submissions/${r.body.id}`).set('Authorization', `Bearer ${admin}`).expect(204);
    assert.equal(srv.q.submission(r.body.id), undefined);
    assert.ok(!existsSync(file));
  } finally {
    await srv.cleanup();
  }
});

test('the owner cancels a running and a queued submission (neither counts); progress streams as server-sent events; an admin re-scores a whole benchmark', async () => {
  const { writeMiniSplit } = await import('../datasets/imagenet-s/mini.ts');
  const { zipDirectory } = await import('../datasets/imagenet-s/zip-write.ts');
  const root = join(work, 'big');
  const m = await writeMiniSplit(root, { validation: 400, test: 1, withPredictions: true });
  const zip = join(work, 'big.zip');
  await zipDirectory(m.subsets.validation.predictionsDir!, zip);
  const srv = await testServer({ IMAGENETS_ROOT: root, QUOTA_VALIDATION_PER_DAY: '5' });
  try {
    const api = () => request(srv.server);
    const u = srv.user('owner'), other = srv.user('other'), admin = srv.user('root', true);
    const B = 'imagenetsmini.semi-supervised.validation';
    const first = (await api().post('/api/submissions').set('Authorization', `Bearer ${u}`).field('benchmark', B).attach('file', zip).expect(202)).body.id;
    const second = (await api().post('/api/submissions').set('Authorization', `Bearer ${other}`).field('benchmark', B).attach('file', zip).expect(202)).body.id;
    await waitFor(() => srv.q.submission(first)?.status === 'scoring', 30_000, 'scoring to start');
    // the second submission's events, from queued to finished
    const events = api().get(`/api/submissions/${second}/events`).set('Authorization', `Bearer ${other}`).buffer(true).parse((res, cb) => {
      let data = '';
      res.on('data', (c: Buffer) => { data += c.toString(); });
      res.on('end', () => cb(null, data));
    }).then((r) => String(r.body).split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)) as { status: string; done: number; total: number }));
    await api().delete(`/api/submissions/${first}`).set('Authorization', `Bearer ${other}`).expect(404);
    const c = await api().delete(`/api/submissions/${first}`).set('Authorization', `Bearer ${u}`).expect(200);
    assert.equal(c.body.status, 'cancelled');
    assert.ok(c.body.progress.done < 400, 'stopped before the end');
    await waitFor(() => srv.q.submission(second)?.status === 'scoring', 30_000, 'the next submission to start');
    // queued behind the second one (which takes seconds): this cancel cannot lose
    const third = (await api().post('/api/submissions').set('Authorization', `Bearer ${u}`).field('benchmark', B).attach('file', zip).expect(202)).body.id;
    const c3 = await api().delete(`/api/submissions/${third}`).set('Authorization', `Bearer ${u}`).expect(200);
    assert.equal(c3.body.status, 'cancelled');
    assert.equal(c3.body.started_at, null, 'cancelled while queued');
    const quota = (await api().get('/api/me').set('Authorization', `Bearer ${u}`).expect(200)).body.quotas.find((x: { benchmark: string }) => x.benchmark === B);
    assert.equal(quota.used, 0, 'cancelled submissions do not count');
    await waitFor(() => srv.q.submission(second)?.status === 'finished', 60_000, 'the next submission');
    const seen = await events;
    assert.equal(seen.at(-1)!.status, 'finished');
    assert.equal(seen.at(-1)!.done, 400);
    const middle = seen.filter((e) => e.status === 'scoring' && e.done > 0 && e.done < 400);
    assert.ok(middle.length >= 1, `intermediate progress was streamed: ${JSON.stringify(seen.map((e) => [e.status, e.done]))}`);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i].done >= seen[i - 1].done || seen[i - 1].status !== 'scoring', 'progress never goes back');
    assert.equal(srv.q.submission(first)!.status, 'cancelled', 'a cancelled run never turns into a result');
    assert.equal(srv.q.scoresOf(first).length, 0);
    await api().delete(`/api/submissions/${second}`).set('Authorization', `Bearer ${other}`).expect(409);

    const r = await api().post(`/api/admin/benchmarks/${B}/rescore`).set('Authorization', `Bearer ${admin}`).expect(202);
    assert.equal(r.body.queued, 1);
    // while it is re-scored, the submission stays on the board with its previous score
    assert.equal((await api().get(`/api/leaderboards/${B}`).expect(200)).body.rows.length, 1);
    await waitFor(() => srv.q.scoresOf(second).length === 2 && srv.q.submission(second)!.status === 'finished', 60_000, 're-score');
    const [a, b] = srv.q.scoresOf(second).map((x) => readScoreRecord(x.record).metrics.mIoU);
    assert.equal(a, b);
  } finally {
    await srv.cleanup();
  }
});

test('a hosted split whose ground truth has problems: its benchmarks stay closed, with the reason', async () => {
  const { writeMiniSplit } = await import('../datasets/imagenet-s/mini.ts');
  const { writeFileSync, readFileSync } = await import('node:fs');
  const root = join(work, 'damaged');
  const m = await writeMiniSplit(root, { withPredictions: true });
  const v = m.subsets.validation;
  const broken = join(v.masksDir, v.masks[3]);
  writeFileSync(broken, readFileSync(broken).subarray(0, 50));
  const srv = await testServer({ IMAGENETS_ROOT: root, QUOTA_VALIDATION_PER_DAY: '5' });
  try {
    const list = (await request(srv.server).get('/api/benchmarks').expect(200)).body as { id: string; open: boolean; closed?: string }[];
    const val = list.filter((b) => b.id.endsWith('.validation'));
    const tst = list.filter((b) => b.id.endsWith('.test'));
    assert.equal(val.length, 4);
    for (const b of val) {
      assert.equal(b.open, false);
      assert.match(b.closed!, new RegExp(`ImageNetSmini/validation-segmentation/${v.masks[3]}: unreadable mask: truncated PNG`));
    }
    assert.ok(tst.every((b) => b.open), 'the test phase, whose GT is fine, stays open');
    const { zipDirectory } = await import('../datasets/imagenet-s/zip-write.ts');
    const zip = join(work, 'damaged.zip');
    await zipDirectory(v.predictionsDir!, zip);
    const r = await request(srv.server).post('/api/submissions').set('Authorization', `Bearer ${srv.user('u')}`).field('benchmark', 'imagenetsmini.free.validation').attach('file', zip).expect(503);
    assert.match(r.body.error, /is closed: the ground truth has 1 problem/);
  } finally {
    await srv.cleanup();
  }
});
