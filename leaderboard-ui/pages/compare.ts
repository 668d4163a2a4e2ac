/**
 * Two to four submissions of one benchmark side by side: every metric with its difference from the
 * reference entry (any of them: ?base=id), the paired verdict on mIoU for every pair, the per-class
 * IoU differences (sorted bars and a scatter against the reference), and the classes that differ
 * most. The view is its URL (/compare?ids=…&base=…).
 */
import { METRICS, type PairedResult } from '../../evaluator/index.ts';
import { diffBars, scatter } from '../charts.ts';
import { pct } from '../format.ts';
import { html, type Html } from '../html.ts';
import { page, type PageContext } from '../layout.ts';

export interface CompareEntry {
  id: number; user: string; method: string | null;
  metrics: Record<string, number | null | number[]>;
  /** Per class (id order), when the viewer may see it for this entry. */
  classes: { id: number; name: string; IoU: number }[] | null;
  /** 95 % bootstrap intervals of its metrics. */
  ci: Partial<Record<string, [number, number] | null>> | null;
  /** Against the reference entry, over the shared resamples (null for the reference, or without resamples). */
  paired: Partial<Record<string, PairedResult>> | null;
}
export interface CompareData {
  benchmark: string;
  entries: CompareEntry[];
  /** The reference entry's id (default: the first). */
  base?: number;
  /** Every pair's paired comparison on mIoU (b − a), each pair once. */
  pairs?: { a: number; b: number; paired: PairedResult | null }[];
}

const name = (e: CompareEntry) => e.method ?? `#${e.id}`;

export function comparePage(c: PageContext, d: CompareData): Html {
  const first = d.entries.find((e) => e.id === d.base) ?? d.entries[0];
  const rest = d.entries.filter((e) => e !== first);
  const byId = new Map(d.entries.map((e) => [e.id, e]));
  const ids = d.entries.map((e) => e.id).join(',');
  const signed = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(2)}`;
  const delta = (v: number | null, base: number | null, p: PairedResult | undefined): Html => {
    if (v === null || base === null) return html``;
    const diff = v - base;
    const cls = p && !p.significant ? 'muted' : diff > 0 ? 'up' : diff < 0 ? 'down' : 'muted';
    return html` <span class="${cls}">(${signed(diff)})</span>${p?.ci ? html`<span class="sub" title="95 % paired bootstrap interval of the difference">${signed(p.ci[0])} to ${signed(p.ci[1])}${p.significant ? html` <strong>${diff > 0 ? 'better' : 'worse'}</strong>` : ' · within noise'}</span>` : ''}`;
  };
  const verdict = (a: CompareEntry, b: CompareEntry, p: PairedResult): Html => html`<li><strong>${name(b)}</strong> against <strong>${name(a)}</strong>: mIoU ${signed(p.diff)} points, 95 % paired interval ${signed(p.ci![0])} to ${signed(p.ci![1])}: ${p.significant
      ? html`<span class="${p.diff > 0 ? 'up' : 'down'}">a real difference</span> (the interval excludes 0).`
      : html`<span class="muted">not distinguishable</span> from test-set sampling noise (the interval includes 0).`}</li>`;
  const verdicts = (d.pairs ?? rest.map((e) => ({ a: first.id, b: e.id, paired: e.paired?.mIoU ?? null }))).filter((x) => x.paired?.ci);
  const perClass = d.entries.every((e) => e.classes);
  return page(c, 'Compare', html`
<div class="crumbs"><a href="/">Benchmarks</a> › <a href="/leaderboards/${d.benchmark}">${d.benchmark}</a> › compare</div>
<h1>Compare ${d.entries.length} submissions</h1>
<p class="lead">Differences are against <strong>${name(first)}</strong>, in points of %${d.entries.length > 2 ? html`; any other entry can be the reference (its column's "reference" link)` : ''}. This page's address is the comparison: share it.</p>
${verdicts.length ? html`<ul class="verdicts">${verdicts.map((x) => verdict(byId.get(x.a)!, byId.get(x.b)!, x.paired!))}</ul>
<p class="muted small">Paired bootstrap: both entries are re-scored on the same 1,000 resamples of the images and the difference is taken resample by resample, so images that are hard for both cancel out. It covers test-set sampling only, not training randomness (seeds). Offline, <code>npm run -s compare -- a.json b.json</code> gives the same from two <code>evaluate --ci</code> outputs.</p>` : ''}
<div tabindex="0" class="table-wrap"><table>
<caption>Every metric of each entry; in brackets the difference from ${name(first)}.</caption>
<thead><tr><th scope="col">Metric</th>${d.entries.map((e) => html`<th scope="col" class="num"><a href="/submissions/${e.id}">${name(e)}</a><br><span class="muted">${e.user}</span><br>${e === first ? html`<span class="badge">reference</span>` : html`<a class="small" href="/compare?ids=${ids}&amp;base=${e.id}">make reference</a>`}</th>`)}</tr></thead>
<tbody>${METRICS.map((m) => html`<tr><th scope="row">${m.label}</th>${d.entries.map((e) => {
  const v = e.metrics[m.key] as number | null;
  return html`<td class="num">${pct(v)}${e !== first ? delta(v, first.metrics[m.key] as number | null, e.paired?.[m.key]) : ''}</td>`;
})}</tr>`)}</tbody>
</table></div>
${perClass ? rest.map((e) => classCompare(first, e)) : html`<p class="muted">Per-class comparisons need every entry's per-class results, which are private on this benchmark.</p>`}
`, { wide: true });
}

function classCompare(a: CompareEntry, b: CompareEntry): Html {
  const diffs = a.classes!.map((ca, k) => ({ id: ca.id, name: `${ca.id} ${ca.name}`, a: ca.IoU, b: b.classes![k]?.IoU ?? 0 }));
  const most = [...diffs].sort((x, y) => Math.abs(y.b - y.a) - Math.abs(x.b - x.a)).slice(0, 10);
  return html`<h2>${name(b)} against ${name(a)}, per class</h2>
${diffBars(diffs.map((x) => ({ name: x.name, value: x.b - x.a })), { a: name(a), b: name(b) })}
<div class="side-by-side">
${scatter(diffs.map((x) => ({ name: x.name, x: x.a, y: x.b })), { x: name(a), y: name(b) })}
<div tabindex="0" class="table-wrap"><table>
<caption>The 10 classes whose IoU differs most.</caption>
<thead><tr><th scope="col">Class</th><th scope="col" class="num">${name(a)}</th><th scope="col" class="num">${name(b)}</th><th scope="col" class="num">Difference</th></tr></thead>
<tbody>${most.map((x) => html`<tr><td class="nowrap">${x.name}</td><td class="num">${pct(x.a)}</td><td class="num">${pct(x.b)}</td><td class="num ${x.b > x.a ? 'up' : 'down'}">${x.b - x.a >= 0 ? '+' : ''}${(x.b - x.a).toFixed(2)}</td></tr>`)}</tbody>
</table></div>
</div>`;
}
