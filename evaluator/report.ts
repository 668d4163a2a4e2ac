/** Turning results and problems into the CLI's text and the JSON contract. */
import type { EvaluationResult } from './run/evaluate.ts';
import { matchToObject } from './input/match.ts';
import { roundHalfEven } from './metrics/round.ts';
import type { Problem } from './input/rules.ts';
import type { Provenance } from './provenance.ts';
import { BOOTSTRAP_METRICS, type BootstrapMetric, type BootstrapResult } from './statistics/bootstrap.ts';
import { metricsOf, pickScalars, type ScalarMetrics } from './metrics/metrics.ts';

/** The result JSON: every scalar of the metric table, then the per-class IoUs and the rest. */
export type ResultJson = ScalarMetrics & {
  IoUs: number[];
  images: number;
  warnings: EvaluationResult['warnings'];
  match?: Record<string, number>;
  /** With --ci: 95 % percentile intervals, percent like the metrics. */
  ci?: Record<BootstrapMetric, [number, number] | null>;
  /** With --ci: the resamples themselves (for `compare` and `--verify`); NaN is written as null. */
  bootstrap?: { seed: string; B: number; spread?: Record<BootstrapMetric, number | null>; samples: Record<BootstrapMetric, (number | null)[]> };
  provenance?: Provenance;
  /** The command that reproduces this result offline (paths as given, or placeholders on a server). */
  reproduce?: string;
};

/** The evaluation output with its intervals, resamples and provenance (the CLI's --json, the server's result.json). */
export function fullResultJson(r: EvaluationResult, extra: { boot?: BootstrapResult; provenance: Provenance; reproduce?: string }): ResultJson {
  const out = resultToJson(r);
  if (extra.boot) {
    out.ci = extra.boot.ci;
    out.bootstrap = bootstrapJson(extra.boot.seed, extra.boot.B, extra.boot.samples, extra.boot.spread);
  }
  out.provenance = extra.provenance;
  if (extra.reproduce) out.reproduce = extra.reproduce;
  return out;
}

/** Resamples as the JSON result holds them: per metric, B values, NaN (an empty size group) as null. */
export function bootstrapJson(seed: string, B: number, samples: Record<BootstrapMetric, ArrayLike<number>>, spread?: Record<BootstrapMetric, number | null>): NonNullable<ResultJson['bootstrap']> {
  return { seed, B, ...(spread ? { spread } : {}), samples: Object.fromEntries(BOOTSTRAP_METRICS.map((m) => [m, Array.from(samples[m], (v) => (Number.isFinite(v) ? v : null))])) as Record<BootstrapMetric, (number | null)[]> };
}

/** Where a stored result and a fresh one first differ: every number exactly, every hash. */
export interface Difference { path: string; stored: unknown; recomputed: unknown }

/** Fields that describe the run rather than its result. */
const NOT_COMPARED = new Set(['reproduce', 'provenance.evaluatorVersion']);

export function firstDifference(stored: unknown, fresh: unknown, path = ''): Difference | null {
  if (NOT_COMPARED.has(path)) return null;
  if (stored === null || typeof stored !== 'object') {
    return Object.is(stored, fresh) ? null : { path: path || '(result)', stored, recomputed: fresh };
  }
  if (fresh === null || typeof fresh !== 'object' || Array.isArray(stored) !== Array.isArray(fresh)) return { path: path || '(result)', stored, recomputed: fresh };
  if (Array.isArray(stored)) {
    const f = fresh as unknown[];
    for (let i = 0; i < Math.max(stored.length, f.length); i++) {
      const d = firstDifference(stored[i], f[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  const f = fresh as Record<string, unknown>;
  for (const key of new Set([...Object.keys(stored), ...Object.keys(f)])) {
    const d = firstDifference((stored as Record<string, unknown>)[key], f[key], path ? `${path}.${key}` : key);
    if (d) return d;
  }
  return null;
}

export function resultToJson(r: EvaluationResult): ResultJson {
  const m = r.metrics;
  const out: ResultJson = {
    ...pickScalars(m),
    IoUs: m.IoUs,
    images: r.images,
    warnings: r.warnings,
  };
  if (r.match && r.matchComputed) out.match = matchToObject(r.match);
  return out;
}

/** Two decimals, half-to-even like numpy's np.round in the official display(); null/NaN as "nan". */
export function fmt(v: number | null): string {
  if (v === null || Number.isNaN(v)) return 'nan';
  return (roundHalfEven(v * 100) / 100).toFixed(2);
}

export function formatSummary(r: EvaluationResult, classNames?: string[]): string {
  const m = r.metrics;
  const lines: string[] = [];
  lines.push(`images: ${r.images}`);
  lines.push(metricsOf('main').map((x) => `${x.label} ${fmt(m[x.key])}`).join('   '));
  lines.push(`size groups${metricsOf('size').map((x) => x.short.padStart(7)).join(' ')}`);
  lines.push(`  mIoU     ${metricsOf('size').map((x) => fmt(m[x.key]).padStart(7)).join(' ')}`);
  lines.push(`  b-mIoU   ${metricsOf('boundary-size').map((x) => fmt(m[x.key]).padStart(7)).join(' ')}`);
  lines.push('');
  lines.push(' id  class                              IoU    b-IoU');
  m.IoUs.forEach((iou, k) => {
    const name = k === 0 ? 'other' : classNames?.[k - 1] ?? `class ${k}`;
    lines.push(`${String(k).padStart(3)}  ${name.slice(0, 32).padEnd(32)} ${fmt(iou).padStart(6)}  ${fmt(m.BIoUs[k]).padStart(6)}`);
  });
  for (const w of r.warnings) lines.push(`warning: ${w.message}${w.examples.length ? ` (e.g. ${w.examples.slice(0, 3).join(', ')})` : ''}`);
  return lines.join('\n');
}

export function formatProblems(message: string, problems: Problem[], limit = 200): string {
  const lines = [`error: ${message}`];
  for (const p of problems.slice(0, limit)) lines.push(`  ${p.file}: ${p.problem}`);
  if (problems.length > limit) lines.push(`  … and ${problems.length - limit} more (all of them are in the --json report)`);
  return lines.join('\n');
}
