/** The one mapping from domain errors to HTTP answers. */
import * as E from './domain-errors.ts';

const STATUS: [new (...a: never[]) => E.DomainError, number][] = [
  [E.InvalidInput, 400], [E.Unauthenticated, 401], [E.Forbidden, 403], [E.NotFound, 404],
  [E.UploadStalled, 408], [E.Conflict, 409], [E.TooLarge, 413], [E.QuotaExceeded, 429],
  [E.RateLimited, 429], [E.Unavailable, 503],
];

export function httpStatus(err: E.DomainError): number {
  for (const [cls, status] of STATUS) if (err instanceof cls) return status;
  return 500;
}
