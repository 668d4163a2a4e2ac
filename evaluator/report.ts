/** Turning results and problems into the CLI's text and the JSON contract. */
import type { EvaluationResult } from './evaluate.ts';
import { matchToObject } from './match.ts';
import { roundHalfEven } from './round.ts';
import type { Problem } from './rules.ts';

export interface ResultJson {
  Acc: number; mIoU: number; mBIoU: number;
  S: number | null; MS: number | null; ML: number | null; L: number | null;
  BS: number | null; BMS: number | null; BML: number | null; BL: number | null;
  FMeasure: number;
  IoUs: number[];
  images: number;
  warnings: EvaluationResult['warnings'];
  match?: Record<string, number>;
}

export function resultToJson(r: EvaluationResult): ResultJson {
  const m = r.metrics;
  const out: ResultJson = {
    Acc: m.Acc, mIoU: m.mIoU, mBIoU: m.mBIoU,
    S: m.S, MS: m.MS, ML: m.ML, L: m.L,
    BS: m.BS, BMS: m.BMS, BML: m.BML, BL: m.BL,
    FMeasure: m.FMeasure,
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
  lines.push(`mIoU ${fmt(m.mIoU)}   b-mIoU ${fmt(m.mBIoU)}   Img-Acc ${fmt(m.Acc)}   F-measure ${fmt(m.FMeasure)}`);
  lines.push(`size groups      S       MS      ML      L`);
  lines.push(`  mIoU     ${[m.S, m.MS, m.ML, m.L].map((v) => fmt(v).padStart(7)).join(' ')}`);
  lines.push(`  b-mIoU   ${[m.BS, m.BMS, m.BML, m.BL].map((v) => fmt(v).padStart(7)).join(' ')}`);
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
