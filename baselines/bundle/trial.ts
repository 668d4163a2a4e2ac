/**
 * The trial run of a bundle: the model on two small images of different sizes, in a child process
 * of its own (trial-child.ts) started with a clean environment (no tokens, no database path) in the
 * bundle's folder, killed past its time limit or its memory ceiling. A graph is data, but ONNX Runtime
 * runs it in native code: a Loop with a huge trip count or an allocation of many gigabytes must stop
 * only itself. Reports the time per image and the time projected for a whole phase.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { problem, type Problem } from '../../evaluator/index.ts';
import { BUNDLE_ONNX, type ModelJson } from './bundle.ts';

export interface TrialResult {
  /** Seconds per image (the slower of the two), after the session was made. */
  secondsPerImage?: number;
  /** The time projected for the phase's images at that rate. */
  projectedSeconds?: number;
  /** The execution provider the trial ran on. */
  provider?: string;
  problem?: Problem;
}

/** What the child prints on its last line. */
export interface TrialOutput { ok: boolean; secondsPerImage?: number; provider?: string; error?: string }

const CHILD = join(import.meta.dirname, 'trial-child.ts');
/** The TypeScript loader, by its full address: the child runs in the bundle's folder, where no node_modules is. */
const TSX = import.meta.resolve('tsx');
/** How long making a session may take (graph optimisation of a large model). */
const LOAD_SECONDS = 60;
/** Default memory ceiling of a trial (resident set size). */
export const TRIAL_MEMORY_BYTES = 4 * 1024 ** 3;

/** The resident set size of a process (Linux /proc), or 0 where it cannot be read. */
function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch { return 0; }
}

export function trialRun(dir: string, model: ModelJson, o: { seconds: number; images: number; memoryBytes?: number }): Promise<TrialResult> {
  const ceiling = o.memoryBytes ?? TRIAL_MEMORY_BYTES;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', TSX, CHILD, join(dir, BUNDLE_ONNX), JSON.stringify(model)], {
      cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_OPTIONS: '' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '', stderr = '', ended: Problem | null = null;
    const stop = (p: Problem) => { if (!ended) { ended = p; child.kill('SIGKILL'); } };
    // making the session is allowed LOAD_SECONDS; from each image's start (a line "image" from the child), `seconds`
    let timer = setTimeout(() => stop(problem('model-timeout', BUNDLE_ONNX, { seconds: LOAD_SECONDS })), LOAD_SECONDS * 1000);
    child.stdout.on('data', (c: Buffer) => {
      const text = c.toString();
      stdout = (stdout + text).slice(-65536);
      if (text.includes('"image"')) { clearTimeout(timer); timer = setTimeout(() => stop(problem('model-timeout', BUNDLE_ONNX, { seconds: o.seconds })), o.seconds * 1000); }
    });
    child.stderr.on('data', (c: Buffer) => { stderr = (stderr + c.toString()).slice(-8192); });
    const watch = setInterval(() => { if (child.pid && rssOf(child.pid) > ceiling) stop(problem('model-trial-failed', BUNDLE_ONNX, { reason: `it used more than ${Math.round(ceiling / 1048576)} MiB of memory` })); }, 200);
    child.on('close', (code, signal) => {
      clearTimeout(timer); clearInterval(watch);
      if (ended) { resolve({ problem: ended }); return; }
      const last = stdout.trim().split('\n').filter((l) => !l.includes('"image"')).at(-1) ?? '';
      let out: TrialOutput | null = null;
      try { out = JSON.parse(last) as TrialOutput; } catch { /* no result line: it died */ }
      if (!out) { resolve({ problem: problem('model-trial-failed', BUNDLE_ONNX, { reason: `the runtime stopped (${signal ?? `exit ${code}`}) ${stderr.trim().split('\n').at(-1)?.slice(0, 300) ?? ''}`.trim() }) }); return; }
      if (!out.ok) { resolve({ problem: problem('model-trial-failed', BUNDLE_ONNX, { reason: (out.error ?? 'unknown').slice(0, 600) }) }); return; }
      if (out.secondsPerImage! > o.seconds) { resolve({ problem: problem('model-timeout', BUNDLE_ONNX, { seconds: o.seconds }) }); return; }
      resolve({ secondsPerImage: out.secondsPerImage, projectedSeconds: out.secondsPerImage! * o.images, provider: out.provider });
    });
  });
}
