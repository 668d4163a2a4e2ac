/** Starting worker threads, TypeScript modules included. */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';

/**
 * Starts a worker module. Node 20 does not apply `--import` loader hooks inside worker threads, so a
 * TypeScript worker is started through a small bootstrap that registers tsx there first.
 */
export function startWorker(url: URL): Worker {
  if (!url.pathname.endsWith('.ts')) return new Worker(url);
  const api = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); }).catch((e) => { console.error(e); process.exit(1); });`;
  return new Worker(code, { eval: true });
}

export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}
