/** Home: the hosted splits and every benchmark with its entries and leader; how to submit. */
import { html, type Html } from '../html.ts';
import { pct } from '../format.ts';
import { page, type PageContext } from '../layout.ts';

export interface HomeBenchmark {
  id: string; split: string; splitName: string; protocol: string; phase: string; classes: number; images: number;
  closed?: string; gtPrivate: boolean; entries: number; leader: { user: string; method: string | null; mIoU: number } | null;
}
export interface HomeData { benchmarks: HomeBenchmark[]; origin: string }

const PROTOCOL_NOTES: Record<string, string> = {
  'fully-unsupervised': 'no labels; ids are matched to classes (computed on validation, match.json on test)',
  'distance-matching': 'unsupervised representations matched by distance',
  'semi-supervised': 'a fraction of labelled images (train-semi)',
  free: 'any data and any supervision',
};

export function homePage(c: PageContext, d: HomeData): Html {
  const splits = [...new Set(d.benchmarks.map((b) => b.split))];
  return page(c, 'Benchmarks', html`
<h1>ImageNet-S benchmarks</h1>
<p class="lead">Large-scale unsupervised and semi-supervised semantic segmentation on ImageNet-S, scored exactly as the
official toolbox scores it. Each benchmark is a split × protocol × phase; validation ground truth is public, test ground
truth never leaves this server.</p>
${splits.map((split) => {
  const bs = d.benchmarks.filter((b) => b.split === split);
  return html`
<h2>${bs[0].splitName} <span class="muted">· ${bs[0].classes} classes · <a href="/datasets/${split}">dataset</a></span></h2>
<div tabindex="0" class="table-wrap"><table>
<caption>${bs[0].splitName}: ${bs.length} benchmarks. The leader is the best mIoU.</caption>
<thead><tr><th scope="col">Protocol</th><th scope="col">Phase</th><th scope="col" class="num">Images</th><th scope="col" class="num">Entries</th><th scope="col">Leader</th><th scope="col" class="num">mIoU</th><th scope="col">State</th></tr></thead>
<tbody>
${bs.map((b) => html`<tr>
<td><a href="/leaderboards/${b.id}">${b.protocol}</a><br><span class="muted hide-narrow">${PROTOCOL_NOTES[b.protocol] ?? ''}</span></td>
<td>${b.phase}${b.gtPrivate ? html` <span class="badge private-gt" title="ground truth private to this server">private GT</span>` : ''}</td>
<td class="num">${b.images.toLocaleString('en-US')}</td>
<td class="num">${b.entries}</td>
<td>${b.leader ? html`${b.leader.method ?? html`<span class="muted">unnamed</span>`} <span class="muted">by ${b.leader.user}</span>` : html`<span class="muted">no entries yet</span>`}</td>
<td class="num">${b.leader ? pct(b.leader.mIoU) : '–'}</td>
<td>${b.closed ? html`<span class="badge closed" title="${b.closed}">closed</span> <span class="muted">${b.closed}</span>` : html`<span class="badge open">open</span>`}</td>
</tr>`)}
</tbody></table></div>`;
})}
<h2 id="how">How to submit</h2>
<div class="grid">
<div class="card">
<h3>1. Make the masks</h3>
<p>One PNG per image of the names list, <code>wnid/name.png</code>, the image's size, class id = R + 256·G
(or an 8/16-bit grayscale value). Zip them (at the root or under one folder). Fully-unsupervised test
submissions add <code>match.json</code>.</p>
</div>
<div class="card">
<h3>2. Check them locally</h3>
<pre tabindex="0">npm run -s evaluate -- --gt &lt;validation-segmentation&gt; \\
  --pred preds.zip --names validation.txt --classes 50</pre>
<p class="muted">The same checks and the same numbers as this server.</p>
</div>
<div class="card">
<h3>3. Upload</h3>
<pre tabindex="0">curl -H "Authorization: Bearer $TOKEN" \\
  -F benchmark=${(d.benchmarks.find((b) => b.protocol === 'semi-supervised' && b.phase === 'validation') ?? d.benchmarks[0])?.id ?? '…'} \\
  -F file=@preds.zip ${d.origin}/api/submissions</pre>
<p class="muted">Every problem with the zip comes back at once, with a code per problem; nothing is kept and no quota is used.</p>
</div>
</div>
`);
}
