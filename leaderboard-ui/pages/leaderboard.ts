/**
 * A benchmark's leaderboard: sortable by any metric (plain links; the view lives in the query
 * string), grouped columns, badges, exports, the progress chart and the metric definitions.
 */
import { methodLinks, methodSetup } from '../method.ts';
import { METRIC_GROUPS, METRICS, metricInfo, metricsOf, type MetricInfo } from '../../evaluator/index.ts';
import type { BoardRow } from '../views.ts';
import { progressChart } from '../charts.ts';
import { bounds, intervalTitle, pct, rankRange, smallSetWarning, when } from '../format.ts';
import { html, withQuery, type Html } from '../html.ts';
import { page, type PageContext } from '../layout.ts';

export interface BoardPageData {
  benchmark: { id: string; split: string; splitName: string; protocol: string; phase: string; classes: number; images: number; closed?: string; gtPrivate: boolean; intervalsUnreliable?: boolean };
  rows: BoardRow[];
  /** Every visible entry (all=true), for the progress chart. */
  history: BoardRow[];
  sort: MetricInfo['key'];
  order: 'asc' | 'desc';
  all: boolean;
}

/** Column groups of the metric table; in a size group the column says only the size (its group heading says which metric). */
const GROUPS = METRIC_GROUPS.map((g) => ({ label: g.label, keys: metricsOf(g.group).map((m) => m.key) }));
const info = metricInfo;

