/**
 * The HTTP API (express 5). Handlers parse (zod) and authorise, then call one domain function.
 * No stack traces reach clients; paths are never built from user input without checks.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type { Logger } from 'pino';
import { z, ZodError } from 'zod';
import { Description, HttpUrl, MethodName, UserName } from './schemas.ts';
import { namesListText } from '../datasets/imagenet-s/splits.ts';
import { problem } from '../evaluator/index.ts';
import { authenticate, createUserWithToken, FailureLimiter, issueToken, requireAdmin } from './auth.ts';
import { Conflict, DomainError, Forbidden, InvalidInput, NotFound, QuotaExceeded, RateLimited } from './domain-errors.ts';
import { httpStatus } from './http-errors.ts';
import { boardCsv, rankRows, SORT_KEYS } from './leaderboard.ts';
import { ScoreCache } from './score-record.ts';
import type { Queries, SubmissionRow } from './queries.ts';
import type { Scorer } from './scorer.ts';
import { quotaLeft, submissionView, submit, type SubmitContext } from './submissions.ts';
import { receiveUpload, UploadSlots } from './upload-receive.ts';

export interface AppContext extends SubmitContext {
  scorer: Scorer;
  log: Logger;
  maxUploadBytes: number;
  authFailuresPerMinute: number;
  uploads: { idleMs: number; maxInProgress: number; maxPerUser: number };
  /** 'public': per-class results of private-GT submissions appear on boards too (the host opts in). */
  testDetail: 'owner' | 'public';
}

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

const Id = z.coerce.number().int().positive();
const WNID = /^n\d{8}$/;
const FILE = /^[A-Za-z0-9_.-]{1,200}$/;
const SUBSETS_PUBLIC_MASKS = new Set(['validation', 'train-semi']);

