/**
 * Charts drawn as plain SVG on the server (no chart library, no script). Each chart comes with a
 * text alternative (a caption and, where it matters, the table beside it).
 */
import { escapeHtml, html, raw, type Html } from './html.ts';

const r1 = (v: number) => Math.round(v * 10) / 10;

/** `name`: what labels a record point (the method); `label`: the point's full title. */
export interface ProgressPoint { t: number; value: number; label: string; name?: string }

/** Round axis ticks over [lo, hi]: a step of 1, 2, 2.5 or 5 × 10^k giving 3–6 ticks, bounds widened to whole steps. */
export function niceTicks(lo: number, hi: number, most = 6): number[] {
  if (!(hi > lo)) { hi = lo + 1; }
  const raw = (hi - lo) / (most - 1), mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10, 20, 25, 50, 100].map((m) => m * mag).find((st) => Math.ceil(hi / st - 1e-9) - Math.floor(lo / st + 1e-9) <= most - 1)!;
  const first = Math.floor(lo / step + 1e-9), last = Math.ceil(hi / step - 1e-9);
  return Array.from({ length: last - first + 1 }, (_, i) => Number(((first + i) * step).toPrecision(12)));
}

const DAY = 86_400_000;
/** Whole-day (UTC midnight) ticks a round number of days apart, at most `most`. */
function dayTicks(t0: number, t1: number, most: number): number[] {
  const span = (t1 - t0) / DAY;
  const every = [1, 2, 7, 14, 30, 61, 91, 182, 365, 730].find((d) => span / d <= most - 1) ?? 1461;
  const start = Math.ceil(t0 / (every * DAY)) * every * DAY;
  const out: number[] = [];
  for (let t = start; t <= t1; t += every * DAY) out.push(t);
  return out;
}
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const dayLabel = (t: number, withYear: boolean) => { const d = new Date(t); return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}${withYear ? ` ${d.getUTCFullYear()}` : ''}`; };

/**
 * Every submission as a dot (time × score) and the best score so far as a step line: how a
 * benchmark's state of the art moved. Each record (a new best) is labelled with its method and
 * value. Drawn twice, for wide and for narrow screens, each at about the size it is shown, so text
 * keeps its size instead of shrinking with the picture; CSS shows one.
 */
export function progressChart(points: ProgressPoint[], opts: { metric: string; higherIsBetter: boolean }): Html {
  if (points.length === 0) return html``;
  return html`<figure class="chart progress">
${progressSvg(points, opts, 760, 'wide')}${progressSvg(points, opts, 360, 'narrow')}
<figcaption>Best ${opts.metric} so far (line; each record labelled) and every visible submission (dots), by submission time.</figcaption>
</figure>`;
}

function progressSvg(points: ProgressPoint[], opts: { metric: string; higherIsBetter: boolean }, W: number, cls: string): Html {
  const H = W > 500 ? 240 : 220, L = 40, R = W > 500 ? 16 : 10, T = 22, B = 26;
  const ts = points.map((p) => p.t), vs = points.map((p) => p.value);
  let t0 = Math.min(...ts), t1 = Math.max(...ts);
  if (t1 - t0 < DAY) { t0 -= DAY / 2; t1 += DAY / 2; }
  const grid = niceTicks(Math.max(0, Math.min(...vs)), Math.min(100, Math.max(...vs)), W > 500 ? 6 : 5);
  const v0 = grid[0], v1 = grid[grid.length - 1];
  const x = (t: number) => L + ((t - t0) / (t1 - t0)) * (W - L - R);
  const y = (v: number) => T + (1 - (v - v0) / (v1 - v0)) * (H - T - B);
  const sorted = [...points].sort((a, b) => a.t - b.t);
  let best = opts.higherIsBetter ? -Infinity : Infinity;
  const steps: string[] = [];
  const records: ProgressPoint[] = [];
  for (const p of sorted) {
    if (opts.higherIsBetter ? p.value > best : p.value < best) {
      if (steps.length) steps.push(`H${r1(x(p.t))}`);
      best = p.value;
      steps.push(`${steps.length ? 'V' : `M${r1(x(p.t))} `}${r1(y(best))}`);
      records.push(p);
    }
  }
  steps.push(`H${r1(x(t1))}`);
  // the newest records are labelled (the older ones crowd the start of the line); labels stay inside
  const labelled = records.slice(-(W > 500 ? 5 : 3));
  const days = dayTicks(t0, t1, W > 500 ? 7 : 4), years = new Set(days.map((t) => new Date(t).getUTCFullYear())).size > 1;
  const fmt = grid.some((g) => !Number.isInteger(g)) ? 1 : 0;
  return html`<svg class="${cls}" viewBox="0 0 ${W} ${H}" width="${W}" role="img" aria-label="${`Best ${opts.metric} over time; ${points.length} submissions, ${records.length} records`}">
