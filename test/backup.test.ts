/**
 * Backup while the server scores, restore into a new DATA_DIR: the same boards and submission pages;
 * a damaged or partial backup is refused naming the file, and nothing is written.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import request from 'supertest';
import { writeMiniSplit } from '../datasets/imagenet-s/mini.ts';
import { zipDirectory } from '../datasets/imagenet-s/zip-write.ts';
import { backup } from '../server/storage/backup.ts';
import { loadConfig } from '../server/config.ts';
import { dbFile, openDb } from '../server/storage/db.ts';
import { startServer } from '../server/server.ts';
import { miniPredictions, testServer, waitFor, type TestServer } from './helpers/server.ts';

const ROOT = resolve(import.meta.dirname, '..');
const B = 'imagenetsmini.semi-supervised.validation';
const work = mkdtempSync(join(tmpdir(), 'isb-backup-'));
let srv: TestServer;
let token: string;
let zip: string;

before(async () => {
  // a hosted split big enough that a scoring takes a few seconds on one thread
  const mini = await writeMiniSplit(join(work, 'root'), { validation: 300, test: 2, withPredictions: true });
  zip = join(work, 'preds.zip');
  await zipDirectory(mini.subsets.validation.predictionsDir!, zip);
  srv = await testServer({ IMAGENETS_ROOT: join(work, 'root') });
  token = srv.user('alice');
});
after(async () => {
  await srv.cleanup();
  rmSync(work, { recursive: true, force: true });
});

const api = (s: { server: import('node:http').Server }, path: string) => request(s.server).get(path).set('Authorization', `Bearer ${token}`);
const finished = (s: { server: import('node:http').Server }, id: number) => waitFor(async () => { const v = (await api(s, `/api/submissions/${id}`)).body; return v.status === 'finished' ? v : undefined; }, 120_000, `submission ${id}`);
const admin = (args: string[], dataDir: string) => spawnSync(process.execPath, ['--import', 'tsx', 'scripts/admin.ts', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'silent' } });

test('a backup taken while a submission is scored, restored into a new DATA_DIR, serves the same boards and pages', { timeout: 300_000 }, async () => {
  const upload = async () => (await request(srv.server).post('/api/submissions').set('Authorization', `Bearer ${token}`).field('benchmark', B).field('method', 'M').attach('file', zip).expect(202)).body.id as number;
  const a = await upload();
  await finished(srv, a);
  const b = await upload();
  // the snapshot is taken on a connection of its own (as the admin CLI does) once b's scoring is under way
  await waitFor(async () => (await api(srv, `/api/submissions/${b}`)).body.progress.done > 0 || undefined, 60_000, 'scoring to be under way');
  const dest = join(work, 'backup');
  const conn = openDb(dbFile(srv.dataDir));
  const m = await backup(conn, srv.dataDir, dest);
  conn.close();
  const snapshot = new Database(join(dest, 'imagenet-s-bench.sqlite'), { readonly: true });
  assert.equal((snapshot.prepare('SELECT status FROM submissions WHERE id = ?').get(b) as { status: string }).status, 'scoring', 'the backup was taken mid-scoring');
  snapshot.close();
  assert.ok(m.files.some((f) => f.path.startsWith('submissions/')) && m.files[0].path === 'imagenet-s-bench.sqlite');
  await finished(srv, b);

  const restoredDir = join(work, 'restored');
  const r = admin(['restore', dest], restoredDir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /restored \d+ files/);
  const s2 = await startServer(loadConfig({ DATA_DIR: restoredDir, PORT: '0', HOST: '127.0.0.1', SCORING_WORKERS: '1', IMAGENETS_ROOT: join(work, 'root') }), pino({ level: 'silent' }));
  try {
    // the scoring in flight at the snapshot runs again on the restored server, to the same numbers
    const again = await finished(s2, b);
    const orig = (await api(srv, `/api/submissions/${b}`)).body;
    assert.deepEqual(again.metrics, orig.metrics);
    assert.deepEqual(again.ci, orig.ci);
    // a submission finished before the backup: its API view and its page, byte for byte
    assert.deepEqual((await api(s2, `/api/submissions/${a}`)).body, (await api(srv, `/api/submissions/${a}`)).body);
    assert.equal((await request(s2.server).get(`/submissions/${a}`).expect(200)).text, (await request(srv.server).get(`/submissions/${a}`).expect(200)).text);
    // the board: every row and number (b's own times differ: it was scored again)
    const board = async (s: { server: import('node:http').Server }) => (await request(s.server).get(`/api/leaderboards/${B}?all=true`).expect(200)).body.rows
      .map((row: Record<string, unknown>) => ({ ...row, finished_at: undefined, started_at: undefined }));
    assert.deepEqual(await board(s2), await board(srv));
    assert.equal((await board(s2)).length, 2);
    // the restored server's token still works: accounts came along
    await api(s2, '/api/submissions').expect(200);
  } finally {
    await s2.close();
  }
});

test('a damaged or partial backup is refused, naming the file, and nothing is written', async () => {
  const good = join(work, 'good');
  const conn = openDb(dbFile(srv.dataDir));
  const m = await backup(conn, srv.dataDir, good);
  conn.close();
  assert.match(admin(['backup', good], srv.dataDir).stderr, /is not empty: back up into a new folder/);
  const zipFile = m.files.find((f) => f.path.startsWith('submissions/'))!.path;
  const cases: [string, (dir: string) => void, RegExp][] = [
    ['a flipped byte', (d) => { const p = join(d, zipFile); const buf = readFileSync(p); buf[buf.length >> 1] ^= 0xff; writeFileSync(p, buf); }, new RegExp(`${zipFile.replace(/[.]/g, '\\.')} does not match its sha256`)],
    ['a truncated file', (d) => { const p = join(d, zipFile); writeFileSync(p, readFileSync(p).subarray(0, 100)); }, /has 100 bytes; the manifest says/],
    ['a missing file', (d) => rmSync(join(d, zipFile)), /is missing from the backup/],
    ['no manifest (interrupted)', (d) => rmSync(join(d, 'manifest.json')), /manifest\.json is missing: a partial backup/],
    ['an extra file', (d) => writeFileSync(join(d, 'submissions', 'planted.zip'), 'x'), /planted\.zip is not in the manifest/],
  ];
  for (const [what, damage, message] of cases) {
    const copy = join(work, `damaged-${what.replace(/\W+/g, '-')}`);
    cpSync(good, copy, { recursive: true });
    damage(copy);
    const target = join(work, `target-${what.replace(/\W+/g, '-')}`);
    const r = admin(['restore', copy], target);
    assert.equal(r.status, 2, `${what}: ${r.stdout}`);
    assert.match(r.stderr, message, what);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.ok(!existsSync(target), `${what}: nothing written`);
  }
  // never over a DATA_DIR that has data
  const r = admin(['restore', good], srv.dataDir);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /is not empty: restore into a new DATA_DIR/);
});
