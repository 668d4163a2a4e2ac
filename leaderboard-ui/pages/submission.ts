/**
 * One submission: its state, its problems when it failed, and when it finished every metric, the
 * size groups, and per-class IoU and b-IoU (up to 919 classes) as a sorted profile and a
 * sortable, searchable table (all in the query string).
 */
import { methodInputs, methodLinks, methodSetup } from '../method.ts';
import { metricInfo, metricsOf, type MetricKey } from '../../evaluator/index.ts';
import { classProfile, sizeGroupsChart } from '../charts.ts';
import { fixHints, intervalTitle, pct, smallSetWarning, when } from '../format.ts';
import type { SubmissionView } from '../views.ts';
import { html, withQuery, type Html } from '../html.ts';
import { page, type PageContext } from '../layout.ts';

export type ClassResult = NonNullable<SubmissionView['classes']>[number];
export interface SubmissionPageData {
  id: number; benchmark: string; status: string; progress: { done: number; total: number };
  method: string | null; description: string | null; link: string | null;
  paper: string | null; code: string | null; backbone: string | null; pretraining: string | null; extra_data: string | null;
  other_phase?: SubmissionView['other_phase'];
  private: boolean; hidden: boolean; baseline: boolean; user: string;
  /** Handed to the scoring queue, waiting for a worker to take it. */
  waiting_for_worker?: { position: number; worker_last_seen: string | null };
  created_at: string; started_at: string | null; finished_at: string | null;
  metrics?: Record<string, number | null | number[]>;
  classes?: ClassResult[];
  evaluator_version?: string;
  warnings: { code: string; message: string }[];
  problems?: { code: string; file: string; problem: string }[];
  error?: string;
  match_url?: string;
  /** Place in the scoring queue (1 = next), while queued. */
  queuePosition?: number | null;
  /** With queue workers: what the queue says of them, when none has been seen lately (words). */
  workerWarning?: string | null;
  /** The viewer owns it: edit and cancel forms are shown. */
  owner?: boolean;
  ci?: SubmissionView['ci'];
  intervals_unreliable?: SubmissionView['intervals_unreliable'];
  provenance?: SubmissionView['provenance'];
  reproduce?: SubmissionView['reproduce'];
  analysis?: SubmissionView['analysis'];
  model?: SubmissionView['model'];
  /** Query: per-class table sort (id, name, IoU, BIoU), order, filter, and every class rather than the two ends. */
  table: { sort: 'id' | 'name' | 'IoU' | 'BIoU'; order: 'asc' | 'desc'; q: string; all?: boolean };
}

const MAIN = metricsOf('main').map((m) => m.key);
const SIZES = metricsOf('size'), BOUNDARY_SIZES = metricsOf('boundary-size');

export function submissionPage(c: PageContext, d: SubmissionPageData): Html {
  const title = d.method ?? `Submission ${d.id}`;
  return page(c, title, html`
<div class="crumbs"><a href="/">Benchmarks</a> › <a href="/leaderboards/${d.benchmark}">${d.benchmark}</a> › #${d.id}</div>
<h1>${title}${d.baseline ? html`<span class="badge baseline">baseline</span>` : ''}${d.private ? html`<span class="badge private">private</span>` : ''}</h1>
<ul class="facts">
  <li>status <strong class="status ${d.status}" id="status">${d.status === 'running' ? 'running the model' : d.status}</strong>${d.status === 'scoring' || d.status === 'running' ? html` · ${d.progress.done} / ${d.progress.total} images` : ''}</li>
  ${d.model ? html`<li><span class="badge model" title="The server made the predictions by running the submitted model">model run by the server</span></li>` : ''}
  <li>by <strong>${d.user}</strong></li>
  <li>submitted ${when(d.created_at)}</li>
  ${d.finished_at ? html`<li>ended ${when(d.finished_at)}</li>` : ''}
  ${d.evaluator_version ? html`<li>evaluator <code>${d.evaluator_version}</code></li>` : ''}
  ${methodLinks(d).map((l) => html`<li>${l}</li>`)}
</ul>
${d.description ? html`<p class="lead">${d.description}</p>` : ''}
${methodSetup(d).length ? html`<p class="muted setup">${methodSetup(d).join(' · ')}</p>` : ''}
${live(d) ? html`<div class="notice live" data-live="${d.id}">
  <progress max="${d.progress.total}" value="${d.progress.done}">${d.progress.done} / ${d.progress.total}</progress>
  <span class="live-text">${d.status === 'queued' ? `queued${d.queuePosition ? `, position ${d.queuePosition} in the queue` : ''}: waiting for ${d.model?.state === 'pending' ? 'the model runner' : d.waiting_for_worker ? 'a scoring worker' : 'the scorer'}` : `${d.status === 'running' ? 'running the model on' : 'scoring'} ${d.progress.done} / ${d.progress.total} images`}</span>
  ${d.workerWarning ? html`<p class="warning-text" role="status">${d.workerWarning}</p>` : ''}
  <p class="live-stall" hidden></p>
  <noscript>Reload the page to follow it.</noscript>
</div>` : ''}
${d.status === 'failed' ? failed(d) : ''}
${d.status === 'cancelled' ? html`<p class="notice">Cancelled before it was scored.</p>` : ''}
${d.warnings.length ? html`<h2>Warnings</h2><ul>${d.warnings.map((w) => html`<li><code>${w.code}</code> ${w.message}</li>`)}</ul>` : ''}
${d.metrics && d.classes ? results(d) : d.metrics ? aggregates(d) : ''}
${d.model ? modelSection(c, d) : ''}
${d.analysis ? analysis(d) : ''}
${d.provenance ? provenance(d) : ''}
${d.metrics && d.classes ? perClass(d) : ''}
${d.owner ? ownerActions(c, d) : ''}
`, { wide: true, scripts: live(d) ? ['live'] : [] });
}

