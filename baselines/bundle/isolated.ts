/**
 * A child process that runs a submitted model, watched: started with a clean environment (no tokens,
 * no database path) in the bundle's folder, killed when one step runs past its time limit, when its
 * resident memory passes a ceiling, or on cancel. ONNX Runtime runs a graph in native code: a Loop
 * with a huge trip count or an allocation of many gigabytes must stop only its own submission. The
 * child speaks in JSON lines: {"event":"image"} before each image (its time limit starts),
 * anything else it prints is kept; its last line is its result.
 *
 * The child also dies with its parent: a queue worker SIGKILLed mid-run must not leave a model
 * running with nobody to stop it. A graph stuck in native code never lets the child's JavaScript
 * notice a closed pipe, so the kernel does it: the child is started through util-linux's setpriv
 * with a parent-death signal (SIGKILL), where the host has setpriv (Debian's util-linux: always).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { problem, type Problem } from '../../evaluator/index.ts';
import { BUNDLE_ONNX } from './bundle.ts';

/** The TypeScript loader, by its full address: the child runs in the bundle's folder, where no node_modules is. */
const TSX = import.meta.resolve('tsx');
const SETPRIV = '/usr/bin/setpriv';

/** The command that starts a child dying with this process (prctl PR_SET_PDEATHSIG through setpriv), or plainly where setpriv is missing. */
export function childCommand(args: string[]): [string, string[]] {
  return process.platform === 'linux' && existsSync(SETPRIV) ? [SETPRIV, ['--pdeathsig', 'KILL', '--', process.execPath, ...args]] : [process.execPath, args];
}

export interface IsolatedOptions {
  cwd: string;
  /** Making the session (graph optimisation of a large model). */
  loadSeconds: number;
  /** From each image's start. */
  imageSeconds: number;
  /** Resident set size ceiling, bytes. */
  memoryBytes: number;
  signal?: AbortSignal;
  /** Each line the child prints (progress). */
  onLine?: (line: string) => void;
}

export interface IsolatedResult { lastLine: string | null; problem?: Problem; stderr: string }

/** The resident set size of a process (Linux /proc), or 0 where it cannot be read. */
export function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch { return 0; }
}

export function runIsolated(script: string, args: string[], o: IsolatedOptions): Promise<IsolatedResult> {
  return new Promise((resolve) => {
    const [cmd, argv] = childCommand(['--import', TSX, script, ...args]);
    const child = spawn(cmd, argv, {
      cwd: o.cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_OPTIONS: '' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '', pending = '', last: string | null = null, ended: Problem | null = null;
    const stop = (p: Problem) => { if (!ended) { ended = p; child.kill('SIGKILL'); } };
    let timer = setTimeout(() => stop(problem('model-timeout', BUNDLE_ONNX, { seconds: o.loadSeconds })), o.loadSeconds * 1000);
    const watch = setInterval(() => { if (child.pid && rssOf(child.pid) > o.memoryBytes) stop(problem('model-out-of-memory', BUNDLE_ONNX, { limit: o.memoryBytes })); }, 100);
    const onAbort = () => { child.kill('SIGKILL'); };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (c: Buffer) => {
      pending += c.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith('{"event":"image"')) {
          clearTimeout(timer);
          timer = setTimeout(() => stop(problem('model-timeout', BUNDLE_ONNX, { seconds: o.imageSeconds })), o.imageSeconds * 1000);
        } else if (line.trim()) last = line;
        o.onLine?.(line);
      }
    });
    child.stderr.on('data', (c: Buffer) => { stderr = (stderr + c.toString()).slice(-8192); });
    child.on('close', () => {
      clearTimeout(timer); clearInterval(watch);
      o.signal?.removeEventListener('abort', onAbort);
      if (pending.trim()) last = pending;
      resolve({ lastLine: last, stderr, ...(ended ? { problem: ended } : {}) });
    });
  });
}
