/**
 * The embedded database: one SQLite file in WAL mode. Schema changes are numbered migrations in
 * server/migrations (NNN-name.sql), applied in order, each in a transaction, recorded in
 * schema_migrations.
 */
import Database from 'better-sqlite3';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type Db = Database.Database;

const MIGRATIONS = join(import.meta.dirname, 'migrations');

/** The database file of a DATA_DIR (the server and the admin CLI open the same one). */
export function dbFile(dataDir: string): string {
  return join(dataDir, 'imagenet-s-bench.sqlite');
}

export function openDb(path: string): Db {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL'); // an accepted submission survives a crash or power loss; writes are rare
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

export function migrate(db: Db): number[] {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const done = new Set(db.prepare('SELECT version FROM schema_migrations').all().map((r) => (r as { version: number }).version));
  const applied: number[] = [];
  for (const file of readdirSync(MIGRATIONS).filter((f) => /^\d{3}-.+\.sql$/.test(f)).sort()) {
    const version = parseInt(file.slice(0, 3), 10);
    if (done.has(version)) continue;
    const sql = readFileSync(join(MIGRATIONS, file), 'utf8');
    db.transaction(() => {
      db.exec(sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(version, file, new Date().toISOString());
    })();
    applied.push(version);
  }
  return applied;
}
