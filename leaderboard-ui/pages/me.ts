/** My submissions (state, scores, links) and my API tokens (create, shown once; revoke). */
import { pct, when } from '../format.ts';
import { html, type Html } from '../html.ts';
import { page, type PageContext } from '../layout.ts';

export interface MySubmission { id: number; benchmark: string; status: string; method: string | null; mIoU: number | null; created_at: string; progress: { done: number; total: number } }
export interface MyToken { id: number; prefix: string; label: string | null; created_at: string; last_used_at: string | null; revoked_at: string | null; current: boolean }
export interface MeData {
  submissions: MySubmission[];
  tokens: MyToken[];
  quotas: { benchmark: string; limit: number; used: number; resetsAt: string }[];
  /** A token just created: shown this once. */
  newToken?: string;
}

export function mePage(c: PageContext, d: MeData): Html {
  const limited = d.quotas.filter((q) => q.limit > 0);
  return page(c, 'My submissions', html`
<h1>${c.viewer!.name}</h1>
<h2>My submissions</h2>
${d.submissions.length === 0 ? html`<p class="muted">None yet. See <a href="/#how">how to submit</a>.</p>` : html`<div class="table-wrap"><table>
<caption>Your ${d.submissions.length} submission(s), newest first.</caption>
<thead><tr><th scope="col" class="num">#</th><th scope="col">Benchmark</th><th scope="col">Method</th><th scope="col">Status</th><th scope="col" class="num">mIoU</th><th scope="col">Submitted</th></tr></thead>
<tbody>${d.submissions.map((s) => html`<tr>
<td class="num"><a href="/submissions/${s.id}">${s.id}</a></td>
<td><a href="/leaderboards/${s.benchmark}">${s.benchmark}</a></td>
<td>${s.method ?? html`<span class="muted">unnamed</span>`}</td>
<td><span class="status ${s.status}">${s.status}</span>${s.status === 'scoring' ? html` <span class="muted">${s.progress.done}/${s.progress.total}</span>` : ''}</td>
<td class="num">${pct(s.mIoU)}</td>
<td class="muted">${when(s.created_at)}</td>
</tr>`)}</tbody></table></div>`}
${limited.length ? html`<p class="muted">Daily quotas (UTC): ${limited.map((q, i) => html`${i ? ' · ' : ''}${q.benchmark} ${q.used}/${q.limit}`)}; they reset at ${when(limited[0].resetsAt)}.</p>` : ''}

<h2>API tokens</h2>
<p class="lead">For the command line and scripts: <code>Authorization: Bearer &lt;token&gt;</code>. A token is shown once, when it is made; only its digest is stored.</p>
${d.newToken ? html`<div class="notice" role="status"><strong>Your new token</strong> (copy it now; it is not shown again):<pre>${d.newToken}</pre></div>` : ''}
<div class="table-wrap"><table>
<caption>Your tokens.</caption>
<thead><tr><th scope="col">Token</th><th scope="col">Label</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">State</th><th scope="col"><span class="muted">Action</span></th></tr></thead>
<tbody>${d.tokens.map((t) => html`<tr>
<td><code>${t.prefix}…</code></td><td>${t.label ?? ''}</td><td class="muted">${when(t.created_at)}</td><td class="muted">${when(t.last_used_at)}</td>
<td>${t.revoked_at ? html`<span class="badge closed">revoked</span>` : html`<span class="badge open">active</span>`}</td>
<td>${t.revoked_at ? '' : html`<form method="post" action="/me/tokens/${t.id}/revoke" class="inline"><input type="hidden" name="_csrf" value="${c.csrf}"><button type="submit" class="secondary">Revoke</button></form>`}</td>
</tr>`)}</tbody></table></div>
<form method="post" action="/me/tokens" class="toolbar">
  <input type="hidden" name="_csrf" value="${c.csrf}">
  <label for="label" class="inline">New token, label</label>
  <input type="text" id="label" name="label" maxlength="100" placeholder="e.g. lab cluster">
  <button type="submit">Create token</button>
</form>
`);
}
