/** How numbers and dates read on the pages. */
import { fmt } from '../evaluator/index.ts';

/** A percentage as the official display rounds it (two decimals, half to even); missing as "–". */
export function pct(v: number | null | undefined): string {
  return v === null || v === undefined || Number.isNaN(v) ? '–' : fmt(v);
}

/** 2026-11-27 09:12 UTC. */
export function when(iso: string | null | undefined): string {
  if (!iso) return '–';
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}
