/**
 * Settings: one table (server/config.ts) parsed at start; a bad value stops the start with one line
 * naming it (exit 2); `admin settings` and the README's table come from the same table.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, loadConfig, loadWorkerConfig, parseSettings, SETTINGS, settingsTable } from '../server/config.ts';

const ROOT = resolve(import.meta.dirname, '..');

/** Starts `entry` with `env` and returns its exit code and standard error (it must stop before serving). */
function start(entry: string, env: Record<string, string>) {
  const dataDir = mkdtempSync(join(tmpdir(), 'isb-config-'));
  try {
    const r = spawnSync(process.execPath, ['--import', 'tsx', entry], { cwd: ROOT, env: { ...process.env, DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent', ...env }, encoding: 'utf8', timeout: 60_000 });
    return { status: r.status, stderr: r.stderr.trim() };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

test('a bad setting stops the server\'s start with exit code 2 and one line naming the variable, its value and what it takes', () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ PORT: 'abc' }, /^PORT="abc" is not allowed \(not an integer\): PORT takes an integer from 0 to 65535, default 8080$/],
    [{ QUOTA_TEST_PER_DAY: '-1' }, /^QUOTA_TEST_PER_DAY="-1" is not allowed \(below 0\): QUOTA_TEST_PER_DAY takes an integer ≥ 0, default 5$/],
    [{ IMAGENETS_ROOT: '/nonexistent/imagenet-s' }, /^IMAGENETS_ROOT="\/nonexistent\/imagenet-s" is not allowed \(not a readable folder\): IMAGENETS_ROOT takes a readable folder$/],
    [{ QUEUE: 'http://localhost:6379' }, /^QUEUE="http:\/\/localhost:6379" is not allowed/],
    [{ TEST_DETAIL: 'everyone' }, /TEST_DETAIL takes one of owner, public, default owner$/],
  ];
  for (const [env, line] of cases) {
    const r = start('server/main.ts', env);
    assert.equal(r.status, 2, `${JSON.stringify(env)}: ${r.stderr}`);
    assert.equal(r.stderr.split('\n').length, 1, r.stderr);
    assert.match(r.stderr, line);
  }
});

test('a queue worker checks the same table in its own scope: QUEUE is required, a bad value stops it (exit 2)', () => {
  const none = start('server/queue/worker-main.ts', { QUEUE: '' });
  assert.equal(none.status, 2, none.stderr);
  assert.match(none.stderr, /QUEUE/);
  const bad = start('server/queue/worker-main.ts', { QUEUE: 'redis://127.0.0.1:1', QUEUE_LOCK_SECONDS: '0' });
  assert.equal(bad.status, 2, bad.stderr);
  assert.match(bad.stderr, /^QUEUE_LOCK_SECONDS="0" is not allowed \(below 1\)/);
  assert.throws(() => loadWorkerConfig({}), ConfigError);
  assert.equal(loadWorkerConfig({ QUEUE: 'redis://h:1' }).lockSeconds, 30);
});

test('every bad value is named at once; defaults are those the table says; blank is not zero', () => {
  assert.throws(() => parseSettings({ PORT: 'x', MAX_PIXELS: '1.5', OPEN_SIGNUP: 'yes' }, 'server'), (e: Error) => {
    assert.ok(e instanceof ConfigError);
    assert.deepEqual(e.message.split('\n').map((l) => l.split('=')[0]), ['PORT', 'MAX_PIXELS', 'OPEN_SIGNUP']);
    return true;
  });
  assert.throws(() => parseSettings({ QUOTA_TEST_PER_DAY: '' }, 'server'), /QUOTA_TEST_PER_DAY="" is not allowed/);
  const c = loadConfig({});
  assert.equal(c.port, 8080);
  assert.equal(c.quota.test, 5);
  assert.equal(c.openSignup, false);
  assert.equal(loadConfig({ OPEN_SIGNUP: '1', PORT: ' 9000 ' }).openSignup, true);
  for (const [name, s] of Object.entries(SETTINGS) as [string, { default?: string; scope: string }][]) {
    if (s.default === undefined || name === 'SCORING_WORKERS') continue;
    const parsed = (parseSettings({}, s.scope === 'worker' ? 'worker' : 'server') as Record<string, unknown>)[name];
    assert.equal(String(parsed), s.default, `${name}: the listed default is the one used`);
  }
});

test('the README\'s settings table is `admin settings --markdown`, and the command lists every setting', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const m = /<!-- settings:begin -->\n([\s\S]*?)<!-- settings:end -->/.exec(readme);
  assert.ok(m, 'the README has the settings markers');
  assert.equal(m[1].trim(), settingsTable('markdown'), 'regenerate: npm run -s admin -- settings --markdown');
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/admin.ts', 'settings'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, PORT: 'not-checked-here' } });
  assert.equal(r.status, 0, r.stderr);
  for (const name of Object.keys(SETTINGS)) assert.match(r.stdout, new RegExp(`^${name} `, 'm'));
});