/** Still on its way: queued, running its model, or scoring (the page follows it live). */
const live = (d: SubmissionPageData): boolean => d.status === 'queued' || d.status === 'running' || d.status === 'scoring';

/** A model the server ran: what it is (by hash), how it ran, and who may download it. */
function modelSection(c: PageContext, d: SubmissionPageData): Html {
  const m = d.model!;
  const run = m.run;
  return html`<h2 id="model">Model</h2>
<p class="muted">${m.state === 'ran' ? 'The server made this submission\'s predictions itself, by running the submitted ONNX model on the benchmark\'s images in an isolated process, then scored them like any upload.'
    : m.state === 'failed' ? 'The server ran the submitted ONNX model on the benchmark\'s images in an isolated process; the run failed (above), so nothing was scored.'
      : 'The server runs the submitted ONNX model on the benchmark\'s images in an isolated process, then scores its predictions like any upload.'}</p>
<dl class="hashes">
  <dt>Model bundle (sha256)</dt><dd><code>${m.sha256}</code> · ${m.bytes >= 1048576 ? `${(m.bytes / 1048576).toFixed(1)} MB` : `${Math.max(1, Math.round(m.bytes / 1024))} KB`}${m.download_url ? html` · <a href="${m.download_url}" download>download</a>` : ''}${m.public ? ' · published' : ' · private to its owner'}</dd>
  ${run ? html`<dt>Run</dt><dd>${run.runtime}, execution provider <code>${run.provider}</code> · ${run.images.toLocaleString('en-US')} images in ${run.seconds.toFixed(1)} s (${(run.images / Math.max(run.seconds, 1e-9)).toFixed(1)} images/s)</dd>`
    : m.projected_seconds !== null ? html`<dt>Run</dt><dd>${m.state === 'failed' ? 'failed' : m.state === 'running' ? 'in progress' : 'not yet run'}; the trial projected ${Math.max(1, Math.round(m.projected_seconds))} s for the ${d.progress.total.toLocaleString('en-US')} images</dd>` : ''}
  ${m.input ? html`<dt>Input</dt><dd>${m.input.resize_short_side === null ? 'each image as it is' : `short side resized to ${m.input.resize_short_side}`}${m.input.max_long_side === null ? '' : `, long side at most ${m.input.max_long_side}`}; mean ${m.input.mean.join(', ')}, std ${m.input.std.join(', ')}</dd>` : ''}
  ${m.output ? html`<dt>Output</dt><dd>${m.output === 'logits' ? 'logits, resized bilinearly to the image, then arg-max' : 'class ids at the image size'}${m.flip_average ? '; averaged with the mirrored image' : ''}</dd>` : ''}
</dl>
${d.owner && m.state === 'ran' ? html`<form method="post" action="/submissions/${d.id}/model" class="inline">
  <input type="hidden" name="_csrf" value="${c.csrf}">
  <input type="hidden" name="public" value="${m.public ? 'false' : 'true'}">
  <button type="submit" class="secondary">${m.public ? 'Make the model private again' : 'Publish the model (anyone may download it from the board)'}</button>
</form>` : ''}`;
}

