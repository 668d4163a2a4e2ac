/**
 * Request bodies that arrive too slowly, or not at all. Node's own `requestTimeout`
 * (REQUEST_TIMEOUT_SECONDS, an hour, sized for a large upload on a slow link) was the only bound
 * on every body: a sign-in form posted one byte every ten seconds held its connection for an hour,
 * and enough of them held every descriptor. Now a body that is not an upload must arrive whole
 * within BODY_TIMEOUT_SECONDS (408, connection closed); uploads have their own idle timeout and
 * rate floor (upload-receive.ts), and say so by calling `exemptFromBodyDeadline`.
 *
 * A response sent before its request's body has arrived (a refusal, a 408) also closes the
 * connection: Node would otherwise go on reading the rest of that body to keep the connection
 * alive, at whatever pace the client chooses.
 */
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';

const DEADLINE = Symbol('body deadline');
type WithDeadline = Request & { [DEADLINE]?: NodeJS.Timeout };

/** How long a closing connection may take to flush its last response before it is cut. */
const CLOSE_GRACE_MS = 5_000;

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

export function bodyDeadline(ms: number, log: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    res.on('finish', () => {
      clearTimeout((req as WithDeadline)[DEADLINE]);
      if (req.complete || req.destroyed) return;
      const socket = req.socket;
      socket.end();
      setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
    });
    if (!hasBody(req)) { next(); return; }
    const timer = setTimeout(() => {
      if (req.complete || res.headersSent) return;
      log.warn({ method: req.method, url: req.originalUrl, ip: req.ip, received: req.socket.bytesRead }, `request body not received within ${ms / 1000} s; answered 408 and closed`);
      res.status(408).set('connection', 'close').json({ error: `the request body did not arrive within ${ms / 1000} s`, code: 'body-timeout' });
    }, ms);
    (req as WithDeadline)[DEADLINE] = timer;
    req.on('end', () => clearTimeout(timer));
    res.on('close', () => clearTimeout(timer));
    next();
  };
}

/** For a route that reads its body under limits of its own (an upload). */
export function exemptFromBodyDeadline(req: Request): void {
  clearTimeout((req as WithDeadline)[DEADLINE]);
}

/**
 * An error of express's body parsers (raw-body): its status, and whether the client went away
 * mid-body (nothing to answer; one warn line, not an error with a stack).
 */
export function bodyParserError(err: unknown): { status: number; aborted: boolean } | null {
  const e = err as { type?: unknown; status?: unknown };
  if (typeof e?.type !== 'string' || typeof e.status !== 'number' || e.status < 400 || e.status >= 500) return null;
  return { status: e.status, aborted: e.type === 'request.aborted' };
}

/** The one line an aborted body is worth. */
export function logAbortedBody(log: Logger, req: Request, err: unknown): void {
  const e = err as { received?: number; expected?: number };
  log.warn({ method: req.method, url: req.originalUrl, ip: req.ip, received: e.received, expected: e.expected }, 'request body aborted by the client');
}
