/**
 * Backup and restore of a DATA_DIR (`npm run -s admin -- backup <dir>` / `restore <dir>`).
 *
 * A backup is taken online, while the server runs: the database through SQLite's online backup API
 * (better-sqlite3's `backup`, a consistent snapshot whatever is being written meanwhile), then the
 * files the snapshot can refer to (uploaded zips, kept baseline models, the synthetic split), each
 * hashed as copied, then `manifest.json` last, listing every file with its size and sha256. Files are
 * written once and never changed (a new upload gets a new name), so copying them after the snapshot
 * is consistent with it: one added meanwhile is an orphan the next start removes; a scoring in flight
 * at the snapshot is scored again on the restored server (scoring is deterministic).
 *
 * A restore checks the whole backup before it writes anything (no manifest: partial; a file
 * missing, extra, of another size or hash: named), copies it into a temporary folder beside the
 * target and renames it into place, so there is never a half-restored DATA_DIR.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { dbFile, levelOf, schemaLevel, type Db } from './db.ts';

/** DATA_DIR folders a backup holds (the rest are caches and temporary files, made again). */
export const BACKED_UP = ['submissions', join('baselines', 'models'), 'demo-dataset'] as const;
const DB_NAME = 'imagenet-s-bench.sqlite';
const MANIFEST = 'manifest.json';

const Manifest = z.object({
  format: z.literal('imagenet-s-bench-backup'),
  version: z.literal(1),
  created_at: z.string(),
  schema_level: z.number().int(),
  files: z.array(z.object({ path: z.string(), bytes: z.number().int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/) })),
});
type Manifest = z.infer<typeof Manifest>;

/** A backup or restore that cannot be done, and why (one line, naming the file). */
export class BackupError extends Error {}

async function sha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return h.digest('hex');
}

async function filesUnder(root: string, sub: string): Promise<string[]> {
  const dir = join(root, sub);
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(relative(root, join(e.parentPath, e.name)));
  }
  return out.sort();
}

async function emptyOrAbsent(dir: string): Promise<boolean> {
  try { return (await readdir(dir)).length === 0; } catch (e) { return (e as NodeJS.ErrnoException).code === 'ENOENT'; }
}

/** Takes a backup of `dataDir` into `dest` (absent or empty) while `db` may be in use. */
export async function backup(db: Db, dataDir: string, dest: string): Promise<Manifest> {
  if (!(await emptyOrAbsent(dest))) throw new BackupError(`${dest} is not empty: back up into a new folder`);
  await mkdir(dest, { recursive: true });
  const files: Manifest['files'] = [];
  await db.backup(join(dest, DB_NAME));
  // one self-contained file: the copy leaves WAL mode (which would add -wal/-shm files beside it
  // whenever it is opened); the server puts it back in WAL mode when it opens the restored file
  const copy = new Database(join(dest, DB_NAME));
  copy.pragma('journal_mode = DELETE');
  copy.close();
  const add = async (rel: string) => {
    const { size } = await stat(join(dest, rel));
    files.push({ path: rel.split(sep).join('/'), bytes: size, sha256: await sha256(join(dest, rel)) });
  };
  await add(DB_NAME);
  for (const sub of BACKED_UP) {
    for (const rel of await filesUnder(dataDir, sub)) {
      await mkdir(dirname(join(dest, rel)), { recursive: true });
      try {
        await copyFile(join(dataDir, rel), join(dest, rel));
      } catch (e) {
        // deleted since it was listed (an admin deleted its submission): not in the snapshot's future
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw e;
      }
      await add(rel);
    }
  }
  const manifest: Manifest = { format: 'imagenet-s-bench-backup', version: 1, created_at: new Date().toISOString(), schema_level: levelOf(join(dest, DB_NAME)), files };
  // written last: a backup without it was interrupted
  await writeFile(join(dest, `${MANIFEST}.tmp`), JSON.stringify(manifest, null, 1));
  await rename(join(dest, `${MANIFEST}.tmp`), join(dest, MANIFEST));
  return manifest;
}

/** Checks a backup whole; every problem is thrown as one line naming the file. */
export async function verifyBackup(dir: string): Promise<Manifest> {
  let raw: string;
  try {
    raw = await readFile(join(dir, MANIFEST), 'utf8');
  } catch {
    throw new BackupError(`${join(dir, MANIFEST)} is missing: a partial backup (interrupted before it finished), or not a backup`);
  }
  let m: Manifest;
  try { m = Manifest.parse(JSON.parse(raw)); } catch (e) { throw new BackupError(`${join(dir, MANIFEST)} is damaged: ${(e as Error).message.split('\n')[0]}`); }
  if (m.schema_level > schemaLevel()) throw new BackupError(`the backup's database has schema level ${m.schema_level}; this version knows up to ${schemaLevel()}: restore it with the version that took it`);
  const listed = new Set(m.files.map((f) => f.path));
  if (!listed.has(DB_NAME)) throw new BackupError(`${join(dir, MANIFEST)} lists no database (${DB_NAME})`);
  for (const f of m.files) {
    const p = join(dir, ...f.path.split('/'));
    if (f.path.split('/').includes('..') || f.path.startsWith('/')) throw new BackupError(`${join(dir, MANIFEST)} names a path outside the backup: ${f.path}`);
    let size: number;
    try { size = (await stat(p)).size; } catch { throw new BackupError(`${p} is missing from the backup`); }
    if (size !== f.bytes) throw new BackupError(`${p} has ${size} bytes; the manifest says ${f.bytes}: the backup is damaged`);
    if ((await sha256(p)) !== f.sha256) throw new BackupError(`${p} does not match its sha256 in the manifest: the backup is damaged`);
  }
  for (const sub of ['', ...BACKED_UP]) {
    const extra = sub === '' ? (await readdir(dir)).filter((f) => f !== MANIFEST && !listed.has(f) && !BACKED_UP.some((b) => b.split(sep)[0] === f)) : (await filesUnder(dir, sub)).map((r) => r.split(sep).join('/')).filter((r) => !listed.has(r));
    if (extra.length) throw new BackupError(`${join(dir, extra[0])} is not in the manifest: the backup was changed after it was taken`);
  }
  return m;
}

/** Restores a verified backup into `dataDir`, which must be absent or empty (never over a live one). */
export async function restore(dir: string, dataDir: string): Promise<Manifest> {
  if (!(await emptyOrAbsent(dataDir))) throw new BackupError(`${dataDir} is not empty: restore into a new DATA_DIR (a running server's data is never overwritten)`);
  const m = await verifyBackup(dir);
  const staging = `${dataDir.replace(/[\\/]+$/, '')}.restoring-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  try {
    for (const f of m.files) {
      const to = join(staging, ...f.path.split('/'));
      await mkdir(dirname(to), { recursive: true });
      await copyFile(join(dir, ...f.path.split('/')), to);
      if ((await sha256(to)) !== f.sha256) throw new BackupError(`${to} changed while it was copied: try again`);
    }
    await rm(dataDir, { recursive: true, force: true });
    await rename(staging, dataDir);
  } catch (e) {
    await rm(staging, { recursive: true, force: true });
    throw e;
  }
  if (levelOf(dbFile(dataDir)) !== m.schema_level) throw new BackupError(`the restored database's schema level is not the manifest's ${m.schema_level}`);
  return m;
}