${grid.map((g) => html`<line class="grid-line" x1="${L}" x2="${W - R}" y1="${r1(y(g))}" y2="${r1(y(g))}"/><text x="${L - 6}" y="${r1(y(g)) + 4}" text-anchor="end">${g.toFixed(fmt)}</text>`)}
<line class="axis" x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}"/>
${days.map((t) => html`<line class="tick" x1="${r1(x(t))}" x2="${r1(x(t))}" y1="${H - B}" y2="${H - B + 4}"/><text x="${r1(x(t))}" y="${H - 8}" text-anchor="middle">${dayLabel(t, years)}</text>`)}
<path class="step" d="${steps.join(' ')}"/>
${sorted.map((p) => html`<circle class="dot${records.includes(p) ? ' best' : ''}" cx="${r1(x(p.t))}" cy="${r1(y(p.value))}" r="${records.includes(p) ? 4 : 3}"><title>${p.label}</title></circle>`)}
${labelled.map((p) => {
    const px = x(p.t), right = px > W * 0.6;
    const text = `${(p.name ?? '').length > 22 ? `${p.name!.slice(0, 21)}…` : p.name ?? ''} ${p.value.toFixed(1)}`.trim();
    return html`<text class="record" x="${r1(right ? px - 6 : px + 6)}" y="${r1(Math.max(T - 6, y(p.value) - 7))}" text-anchor="${right ? 'end' : 'start'}">${text}</text>`;
  })}
</svg>`;
}

/**
 * Per-class values sorted from best to worst as thin bars, with the mean as a dashed line: the
 * shape of a 919-class result at a glance.
 */
export function classProfile(values: { name: string; value: number }[], opts: { metric: string; mean: number }): Html {
  if (values.length === 0) return html``;
  const sorted = [...values].sort((a, b) => b.value - a.value);
  const W = 760, H = 200, L = 36, R = 8, T = 10, B = 22;
  const bw = (W - L - R) / sorted.length;
  const y = (v: number) => T + (1 - v / 100) * (H - T - B);
  const bars = sorted.map((c, i) => {
    const h = Math.max(0, H - B - y(c.value));
    return `<rect class="bar${c.value === 0 ? ' zero' : ''}" x="${r1(L + i * bw)}" y="${r1(y(c.value))}" width="${Math.max(0.6, r1(bw - (bw > 3 ? 0.6 : 0)))}" height="${r1(Math.max(h, c.value === 0 ? 1 : h))}"><title>${escapeHtml(c.name)}: ${c.value.toFixed(2)}</title></rect>`;
  }).join('');
  return html`<figure class="chart">
<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${`${opts.metric} per class, sorted; mean ${opts.mean.toFixed(2)}`}">
${[0, 25, 50, 75, 100].map((g) => html`<line class="grid-line" x1="${L}" x2="${W - R}" y1="${r1(y(g))}" y2="${r1(y(g))}"/><text x="${L - 5}" y="${r1(y(g)) + 4}" text-anchor="end">${g}</text>`)}
${raw(bars)}
<line class="mean" x1="${L}" x2="${W - R}" y1="${r1(y(opts.mean))}" y2="${r1(y(opts.mean))}"/>
<text x="${W - R}" y="${r1(y(opts.mean)) - 4}" text-anchor="end">mean ${opts.mean.toFixed(2)}</text>
<line class="axis" x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}"/>
<text x="${L}" y="${H - 6}">best class</text><text x="${W - R}" y="${H - 6}" text-anchor="end">worst class (${sorted.length} classes)</text>
</svg>
<figcaption>${opts.metric} of every class, sorted from best to worst; the dashed line is the mean. The table below has the numbers.</figcaption>
</figure>`;
}

/** Per-class differences (B − A), sorted, as bars above and below zero. */
export function diffBars(values: { name: string; value: number }[], opts: { a: string; b: string }): Html {
  if (values.length === 0) return html``;
  const sorted = [...values].sort((x, y) => y.value - x.value);
  const W = 760, H = 200, L = 36, R = 8, T = 10, B = 22;
  const max = Math.max(1, ...sorted.map((v) => Math.abs(v.value)));
  const y = (v: number) => T + (1 - (v + max) / (2 * max)) * (H - T - B);
  const bw = (W - L - R) / sorted.length;
  const bars = sorted.map((c, i) => {
    const y0 = y(0), y1 = y(c.value);
    return `<rect class="bar${c.value < 0 ? ' neg' : ''}" x="${r1(L + i * bw)}" y="${r1(Math.min(y0, y1))}" width="${Math.max(0.6, r1(bw - (bw > 3 ? 0.6 : 0)))}" height="${r1(Math.max(0.5, Math.abs(y1 - y0)))}"><title>${escapeHtml(c.name)}: ${c.value >= 0 ? '+' : ''}${c.value.toFixed(2)}</title></rect>`;
  }).join('');
  const tick = Math.round(max);
  return html`<figure class="chart">