export function createApp(ctx: AppContext): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  const limiter = new FailureLimiter(ctx.authFailuresPerMinute);
  const touched = new Map<number, number>();
  const optionalAuth = authenticate(ctx.q, limiter, false, touched);
  const requireAuth = authenticate(ctx.q, limiter, true, touched);
  const slots = new UploadSlots(ctx.uploads.maxInProgress, ctx.uploads.maxPerUser);

  app.use((_req, res, next) => { res.set(SECURITY_HEADERS); next(); });
  app.use((req, res, next) => {
    const t = performance.now();
    res.on('finish', () => ctx.log.debug({ method: req.method, url: req.originalUrl, status: res.statusCode, ms: Math.round(performance.now() - t) }, 'request'));
    next();
  });
  app.use(express.json({ limit: '64kb' }));

  app.get('/api/health', (_req, res) => { res.json({ ok: true }); });

  // ---- dataset hosting ----
  app.get('/api/benchmarks', (_req, res) => {
    res.json([...ctx.catalogue.benchmarks.values()].map((b) => ({
      id: b.id, split: b.split.id, protocol: b.protocol, phase: b.phase, classes: b.classes, images: b.masks.length,
      open: !b.closed, ...(b.closed ? { closed: b.closed } : {}),
    })));
  });
  app.get('/api/splits', (_req, res) => {
    res.json([...ctx.catalogue.splits.values()].map((s) => ({
      id: s.id, name: s.name, classes: s.classes.length,
      subsets: Object.fromEntries(Object.entries(s.index.subsets).map(([k, v]) => [k, { images: v!.images, masks: k === 'test' ? undefined : v!.masks }])),
    })));
  });
  app.get('/api/splits/:split/classes', (req, res) => {
    const s = splitOf(req);
    res.json([{ id: 0, wnid: null, name: 'other' }, ...s.classes]);
  });
  app.get('/api/splits/:split/:subset/list', (req, res) => {
    const s = splitOf(req);
    const sub = subsetOf(s, req.params.subset);
    if (!sub) throw new NotFound(`no subset ${JSON.stringify(req.params.subset)} in ${s.name}`);
    res.type('text/plain').send(req.params.subset === 'train' ? sub.list.join('\n') : namesListText(sub.list));
  });
  app.get('/api/splits/:split/:subset/images/:wnid/:file', (req, res, next) => {
    const s = splitOf(req);
    if (!subsetOf(s, req.params.subset)) throw new NotFound('no such subset');
    sendChecked(res, next, join(s.dir, req.params.subset), req.params.wnid, req.params.file, /\.(jpe?g|png)$/i);
  });
  app.get('/api/splits/:split/:subset/masks/:wnid/:file', (req, res, next) => {
    const s = splitOf(req);
    // Test-split ground truth never leaves the server, by any route.
    if (!SUBSETS_PUBLIC_MASKS.has(req.params.subset)) throw new Forbidden(`${req.params.subset} masks are private to this server`);
    if (!subsetOf(s, req.params.subset)) throw new NotFound('no such subset');
    sendChecked(res, next, join(s.dir, `${req.params.subset}-segmentation`), req.params.wnid, req.params.file, /\.png$/);
  });

  // ---- leaderboards ----
  const BoardQuery = z.object({
    sort: z.enum(SORT_KEYS as [string, ...string[]]).default('mIoU'),
    order: z.enum(['asc', 'desc']).default('desc'),
    all: z.enum(['true', 'false', '1', '0']).optional(),
    format: z.enum(['json', 'csv']).default('json'),
  });
  // Anonymous board reads are cached per benchmark until its board version (bumped by database
  // triggers on every change a board can show, whoever makes it) moves.
  const boardCache = new Map<string, { version: number; type: string; body: string }>();
  const scores = new ScoreCache();
  const board = (req: Request, res: Response, csv: boolean): void => {
    const b = ctx.catalogue.benchmarks.get(String(req.params.benchmark));
    if (!b) throw new NotFound(`unknown benchmark ${JSON.stringify(req.params.benchmark)}`);
    const qy = BoardQuery.parse(req.query);
    const asCsv = csv || qy.format === 'csv';
    const key = `${b.id}|${qy.sort}|${qy.order}|${qy.all ?? ''}|${asCsv}`;
    const version = ctx.q.boardVersion(b.id);
    const hit = req.user ? undefined : boardCache.get(key);
    if (hit && hit.version === version) { send(hit.type, hit.body); return; }
    const perClass = !b.gtPrivate || ctx.testDetail === 'public';
    const rows = rankRows(ctx.q.boardRows(b.id, req.user?.id ?? null, false), scores, qy.sort as (typeof SORT_KEYS)[number], qy.order, qy.all === 'true' || qy.all === '1', perClass);
    const type = asCsv ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8';
    const body = asCsv ? boardCsv(rows) : JSON.stringify({ benchmark: b.id, sort: qy.sort, order: qy.order, rows });
    if (!req.user) boardCache.set(key, { version, type, body });
    send(type, body);
    function send(t: string, text: string): void {
      res.type(t);
      if (asCsv) res.attachment(`${b!.id}.csv`);
      res.send(text);
    }
  };
  app.get('/api/leaderboards/:benchmark.csv', optionalAuth, (req, res) => board(req, res, true));
  app.get('/api/leaderboards/:benchmark', optionalAuth, (req, res) => board(req, res, false));

  // ---- submissions ----
  app.post('/api/submissions', requireAuth, async (req, res) => {
    const release = slots.take(req.user!.id);
    if (!release) {
      res.set('retry-after', '30');
      throw new RateLimited('too many uploads in progress; try again when yours have finished', { close: true });
    }
    try {
      const tmp = join(ctx.dataDir, 'uploads');
      await mkdir(tmp, { recursive: true });
      const received = await receiveUpload(req, tmp, { maxBytes: ctx.maxUploadBytes, idleMs: ctx.uploads.idleMs });
      const row = await submit(ctx, req.user!, received);
      ctx.scorer.kick();
      res.status(202).location(`/api/submissions/${row.id}`).json({ id: row.id, status: row.status });
    } finally {
      release();
    }
  });
  app.get('/api/submissions', requireAuth, (req, res) => {
    res.json(ctx.q.submissionsOf(req.user!.id).map((s) => submissionView(ctx, s)));
  });
  app.get('/api/submissions/:id', requireAuth, (req, res) => {
    res.json(submissionView(ctx, ownOrAdmin(req)));
  });
  app.get('/api/submissions/:id/match.json', requireAuth, (req, res) => {
    const s = ownOrAdmin(req);
    if (!s.computed_match) throw new NotFound('no computed match for this submission');
    res.type('application/json').attachment(`match-${s.id}.json`).send(s.computed_match);
  });
  app.get('/api/submissions/:id/events', requireAuth, (req, res) => {
    const s = ownOrAdmin(req);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const send = (e: { status: string; done: number; total: number }): void => {
      res.write(`event: progress\ndata: ${JSON.stringify({ id: s.id, ...e })}\n\n`);
      if (['finished', 'failed', 'cancelled'].includes(e.status)) res.end();
    };
    const now = ctx.q.submission(s.id)!;
    send({ status: now.status, done: now.progress_done, total: now.images });
    if (res.writableEnded) return;
    const off = ctx.scorer.subscribe(s.id, send);
    const ping = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    res.on('close', () => { off(); clearInterval(ping); });
  });
  const MetaPatch = z.object({
    method: MethodName.nullable().optional(),
    description: Description.nullable().optional(),
    link: HttpUrl.nullable().optional(),
    private: z.boolean().optional(),
  }).strict();
  app.patch('/api/submissions/:id', requireAuth, (req, res) => {
    const s = own(req);
    ctx.q.updateMeta(s.id, MetaPatch.parse(req.body ?? {}));
    res.json(submissionView(ctx, ctx.q.submission(s.id)!));
  });
  app.delete('/api/submissions/:id', requireAuth, (req, res) => {
    const s = own(req);
    if (!ctx.scorer.cancel(s.id)) {
      // lost the race (or nothing to cancel): say what it became
      const now = ctx.q.submission(s.id);
      throw new Conflict(`submission ${s.id} is ${now?.status ?? 'deleted'}; only queued or scoring submissions can be cancelled`, { status: now?.status ?? 'deleted', ...(now ? { submission: submissionView(ctx, now) } : {}) });
    }
    res.json(submissionView(ctx, ctx.q.submission(s.id)!));
  });

  // ---- accounts ----
  app.get('/api/me', requireAuth, (req, res) => {
    const quotas = [...ctx.catalogue.benchmarks.values()].map((b) => ({ benchmark: b.id, ...quotaLeft(ctx, req.user!, b) }));
    res.json({ id: req.user!.id, name: req.user!.name, admin: req.user!.isAdmin, quotas });
  });
  app.get('/api/me/tokens', requireAuth, (req, res) => {
    res.json(ctx.q.tokensOf(req.user!.id).map((t) => ({ id: t.id, prefix: t.prefix, label: t.label, created_at: t.created_at, last_used_at: t.last_used_at, revoked_at: t.revoked_at, current: t.id === req.user!.tokenId })));
  });
  app.post('/api/me/tokens', requireAuth, (req, res) => {
    const { label } = z.object({ label: z.string().max(100).optional() }).strict().parse(req.body ?? {});
    res.status(201).json(issueToken(ctx.q, req.user!.id, label ?? null));
  });
  app.delete('/api/me/tokens/:id', requireAuth, (req, res) => {
    if (!ctx.q.revokeToken(Id.parse(req.params.id), req.user!.id)) throw new NotFound('no such active token');
    res.status(204).end();
  });

  // ---- admin ----
  app.post('/api/admin/users', requireAuth, requireAdmin, (req, res) => {
    const { name, admin } = z.object({ name: UserName, admin: z.boolean().default(false) }).strict().parse(req.body ?? {});
    const { user, token } = createUserWithToken(ctx.q, name, admin);
    res.status(201).json({ id: user.id, name: user.name, admin: user.is_admin === 1, token });
  });
  const Flag = z.object({ value: z.boolean().default(true) }).strict();
  app.post('/api/admin/submissions/:id/hide', requireAuth, requireAdmin, (req, res) => {
    const s = byId(req);
    ctx.q.setFlag(s.id, 'hidden', Flag.parse(req.body ?? {}).value);
    res.json(submissionView(ctx, ctx.q.submission(s.id)!));
  });
  app.post('/api/admin/submissions/:id/baseline', requireAuth, requireAdmin, (req, res) => {
    const s = byId(req);
    ctx.q.setFlag(s.id, 'baseline', Flag.parse(req.body ?? {}).value);
    res.json(submissionView(ctx, ctx.q.submission(s.id)!));
  });
  app.post('/api/admin/submissions/:id/rescore', requireAuth, requireAdmin, (req, res) => {
    const s = byId(req);
    if (!ctx.q.requeue(s.id)) throw new Conflict(`submission ${s.id} is ${s.status}; only finished or failed submissions are re-scored`);
    ctx.scorer.kick();
    res.status(202).json({ id: s.id, status: 'queued' });
  });
  app.post('/api/admin/benchmarks/:benchmark/rescore', requireAuth, requireAdmin, (req, res) => {
    const b = ctx.catalogue.benchmarks.get(String(req.params.benchmark));
    if (!b) throw new NotFound('unknown benchmark');
    const n = ctx.q.requeueBenchmark(b.id);
    ctx.scorer.kick();
    res.status(202).json({ benchmark: b.id, queued: n });
  });
  // Operations: memory, event-loop delay (since start or the last ?reset=true), uploads, queue.
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  app.get('/api/admin/metrics', requireAuth, requireAdmin, (req, res) => {
    const mem = process.memoryUsage();
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    const body = {
      memory: { rssMB: Math.round(mem.rss / 1048576), heapUsedMB: Math.round(mem.heapUsed / 1048576) },
      eventLoop: { maxMs: ms(loop.max), p99Ms: ms(loop.percentile(99)), meanMs: ms(loop.mean) },
      uploadsInProgress: slots.inProgress,
      queue: ctx.q.queueCounts(),
    };
    if (req.query.reset === 'true') loop.reset();
    res.json(body);
  });
  app.delete('/api/admin/submissions/:id', requireAuth, requireAdmin, async (req, res) => {
    const s = byId(req);
    // the row goes first: a scoring of it that ends now finds nothing to store (Scorer.score)
    const row = ctx.q.deleteSubmission(s.id);
    ctx.scorer.stopIfCurrent(s.id);
    if (row) await rm(join(ctx.dataDir, row.file), { force: true });
    res.status(204).end();
  });

  app.use('/api', (_req, _res, next) => next(new NotFound('no such route')));
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) { res.end(); return; }
    if (err instanceof DomainError) {
      if (err instanceof QuotaExceeded && err.extra.resets_at) res.set('retry-after', String(Math.max(1, Math.ceil((Date.parse(String(err.extra.resets_at)) - Date.now()) / 1000))));
      const { close, ...extra } = err.extra;
      if (close) res.set('connection', 'close');
      res.status(httpStatus(err)).json({ error: err.message, ...extra });
      return;
    }
    if (err instanceof ZodError) {
      res.status(400).json({ error: 'invalid request', problems: err.issues.map((i) => problem('invalid-field', i.path.join('.') || 'request', { message: i.message })) });
      return;
    }
    const status = (err as { status?: number; statusCode?: number }).status ?? (err as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500) { res.status(status).json({ error: status === 413 ? 'request body too large' : 'invalid request' }); return; }
    ctx.log.error({ err, url: req.originalUrl }, 'unhandled error');
    res.status(500).json({ error: 'internal error' });
  });

  /** A subset of a split by its URL name: own properties only (no `__proto__`, `toString`, …). */
  function subsetOf(s: ReturnType<typeof splitOf>, name: string) {
    return Object.hasOwn(s.index.subsets, name) ? s.index.subsets[name as keyof typeof s.index.subsets] : undefined;
  }
  function splitOf(req: Request) {
    const s = ctx.catalogue.splits.get(String(req.params.split));
    if (!s) throw new NotFound(`unknown split ${JSON.stringify(req.params.split)}`);
    return s;
  }
  function byId(req: Request): SubmissionRow {
    const s = ctx.q.submission(Id.parse(req.params.id));
    if (!s) throw new NotFound('no such submission');
    return s;
  }
  function ownOrAdmin(req: Request): SubmissionRow {
    const s = byId(req);
    if (s.user_id !== req.user!.id && !req.user!.isAdmin) throw new NotFound('no such submission');
    return s;
  }
  function own(req: Request): SubmissionRow {
    const s = byId(req);
    if (s.user_id !== req.user!.id) throw new NotFound('no such submission');
    return s;
  }
  return app;
}

/** Sends dir/wnid/file after checking both names and that the resolved path stays inside dir. */
function sendChecked(res: Response, next: NextFunction, dir: string, wnid: string, file: string, ext: RegExp): void {
  if (!WNID.test(wnid) || !FILE.test(file) || !ext.test(file) || file.startsWith('.')) throw new InvalidInput('invalid file name');
  const base = resolve(dir);
  const path = resolve(base, wnid, file);
  if (!path.startsWith(base + sep)) throw new InvalidInput('invalid file name');
  if (!existsSync(path)) throw new NotFound('no such file');
  res.sendFile(path, { dotfiles: 'deny', maxAge: '1d' }, (err) => { if (err && !res.headersSent) next(err); });
}
