/**
 * A hosted split: its subsets with counts, its classes with display names, and for the public
 * subsets (validation, train-semi) an image browser with the ground truth overlaid. Test masks are
 * never shown (nor served).
 */
import { html, withQuery, type Html } from '../html.ts';
import { page, type PageContext } from '../layout.ts';

export interface DatasetData {
  split: { id: string; name: string };
  subsets: { name: string; images: number; masks: number | null; browsable: boolean }[];
  classes: { id: number; wnid: string | null; name: string }[];
  browse: { subset: string; items: string[]; page: number; pages: number } | null;
}

export function datasetPage(c: PageContext, d: DatasetData): Html {
  const path = `/datasets/${d.split.id}`;
  return page(c, d.split.name, html`
<div class="crumbs"><a href="/">Benchmarks</a> › ${d.split.name}</div>
<h1>${d.split.name}</h1>
<div tabindex="0" class="table-wrap compact"><table>
<caption>Subsets hosted here. Test ground truth is private to this server.</caption>
<thead><tr><th scope="col">Subset</th><th scope="col" class="num">Images</th><th scope="col" class="num">Masks</th><th scope="col">Names list</th><th scope="col">Browse</th></tr></thead>
<tbody>${d.subsets.map((s) => html`<tr><th scope="row">${s.name}</th><td class="num">${s.images.toLocaleString('en-US')}</td><td class="num">${s.masks === null ? html`<span class="muted">private</span>` : s.masks.toLocaleString('en-US')}</td>
<td><a href="/api/splits/${d.split.id}/${s.name}/list" download="${`${d.split.id}-${s.name}.txt`}">${s.name}.txt</a></td>
<td>${s.browsable ? html`<a href="${withQuery(path, {}, { subset: s.name })}#browse">images with ground truth</a>` : html`<span class="muted">–</span>`}</td></tr>`)}</tbody>
</table></div>
${d.browse ? html`<h2 id="browse">${d.browse.subset}: page ${d.browse.page} of ${d.browse.pages}</h2>
<p class="muted">Each image with its ground truth overlaid (one colour per class; ignore pixels grey). The names list order.</p>
<ul class="gallery">${d.browse.items.map((rel) => html`<li><figure><img loading="lazy" src="/datasets/${d.split.id}/${d.browse!.subset}/overlay/${rel}" alt="${`${rel} with its ground truth`}"><figcaption><code>${rel}</code></figcaption></figure></li>`)}</ul>
<p class="toolbar">${d.browse.page > 1 ? html`<a href="${withQuery(path, { subset: d.browse.subset }, { page: String(d.browse.page - 1) })}#browse">← previous</a>` : ''}
${d.browse.page < d.browse.pages ? html`<a href="${withQuery(path, { subset: d.browse.subset }, { page: String(d.browse.page + 1) })}#browse">next →</a>` : ''}</p>` : ''}
<h2>Classes</h2>
<div tabindex="0" class="table-wrap"><table>
<caption>${d.classes.length} classes; id 0 is “other”, ids are what predictions encode (R + 256·G).</caption>
<thead><tr><th scope="col" class="num">Id</th><th scope="col">wnid</th><th scope="col">Name</th></tr></thead>
<tbody>${d.classes.map((k) => html`<tr><td class="num">${k.id}</td><td><code>${k.wnid ?? ''}</code></td><td>${k.name}</td></tr>`)}</tbody>
</table></div>
`);
}