<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${`IoU difference per class, ${opts.b} minus ${opts.a}, sorted`}">
${[-tick, 0, tick].map((g) => html`<line class="${g === 0 ? 'axis' : 'grid-line'}" x1="${L}" x2="${W - R}" y1="${r1(y(g))}" y2="${r1(y(g))}"/><text x="${L - 5}" y="${r1(y(g)) + 4}" text-anchor="end">${g > 0 ? `+${g}` : g}</text>`)}
${raw(bars)}
<text x="${L}" y="${H - 6}">${opts.b} better</text><text x="${W - R}" y="${H - 6}" text-anchor="end">${opts.a} better</text>
</svg>
<figcaption>IoU of ${opts.b} minus IoU of ${opts.a}, per class, sorted (${values.length} classes).</figcaption>
</figure>`;
}

/** One entry's per-class IoU against another's, one dot per class, the diagonal drawn. */
export function scatter(points: { name: string; x: number; y: number }[], opts: { x: string; y: string }): Html {
  const S = 300, P = 34;
  const at = (v: number) => P + (v / 100) * (S - 2 * P);
  const dots = points.map((p) => `<circle class="dot" cx="${r1(at(p.x))}" cy="${r1(S - at(p.y))}" r="2.2"><title>${escapeHtml(p.name)}: ${p.x.toFixed(2)} → ${p.y.toFixed(2)}</title></circle>`).join('');
  return html`<figure class="chart scatter">
<svg viewBox="0 0 ${S} ${S}" role="img" aria-label="${`Per-class IoU: ${opts.y} against ${opts.x}`}">
<line class="axis" x1="${P}" y1="${S - P}" x2="${S - P}" y2="${S - P}"/><line class="axis" x1="${P}" y1="${S - P}" x2="${P}" y2="${P}"/>
<line class="mean" x1="${P}" y1="${S - P}" x2="${S - P}" y2="${P}"/>
${raw(dots)}
<text x="${S / 2}" y="${S - 8}" text-anchor="middle">${opts.x} IoU</text>
<text x="12" y="${S / 2}" text-anchor="middle" transform="rotate(-90 12 ${S / 2})">${opts.y} IoU</text>
</svg>
<figcaption>Each dot is a class; above the diagonal ${opts.y} does better.</figcaption>
</figure>`;
}

/** mIoU and b-mIoU for each object size group, side by side (a missing group shows no bar). */
export function sizeGroupsChart(groups: { label: string; miou: number | null; bmiou: number | null }[]): Html {
  const W = 420, H = 180, L = 30, R = 8, T = 16, B = 34;
  const gw = (W - L - R) / groups.length, bw = gw * 0.32;
  const y = (v: number) => T + (1 - v / 100) * (H - T - B);
  const bar = (v: number | null, x: number, cls: string, what: string) => (v === null ? '' :
    `<rect class="${cls}" x="${r1(x)}" y="${r1(y(v))}" width="${r1(bw)}" height="${r1(H - B - y(v))}"><title>${what}: ${v.toFixed(2)}</title></rect>`);
  const bars = groups.map((g, i) => {
    const x0 = L + i * gw + gw / 2 - bw;
    return bar(g.miou, x0, 'bar', `${g.label} mIoU`) + bar(g.bmiou, x0 + bw, 'bar b', `${g.label} b-mIoU`)
      + `<text x="${r1(L + i * gw + gw / 2)}" y="${H - B + 14}" text-anchor="middle">${escapeHtml(g.label)}</text>`;
  }).join('');
  return html`<figure class="chart groups">
<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="mIoU and b-mIoU by object size">
${[0, 50, 100].map((g) => html`<line class="grid-line" x1="${L}" x2="${W - R}" y1="${r1(y(g))}" y2="${r1(y(g))}"/><text x="${L - 4}" y="${r1(y(g)) + 4}" text-anchor="end">${g}</text>`)}
${raw(bars)}
<rect class="bar" x="${L}" y="${H - 12}" width="10" height="8"/><text x="${L + 14}" y="${H - 4}">mIoU</text>
<rect class="bar b" x="${L + 60}" y="${H - 12}" width="10" height="8"/><text x="${L + 74}" y="${H - 4}">b-mIoU</text>
</svg>
<figcaption>By object size; the table beside has the numbers.</figcaption>
</figure>`;
}
