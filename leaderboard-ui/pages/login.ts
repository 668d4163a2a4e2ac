/** Sign in with a username and password, or by pasting an API token. */
import { html, type Html } from '../html.ts';
import { page, type PageContext } from '../layout.ts';

export function loginPage(c: PageContext, d: { error?: string; next: string; openSignup?: boolean }): Html {
  return page(c, 'Sign in', html`
<h1>Sign in</h1>
${d.error ? html`<p class="notice error" role="alert">${d.error}</p>` : ''}
<div class="grid">
<form method="post" action="/login" class="card">
  <input type="hidden" name="_csrf" value="${c.csrf}">
  <input type="hidden" name="next" value="${d.next}">
  <h2>With a password</h2>
  <label for="username">User name</label>
  <input type="text" id="username" name="username" autocomplete="username" required>
  <label for="password">Password</label>
  <input type="password" id="password" name="password" autocomplete="current-password" required>
  <p><button type="submit">Sign in</button></p>
</form>
<form method="post" action="/login" class="card">
  <input type="hidden" name="_csrf" value="${c.csrf}">
  <input type="hidden" name="next" value="${d.next}">
  <h2>With an API token</h2>
  <label for="token">API token</label>
  <input type="password" id="token" name="token" autocomplete="off" placeholder="isb_…" required>
  <p><button type="submit">Sign in</button></p>
  <p class="muted">${d.openSignup ? html`No account yet? <a href="/signup">Create one</a>.` : html`Accounts are made by the host (<code>npm run -s admin -- create-user &lt;name&gt;</code> prints a token).`}</p>
</form>
</div>
`);
}

export function signupPage(c: PageContext, d: { error?: string }): Html {
  return page(c, 'Create an account', html`
<h1>Create an account</h1>
${d.error ? html`<p class="notice error" role="alert">${d.error}</p>` : ''}
<form method="post" action="/signup" class="card">
  <input type="hidden" name="_csrf" value="${c.csrf}">
  <label for="username">User name <span class="muted">(letters, digits, _ . -; shown on leaderboards)</span></label>
  <input type="text" id="username" name="username" autocomplete="username" pattern="[A-Za-z0-9_.\-]{1,64}" required>
  <label for="password">Password <span class="muted">(at least 10 characters)</span></label>
  <input type="password" id="password" name="password" autocomplete="new-password" minlength="10" required>
  <p><button type="submit">Create the account</button></p>
</form>`);
}

export function errorPage(c: PageContext, status: number, message: string): Html {
  return page(c, `${status}`, html`<h1>${status === 404 ? 'Not found' : status === 403 ? 'Not allowed' : 'Something went wrong'}</h1><p class="lead">${message}</p><p><a href="/">Back to the benchmarks</a></p>`);
}
