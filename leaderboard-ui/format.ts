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

/**
 * An interval by its bounds, "47.91–49.52", for a value's second line; "" without one. Never "±":
 * a studentized interval is not symmetric about its estimate, and a half-width hides where it lies.
 */
export function bounds(ci: [number, number] | null | undefined): string {
  return ci ? `${pct(ci[0])}–${pct(ci[1])}` : '';
}

/** What the pages say when a set is too small for its intervals (evaluator/statistics/intervals.ts RELIABLE_IMAGES_PER_CLASS). */
export function smallSetWarning(images: number, classes: number): Html {
  return html`<p class="notice warn small"><strong>Intervals on a small set.</strong> ${images.toLocaleString('en-US')} images for ${classes} classes is ${(images / classes).toFixed(1)} a class on average. The 95 % intervals were shown to hold from 10 images a class (the README's "How far to trust an interval"); below that they are likely too narrow: a class with one or two images can move a score more than its interval says.</p>`;
}

/** An interval in words, for titles: "95 % interval 47.91–49.52". */
export function intervalTitle(ci: [number, number] | null | undefined): string {
  return ci ? `95 % interval ${pct(ci[0])}–${pct(ci[1])} (studentized bootstrap; test-set sampling only)` : 'no interval (scored before intervals were kept)';
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
