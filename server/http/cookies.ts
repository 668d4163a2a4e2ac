/** The cookies of browser sessions, read in one place. */
import type { Request } from 'express';

export const SESSION_COOKIE = 'isb_session';
export const CSRF_COOKIE = 'isb_csrf';

export function cookies(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) {
      try { out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim()); } catch { /* a malformed cookie is no cookie */ }
    }
  }
  return out;
}
