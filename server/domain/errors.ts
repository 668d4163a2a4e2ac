/**
 * What can go wrong in the server's domain, as error classes. Domain modules (submissions, auth,
 * scoring, uploads) throw these and know nothing of HTTP; `httpStatus` (http/errors.ts) is the one
 * place that maps them to status codes. The admin CLI catches the same classes.
 */
import type { Problem } from '../../evaluator/index.ts';

export interface ErrorExtra { problems?: Problem[]; [k: string]: unknown }

export class DomainError extends Error {
  constructor(message: string, readonly extra: ErrorExtra = {}) {
    super(message);
    this.name = new.target.name;
  }
}
/** The request or its fields are not valid (with the problems, coded). */
export class InvalidInput extends DomainError {}
/** An upload failed its checks: every problem listed, nothing kept. */
export class UploadRejected extends InvalidInput {}
export class Unauthenticated extends DomainError {}
export class Forbidden extends DomainError {}
export class NotFound extends DomainError {}
/** The thing is in a state that does not allow this (a cancel that lost its race, a name taken). */
export class Conflict extends DomainError {}
export class TooLarge extends DomainError {}
/** An upload that stopped sending. */
export class UploadStalled extends DomainError {}
/** A daily submission quota is used up (`resets_at` says when it frees). */
export class QuotaExceeded extends DomainError {}
/** Too many of something at once (failed logins, uploads in progress): try again later. */
export class RateLimited extends DomainError {}
/** The benchmark is closed (its GT has problems). */
export class Unavailable extends DomainError {}
