/**
 * HTML from template literals, escaped by default: every interpolated value is text unless it is
 * already `Html` (the result of another `html` template, or `raw()` for markup we built ourselves).
 * Arrays are joined; null, undefined and false render nothing. Pages are functions from data to
 * `Html`, so user-supplied strings (method names, descriptions, links, user names) cannot become
 * markup.
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string { return this.value; }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

function render(v: unknown): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Html) return v.value;
  if (Array.isArray(v)) return v.map(render).join('');
  return escapeHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new Html(out);
}

/** Markup we generated ourselves (SVG paths, numbers): never user input. */
export function raw(s: string): Html {
  return new Html(s);
}

/** An http(s) URL, or null: anything else (javascript:, data:, relative tricks) is not a link. */
export function safeUrl(u: string | null | undefined): string | null {
  if (!u) return null;
  try {
    const url = new URL(u);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

/** A query string from the current one with `changes` applied (null removes a key). */
export function withQuery(path: string, current: Record<string, string | undefined>, changes: Record<string, string | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...current, ...changes })) if (v !== null && v !== undefined && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}
