/**
 * The embedded database: one SQLite file in WAL mode. Schema changes are numbered migrations in
 * server/storage/migrations (NNN-name.sql), applied in order, each in a transaction, recorded in
 * schema_migrations.
 */
import Database from 'better-sqlite3';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type Db = Database.Database;

const MIGRATIONS = join(import.meta.dirname, 'migrations');

/** The database file of a DATA_DIR (the server and the admin CLI open the same one). */
export function dbFile(dataDir: string): string {
  return join(dataDir, 'imagenet-s-bench.sqlite');
}

/** The schema level this code migrates to: the highest numbered migration. */
export function schemaLevel(): number {
  return Math.max(...migrationFiles().map((f) => parseInt(f.slice(0, 3), 10)));
}

function migrationFiles(): string[] {
  return readdirSync(MIGRATIONS).filter((f) => /^\d{3}-.+\.sql$/.test(f)).sort();
}

/** A database written by a newer version of this code: refused, never altered. */
export class NewerDatabase extends Error {}

/**
 * The schema level of an existing database file, read without writing to it (read-only, before
 * WAL mode or a migration touches its header): 0 for a new or empty file.
 */
export function levelOf(path: string): number {
  if (!existsSync(path)) return 0;
  const ro = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const has = ro.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
    return has ? (ro.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations').get() as { v: number }).v : 0;
  } finally {
    ro.close();
  }
}

export function openDb(path: string): Db {
  const level = levelOf(path);
  if (level > schemaLevel()) {
    throw new NewerDatabase(`${path} was written by a newer version of ImageNet-S Bench (schema level ${level}; this version knows up to ${schemaLevel()}): it was left untouched. Run the newer version, or restore a backup taken by this one.`);
  }
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL'); // an accepted submission survives a crash or power loss; writes are rare
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

/** Applies the migrations not yet applied, in order, each in a transaction; `upTo` stops at a level (fixtures). */
export function migrate(db: Db, upTo = Infinity): number[] {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const done = new Set(db.prepare('SELECT version FROM schema_migrations').all().map((r) => (r as { version: number }).version));
  const applied: number[] = [];
  for (const file of migrationFiles()) {
    const version = parseInt(file.slice(0, 3), 10);
    if (done.has(version) || version > upTo) continue;
    const sql = readFileSync(join(MIGRATIONS, file), 'utf8');
    db.transaction(() => {
      db.exec(sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(version, file, new Date().toISOString());
    })();
    applied.push(version);
  }
  return applied;
}
