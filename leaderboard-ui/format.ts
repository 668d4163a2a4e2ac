/** How numbers and dates read on the pages. */
import { fmt, HINTS, type RuleCode } from '../evaluator/index.ts';
import { html, type Html } from './html.ts';

/** A percentage as the official display rounds it (two decimals, half to even); missing as "–". */
export function pct(v: number | null | undefined): string {
  return v === null || v === undefined || Number.isNaN(v) ? '–' : fmt(v);
}

/** 2026-11-27 09:12 UTC. */
export function when(iso: string | null | undefined): string {
  if (!iso) return '–';
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** An interval as "±h" (half its width, two decimals), for a value's second line; "" without one. */
export function plusMinus(ci: [number, number] | null | undefined): string {
  return ci ? `±${((ci[1] - ci[0]) / 2).toFixed(2)}` : '';
}

/** An interval in words, for titles: "95 % interval 47.91–49.52". */
export function intervalTitle(ci: [number, number] | null | undefined): string {
  return ci ? `95 % bootstrap interval ${pct(ci[0])}–${pct(ci[1])} (test-set sampling only)` : 'no interval (scored before intervals were kept)';
}

/** A rank interval: "1–3", or "2" when it is one rank. */
export function rankRange(r: [number, number] | null | undefined): string {
  return !r ? '' : r[0] === r[1] ? String(r[0]) : `${r[0]}–${r[1]}`;
}

/** How to fix each kind of problem listed, once per rule code (evaluator/input/rules.ts HINTS). */
export function fixHints(problems: readonly { code?: string }[]): Html {
  const codes = [...new Set(problems.map((p) => p.code).filter((c): c is RuleCode => !!c && Object.hasOwn(HINTS, c)))];
  if (!codes.length) return html``;
  return html`<h3>How to fix</h3><dl class="hints">${codes.map((c) => html`<dt><code>${c}</code></dt><dd>${HINTS[c]}</dd>`)}</dl>`;
}