export function leaderboardPage(c: PageContext, d: BoardPageData): Html {
  const b = d.benchmark;
  const path = `/leaderboards/${b.id}`;
  const query = { sort: d.sort, order: d.order, all: d.all ? 'true' : undefined };
  const sortLink = (k: MetricInfo['key']): Html => {
    const active = d.sort === k;
    const nextOrder = active ? (d.order === 'desc' ? 'asc' : 'desc') : (info(k).higherIsBetter ? 'desc' : 'asc');
    const arrow = active ? (d.order === 'desc' ? '↓' : '↑') : '';
    return html`<a class="sort" href="${withQuery(path, query, { sort: k, order: nextOrder })}" title="${`Sort by ${info(k).label}: ${info(k).description}`}" aria-label="${`${info(k).label}, sort`}">${info(k).short}<span class="arrow" aria-hidden="true">${arrow}</span></a>`;
  };
  const ariaSort = (k: string) => (d.sort === k ? (d.order === 'desc' ? 'descending' : 'ascending') : null);
  const sortInfo = info(d.sort);
  const points = d.history
    .filter((r) => typeof r.metrics[d.sort] === 'number')
    .map((r) => ({ t: Date.parse(r.submitted_at), value: r.metrics[d.sort] as number, label: `${r.method ?? 'unnamed'} (${r.user}): ${pct(r.metrics[d.sort] as number)}`, name: r.method ?? `#${r.submission}` }));

  return page(c, `${b.splitName} ${b.protocol} ${b.phase}`, html`
<div class="crumbs"><a href="/">Benchmarks</a> › ${b.splitName}</div>
<h1>${b.splitName} · ${b.protocol} · ${b.phase}</h1>
<ul class="facts">
  <li><strong>${b.classes}</strong> classes + other</li>
  <li><strong>${b.images.toLocaleString('en-US')}</strong> images</li>
  <li>ground truth ${b.gtPrivate ? html`<strong>private</strong> (per-class results are their owners')` : html`<strong>public</strong>`}</li>
  <li>${b.closed ? html`<span class="badge closed">closed</span> ${b.closed}` : html`<span class="badge open">open</span> for submissions`}</li>
  <li><a href="/api/splits/${b.split}/${b.phase}/list" download="${`${b.split}-${b.phase}.txt`}">names list</a> (the masks to submit, in the order they are scored)</li>
  ${b.closed ? '' : html`<li><a href="${withQuery('/submit', {}, { benchmark: b.id })}">Submit to this benchmark</a></li>`}
</ul>

<div class="toolbar">
  <span class="seg" role="group" aria-label="entries shown">
    <a href="${withQuery(path, query, { all: null })}" aria-current="${!d.all}">Best per user</a><a href="${withQuery(path, query, { all: 'true' })}" aria-current="${d.all}">All entries</a>
  </span>
  <span>Export: <a href="${withQuery(`/api/leaderboards/${b.id}.csv`, query, {})}" download>CSV</a> · <a href="${withQuery(`/api/leaderboards/${b.id}`, query, {})}">JSON</a></span>
  <span class="muted">Sorted by <strong>${sortInfo.label}</strong>, ${d.order === 'desc' ? 'highest first' : 'lowest first'}; ties share a rank; missing values last.</span>
</div>

${d.rows.length === 0
    ? html`<p class="notice">No entries yet. Be the first: see <a href="/#how">how to submit</a>.</p>`
    : html`<form method="get" action="/compare" id="compare"></form>
<div tabindex="0" class="table-wrap"><table class="board">
<caption>${d.rows.length} ${d.rows.length === 1 ? 'entry' : 'entries'}${d.all ? '' : ' (best per user; baselines each shown)'} on ${b.splitName} ${b.protocol} ${b.phase}. All metrics in %.</caption>
<thead>
<tr class="groups"><th colspan="5" scope="colgroup"></th>${GROUPS.map((g) => html`<th colspan="${g.keys.length}" scope="colgroup" class="group-start">${g.label}</th>`)}</tr>
<tr>
<th scope="col" class="rank">#</th><th scope="col" class="hide-narrow"><span class="muted" title="Tick two to four entries, then Compare">Cmp</span></th><th scope="col" class="method">Method</th><th scope="col">User</th><th scope="col" class="hide-narrow">Submitted</th>
${GROUPS.map((g) => g.keys.map((k, i) => html`<th scope="col" class="num${i === 0 ? ' group-start' : ''}${d.sort === k ? ' sorted' : ''}"${ariaSort(k) ? html` aria-sort="${ariaSort(k)}"` : ''}>${sortLink(k)}</th>`))}
</tr>
</thead>
<tbody>
${d.rows.map((r) => {
  const mine = c.viewer?.name === r.user;
  return html`<tr class="${mine ? 'mine' : ''}">
<td class="rank num">${r.rank}${r.rank_ci ? html`<span class="sub" title="${`The ranks by ${sortInfo.label} the data allow (95 %, simultaneous over this entry's comparisons with all others)`}">${rankRange(r.rank_ci)}</span>` : ''}</td>
<td class="hide-narrow"><input type="checkbox" name="id" value="${r.submission}" form="compare" aria-label="${`compare ${r.method ?? `#${r.submission}`}`}"></td>
<td class="method"><a class="entry" href="/submissions/${r.submission}">${r.method ?? html`<span class="muted">unnamed #${r.submission}</span>`}</a>${r.baseline ? html`<span class="badge baseline">baseline</span>` : ''}${r.model ? html`<span class="badge model" title="${`Model run by the server: sha256 ${r.model.sha256}, ${r.model.runtime ?? 'ONNX Runtime'} on ${r.model.provider ?? '?'}`}">model run by the server</span>` : ''}${r.tied_with_leader ? html`<span class="badge tied" title="${`May be the best on ${sortInfo.label}: no entry is shown better than this one (its rank interval starts at 1)`}">≈ #1</span>` : ''}${r.private ? html`<span class="badge private">private</span>` : ''}${mine ? html`<span class="badge yours">yours</span>` : ''}
${methodLinks(r).length ? html`<span class="links">${methodLinks(r).map((l, i) => html`${i ? ' · ' : ''}${l}`)}</span>` : ''}${methodSetup(r).length ? html`<span class="setup">${methodSetup(r).join(' · ')}</span>` : ''}
${r.run
    ? html`<span class="desc">Run by this server from the authors' checkpoint · <a href="${r.run.provenance}" title="Checksums, parity with PyTorch, ONNX Runtime version, execution provider">provenance</a></span>`
    : r.model ? html`<span class="desc">sha256 <code title="${`sha256 ${r.model.sha256}`}">${r.model.sha256.slice(0, 12)}</code> · ${r.model.runtime ?? 'ONNX Runtime'} on ${r.model.provider ?? '?'}${r.model.download_url ? html` · <a href="${r.model.download_url}" download>download the model</a>` : ''}</span>`
    : r.description ? html`<span class="desc">${r.description.length > 160 ? `${r.description.slice(0, 157)}…` : r.description}</span>` : ''}</td>
<td>${r.user}</td>
<td class="hide-narrow muted nowrap" title="${when(r.submitted_at)}">${r.submitted_at.slice(0, 10)}</td>
${GROUPS.map((g, gi) => g.keys.map((k, i) => {
  const ci = r.ci?.[k as keyof NonNullable<BoardRow['ci']>];
  const reported = k === 'mIoU' ? r.run?.reported : null;
  return html`<td class="num${i === 0 ? ' group-start' : ''}${d.sort === k ? ' sorted' : ''}" title="${intervalTitle(ci)}">${pct(r.metrics[k] as number | null)}${(gi === 0 || d.sort === k) && ci ? html`<span class="sub">${bounds(ci)}</span>` : ''}${reported ? html`<span class="sub reported" title="${`Reported by the authors (${reported.source}); the value above is this server's own run`}">reported ${reported.mIoU.toFixed(1)}</span>` : ''}</td>`;
}))}
</tr>`;
})}
</tbody></table></div>
<p class="toolbar"><button type="submit" form="compare" class="secondary">Compare selected</button> <span class="muted">tick two to four entries: the comparison says whether their differences are real</span></p>
<p class="muted small legend"><strong>How sure is a rank?</strong> Under each value, its 95 % interval (studentized bootstrap: 1,000 resamples of the ${b.images.toLocaleString('en-US')} images within their class folders, the same for every entry). Under each rank, the ranks the data allow: every entry's differences with all others, held together at 95 % over the same resamples. <span class="badge tied">≈ #1</span> marks the entries no other is shown better than, those whose rank interval starts at 1: together they hold the truly best entry with 95 % confidence. Intervals cover test-set sampling only, not training randomness (seeds).</p>
${b.intervalsUnreliable ? smallSetWarning(b.images, b.classes) : ''}`}

<h2>Progress</h2>
${points.length >= 2 ? progressChart(points, { metric: sortInfo.label, higherIsBetter: sortInfo.higherIsBetter }) : html`<p class="muted">The chart of the state of the art over time appears with the second entry.</p>`}

<details class="defs"><summary>Metric definitions</summary>
<dl>${METRICS.map((m) => html`<dt>${m.label}</dt><dd>${m.description} (${m.unit}, ${m.higherIsBetter ? 'higher is better' : 'lower is better'})</dd>`)}</dl>
<p class="muted">Computed exactly as the official ImageNet-S evaluator (<code>evaluation/evaluator.py</code>) does, float32 accumulation in names-list order included.</p>
</details>
`, { wide: true });
}
