/**
 * npm run -s admin -- create-user <name> [--admin]     prints a new API token on stdout (contract)
 * npm run -s admin -- list-users
 * npm run -s admin -- tokens <name>                     lists a user's tokens (never the tokens themselves)
 * npm run -s admin -- new-token <name> [--label <text>] prints a new token
 * npm run -s admin -- revoke-token <id>
 * npm run -s admin -- set-password <name>               reads the password from standard input
 * npm run -s admin -- backup <dir>                     an online backup of DATA_DIR, with a manifest of sha256 sums
 * npm run -s admin -- restore <dir>                    checks a backup, then restores it into a new or empty DATA_DIR
 * npm run -s admin -- settings [--markdown]            every setting (environment variable), its default and what it takes
 * Works on the database in DATA_DIR (default ./data), also while the server runs.
 */
import './stdout.ts';
import { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { createUserWithToken, issueToken } from '../server/domain/auth.ts';
import { configOrExit, loadConfig, settingsTable } from '../server/config.ts';
import { dbFile, NewerDatabase, openDb, type Db } from '../server/storage/db.ts';
import { DomainError } from '../server/domain/errors.ts';
import { Queries } from '../server/storage/queries.ts';
import { UserName } from '../server/domain/schemas.ts';
import { setPassword } from '../server/domain/sessions.ts';
import { backup, BackupError, restore } from '../server/storage/backup.ts';

// settings and the database are opened by the commands that need them (settings and restore must
// work where the database cannot be opened)
const config = () => configOrExit(() => loadConfig());
let opened: Db | undefined;
const database = (): Db => {
  if (!opened) {
    const dir = config().dataDir;
    mkdirSync(dir, { recursive: true });
    try { opened = openDb(dbFile(dir)); } catch (e) { if (e instanceof NewerDatabase) fail(e.message); throw e; }
  }
  return opened!;
};
const queries = (): Queries => new Queries(database());
const program = new Command('admin').description('ImageNet-S Bench accounts and tokens');

const fail = (msg: string): never => { process.stderr.write(`error: ${msg}\n`); process.exit(2); };
const userNamed = (name: string) => queries().userByName(name) ?? fail(`no user ${JSON.stringify(name)}`);

program.command('create-user <name>').option('--admin', 'an administrator').description('create an account; prints its API token').action((name: string, o: { admin?: boolean }) => {
  const valid = UserName.safeParse(name);
  if (!valid.success) fail(valid.error.issues[0].message);
  try {
    process.stdout.write(createUserWithToken(queries(), name, !!o.admin).token + '\n');
  } catch (e) {
    fail(e instanceof DomainError ? e.message : String(e));
  }
});
program.command('list-users').action(() => {
  for (const u of queries().listUsers()) console.log(`${String(u.id).padStart(4)}  ${u.name}${u.is_admin ? '  (admin)' : ''}  created ${u.created_at}`);
});
program.command('tokens <name>').action((name: string) => {
  for (const t of queries().tokensOf(userNamed(name).id)) console.log(`${String(t.id).padStart(4)}  ${t.prefix}…  ${t.label ?? ''}  created ${t.created_at}  last used ${t.last_used_at ?? 'never'}${t.revoked_at ? `  REVOKED ${t.revoked_at}` : ''}`);
});
program.command('new-token <name>').option('--label <text>').action((name: string, o: { label?: string }) => {
  process.stdout.write(issueToken(queries(), userNamed(name).id, o.label ?? null).token + '\n');
});
program.command('revoke-token <id>').action((id: string) => {
  if (!queries().revokeToken(Number(id), null)) fail(`no active token ${id}`);
  console.log(`revoked token ${id}`);
});
program.command('set-password <name>').description('set a user\'s password for signing in from a browser (read from standard input, first line)').action(async (name: string) => {
  const user = userNamed(name);
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const password = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0];
  try {
    await setPassword(queries(), user.id, password);
  } catch (e) {
    fail(e instanceof DomainError ? e.message : String(e));
  }
  console.log(`password set for ${name}`);
});
program.command('backup <dir>').description('an online, consistent copy of DATA_DIR (database, uploads, baseline models) with a manifest of sha256 sums; works while the server runs').action(async (dir: string) => {
  try {
    const m = await backup(database(), config().dataDir, resolve(dir));
    const bytes = m.files.reduce((a, f) => a + f.bytes, 0);
    console.log(`backed up ${m.files.length} files (${(bytes / 1048576).toFixed(1)} MB, schema level ${m.schema_level}) into ${resolve(dir)}`);
  } catch (e) {
    fail(e instanceof BackupError ? e.message : String(e));
  }
});
program.command('restore <dir>').description('checks a backup whole (refusing a damaged or partial one, naming the file), then restores it into DATA_DIR, which must be new or empty').action(async (dir: string) => {
  try {
    const m = await restore(resolve(dir), config().dataDir);
    console.log(`restored ${m.files.length} files (taken ${m.created_at}, schema level ${m.schema_level}) into ${config().dataDir}`);
  } catch (e) {
    fail(e instanceof BackupError ? e.message : String(e));
  }
});
program.command('settings').option('--markdown', 'as the README\'s table').description('every setting of the server and its workers, with its default and what it takes').action((o: { markdown?: boolean }) => {
  process.stdout.write(settingsTable(o.markdown ? 'markdown' : 'text') + '\n');
});
await program.parseAsync();
