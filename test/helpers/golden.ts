/** Access to ../shared/golden, with a clear skip message when it is absent. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const SHARED = resolve(import.meta.dirname, '../../../shared');
export const GOLDEN = join(SHARED, 'golden');
export const TOOLBOX = join(SHARED, 'imagenet-s-toolbox');

export const goldenSkip = existsSync(GOLDEN) ? false : `../shared/golden not found at ${GOLDEN}: the golden suites cannot run here`;
export const toolboxSkip = existsSync(join(TOOLBOX, 'data')) ? false : `../shared/imagenet-s-toolbox not found at ${TOOLBOX}: tests of the official lists cannot run here`;

export interface GoldenSuite {
  name: string;
  dir: string;
  classes: number;
  flavour: string;
  expected: Record<string, unknown> & { primary: { metrics: Record<string, number | string | number[]> } };
}

export function goldenSuites(): GoldenSuite[] {
  if (goldenSkip) return [];
  return readdirSync(GOLDEN, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(GOLDEN, d.name, 'expected.json')))
    .map((d) => {
      const dir = join(GOLDEN, d.name);
      const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));
      return { name: d.name, dir, classes: expected.num_classes, flavour: expected.flavour, expected };
    });
}

export const SUMMARY_KEYS = ['Acc', 'mIoU', 'mBIoU', 'S', 'MS', 'ML', 'L', 'BS', 'BMS', 'BML', 'BL', 'FMeasure'] as const;
/** ../shared/golden/README.md: 1e-4 pp for means; Acc, FMeasure and each IoU exact (≤ 1e-6). */
export const TOLERANCE: Record<string, number> = { Acc: 1e-6, FMeasure: 1e-6, IoUs: 1e-6 };
const MEAN_TOLERANCE = 1e-4;

const num = (v: unknown): number => (v === 'NaN' || v === null || v === undefined ? NaN : (v as number));

/** Every difference beyond tolerance, as readable lines (empty = reproduced). */
export function compareMetrics(actual: Record<string, unknown>, expected: Record<string, unknown>): string[] {
  const diffs: string[] = [];
  for (const k of SUMMARY_KEYS) {
    const a = num(actual[k]), e = num(expected[k]);
    const tol = TOLERANCE[k] ?? MEAN_TOLERANCE;
    if (Number.isNaN(a) || Number.isNaN(e)) {
      if (Number.isNaN(a) !== Number.isNaN(e)) diffs.push(`${k}: got ${a}, official ${e}`);
    } else if (!(Math.abs(a - e) <= tol)) diffs.push(`${k}: got ${a}, official ${e} (|Δ| = ${Math.abs(a - e)} > ${tol})`);
  }
  const ai = actual.IoUs as number[], ei = expected.IoUs as number[];
  if (ai.length !== ei.length) diffs.push(`IoUs: ${ai.length} entries, official ${ei.length}`);
  else ei.forEach((e, k) => { if (!(Math.abs(ai[k] - num(e)) <= TOLERANCE.IoUs)) diffs.push(`IoUs[${k}]: got ${ai[k]}, official ${e}`); });
  return diffs;
}
