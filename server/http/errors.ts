/** The one mapping from domain errors to HTTP answers. */
import * as E from '../domain/errors.ts';

const STATUS: [new (...a: never[]) => E.DomainError, number][] = [
  [E.InvalidInput, 400], [E.Unauthenticated, 401], [E.Forbidden, 403], [E.NotFound, 404],
  [E.UploadStalled, 408], [E.Conflict, 409], [E.TooLarge, 413], [E.QuotaExceeded, 429],
  [E.RateLimited, 429], [E.Unavailable, 503],
];

export function httpStatus(err: E.DomainError): number {
  for (const [cls, status] of STATUS) if (err instanceof cls) return status;
  return 500;
}

/** When to try again (seconds) for an error that says: a quota's reset, or a limiter's `retry_after`. */
export function retryAfter(err: E.DomainError): number | null {
  if (typeof err.extra.retry_after === 'number') return Math.max(1, Math.ceil(err.extra.retry_after));
  if (err instanceof E.QuotaExceeded && err.extra.resets_at) return Math.max(1, Math.ceil((Date.parse(String(err.extra.resets_at)) - Date.now()) / 1000));
  return null;
}
