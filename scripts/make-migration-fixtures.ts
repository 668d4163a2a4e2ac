/**
 * `node --import tsx scripts/make-migration-fixtures.ts [--force]`: one database per schema level
 * (test/fixtures/migrations/level-NNN.sqlite), made by the migrations themselves up to that level
 * and filled, through the columns that level has, with what a running server holds: accounts,
 * API tokens, a browser session, finished, failed, hidden and baseline submissions with their scores
 * in that level's format, and (from level 6) a baseline run. test/upgrade.test.ts opens each under
 * the current code. Existing fixtures are kept (they are what older versions wrote); run this once
 * after adding a migration to add the new level's.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { hashToken } from '../server/domain/auth.ts';
import { migrate, schemaLevel } from '../server/storage/db.ts';
import { MINI_CLASSES } from '../datasets/imagenet-s/mini.ts';

export const FIXTURE_DIR = resolve(import.meta.dirname, '..', 'test', 'fixtures', 'migrations');
export const FIXTURE_BENCHMARK = 'imagenetsmini.semi-supervised.validation';
/** The fixtures' API tokens and session cookie (test values; their hashes are what is stored). */
export const FIXTURE_TOKENS = { alice: 'isb_fixture_alice_token_0000000000000000', bob: 'isb_fixture_bob_token_00000000000000000000', root: 'isb_fixture_root_token_0000000000000000000' } as const;
export const FIXTURE_SESSION = 'fixture-session-cookie-value-000000000000000';
/** The submissions: [id, user, method, status, mIoU (null: no score), hidden, baseline]. */
export const FIXTURE_SUBMISSIONS: [number, keyof typeof FIXTURE_TOKENS, string, string, number | null, 0 | 1, 0 | 1][] = [
  [1, 'alice', 'Alice-A', 'finished', 60.25, 0, 0],
  [2, 'bob', 'Bob-B', 'finished', 70.5, 0, 0],
  [3, 'alice', 'Alice-older', 'finished', 50.125, 0, 0],
  [4, 'bob', 'Bob-broken', 'failed', null, 0, 0],
  [5, 'root', 'PASS-R18', 'finished', 40.75, 0, 1],
  [6, 'bob', 'Bob-hidden', 'finished', 90, 1, 0],
];
const CLASSES = MINI_CLASSES.length;

export function fixturePath(level: number): string {
  return join(FIXTURE_DIR, `level-${String(level).padStart(3, '0')}.sqlite`);
}

/** Inserts the keys of `row` that the table has at this level (a level without a column stores without it). */
function insert(db: Database.Database, table: string, row: Record<string, unknown>): void {
  const cols = new Set((db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name));
  const keys = Object.keys(row).filter((k) => cols.has(k));
  db.prepare(`INSERT INTO ${table} (${keys.join(', ')}) VALUES (${keys.map(() => '?').join(', ')})`).run(...keys.map((k) => row[k] as string | number | null));
}
const hasTable = (db: Database.Database, t: string) => !!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(t);
const hasColumn = (db: Database.Database, t: string, c: string) => (db.prepare(`PRAGMA table_info(${t})`).all() as { name: string }[]).some((x) => x.name === c);

/** The official scalar metrics and per-class lists, derived from one mIoU so every number is known. */
export function fixtureMetrics(mIoU: number) {
  const IoUs = Array.from({ length: CLASSES + 1 }, () => mIoU);
  const BIoUs = Array.from({ length: CLASSES + 1 }, () => mIoU / 2);
  return { mIoU, mBIoU: mIoU / 2, Acc: mIoU + 10, FMeasure: mIoU / 100, S: mIoU, MS: mIoU, ML: mIoU, L: mIoU, BS: mIoU / 2, BMS: mIoU / 2, BML: mIoU / 2, BL: mIoU / 2, IoUs, BIoUs };
}

export function makeFixture(level: number, path: string): void {
  rmSync(path, { force: true });
  const db = new Database(path);
  db.pragma('foreign_keys = ON');
  migrate(db, level);
  const t0 = '2026-01-05T10:00:00.000Z';
  const users = { alice: 1, bob: 2, root: 3 } as const;
  for (const [name, id] of Object.entries(users)) {
    insert(db, 'users', { id, name, is_admin: name === 'root' ? 1 : 0, created_at: t0, password_hash: null });
    insert(db, 'tokens', { user_id: id, hash: hashToken(FIXTURE_TOKENS[name as keyof typeof FIXTURE_TOKENS]), prefix: FIXTURE_TOKENS[name as keyof typeof FIXTURE_TOKENS].slice(0, 12), label: 'fixture', created_at: t0 });
  }
  if (hasTable(db, 'sessions')) insert(db, 'sessions', { user_id: users.alice, hash: hashToken(FIXTURE_SESSION), created_at: t0, expires_at: '2099-01-01T00:00:00.000Z' });
  for (const [id, user, method, status, mIoU, hidden, baseline] of FIXTURE_SUBMISSIONS) {
    const at = `2026-01-05T1${id}:00:00.000Z`;
    insert(db, 'submissions', {
      id, user_id: users[user], benchmark: FIXTURE_BENCHMARK, status, method, description: `fixture ${id}`, link: null,
      file: `submissions/fixture-${id}.zip`, file_bytes: 1000 + id, images: 36, has_match: 0, progress_done: status === 'finished' ? 36 : 0, attempts: 1,
      error: status === 'failed' ? 'the zip lacks 3 masks' : null, problems: status === 'failed' ? JSON.stringify([{ code: 'missing-file', file: 'n90000001/a.png', problem: 'missing', details: {} }]) : null,
      warnings: '[]', hidden, private: 0, baseline, created_at: at, started_at: at, finished_at: at, fault: status === 'failed' ? 'submission' : null,
      match: null, file_sha256: null,
    });
    if (mIoU === null) continue;
    const metrics = fixtureMetrics(mIoU);
    // before level 3 a score was its bare metrics; from 3 on a versioned record (server/domain/score-record.ts)
    if (hasColumn(db, 'scores', 'metrics')) insert(db, 'scores', { submission_id: id, evaluator_version: '0.1.0-fixture', metrics: JSON.stringify(metrics), created_at: at });
    else insert(db, 'scores', { submission_id: id, evaluator_version: '0.1.0-fixture', record: JSON.stringify({ version: 1, images: 36, metrics }), created_at: at });
  }
  if (hasTable(db, 'baselines')) {
    insert(db, 'baselines', {
      id: 1, benchmark: FIXTURE_BENCHMARK, arch: 'pass-r18', model_dir: '/models/pass-r18', status: 'submitted', error: null, submission_id: 5, images: 36, seconds: 12.5,
      provider: 'cpu', runtime: 'onnxruntime-node 1.30.0', created_by: users.root, created_at: t0, finished_at: t0,
      manifest: JSON.stringify({ arch: 'pass-r18', family: 'pass', classes: CLASSES, protocol: 'semi-supervised' }), fallbacks: JSON.stringify([{ provider: 'cuda', reason: 'not installed' }]),
    });
  }
  db.pragma('journal_mode = DELETE');
  db.exec('VACUUM');
  db.close();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  mkdirSync(FIXTURE_DIR, { recursive: true });
  const force = process.argv.includes('--force');
  for (let level = 1; level <= schemaLevel(); level++) {
    const p = fixturePath(level);
    if (existsSync(p) && !force) { console.log(`kept ${p}`); continue; }
    makeFixture(level, p);
    console.log(`made ${p}`);
  }
}
