/** The upload form: a benchmark, a zip of masks or a model bundle, and optionally the method's name, description, links, backbone, pretraining and extra data. */
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
  /** Models are taken here (MAX_MODEL_BYTES in MB), with each user's compute budget today in words; absent: zips only. */
  models?: { maxMB: number; budget: string; timeoutSeconds: number };
  /** Which kind the form had (shown again after a refusal). */
  kind?: 'file' | 'model';
  /** When today's quotas reset (UTC midnight). */
  resetsAt: string;
}

export function submitPage(c: PageContext, d: SubmitData): Html {
  const model = d.kind === 'model' && !!d.models;
  return page(c, 'Submit', html`
<h1>Submit</h1>
<p class="muted">Daily quotas are shown with each benchmark; they reset at ${d.resetsAt.slice(0, 16).replace('T', ' ')} UTC.</p>
<p class="lead">A zip of PNG masks, <code>wnid/name.png</code> for every image of the benchmark's names list (at the zip's
root or under one folder), up to ${d.maxUploadMB} MB${d.models ? ', or your model for this server to run' : ''}. Every upload is checked completely before anything is
queued: every problem is listed at once, nothing is kept and no quota is used.</p>
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
  ${d.models ? html`<fieldset class="kind">
    <legend>What you send</legend>
    <label><input type="radio" name="kind" value="file"${model ? '' : html` checked`} data-kind> <strong>Predictions zip</strong>: the masks your model made</label>
    <label><input type="radio" name="kind" value="model"${model ? html` checked` : ''} data-kind> <strong>Model</strong>: an ONNX bundle this server runs on the phase's images; the row says <em>model run by the server</em>, with the model's hash</label>
  </fieldset>` : ''}
  <div data-kind-part="file">
  <label for="file">Zip of masks</label>
  <input type="file" id="file" name="file" accept=".zip,application/zip">
  </div>
  ${d.models ? html`<div data-kind-part="model">
  <label for="model">Model bundle</label>
  <input type="file" id="model" name="model" accept=".zip,application/zip">
  <p class="muted small">A zip of <code>model.onnx</code> and <code>model.json</code>, up to ${d.models.maxMB} MB (how to export one from PyTorch: <code>docs/model-submissions.md</code> in ImageNet-S Bench). It is checked and tried on two small images before anything is queued; each image may take ${d.models.timeoutSeconds} s. Compute budget: ${d.models.budget}. The model stays private to you unless you publish it.</p>
  </div>` : ''}
  <label for="method">Method name <span class="muted">(optional; or a method.txt in the zip, or model.json's)</span></label>
  <input type="text" id="method" name="method" maxlength="200" value="${d.fields?.method ?? ''}">
  <label for="description">Description <span class="muted">(optional)</span></label>
  <textarea id="description" name="description" maxlength="4000" rows="3" cols="60">${d.fields?.description ?? ''}</textarea>
  ${methodInputs(d.fields ?? {})}
  <label><input type="checkbox" name="private" value="true"${d.fields?.private ? html` checked` : ''}> Private: only you see it on the leaderboard</label>
  <p><button type="submit">Upload and score</button> <span class="muted small">Choose one file: predictions or a model.</span></p>
  <div data-precheck hidden></div>
  <div class="live" data-upload-progress hidden><progress max="1" value="0"></progress><span class="upload-text"></span></div>
</form>
`, { scripts: ['upload'] });
}
