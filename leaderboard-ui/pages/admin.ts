/** Administration: the scoring queue, moderation of submissions, re-scoring, and accounts. */
import { when } from '../format.ts';
import { html, type Html } from '../html.ts';
import { page, type PageContext } from '../layout.ts';

export interface AdminData {
  /** The readiness checks (/readyz): a failed one that blocks makes the server not ready; the others warn. */
  health: { name: string; ok: boolean; blocks: boolean; detail: string }[];
  queue: { user_name: string; queued: number; scoring: number }[];
  counts: Record<string, number>;
  submissions: { id: number; benchmark: string; user: string; method: string | null; status: string; hidden: boolean; baseline: boolean; private: boolean; created_at: string }[];
  benchmarks: { id: string; closed?: string }[];
  users: { id: number; name: string; admin: boolean; created_at: string; password: boolean; activeTokens: number; lastUsed: string | null }[];
  /** A user just created, with their token (shown once). */
  created?: { name: string; token: string };
}

export function adminPage(c: PageContext, d: AdminData): Html {
  const button = (action: string, label: string, secondary = true) => html`<form method="post" action="${action}" class="inline"><input type="hidden" name="_csrf" value="${c.csrf}"><button type="submit"${secondary ? html` class="secondary"` : ''}>${label}</button></form>`;
  return page(c, 'Admin', html`
<h1>Administration</h1>
<ul class="facts">${Object.entries(d.counts).map(([k, v]) => html`<li><strong>${v}</strong> ${k}</li>`)}</ul>

<h2>Health</h2>
<div tabindex="0" class="table-wrap compact"><table>
<caption>What <code>/readyz</code> checks (it answers 503 when a check marked “needed” fails). Prometheus metrics: <code>/metrics</code>.</caption>
<thead><tr><th scope="col">Check</th><th scope="col">State</th><th scope="col">Detail</th></tr></thead>
<tbody>${d.health.map((h) => html`<tr><td>${h.name}${h.blocks ? html` <span class="muted">(needed)</span>` : ''}</td><td><span class="status ${h.ok ? 'finished' : h.blocks ? 'failed' : 'queued'}">${h.ok ? 'ok' : h.blocks ? 'not ready' : 'warning'}</span></td><td>${h.detail}</td></tr>`)}</tbody>
</table></div>

<h2>Scoring queue</h2>
${d.queue.length ? html`<div tabindex="0" class="table-wrap compact"><table>
<caption>Queued and running submissions per user (the queue serves the user served longest ago first).</caption>
<thead><tr><th scope="col">User</th><th scope="col" class="num">Scoring</th><th scope="col" class="num">Queued</th></tr></thead>
<tbody>${d.queue.map((q) => html`<tr><td>${q.user_name}</td><td class="num">${q.scoring}</td><td class="num">${q.queued}</td></tr>`)}</tbody>
</table></div>` : html`<p class="muted">Nothing queued.</p>`}

<h2>Submissions</h2>
<div tabindex="0" class="table-wrap"><table>
<caption>The ${d.submissions.length} newest submissions. Hidden entries leave every board; baselines are always shown, one row each.</caption>
<thead><tr><th scope="col" class="num">#</th><th scope="col">Benchmark</th><th scope="col">User</th><th scope="col">Method</th><th scope="col">Status</th><th scope="col">Submitted</th><th scope="col">Actions</th></tr></thead>
<tbody>${d.submissions.map((s) => html`<tr>
<td class="num"><a href="/submissions/${s.id}">${s.id}</a></td><td class="nowrap">${s.benchmark}</td><td>${s.user}</td>
<td>${s.method ?? html`<span class="muted">unnamed</span>`}${s.baseline ? html`<span class="badge baseline">baseline</span>` : ''}${s.hidden ? html`<span class="badge closed">hidden</span>` : ''}${s.private ? html`<span class="badge private">private</span>` : ''}</td>
<td><span class="status ${s.status}">${s.status}</span></td><td class="muted nowrap">${when(s.created_at)}</td>
<td class="nowrap">${button(`/admin/submissions/${s.id}/${s.hidden ? 'unhide' : 'hide'}`, s.hidden ? 'Unhide' : 'Hide')}
${button(`/admin/submissions/${s.id}/${s.baseline ? 'unbaseline' : 'baseline'}`, s.baseline ? 'Not baseline' : 'Baseline')}
${s.status === 'finished' || s.status === 'failed' ? button(`/admin/submissions/${s.id}/rescore`, 'Re-score') : ''}
${button(`/admin/submissions/${s.id}/delete`, 'Delete')}</td>
</tr>`)}</tbody></table></div>

<h2>Re-score a benchmark</h2>
<p class="muted">Queues every finished or failed submission of the benchmark again (for a new evaluator version); earlier scores are kept.</p>
<ul>${d.benchmarks.map((b) => html`<li><code>${b.id}</code> ${b.closed ? html`<span class="badge closed">closed</span>` : button(`/admin/benchmarks/${b.id}/rescore`, 'Re-score all')}</li>`)}</ul>

<h2>Users</h2>
${d.created ? html`<div class="notice" role="status"><strong>${d.created.name}</strong> was created. Their API token (shown once): <pre tabindex="0">${d.created.token}</pre></div>` : ''}
<div tabindex="0" class="table-wrap"><table>
<caption>${d.users.length} accounts. Tokens are listed and revoked with <code>npm run -s admin -- tokens &lt;name&gt;</code> / <code>revoke-token &lt;id&gt;</code>, or by their owner on their page.</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Role</th><th scope="col">Password</th><th scope="col" class="num">Active tokens</th><th scope="col">Token last used</th><th scope="col">Created</th></tr></thead>
<tbody>${d.users.map((u) => html`<tr><td>${u.name}</td><td>${u.admin ? 'admin' : 'user'}</td><td>${u.password ? 'set' : html`<span class="muted">token only</span>`}</td><td class="num">${u.activeTokens}</td><td class="muted">${when(u.lastUsed)}</td><td class="muted">${when(u.created_at)}</td></tr>`)}</tbody>
</table></div>
<form method="post" action="/admin/users" class="toolbar">
  <input type="hidden" name="_csrf" value="${c.csrf}">
  <label for="newuser" class="inline">New user</label>
  <input type="text" id="newuser" name="name" pattern="[A-Za-z0-9_.\\-]{1,64}" required>
  <label class="inline"><input type="checkbox" name="admin" value="true"> admin</label>
  <button type="submit">Create</button>
</form>
`, { wide: true });
}