/** One metric as a tile, with its interval under the value when there is one. */
function tile(d: SubmissionPageData, k: MetricKey): Html {
  const ci = d.ci?.[k as keyof NonNullable<SubmissionPageData['ci']>];
  return html`<div class="tile"><div class="k">${metricInfo(k).label}</div><div class="v">${pct(d.metrics![k] as number | null)}</div>${ci ? html`<div class="ci" title="${intervalTitle(ci)}">${pct(ci[0])} – ${pct(ci[1])}</div>` : ''}</div>`;
}

/** Where it went wrong (public-GT phases): the worst images and the most confused classes. */
function analysis(d: SubmissionPageData): Html {
  const a = d.analysis!;
  const most = Math.max(1, ...a.confusion.map((p) => p.pixels));
  return html`<h2 id="analysis">Error analysis</h2>
<p class="muted">Validation ground truth is public, so this page shows where the predictions go wrong. Test submissions show aggregate figures only.</p>
<h3>Worst images</h3>
<p class="muted small">Lowest per-image mIoU (over the classes in the image's ground truth or prediction). Left: ground truth; right: prediction${d.match_url ? ' (through the match, so colours agree)' : ''}. Grey: ignored pixels.</p>
${a.names_changed ? html`<p class="notice">The hosted names list has changed since this submission was scored, so its worst images can no longer be named; re-score it to see them.</p>` : ''}
<div class="worst">${a.worst.map((w) => {
  const h = w.size ? Math.round((240 * w.size[1]) / w.size[0]) : 180;
  return html`<figure class="card">
  <div class="pair"><img src="${w.gt_overlay}" alt="${`ground truth of ${w.image}`}" width="240" height="${h}"><img src="${w.prediction_overlay}" alt="${`prediction for ${w.image}`}" width="240" height="${h}"></div>
  <figcaption><code>${w.image}</code><br>mIoU <strong>${pct(w.mIoU)}</strong> · F-measure ${pct(w.fmeasure)}</figcaption>
</figure>`;
})}</div>
<h3>Most confused classes</h3>
${a.confusion.length ? html`<div tabindex="0" class="table-wrap compact"><table class="confusion">
<caption>Pixels of a ground-truth class predicted as another, the 12 largest (whole validation set; the API lists 20).</caption>
<thead><tr><th scope="col">Ground truth</th><th scope="col">Predicted as</th><th scope="col" class="num">Pixels</th><th scope="col" class="hide-narrow"></th></tr></thead>
<tbody>${a.confusion.slice(0, 12).map((p) => html`<tr><td>${p.gt.id} ${p.gt.name}</td><td>${p.predicted.id} ${p.predicted.name}</td><td class="num">${p.pixels.toLocaleString('en-US')}</td><td class="hide-narrow"><svg class="bar" width="120" height="8" aria-hidden="true"><rect width="${Math.max(2, Math.round((p.pixels / most) * 120))}" height="8" rx="2"></rect></svg></td></tr>`)}</tbody>
</table></div>` : html`<p class="muted">No confusion between classes.</p>`}`;
}

/** What the score was computed from, by hash, and how to reproduce it offline. */
function provenance(d: SubmissionPageData): Html {
  const p = d.provenance!;
  return html`<h2 id="reproduce">Provenance${d.reproduce ? ' and reproduction' : ''}</h2>
<dl class="hashes">
  <dt>${d.model ? 'Predictions zip the server made (sha256)' : 'Uploaded zip (sha256)'}</dt><dd><code>${p.predictionsSha256 ?? '–'}</code></dd>
  <dt>Ground truth (sha256 of the names list and every mask's bytes)</dt><dd><code>${p.gtSha256}</code></dd>
  <dt>Names list (sha256)</dt><dd><code>${p.namesSha256}</code></dd>
  <dt>Evaluator (digest of its source)</dt><dd><code>${p.evaluatorVersion}</code></dd>
</dl>
${d.reproduce ? html`<p>Re-score it offline and check every number (exit 0, or the first number that differs): download <a href="${d.reproduce.result_url}" download>result.json</a> and the <a href="${d.reproduce.names_url}" download>names list</a>, then run, with ${d.model?.predictions_url ? html`the <a href="${d.model.predictions_url}" download>predictions zip the server made</a>` : d.model ? 'the predictions zip the server made (its owner may download it, and anyone once the model is published)' : 'your zip'} and the ImageNet-S masks:</p>
<pre tabindex="0" class="cmd"><code>${d.reproduce.command}</code></pre>` : html`<p class="muted small">The ground truth of this phase is private: the hashes say what it was scored against; it cannot be re-scored outside the server.</p>`}`;
}

