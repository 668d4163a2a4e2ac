/** The page shell: head, navigation, main, footer. No inline scripts or styles (the CSP forbids them). */
import { html, type Html } from './html.ts';

export interface Viewer { name: string; admin: boolean }

export interface PageContext {
  viewer: Viewer | null;
  /** The double-submit CSRF token every form posts back (`_csrf`). */
  csrf: string;
  path: string;
}

export function page(c: PageContext, title: string, body: Html, opts: { wide?: boolean; scripts?: string[] } = {}): Html {
  const nav = (href: string, label: string) => html`<a href="${href}"${c.path === href || (href !== '/' && c.path.startsWith(href)) ? html` aria-current="page"` : ''}>${label}</a>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · ImageNet-S Bench</title>
<link rel="stylesheet" href="/static/style.css">
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
${(opts.scripts ?? []).map((s) => html`<script type="module" src="/static/js/${s}.js"></script>`)}
</head>
<body>
<header class="top">
  <div class="bar">
    <a class="brand" href="/">ImageNet-S <span>Bench</span></a>
    <nav aria-label="main">
      ${nav('/', 'Benchmarks')}
      ${c.viewer ? html`${nav('/submit', 'Submit')}${nav('/me', 'My submissions')}` : ''}
      ${c.viewer?.admin ? nav('/admin', 'Admin') : ''}
    </nav>
    <div class="who">
      ${c.viewer
        ? html`<span class="user">${c.viewer.name}</span>
          <form method="post" action="/logout" class="inline"><input type="hidden" name="_csrf" value="${c.csrf}"><button type="submit" class="link">Sign out</button></form>`
        : html`<a href="/login">Sign in</a>`}
    </div>
  </div>
</header>
<main class="${opts.wide ? 'wide' : ''}">
${body}
</main>
<footer>
  <p>ImageNet-S Bench scores submissions exactly as the official ImageNet-S toolbox does.
  Metrics: <a href="https://github.com/LUSSeg/ImageNet-S">LUSSeg/ImageNet-S</a>. API: <code>/api</code>.</p>
</footer>
</body>
</html>
`;
}
