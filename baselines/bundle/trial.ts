/**
 * The trial run of a bundle: the model on two small images of different sizes, in a watched child
 * process (isolated.ts, trial-child.ts). Reports the time per image and the time projected for a
 * whole phase.
 */
import { join } from 'node:path';
import { problem, type Problem } from '../../evaluator/index.ts';
import { BUNDLE_ONNX, type ModelJson } from './bundle.ts';
import { runIsolated } from './isolated.ts';

export interface TrialResult {
  /** Seconds per image (the slower of the two), after the session was made. */
  secondsPerImage?: number;
  /** The time projected for the phase's images at that rate. */
  projectedSeconds?: number;
  /** The execution provider the trial ran on. */
  provider?: string;
  problem?: Problem;
}

/** What a model child prints on its last line. */
export interface ChildOutput { ok: boolean; secondsPerImage?: number; provider?: string; runtime?: string; fallbacks?: { provider: string; reason: string }[]; error?: string }

/** How long making a session may take (graph optimisation of a large model). */
export const LOAD_SECONDS = 60;
/** Default memory ceiling of a model's process (resident set size). */
export const MODEL_MEMORY_BYTES = 4 * 1024 ** 3;

/** A child's result line, or the problem its death was. */
export function childResult(r: { lastLine: string | null; stderr: string; problem?: Problem }): { out?: ChildOutput; problem?: Problem } {
  if (r.problem) return { problem: r.problem };
  let out: ChildOutput | null = null;
  try { out = r.lastLine ? JSON.parse(r.lastLine) as ChildOutput : null; } catch { /* no result line: it died */ }
  if (!out) return { problem: problem('model-crashed', BUNDLE_ONNX, { reason: `its process ended without a result (${r.stderr.trim().split('\n').at(-1)?.slice(0, 300) || 'no message'})` }) };
  return { out };
}

export async function trialRun(dir: string, model: ModelJson, o: { seconds: number; images: number; memoryBytes?: number }): Promise<TrialResult> {
  const r = childResult(await runIsolated(join(import.meta.dirname, 'trial-child.ts'), [join(dir, BUNDLE_ONNX), JSON.stringify(model)], {
    cwd: dir, loadSeconds: LOAD_SECONDS, imageSeconds: o.seconds, memoryBytes: o.memoryBytes ?? MODEL_MEMORY_BYTES,
  }));
  if (r.problem) return { problem: r.problem };
  const out = r.out!;
  if (!out.ok) return { problem: problem('model-trial-failed', BUNDLE_ONNX, { reason: (out.error ?? 'unknown').slice(0, 600) }) };
  if (out.secondsPerImage! > o.seconds) return { problem: problem('model-timeout', BUNDLE_ONNX, { seconds: o.seconds }) };
  return { secondsPerImage: out.secondsPerImage, projectedSeconds: out.secondsPerImage! * o.images, provider: out.provider };
}
