/**
 * The HTTP API (express 5): shared middleware, one router per area (routes/), and the one place
 * where errors become answers. Handlers parse (zod) and authorise, then call one domain function;
 * domain errors map to statuses in errors.ts. No stack traces reach clients.
 */
import { bodyDeadline, bodyParserError, logAbortedBody } from './body.ts';
import compression from 'compression';
import express, { type NextFunction, type Request, type Response } from 'express';
import { ZodError } from 'zod';
import { problem } from '../../evaluator/index.ts';
import { FailureLimiter, SignInLimits } from '../domain/auth.ts';
import { authenticate, requireAdmin } from './routes/authenticate.ts';
import { DomainError, NotFound } from '../domain/errors.ts';
import { httpStatus, retryAfter } from './errors.ts';
import { accountRoutes } from './routes/accounts.ts';
import { adminRoutes } from './routes/admin.ts';
import type { AppContext, RouteContext } from './routes/context.ts';
import { hostingRoutes } from './routes/hosting.ts';
import { pageRoutes } from './routes/pages/index.ts';
import { leaderboardRoutes } from './routes/leaderboards.ts';
import { submissionRoutes } from './routes/submissions.ts';
import { UploadSlots } from './upload-receive.ts';
import { metricsAllowed } from './metrics-auth.ts';

export type { AppContext } from './routes/context.ts';

/**
 * On every response. The API serves JSON, CSV and files only: nothing may run, frame or be sniffed
 * into something else.
 */
const SECURITY_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

export function createApp(ctx: AppContext, slots = new UploadSlots(ctx.uploads.maxInProgress, ctx.uploads.maxPerUser)): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // the client address (per-address limits) comes from X-Forwarded-For only from the proxies the
  // host names (TRUST_PROXY); by default from nobody's, so no client can choose its own address
  app.set('trust proxy', ctx.trustProxy === '' ? false : /^\d+$/.test(ctx.trustProxy) ? Number(ctx.trustProxy) : ctx.trustProxy);
  const limiter = new FailureLimiter(ctx.authFailuresPerMinute);
  const touched = new Map<number, number>();
  const routes: RouteContext = {
    ctx,
    optionalAuth: authenticate(ctx.q, limiter, false, touched),
    requireAuth: authenticate(ctx.q, limiter, true, touched),
    requireAdmin,
    boards: ctx.boards,
    signIn: new SignInLimits(limiter),
    signUps: new FailureLimiter(ctx.signupsPerHour, 3_600_000),
  };

  app.use((_req, res, next) => { res.set(SECURITY_HEADERS); next(); });
  app.use((req, res, next) => {
    const t = performance.now();
    res.on('finish', () => {
      const seconds = (performance.now() - t) / 1000;
      // by route pattern (/submissions/:id), never by URL: one series per route, not per id
      const route = req.route ? `${req.baseUrl}${String(req.route.path)}` : req.path.startsWith('/static/') ? '/static' : 'unmatched';
      ctx.metrics.http.observe({ method: req.method, route, status: String(res.statusCode) }, seconds);
      ctx.log.debug({ method: req.method, url: req.originalUrl, status: res.statusCode, ms: Math.round(seconds * 1000) }, 'request');
    });
    next();
  });
  // HTML, JSON and CSV compressed (a 919-class submission page: 250 KB → ~35 KB); server-sent
  // events are not (each event must leave at once), nor pictures (already compressed)
  app.use(compression({ threshold: 1024, filter: (req, res) => !String(res.getHeader('content-type') ?? '').startsWith('text/event-stream') && compression.filter(req, res) }));
  app.use(bodyDeadline(ctx.bodyTimeoutMs, ctx.log));
  app.use(express.json({ limit: '64kb' }));

  // liveness: the process answers (no dependency is asked: a supervisor restarts only a dead process)
  app.get(['/healthz', '/api/health'], (_req, res) => { res.set('cache-control', 'no-store').json({ ok: true }); });
  // readiness: 503 naming what is not ready (the database, the datasets, the queue)
  app.get('/readyz', async (_req, res) => {
    const checks = await ctx.health();
    const notReady = checks.filter((c) => c.blocks && !c.ok).map((c) => c.name);
    const warnings = checks.filter((c) => !c.blocks && !c.ok).map((c) => `${c.name}: ${c.detail}`);
    res.status(notReady.length ? 503 : 200).set('cache-control', 'no-store')
      .json({ ready: !notReady.length, ...(notReady.length ? { not_ready: notReady } : {}), warnings, checks });
  });
  app.get('/metrics', async (req, res) => {
    if (!metricsAllowed(req.headers.authorization, ctx.metricsToken)) { res.status(401).set('www-authenticate', 'Bearer').json({ error: 'METRICS_TOKEN is set: send it as a bearer token' }); return; }
    res.set('cache-control', 'no-store').type(ctx.metrics.contentType).send(await ctx.metrics.text());
  });
  app.use('/api', hostingRoutes(routes));
  app.use('/api', leaderboardRoutes(routes));
  app.use('/api', submissionRoutes(routes, slots));
  app.use('/api', accountRoutes(routes));
  app.use('/api', adminRoutes(routes, slots));
  app.use('/api', (_req, _res, next) => next(new NotFound('no such route')));
  app.use(pageRoutes(routes, ctx.secureCookies, slots));

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) { res.end(); return; }
    if (err instanceof DomainError) {
      const wait = retryAfter(err);
      if (wait !== null) res.set('retry-after', String(wait));
      const { close, ...extra } = err.extra;
      if (close) res.set('connection', 'close');
      res.status(httpStatus(err)).json({ error: err.message, ...extra });
      return;
    }
    if (err instanceof ZodError) {
      res.status(400).json({ error: 'invalid request', problems: err.issues.map((i) => problem('invalid-field', i.path.join('.') || 'request', { message: i.message })) });
      return;
    }
    // the body parsers' own errors (a body that is not JSON, too large, aborted): their status, none of their text
    const body = bodyParserError(err);
    if (body?.aborted) { logAbortedBody(ctx.log, req, err); res.end(); return; }
    if (body) { res.status(body.status).json({ error: body.status === 413 ? 'request body too large' : 'invalid request' }); return; }
    ctx.log.error({ err, url: req.originalUrl }, 'unhandled error');
    res.status(500).json({ error: 'internal error' });
  });
  return app;
}
