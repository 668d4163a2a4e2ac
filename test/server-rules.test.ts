/** Server rules checked directly: fair scheduling, auth-failure limits, admin delete, migrations. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { migrate, openDb } from '../server/db.ts';
import { Queries } from '../server/queries.ts';
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
    assert.ok(q.startScoring(n.id));
    q.finish(n.id, 't', {}, [], null);
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
  assert.deepEqual(rows.map((r) => r.version), [1]);
  assert.deepEqual(migrate(db), [], 'nothing applied twice');
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
});

test('failed authentications are rate-limited per client; admins delete submissions and their files', async () => {
  const srv = await testServer({ AUTH_FAILURES_PER_MINUTE: '3' });
  try {
    const api = () => request(srv.server);
    const admin = srv.user('root', true), u = srv.user('user');
    // an attacker behind the local reverse proxy (X-Forwarded-For is trusted from loopback only)
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
