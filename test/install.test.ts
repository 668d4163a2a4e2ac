/**
 * The install a newcomer and a host run: `npm install` without network beyond the registry (no
 * install script of a dependency downloads anything), older Node/npm refused up front, a production
 * install (`--omit=dev`) that has every package the running code imports, `npm start` serving the
 * home page, and the GPU provider as an explicit opt-in that fails fast offline.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { builtinModules } from 'node:module';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { gpuPlan, manualSteps, reachable } from '../scripts/gpu-install.ts';

const ROOT = resolve(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  engines: Record<string, string>; allowScripts: Record<string, boolean>; scripts: Record<string, string>;
  dependencies: Record<string, string>; devDependencies: Record<string, string>;
};

/** Every installed package (scoped ones included) with its package.json. */
function installed(): { name: string; json: { scripts?: Record<string, string>; gypfile?: boolean } }[] {
  const out: { name: string; json: { scripts?: Record<string, string> } }[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir)) {
      if (e.startsWith('.')) continue;
      if (e.startsWith('@')) { for (const s of readdirSync(join(dir, e))) add(join(dir, e, s), `${e}/${s}`); continue; }
      add(join(dir, e), e);
    }
  };
  const add = (p: string, name: string) => {
    const f = join(p, 'package.json');
    if (existsSync(f)) out.push({ name, json: JSON.parse(readFileSync(f, 'utf8')) });
    if (existsSync(join(p, 'node_modules'))) walk(join(p, 'node_modules'));
  };
  walk(join(ROOT, 'node_modules'));
  return out;
}

test('npm install runs no unreviewed install script: every dependency with one is in allowScripts, and onnxruntime-node\'s download is off', () => {
  assert.equal(pkg.allowScripts['onnxruntime-node'], false, 'its script fetches CUDA libraries from outside the npm registry');
  const withScripts = installed().filter((p) => ['preinstall', 'install', 'postinstall'].some((s) => p.json.scripts?.[s]) || p.json.gypfile).map((p) => p.name);
  assert.ok(withScripts.includes('onnxruntime-node'));
  const unreviewed = withScripts.filter((n) => !(n in pkg.allowScripts));
  assert.deepEqual(unreviewed, [], 'add them to package.json allowScripts (true to run, false not to), having read what they do');
});

test('an older Node or npm is refused before anything is written: engines with engine-strict', () => {
  assert.match(readFileSync(join(ROOT, '.npmrc'), 'utf8'), /^engine-strict=true$/m);
  assert.equal(pkg.engines.node, '>=20.15', 'zlib.crc32 needs Node 20.15');
  assert.equal(pkg.engines.npm, '>=11.16', 'allowScripts is read from npm 11.16');
  const [major, minor] = process.versions.node.split('.').map(Number);
  assert.ok(major > 20 || minor >= 15, 'this Node satisfies engines');
});

test('a production install (--omit=dev) has every package the server, the worker and the admin and baseline commands import', async () => {
  // the running code's whole import graph, from the entry points `npm start`, `npm run worker`,
  // `npm run admin` / `baseline` / `dataset` / `evaluate` and the install/start hooks run
  const entries = ['server/main.ts', 'server/queue/worker-main.ts', 'server/queue/scoring-worker.ts', 'server/domain/baseline-worker.ts', 'scripts/admin.ts', 'scripts/baseline.ts', 'scripts/dataset.ts', 'scripts/evaluate.ts', 'scripts/build-ui.ts', 'scripts/gpu-install.ts'];
  const r = await build({ entryPoints: entries.map((e) => join(ROOT, e)), bundle: true, platform: 'node', format: 'esm', packages: 'external', metafile: true, write: false, outdir: join(tmpdir(), 'isb-graph'), logLevel: 'silent' });
  const builtin = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
  const imported = new Set<string>();
  for (const input of Object.values(r.metafile.inputs)) {
    for (const i of input.imports) {
      if (!i.external || builtin.has(i.path) || i.path.startsWith('node:')) continue;
      imported.add(i.path.startsWith('@') ? i.path.split('/').slice(0, 2).join('/') : i.path.split('/')[0]);
    }
  }
  assert.ok(imported.has('better-sqlite3') && imported.has('yazl') && imported.has('esbuild'), [...imported].join(', '));
  const missing = [...imported].filter((p) => !(p in pkg.dependencies));
  assert.deepEqual(missing, [], 'imported by running code but not in "dependencies" (a production install would lack them)');
  // the hooks of a production install run with tsx and esbuild, which must then be dependencies too
  for (const hook of ['postinstall', 'prestart', 'start']) assert.match(pkg.scripts[hook], /--import tsx/);
  assert.ok('tsx' in pkg.dependencies && 'esbuild' in pkg.dependencies);
});

test('npm start, as the README says it: the home page answers 200 within 30 s', { timeout: 90_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'isb-start-'));
  const child = spawn('npm', ['start'], { cwd: ROOT, env: { ...process.env, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const started = Date.now();
  try {
    const url = await new Promise<string>((res, rej) => {
      let out = '';
      const timer = setTimeout(() => rej(new Error(`npm start did not serve within 30 s: ${out.slice(-2000)}`)), 30_000);
      const on = (c: Buffer) => {
        out += c.toString();
        const m = /"url":"(http:\/\/[^"]+)".*ImageNet-S Bench is serving/.exec(out);
        if (m) { clearTimeout(timer); res(m[1]); }
      };
      child.stdout!.on('data', on);
      child.stderr!.on('data', on);
      child.once('exit', (code) => { clearTimeout(timer); rej(new Error(`npm start exited (${code}): ${out.slice(-2000)}`)); });
    });
    const home = await fetch(`${url}/`);
    assert.equal(home.status, 200);
    assert.match(await home.text(), /ImageNet-S/);
    assert.ok(Date.now() - started < 30_000);
  } finally {
    try { process.kill(-child.pid!, 'SIGTERM'); } catch { /* gone */ }
    await new Promise((r) => { if (child.exitCode !== null) r(null); else child.once('exit', r); });
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('gpu:install is the CUDA opt-in: what it needs comes from onnxruntime-node\'s own metadata, and offline it fails at once saying what to copy where', async () => {
  const plan = gpuPlan('linux/x64');
  assert.ok(plan);
  const files = plan.files.map((f) => f.file);
  // the runner looks for these two before it tries the CUDA provider (baselines/runner/model.ts)
  for (const f of ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so']) assert.ok(files.includes(f), files.join(', '));
  assert.match(plan.version, /^\d+\.\d+\.\d+$/);
  const steps = manualSteps(plan);
  for (const f of plan.files) assert.ok(steps.includes(`${f.pathInPackage}  ->  ${f.filepath}`), steps);
  assert.match(steps, new RegExp(plan.packageName.replace(/\./g, '\\.')));
  assert.equal(gpuPlan('darwin/arm64'), null, 'no CUDA provider where ONNX Runtime has none');
  assert.equal(pkg.scripts['gpu:install'], 'node --import tsx scripts/gpu-install.ts');
  // an unreachable feed is known within the bound, not after a long hang
  const t = Date.now();
  await assert.rejects(reachable('https://feed.invalid/v3/index.json', 3000));
  assert.ok(Date.now() - t < 4000);
});
