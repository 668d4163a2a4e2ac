/** Errors that become HTTP answers; anything else is a 500 without details. */
import type { Problem } from '../evaluator/problems.ts';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: { problems?: Problem[]; [k: string]: unknown } = {},
  ) {
    super(message);
  }
}
