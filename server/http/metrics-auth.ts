/** METRICS_TOKEN: when set, /metrics needs `Authorization: Bearer <token>` (compared in constant time). */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s).digest();

export function metricsAllowed(authorization: string | undefined, token: string | undefined): boolean {
  if (!token) return true;
  const m = /^Bearer (.+)$/.exec(authorization ?? '');
  return !!m && timingSafeEqual(digest(m[1]), digest(token));
}