/** The aggregate metrics alone (a private-GT submission seen by someone else). */
function aggregates(d: SubmissionPageData): Html {
  const m = d.metrics!;
  return html`<h2>Results</h2>
<div class="tiles">${[...MAIN, ...SIZES.map((m) => m.key)].map((k) => tile(d, k))}</div>
<p class="muted">Per-class results of a test submission are shown to its owner only.</p>`;
}

function ownerActions(c: PageContext, d: SubmissionPageData): Html {
  return html`<h2>Your submission</h2>
<div class="grid">
<form method="post" action="/submissions/${d.id}/edit" class="card">
  <input type="hidden" name="_csrf" value="${c.csrf}">
  <label for="method">Method name</label>
  <input type="text" id="method" name="method" maxlength="200" value="${d.method ?? ''}">
  <label for="description">Description</label>
  <textarea id="description" name="description" maxlength="4000" rows="3">${d.description ?? ''}</textarea>
  ${methodInputs(d)}
  <label><input type="checkbox" name="private" value="true"${d.private ? html` checked` : ''}> Private: only you see it on the leaderboard</label>
  <p><button type="submit">Save</button></p>
</form>
${live(d) ? html`<form method="post" action="/submissions/${d.id}/cancel" class="card">
  <input type="hidden" name="_csrf" value="${c.csrf}">
  <h3>Cancel</h3>
  <p class="muted">Stops it now; a cancelled submission uses no quota.</p>
  <p><button type="submit" class="secondary">Cancel this submission</button></p>
</form>` : ''}
</div>`;
}

function failed(d: SubmissionPageData): Html {
  const problems = d.problems ?? [];
  const stage = d.model?.state === 'failed' ? 'The model run failed' : 'Scoring failed';
  return html`<div class="notice error"><strong>${stage}:</strong> ${d.error ?? 'no reason recorded'}</div>
${problems.length ? html`<div tabindex="0" class="table-wrap"><table>
<caption>${problems.length} problem(s), each with its file and rule code.</caption>
<thead><tr><th scope="col">File</th><th scope="col">Rule</th><th scope="col">Problem</th></tr></thead>
<tbody>${problems.map((p) => html`<tr><td><code>${p.file}</code></td><td><code>${p.code ?? ''}</code></td><td>${p.problem}</td></tr>`)}</tbody>
</table></div>${fixHints(problems)}` : ''}`;
}

/** The summary: the main metrics with their intervals, and the size groups. */
function results(d: SubmissionPageData): Html {
  const m = d.metrics!;
  return html`
<h2>Results</h2>
<div class="tiles">${MAIN.map((k) => tile(d, k))}</div>
${d.ci ? html`<p class="muted small">Under each value, its 95 % interval (studentized bootstrap: 1,000 resamples of the ${d.progress.total.toLocaleString('en-US')} images within their class folders, the same for every submission to this benchmark). It covers test-set sampling only, not training randomness. To tell whether another entry is really better, <a href="/leaderboards/${d.benchmark}">tick both on the board</a> and compare.</p>` : ''}
${d.ci && d.intervals_unreliable ? smallSetWarning(d.progress.total, Math.max(1, (d.classes?.length ?? 2) - 1)) : ''}
<div class="side-by-side">
${sizeGroupsChart(SIZES.map((s, g) => ({ label: s.short, miou: m[s.key] as number | null, bmiou: m[BOUNDARY_SIZES[g].key] as number | null })))}
<div tabindex="0" class="table-wrap compact"><table>
<caption>mIoU and boundary mIoU by object size (share of the image an object covers). “–”: no object of that size.</caption>
<thead><tr><th scope="col"></th><th scope="col" class="num">S (≤ 5%)</th><th scope="col" class="num">MS (5–25%)</th><th scope="col" class="num">ML (25–50%)</th><th scope="col" class="num">L (&gt; 50%)</th></tr></thead>
<tbody>
<tr><th scope="row">mIoU</th>${SIZES.map((s) => html`<td class="num">${pct(m[s.key] as number | null)}</td>`)}</tr>
<tr><th scope="row">b-mIoU</th>${BOUNDARY_SIZES.map((s) => html`<td class="num">${pct(m[s.key] as number | null)}</td>`)}</tr>
</tbody></table></div>
</div>
${d.match_url ? html`<p>The default matching computed for this submission: <a href="${d.match_url}" download>match.json</a>.</p>` : ''}`;
}

