/**
 * Upgrades: a database written at every earlier schema level (test/fixtures/migrations, made by the
 * migrations themselves: scripts/make-migration-fixtures.ts) opens under the current code, is
 * migrated to the current level, and serves the same boards, accounts, sessions and baseline runs.
 * A database from a newer version is refused with a clear message and left byte for byte as it was.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import request from 'supertest';
import { loadConfig } from '../server/config.ts';
import { dbFile, NewerDatabase, schemaLevel } from '../server/storage/db.ts';
import { startServer } from '../server/server.ts';
import { SESSION_COOKIE } from '../server/http/cookies.ts';
import { FIXTURE_BENCHMARK, FIXTURE_SESSION, FIXTURE_SUBMISSIONS, FIXTURE_TOKENS, fixturePath } from '../scripts/make-migration-fixtures.ts';

const ROOT = resolve(import.meta.dirname, '..');
const LEVELS = Array.from({ length: schemaLevel() }, (_, i) => i + 1);

test('a fixture exists for every schema level (add the new level\'s with scripts/make-migration-fixtures.ts)', () => {
  for (const level of LEVELS) assert.ok(existsSync(fixturePath(level)), fixturePath(level));
});

for (const level of LEVELS) {
  test(`a database of schema level ${level} opens under the current code and serves the same board, accounts${level >= 4 ? ', session' : ''}${level >= 6 ? ', baseline run' : ''}`, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), `isb-upgrade-${level}-`));
    copyFileSync(fixturePath(level), dbFile(dataDir));
    const s = await startServer(loadConfig({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', SCORING_WORKERS: '1' }), pino({ level: 'silent' }));
    try {
      const applied = (s.db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[]).map((r) => r.version);
      assert.deepEqual(applied, LEVELS, 'migrated to the current level');
      // the board: best entry per user, hidden ones out, the baseline flagged, in mIoU order
      const board = (await request(s.server).get(`/api/leaderboards/${FIXTURE_BENCHMARK}`).expect(200)).body;
      const visible = FIXTURE_SUBMISSIONS.filter(([, , , status, mIoU, hidden]) => status === 'finished' && mIoU !== null && !hidden);
      const best = new Map<string, (typeof visible)[number]>();
      for (const e of visible) if (!best.has(e[1]) || best.get(e[1])![4]! < e[4]!) best.set(e[1], e);
      const expected = [...best.values()].sort((a, b) => b[4]! - a[4]!);
      assert.deepEqual(board.rows.map((r: { submission: number; user: string; method: string; metrics: { mIoU: number } }) => [r.submission, r.user, r.method, r.metrics.mIoU]),
        expected.map(([id, user, method, , mIoU]) => [id, user, method, mIoU]));
      assert.ok(board.rows.find((r: { submission: number; baseline: boolean }) => r.submission === 5).baseline, 'the baseline row is flagged');
      const all = (await request(s.server).get(`/api/leaderboards/${FIXTURE_BENCHMARK}?all=true`).expect(200)).body;
      assert.equal(all.rows.length, visible.length);
      // every score's numbers as written, whatever that level's score format
      const own = (await request(s.server).get('/api/submissions/2').set('Authorization', `Bearer ${FIXTURE_TOKENS.bob}`).expect(200)).body;
      assert.equal(own.metrics.mIoU, 70.5);
      assert.equal(own.metrics.mBIoU, 35.25);
      assert.equal(own.classes.length, own.metrics.IoUs.length);
      const failed = (await request(s.server).get('/api/submissions/4').set('Authorization', `Bearer ${FIXTURE_TOKENS.bob}`).expect(200)).body;
      assert.equal(failed.status, 'failed');
      assert.equal(failed.error, 'the zip lacks 3 masks');
      // pages render from the old rows
      await request(s.server).get(`/leaderboards/${FIXTURE_BENCHMARK}`).expect(200);
      await request(s.server).get('/submissions/1').expect(200);
      // accounts and tokens came along; a session too where the level had them
      assert.equal((await request(s.server).get('/api/submissions').set('Authorization', `Bearer ${FIXTURE_TOKENS.alice}`).expect(200)).body.length, 2);
      if (level >= 4) {
        const me = await request(s.server).get('/me').set('Cookie', `${SESSION_COOKIE}=${FIXTURE_SESSION}`).expect(200);
        assert.match(me.text, /alice/);
      }
      if (level >= 6) {
        const run = (await request(s.server).get('/api/admin/baselines/1').set('Authorization', `Bearer ${FIXTURE_TOKENS.root}`).expect(200)).body;
        assert.equal(run.submission, 5);
      }
    } finally {
      await s.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
}

test('a database from a newer version is refused with a clear message and left byte for byte as it was', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'isb-newer-'));
  try {
    const file = dbFile(dataDir);
    copyFileSync(fixturePath(schemaLevel()), file);
    const db = new Database(file);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(schemaLevel() + 1, 'from-the-future.sql', '2030-01-01T00:00:00.000Z');
    db.close();
    const sha = () => createHash('sha256').update(readFileSync(file)).digest('hex');
    const before = sha();
    await assert.rejects(startServer(loadConfig({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', SCORING_WORKERS: '1' }), pino({ level: 'silent' })),
      (e: Error) => e instanceof NewerDatabase && new RegExp(`schema level ${schemaLevel() + 1}; this version knows up to ${schemaLevel()}`).test(e.message));
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'server/main.ts'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent' }, timeout: 60_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr.trim(), /^.*was written by a newer version of ImageNet-S Bench .* it was left untouched/);
    assert.equal(sha(), before, 'never altered');
    assert.ok(!existsSync(`${file}-wal`), 'not even put in WAL mode');
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
