/**
 * Real processes for the queue tests: a redis-server on a loopback port of its own (no persistence,
 * so a restart loses every job, the worst case) and scoring workers (`npm run worker`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

export const redisSkip = spawnSync('redis-server', ['--version']).status === 0 ? false : 'redis-server not found (.ci/run installs Debian\'s redis-server)';

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => res(p)); });
    s.on('error', rej);
  });
}

async function waitForOutput(child: ChildProcess, pattern: RegExp, ms: number, what: string): Promise<void> {
  await new Promise<void>((res, rej) => {
    let seen = '';
    const timer = setTimeout(() => rej(new Error(`${what} did not start in ${ms} ms: ${seen.slice(-2000)}`)), ms);
    const on = (c: Buffer) => { seen += c.toString(); if (pattern.test(seen)) { clearTimeout(timer); res(); } };
    child.stdout?.on('data', on);
    child.stderr?.on('data', on);
    child.once('exit', (code) => { clearTimeout(timer); rej(new Error(`${what} exited (${code}): ${seen.slice(-2000)}`)); });
  });
}

export class Redis {
  private child: ChildProcess | null = null;
  constructor(readonly port: number) {}
  get url(): string { return `redis://127.0.0.1:${this.port}`; }
  async start(): Promise<void> {
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], { stdio: ['ignore', 'pipe', 'pipe'] });
    await waitForOutput(this.child, /Ready to accept connections/, 10_000, 'redis-server');
  }
  /** Kills it at once (no save: every job in it is lost). */
  async kill(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((r) => { c.once('exit', () => r()); c.kill('SIGKILL'); });
    this.child = null;
  }
}

export class WorkerProcess {
  readonly child: ChildProcess;
  output = '';
  /** `args`: e.g. ['--models', '--device', 'cpu'] for a model worker. */
  constructor(env: Record<string, string>, readonly args: string[] = []) {
    this.child = spawn(process.execPath, ['--import', 'tsx', resolve(ROOT, 'server/queue/worker-main.ts'), ...args], {
      cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'info', SCORING_WORKERS: '1', QUEUE_LOCK_SECONDS: '2', METRICS_PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (c: Buffer) => { this.output += c.toString(); };
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
  }
  ready(): Promise<void> {
    return this.args.includes('--models') ? waitForOutput(this.child, /model worker ready/, 30_000, 'the model worker') : waitForOutput(this.child, /scoring worker ready/, 30_000, 'the scoring worker');
  }
  /** How many jobs it reported scored. */
  get scored(): number { return (this.output.match(/"msg":"scored"/g) ?? []).length; }
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    await new Promise<void>((r) => { this.child.once('exit', () => r()); this.child.kill(signal); });
  }
}