/** Classes listed at each end of the table unless all are asked for (a 919-class page stays short). */
const ENDS = 25;

/** Per class: the profile, then the table (the worst and best ENDS by the chosen order, or all of them, or a search). */
function perClass(d: SubmissionPageData): Html {
  const m = d.metrics!;
  const classes = d.classes!;
  const path = `/submissions/${d.id}`;
  const t = d.table;
  const q = t.q.trim().toLowerCase();
  const shown = classes
    .filter((c) => !q || c.name.toLowerCase().includes(q) || (c.wnid ?? '').includes(q) || String(c.id) === q)
    .sort((a, b) => {
      const va = a[t.sort] ?? -1, vb = b[t.sort] ?? -1;
      const cmp = typeof va === 'string' ? va.localeCompare(vb as string) : (va as number) - (vb as number);
      return (t.order === 'asc' ? cmp : -cmp) || a.id - b.id;
    });
  const query = { sort: t.sort, order: t.order, q: t.q || undefined, all: t.all ? 'true' : undefined };
  const head = (k: SubmissionPageData['table']['sort'], text: string, num: boolean) => {
    const active = t.sort === k;
    const next = active ? (t.order === 'desc' ? 'asc' : 'desc') : num ? 'desc' : 'asc';
    return html`<th scope="col" class="${num ? 'num' : ''}${active ? ' sorted' : ''}"${active ? html` aria-sort="${t.order === 'desc' ? 'descending' : 'ascending'}"` : ''}><a class="sort" href="${withQuery(path, query, { sort: k, order: next })}#classes">${text}</a></th>`;
  };
  const mean = (m.mIoU as number) ?? 0;
  const cut = !t.all && !q && shown.length > 2 * ENDS;
  // public-GT phases know each class's ground truth: a class with none is "no GT", not a 0.00 that reads as a failure
  const counts = classes.some((c) => c.gt_images !== undefined);
  const noGt = html`<span class="muted" title="no image of this set has this class in its ground truth; officially it counts 0">no GT</span>`;
  const row = (c: (typeof classes)[number]) => html`<tr><td class="num">${c.id}</td><td>${c.name}</td><td class="hide-narrow"><code>${c.wnid ?? ''}</code></td>${counts ? html`<td class="num hide-narrow">${(c.gt_images ?? 0).toLocaleString('en-US')}</td>` : ''}<td class="num">${c.gt_images === 0 ? noGt : pct(c.IoU)}</td><td class="num">${c.gt_images === 0 ? noGt : pct(c.BIoU)}</td></tr>`;
  const body = cut
    ? html`${shown.slice(0, ENDS).map(row)}<tr class="gap"><td colspan="${counts ? 6 : 5}"><a href="${withQuery(path, query, { all: 'true' })}#classes">… ${(shown.length - 2 * ENDS).toLocaleString('en-US')} more: show all ${shown.length.toLocaleString('en-US')} classes</a></td></tr>${shown.slice(-ENDS).map(row)}`
    : html`${shown.map(row)}`;
  return html`
<h2 id="classes">Per class</h2>
${classProfile(classes.map((c) => ({ name: `${c.id} ${c.name}`, value: c.IoU })), { metric: 'IoU', mean })}
<form method="get" action="${path}#classes" class="toolbar" role="search">
  <label for="q" class="inline">Find a class</label>
  <input type="search" id="q" name="q" value="${t.q}" placeholder="name, wnid or id">
  <input type="hidden" name="sort" value="${t.sort}"><input type="hidden" name="order" value="${t.order}">
  <button type="submit" class="secondary">Filter</button>
  <span class="muted">${cut ? `the first and last ${ENDS} of ${classes.length} classes` : `${shown.length} of ${classes.length} classes`}${t.all && !q && classes.length > 2 * ENDS ? html` · <a href="${withQuery(path, query, { all: null })}#classes">first and last ${ENDS} only</a>` : ''}</span>
</form>
<div tabindex="0" class="table-wrap"><table class="classes">
<caption>IoU and boundary IoU per class, in %. Class 0 is “other” (background).</caption>
<thead><tr>${head('id', 'Id', true)}${head('name', 'Class', false)}<th scope="col" class="hide-narrow">wnid</th>${counts ? html`<th scope="col" class="num hide-narrow">GT images</th>` : ''}${head('IoU', 'IoU', true)}${head('BIoU', 'b-IoU', true)}</tr></thead>
<tbody>${body}</tbody>
</table></div>`;
}
