/**
 * npm run -s admin -- create-user <name> [--admin]     prints a new API token on stdout (contract)
 * npm run -s admin -- list-users
 * npm run -s admin -- tokens <name>                     lists a user's tokens (never the tokens themselves)
 * npm run -s admin -- new-token <name> [--label <text>] prints a new token
 * npm run -s admin -- revoke-token <id>
 * npm run -s admin -- set-password <name>               reads the password from standard input
 * npm run -s admin -- settings [--markdown]            every setting (environment variable), its default and what it takes
 * Works on the database in DATA_DIR (default ./data), also while the server runs.
 */
import './stdout.ts';
import { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { createUserWithToken, issueToken } from '../server/auth.ts';
import { configOrExit, loadConfig, settingsTable } from '../server/config.ts';
import { dbFile, openDb } from '../server/db.ts';
import { DomainError } from '../server/domain-errors.ts';
import { Queries } from '../server/queries.ts';
import { UserName } from '../server/schemas.ts';
import { setPassword } from '../server/sessions.ts';

// settings and the database are opened by the commands that need them (settings and restore must
// work where the database cannot be opened)
const config = () => configOrExit(() => loadConfig());
let opened: Queries | undefined;
const queries = (): Queries => {
  if (!opened) { const dir = config().dataDir; mkdirSync(dir, { recursive: true }); opened = new Queries(openDb(dbFile(dir))); }
  return opened;
};
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
program.command('settings').option('--markdown', 'as the README\'s table').description('every setting of the server and its workers, with its default and what it takes').action((o: { markdown?: boolean }) => {
  process.stdout.write(settingsTable(o.markdown ? 'markdown' : 'text') + '\n');
});
await program.parseAsync();
