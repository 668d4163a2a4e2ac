/** The upload form: a benchmark, a zip, and optionally the method's name, description, links, backbone, pretraining and extra data. */
import { methodInputs, type MethodFormValues } from '../method.ts';
import { html, type Html } from '../html.ts';
import { page, type PageContext } from '../layout.ts';
import { fixHints } from '../format.ts';

export interface SubmitData {
  benchmarks: { id: string; label: string; open: boolean; quota: string }[];
  selected?: string;
  /** What the user typed, shown again after a refusal (the file itself cannot be: browsers forbid it). */
  fields?: MethodFormValues & { method?: string | null; description?: string | null; private?: boolean };
  error?: string;
  problems?: { code: string; file: string; problem: string }[];
  maxUploadMB: number;
  /** When today's quotas reset (UTC midnight). */
  resetsAt: string;
}

export function submitPage(c: PageContext, d: SubmitData): Html {
  return page(c, 'Submit', html`
<h1>Submit predictions</h1>
<p class="muted">Daily quotas are shown with each benchmark; they reset at ${d.resetsAt.slice(0, 16).replace('T', ' ')} UTC.</p>
<p class="lead">A zip of PNG masks, <code>wnid/name.png</code> for every image of the benchmark's names list (at the zip's
root or under one folder), up to ${d.maxUploadMB} MB. The zip is checked completely before anything is queued: every
problem is listed at once, nothing is kept and no quota is used.</p>
${d.error ? html`<div class="notice error" role="alert"><strong>Not submitted:</strong> ${d.error}</div>` : ''}
${d.problems?.length ? html`<div tabindex="0" class="table-wrap"><table>
<caption>${d.problems.length} problem(s) with the upload, each with its file and rule code.</caption>
<thead><tr><th scope="col">File</th><th scope="col">Rule</th><th scope="col">Problem</th></tr></thead>
<tbody>${d.problems.slice(0, 500).map((p) => html`<tr><td><code>${p.file}</code></td><td><code>${p.code}</code></td><td>${p.problem}</td></tr>`)}</tbody>
</table></div>${d.problems.length > 500 ? html`<p class="muted">… and ${d.problems.length - 500} more.</p>` : ''}${fixHints(d.problems)}` : ''}
<form method="post" action="/submit?_csrf=${c.csrf}" enctype="multipart/form-data" class="card" data-upload>
  <label for="benchmark">Benchmark</label>
  <select id="benchmark" name="benchmark" required>
    ${d.benchmarks.map((b) => html`<option value="${b.id}"${b.id === d.selected ? html` selected` : ''}${b.open ? '' : html` disabled`}>${b.label} (${b.quota})</option>`)}
  </select>
  <label for="file">Zip of masks</label>
  <input type="file" id="file" name="file" accept=".zip,application/zip" required>
  <label for="method">Method name <span class="muted">(optional; or a method.txt in the zip)</span></label>
  <input type="text" id="method" name="method" maxlength="200" value="${d.fields?.method ?? ''}">
  <label for="description">Description <span class="muted">(optional)</span></label>
  <textarea id="description" name="description" maxlength="4000" rows="3" cols="60">${d.fields?.description ?? ''}</textarea>
  ${methodInputs(d.fields ?? {})}
  <label><input type="checkbox" name="private" value="true"${d.fields?.private ? html` checked` : ''}> Private: only you see it on the leaderboard</label>
  <p><button type="submit">Upload and score</button></p>
  <div data-precheck hidden></div>
  <div class="live" data-upload-progress hidden><progress max="1" value="0"></progress><span class="upload-text"></span></div>
</form>
`, { scripts: ['upload'] });
}
