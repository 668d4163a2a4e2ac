/**
 * `npm run gpu:install [-- --manual]`: the opt-in install of ONNX Runtime's CUDA provider files, which
 * the npm package does not carry and whose install script `npm install` does not run (package.json's
 * allowScripts). Where the network reaches the package feed onnxruntime-node names, its own install
 * script fetches them; where it does not (or with --manual), this fails at once, saying which files to
 * copy from which package into which folder. What onnxruntime-node needs is read from its own install
 * metadata, so this follows its version.
 */
import { existsSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

interface Manifest { filepath: string; file: string; pathInPackage: string }
export interface GpuPlan {
  platform: string;
  /** The folder the provider files go into (beside the binding). */
  binDir: string;
  packageName: string;
  version: string;
  feedIndex: string;
  files: Manifest[];
}

/** What the CUDA provider needs on this platform, from onnxruntime-node's install metadata; null where it has none. */
export function gpuPlan(platform = `${process.platform}/${process.arch}`): GpuPlan | null {
  const ortRoot = join(dirname(require.resolve('onnxruntime-node')), '..');
  const meta = require(join(ortRoot, 'script', 'install-metadata.js')) as {
    manifests: Record<string, Record<string, { package: string; path: string }>>;
    packages: Record<string, { name: string; versions: { feed: string; version: string }[] }>;
    feeds: Record<string, { index: string }>;
  };
  const manifest = meta.manifests[`${platform}:cuda12`];
  if (!manifest) return null;
  const binDir = join(ortRoot, 'bin', 'napi-v6', platform);
  const entries = Object.entries(manifest);
  const pkg = meta.packages[entries[0][1].package];
  const { feed, version } = pkg.versions[0];
  return {
    platform, binDir, packageName: pkg.name, version, feedIndex: meta.feeds[feed].index,
    files: entries.map(([f, e]) => ({ file: f.replace(/^\.\//, ''), filepath: join(binDir, f), pathInPackage: e.path })),
  };
}

/** The by-hand instructions: which files of which package go where, and what the host needs besides. */
export function manualSteps(plan: GpuPlan): string {
  return [
    `Copy these files of the NuGet package ${plan.packageName} ${plan.version} (a zip; its feed: ${plan.feedIndex})`,
    ...plan.files.map((f) => `  ${f.pathInPackage}  ->  ${f.filepath}`),
    'and have CUDA 12.x and cuDNN 9.x on the library path (LD_LIBRARY_PATH). Then `npm run -s baseline -- run --device cuda ...`',
    'says "provider: cuda", or names the reason it passed over CUDA.',
  ].join('\n');
}

/** Resolves when the feed's host resolves within `ms`; rejects with the reason otherwise. */
export async function reachable(url: string, ms = 3000): Promise<void> {
  const host = new URL(url).hostname;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      lookup(host),
      new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer for ${host} within ${ms} ms`)), ms); }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function main(): Promise<number> {
  const plan = gpuPlan();
  if (!plan) {
    console.error(`ONNX Runtime has no CUDA provider for ${process.platform}/${process.arch}; baselines run on WebGPU or the CPU here.`);
    return 1;
  }
  const missing = plan.files.filter((f) => !existsSync(f.filepath));
  if (!missing.length) {
    console.log(`The CUDA provider files are installed in ${plan.binDir}.`);
    return 0;
  }
  if (process.argv.includes('--manual')) {
    console.log(manualSteps(plan));
    return 1;
  }
  try {
    await reachable(plan.feedIndex);
  } catch (e) {
    console.error(`gpu:install: cannot reach the package feed (${(e as Error).message}); nothing was changed.\n${manualSteps(plan)}`);
    return 1;
  }
  const script = join(plan.binDir, '..', '..', '..', 'script', 'install.js');
  const r = spawnSync(process.execPath, [script], { stdio: 'inherit', env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'cuda12' } });
  const still = plan.files.filter((f) => !existsSync(f.filepath));
  if (r.status !== 0 || still.length) {
    console.error(`gpu:install: onnxruntime-node's install script did not install ${still.map((f) => f.file).join(', ') || 'the files'} (exit ${r.status}).\n${manualSteps(plan)}`);
    return 1;
  }
  console.log(`The CUDA provider files are installed in ${plan.binDir}; CUDA 12.x and cuDNN 9.x must be on the library path.`);
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main();
