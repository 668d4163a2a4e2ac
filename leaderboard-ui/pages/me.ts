/** My submissions (state, scores, links) and my API tokens (create, shown once; revoke). */
import { pct, when } from '../format.ts';
import { html, type Html } from '../html.ts';
import { page, type PageContext } from '../layout.ts';

export interface MySubmission { id: number; benchmark: string; status: string; method: string | null; mIoU: number | null; created_at: string; progress: { done: number; total: number } }
export interface MyToken { id: number; prefix: string; label: string | null; created_at: string; last_used_at: string | null; revoked_at: string | null; current: boolean }
/** A browser session of mine: where and when it was made and last seen; made from a password or a token. */
export interface MySession { id: number; created_at: string; last_seen_at: string | null; expires_at: string; address: string | null; agent: string | null; token_prefix: string | null; current: boolean }

export interface MeData {
  submissions: MySubmission[];
  tokens: MyToken[];
  sessions: MySession[];
  /** Whether the account has a password (the change form then asks for it). */
  hasPassword: boolean;
  /** A notice after an action on this page (a password changed, sessions ended). */
  notice?: string;
  /** Why the password form was refused. */
  passwordError?: string;
  quotas: { benchmark: string; limit: number; used: number; resetsAt: string }[];
  /** A token just created: shown this once. */
  newToken?: string;
}

export function mePage(c: PageContext, d: MeData): Html {
  const limited = d.quotas.filter((q) => q.limit > 0);
  return page(c, 'My submissions', html`
<h1>${c.viewer!.name}</h1>
<h2>My submissions</h2>
${d.submissions.length === 0 ? html`<p class="muted">None yet. See <a href="/#how">how to submit</a>.</p>` : html`<div tabindex="0" class="table-wrap"><table>
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
${d.newToken ? html`<div class="notice" role="status"><strong>Your new token</strong> (copy it now; it is not shown again):<pre tabindex="0">${d.newToken}</pre></div>` : ''}
<div tabindex="0" class="table-wrap"><table>
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

<h2>Signed-in browsers</h2>
<p class="lead">Each browser signed in to this account. A session made by pasting a token ends when the token is revoked; changing the password ends every session but this one.</p>
<div tabindex="0" class="table-wrap"><table>
<caption>Your ${d.sessions.length} session(s), newest first.</caption>
<thead><tr><th scope="col">Browser</th><th scope="col">Address</th><th scope="col">Signed in with</th><th scope="col">Signed in</th><th scope="col">Last seen</th><th scope="col"><span class="muted">Action</span></th></tr></thead>
<tbody>${d.sessions.map((s) => html`<tr>
<td>${browserName(s.agent)}${s.current ? html` <span class="badge open">this browser</span>` : ''}</td>
<td><code>${s.address ?? '?'}</code></td>
<td>${s.token_prefix ? html`token <code>${s.token_prefix}…</code>` : 'password'}</td>
<td class="muted">${when(s.created_at)}</td><td class="muted">${when(s.last_seen_at)}</td>
<td><form method="post" action="/me/sessions/${s.id}/end" class="inline"><input type="hidden" name="_csrf" value="${c.csrf}"><button type="submit" class="secondary">${s.current ? 'Sign out' : 'End'}</button></form></td>
</tr>`)}</tbody></table></div>
${d.sessions.length > 1 ? html`<form method="post" action="/me/sessions/end-others" class="toolbar"><input type="hidden" name="_csrf" value="${c.csrf}"><button type="submit" class="secondary">End every other session</button></form>` : ''}

<h2>Password</h2>
${d.notice ? html`<p class="notice" role="status">${d.notice}</p>` : ''}
${d.passwordError ? html`<p class="notice error" role="alert">${d.passwordError}</p>` : ''}
<form method="post" action="/me/password" class="card">
  <input type="hidden" name="_csrf" value="${c.csrf}">
  <input type="text" name="username" value="${c.viewer!.name}" autocomplete="username" hidden>
  ${d.hasPassword ? html`<label for="current">Current password</label>
  <input type="password" id="current" name="current" autocomplete="current-password" required>` : html`<p class="muted">This account has no password yet (it signs in with a token); set one to sign in with your name.</p>`}
  <label for="password">New password <span class="muted">(at least 10 characters)</span></label>
  <input type="password" id="password" name="password" autocomplete="new-password" minlength="10" required>
  <p><button type="submit">${d.hasPassword ? 'Change password' : 'Set password'}</button></p>
</form>
`);
}

/** A short name for a browser from its User-Agent ("Firefox on Linux"); the raw string is untrusted text. */
function browserName(agent: string | null): string {
  if (!agent) return 'unknown browser';
  const b = /Edg\//.test(agent) ? 'Edge' : /Firefox\//.test(agent) ? 'Firefox' : /Chrom(e|ium)\//.test(agent) ? 'Chrome' : /Safari\//.test(agent) ? 'Safari' : /curl\//.test(agent) ? 'curl' : null;
  const os = /Windows/.test(agent) ? 'Windows' : /Android/.test(agent) ? 'Android' : /iPhone|iPad/.test(agent) ? 'iOS' : /Mac OS X/.test(agent) ? 'macOS' : /Linux/.test(agent) ? 'Linux' : null;
  return b ? (os ? `${b} on ${os}` : b) : agent.slice(0, 40);
}
