/**
 * The web pages (leaderboard-ui/), served by the same process: each handler gathers data from the
 * domain and hands it to a page function. Sessions are a cookie; every form carries a CSRF token
 * that must equal the `isb_csrf` cookie (double submit; cookies are SameSite=Lax).
 */
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { bodyParserError, logAbortedBody } from '../body.ts';
import { errorPage, loginPage, signupPage } from '../../../leaderboard-ui/pages/login.ts';
import { homePage } from '../../../leaderboard-ui/pages/home.ts';
import { leaderboardPage } from '../../../leaderboard-ui/pages/leaderboard.ts';
import { submissionPage, type SubmissionPageData } from '../../../leaderboard-ui/pages/submission.ts';
import type { PageContext } from '../../../leaderboard-ui/layout.ts';
import type { Html } from '../../../leaderboard-ui/html.ts';
import { Conflict, DomainError, Forbidden, InvalidInput, NotFound, RateLimited, Unauthenticated } from '../../domain/errors.ts';
import { createUserWithToken, issueToken, type AuthUser } from '../../domain/auth.ts';
import { readScoreRecord } from '../../domain/score-record.ts';
import { mePage } from '../../../leaderboard-ui/pages/me.ts';
import { comparePage } from '../../../leaderboard-ui/pages/compare.ts';
import { datasetPage } from '../../../leaderboard-ui/pages/dataset.ts';
import { overlayPng, predictionOverlay } from '../../domain/overlay.ts';
import { ZipSource } from '../../../evaluator/index.ts';
import { uploadLimits } from '../../domain/upload-check.ts';
import { PUBLIC_MASK_SUBSETS } from '../../domain/catalogue.ts';
import { httpStatus, retryAfter } from '../errors.ts';
import { cookies, CSRF_COOKIE, SESSION_COOKIE } from '../cookies.ts';
import { SORT_KEYS, type SortKey } from '../../domain/leaderboard.ts';
import { endSession, hashPassword, MIN_PASSWORD, sessionUser, setPassword, signIn, startSession, verifyPassword } from '../../domain/sessions.ts';
import { cancelSubmission, deleteSubmission, pairedComparison, quotaLeft, rescoreSubmission, resultJsonOf, submissionView, submit, utcDay } from '../../domain/submissions.ts';
import { adminPage, type AdminData } from '../../../leaderboard-ui/pages/admin.ts';
import { Description, HttpUrl, MethodName, UserName } from '../../domain/schemas.ts';
import { receiveUpload, type UploadSlots } from '../upload-receive.ts';
import { submitPage, type SubmitData } from '../../../leaderboard-ui/pages/submit.ts';
import { mkdir } from 'node:fs/promises';
import { Id, type RouteContext } from './context.ts';

const STATIC = join(import.meta.dirname, '..', '..', '..', 'leaderboard-ui', 'static');
/** Pages may load their own stylesheet and scripts, nothing inline, nothing from elsewhere. */
const PAGE_CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const SESSION = SESSION_COOKIE;
const CSRF = CSRF_COOKIE;

const BoardView = z.object({
  sort: z.enum(SORT_KEYS as [SortKey, ...SortKey[]]).default('mIoU'),
  order: z.enum(['asc', 'desc']).default('desc'),
  all: z.enum(['true', 'false']).optional(),
});
const ClassView = z.object({
  sort: z.enum(['id', 'name', 'IoU', 'BIoU']).default('IoU'),
  order: z.enum(['asc', 'desc']).default('desc'),
  q: z.string().max(100).default(''),
});
const EditForm = z.object({
  method: MethodName.optional(),
  description: Description.optional(),
  link: z.union([z.literal(''), HttpUrl]).optional(),
  private: z.literal('true').optional(),
});
const Login = z.union([
  z.object({ _csrf: z.string(), next: z.string().optional(), token: z.string().min(1).max(200) }),
  z.object({ _csrf: z.string(), next: z.string().optional(), username: z.string().min(1).max(64), password: z.string().min(1).max(500) }),
]);

export function pageRoutes(c: RouteContext, secureCookies: boolean, slots: UploadSlots): Router {
  const { ctx, boards } = c;
  const r = Router();
  r.use('/static', express.static(STATIC, { maxAge: '1h', index: false }));
  r.use((req, res, next) => {
    res.set('content-security-policy', PAGE_CSP);
    const jar = cookies(req);
    req.user = sessionUser(ctx.q, jar[SESSION]) ?? undefined;
    let csrf = jar[CSRF];
    if (!csrf || !/^[A-Za-z0-9_-]{43}$/.test(csrf)) {
      csrf = randomBytes(32).toString('base64url');
      res.cookie(CSRF, csrf, { httpOnly: true, sameSite: 'lax', secure: secureCookies, path: '/' });
    }
    res.locals.page = { viewer: req.user ? { name: req.user.name, admin: req.user.isAdmin } : null, csrf, path: req.path } satisfies PageContext;
    next();
  });
  r.use(express.urlencoded({ extended: false, limit: '16kb' }));
  // every state-changing form: the posted token (a field; in the query for multipart uploads,
  // checked before any byte of the file is read) must equal the cookie
  r.post('/*path', (req, _res, next) => {
    const sent = String(req.is('multipart/form-data') ? req.query._csrf ?? '' : (req.body as Record<string, unknown> | undefined)?._csrf ?? '');
    const want = (_res.locals.page as PageContext).csrf;
    // compared as bytes: a field of as many characters but more bytes (non-ASCII) is simply wrong
    const [a, b] = [Buffer.from(sent), Buffer.from(want)];
    const ok = a.length === b.length && timingSafeEqual(a, b);
    next(ok ? undefined : new Forbidden('the form has expired or did not come from this site; reload the page and try again'));
  });
  const send = (res: Response, body: Html, status = 200) => { res.status(status).type('html').send(body.value); };
  const pc = (res: Response) => res.locals.page as PageContext;

  r.get('/', async (req, res) => {
    const benchmarks = await Promise.all([...ctx.catalogue.benchmarks.values()].map(async (b) => {
      const rows = await boards.rows(b, null, { sort: 'mIoU', order: 'desc', all: false });
      const top = rows[0];
      return {
        id: b.id, split: b.split.id, splitName: b.split.name, protocol: b.protocol, phase: b.phase, classes: b.classes, images: b.masks.length,
        closed: b.closed, gtPrivate: b.gtPrivate, entries: rows.length,
        leader: top && typeof top.metrics.mIoU === 'number' ? { user: top.user, method: top.method, mIoU: top.metrics.mIoU } : null,
      };
    }));
    send(res, homePage(pc(res), { benchmarks, origin: `${req.protocol}://${req.get('host')}` }));
  });

  // anonymous leaderboard pages hold nothing personal (no form, no token): kept until the board changes
  const anonymousBoards = new Map<string, { version: number; body: Html }>();
  r.get('/leaderboards/:benchmark', async (req, res) => {
    const b = ctx.catalogue.benchmarks.get(String(req.params.benchmark));
    if (!b) throw new NotFound(`no benchmark ${JSON.stringify(req.params.benchmark)}`);
    const v = BoardView.parse(req.query);
    const viewer = req.user?.id ?? null;
    const all = v.all === 'true';
    const key = `${b.id}|${v.sort}|${v.order}|${all}`;
    const version = ctx.q.boardVersion(b.id);
    if (viewer === null) {
      const hit = anonymousBoards.get(key);
      if (hit && hit.version === version) { send(res, hit.body); return; }
    }
    const body = leaderboardPage(pc(res), {
      benchmark: { id: b.id, splitName: b.split.name, protocol: b.protocol, phase: b.phase, classes: b.classes, images: b.masks.length, closed: b.closed, gtPrivate: b.gtPrivate },
      rows: await boards.rows(b, viewer, { sort: v.sort, order: v.order, all }),
      history: await boards.rows(b, viewer, { sort: v.sort, order: v.order, all: true }),
      sort: v.sort, order: v.order, all,
    });
    if (viewer === null) anonymousBoards.set(key, { version, body });
    send(res, body);
  });

  /**
   * A submission as the viewer may see it: its owner and admins see everything; others see what
   * the leaderboard shows (visible, scored entries), and per-class results of a private-GT phase
   * only where the host made them public.
   */
  const visible = (req: Request, id: number) => {
    const s = ctx.q.submission(id);
    if (!s) throw new NotFound(`no submission ${id}`);
    const b = ctx.catalogue.benchmarks.get(s.benchmark);
    const own = !!req.user && (req.user.id === s.user_id || req.user.isAdmin);
    const onBoard = s.hidden === 0 && s.private === 0 && ['finished', 'queued', 'scoring'].includes(s.status) && !!ctx.q.latestScore(s.id);
    if (!own && !onBoard) throw new NotFound(`no submission ${id}`);
    return { s, own, perClass: own || !b?.gtPrivate || ctx.testDetail === 'public' };
  };
  r.get('/compare', (req, res) => {
    const raw = [req.query.ids, req.query.id].flat().filter((x): x is string => typeof x === 'string').join(',');
    const ids = [...new Set(raw.split(',').filter(Boolean).map((x) => Id.parse(x)))];
    if (ids.length < 2 || ids.length > 4) throw new InvalidInput('compare two to four submissions: /compare?ids=12,34');
    const shown = ids.map((id) => visible(req, id));
    const benchmark = shown[0].s.benchmark;
    if (shown.some((x) => x.s.benchmark !== benchmark)) throw new InvalidInput('the submissions compared must belong to one benchmark');
    const entries = shown.map(({ s, perClass }) => {
      const view = submissionView(ctx, s);
      if (!view.metrics) throw new InvalidInput(`submission ${s.id} has no score yet`);
      return {
        id: s.id, user: ctx.q.userById(s.user_id)?.name ?? '?', method: s.method, metrics: view.metrics, classes: perClass ? view.classes ?? null : null,
        ci: view.ci ?? null, paired: s === shown[0].s ? null : pairedComparison(ctx, shown[0].s, s),
      };
    });
    send(res, comparePage(pc(res), { benchmark, entries }));
  });

  r.get('/submissions/:id', (req, res) => {
    const { s, own, perClass } = visible(req, Id.parse(req.params.id));
    const view = submissionView(ctx, s);
    const data: SubmissionPageData = {
      ...view,
      user: ctx.q.userById(s.user_id)?.name ?? '?',
      classes: perClass ? view.classes : undefined,
      metrics: view.metrics,
      warnings: own ? view.warnings : [],
      problems: own ? view.problems : undefined,
      owner: !!req.user && req.user.id === s.user_id,
      // those handed to the queue and waiting for a worker are ahead of every submission still in SQLite
      queuePosition: view.waiting_for_worker?.position ?? (s.status === 'queued' ? (ctx.q.queuePosition(s.id) ?? 0) + ctx.scorer.waitingCount : null),
      workerWarning: view.status === 'queued' || view.status === 'scoring' ? workerWarning() : null,
      table: ClassView.parse(req.query),
    };
    if (!perClass) data.classes = undefined;
    send(res, submissionPage(pc(res), data));
  });

  // a baseline row's provenance: the converter's manifest (checksums, parity, preprocessing)
  r.get('/baselines/:id/manifest.json', (req, res) => {
    const row = ctx.baselines.get(Id.parse(req.params.id));
    if (!row || row.status !== 'submitted') throw new NotFound('no such baseline');
    res.type('application/json').send(JSON.stringify({ ...JSON.parse(row.manifest), run: { benchmark: row.benchmark, submission: row.submission_id, images: row.images, seconds: row.seconds, provider: row.provider, passed_over: row.fallbacks ? JSON.parse(row.fallbacks) : [], runtime: row.runtime, finished_at: row.finished_at } }, null, 2));
  });

  // error analysis and reproduction: public-GT phases only (resultJsonOf and the checks below)
  r.get('/submissions/:id/result.json', (req, res) => {
    const { s } = visible(req, Id.parse(req.params.id));
    const result = resultJsonOf(ctx, s);
    if (!result) throw new NotFound('no verifiable result for this submission (a private-GT phase, or scored before results carried their resamples)');
    res.type('application/json').attachment(`result-${s.id}.json`).send(JSON.stringify(result));
  });
  r.get('/submissions/:id/prediction/:index.webp', async (req, res) => {
    const { s } = visible(req, Id.parse(req.params.id));
    const b = ctx.catalogue.benchmarks.get(s.benchmark);
    const index = Number(req.params.index);
    if (!b || b.gtPrivate || !Number.isInteger(index) || index < 0 || index >= b.masks.length) throw new NotFound('no such image');
    // only a scored upload: it passed every check of its masks, not just the upload's
    if (s.status !== 'finished') throw new NotFound('no prediction to show before the submission is scored');
    const rel = b.masks[index];
    // read only when the picture is not cached yet; bounded by the entry's checked extent
    const readMask = async () => {
      const source = await ZipSource.open(join(ctx.dataDir, s.file), b.masks, uploadLimits(b));
      try { return new Uint8Array(await source.read(rel)); } finally { await source.close(); }
    };
    const m = s.match ?? s.computed_match;
    const match = m ? new Map(Object.entries(JSON.parse(m) as Record<string, number>).map(([k, v]) => [Number(k), v])) : null;
    const image = join(b.split.dir, b.phase, rel.replace(/\.png$/, '.JPEG'));
    const body = await predictionOverlay(image, readMask, match, `${s.id}/${s.file}/${index}`, join(ctx.dataDir, 'cache', 'overlays'));
    res.type('image/webp').set('cache-control', 'private, max-age=86400').send(body);
  });

  const ownSubmission = (req: Request) => {
    const user = signedIn(req);
    const s = ctx.q.submission(Id.parse(req.params.id));
    if (!s || s.user_id !== user.id) throw new NotFound('no such submission');
    return s;
  };
  r.post('/submissions/:id/edit', (req, res) => {
    const s = ownSubmission(req);
    const parsed = EditForm.safeParse(req.body);
    if (!parsed.success) throw new InvalidInput(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    const f = parsed.data;
    ctx.q.updateMeta(s.id, { method: f.method || null, description: f.description || null, link: f.link || null, private: f.private === 'true' });
    res.redirect(303, `/submissions/${s.id}`);
  });
  r.post('/submissions/:id/cancel', (req, res) => {
    const s = ownSubmission(req);
    cancelSubmission(ctx, s);
    res.redirect(303, `/submissions/${s.id}`);
  });
  const meData = (user: NonNullable<Request['user']>, newToken?: string, extra: { notice?: string; passwordError?: string } = {}) => ({
    ...extra,
    sessions: ctx.q.sessionsOf(user.id, new Date().toISOString()).map((x) => ({ ...x, current: x.id === user.sessionId })),
    hasPassword: !!ctx.q.userById(user.id)?.password_hash,
    submissions: ctx.q.submissionsOf(user.id).map((s) => {
      const score = ctx.q.latestScore(s.id);
      return { id: s.id, benchmark: s.benchmark, status: s.status, method: s.method, created_at: s.created_at, progress: { done: s.progress_done, total: s.images }, mIoU: score ? readScoreRecord(score.record).metrics.mIoU : null };
    }),
    tokens: ctx.q.tokensOf(user.id).map((t) => ({ id: t.id, prefix: t.prefix, label: t.label, created_at: t.created_at, last_used_at: t.last_used_at, revoked_at: t.revoked_at, current: t.id === user.tokenId })),
    // one line per quota: the protocols of one split's test phase share theirs
    quotas: [...new Map([...ctx.catalogue.benchmarks.values()].map((b) => {
      const q = quotaLeft(ctx, user, b);
      const scope = q.shared.length > 1 ? `${b.split.name} ${b.phase} (all protocols)` : b.id;
      return [scope, { benchmark: scope, limit: q.limit, used: q.used, resetsAt: q.resetsAt }] as const;
    })).values()],
    newToken,
  });
  const signedIn = (req: Request) => {
    if (!req.user) throw new Unauthenticated('sign in first');
    return req.user;
  };
  r.get('/me', (req, res) => {
    if (!req.user) { res.redirect(303, `/login?next=${encodeURIComponent('/me')}`); return; }
    send(res, mePage(pc(res), meData(req.user)));
  });
  r.post('/me/tokens', (req, res) => {
    const user = signedIn(req);
    const { label } = z.object({ label: z.string().max(100).optional() }).parse(req.body);
    const { token } = issueToken(ctx.q, user.id, label || null);
    res.set('cache-control', 'no-store');
    send(res, mePage(pc(res), meData(user, token)));
  });
  r.post('/me/tokens/:id/revoke', (req, res) => {
    const user = signedIn(req);
    if (!ctx.q.revokeToken(Id.parse(req.params.id), user.id)) throw new NotFound('no such active token');
    // revoking the token this browser signed in with ends this session too
    if (!req.user?.sessionId || !ctx.q.sessionsOf(user.id, new Date().toISOString()).some((x) => x.id === req.user!.sessionId)) {
      res.clearCookie(SESSION, { path: '/' });
      res.redirect(303, '/login');
      return;
    }
    res.redirect(303, '/me');
  });
  r.post('/me/sessions/:id/end', (req, res) => {
    const user = signedIn(req);
    const id = Id.parse(req.params.id);
    if (!ctx.q.endSessionOf(user.id, id)) throw new NotFound('no such session');
    if (id === user.sessionId) { res.clearCookie(SESSION, { path: '/' }); res.redirect(303, '/'); return; }
    res.redirect(303, '/me');
  });
  r.post('/me/sessions/end-others', (req, res) => {
    const user = signedIn(req);
    const ended = ctx.q.endSessionsOf(user.id, user.sessionId ?? null);
    send(res, mePage(pc(res), meData(user, undefined, { notice: `${ended} other session(s) ended.` })));
  });
  r.post('/me/password', async (req, res) => {
    const user = signedIn(req);
    const f = z.object({ current: z.string().max(500).optional(), password: z.string().max(500) }).safeParse(req.body);
    const again = (passwordError: string, status: number) => send(res, mePage(pc(res), meData(user, undefined, { passwordError })), status);
    if (!f.success) { again('Fill in the new password.', 400); return; }
    const address = req.ip ?? 'unknown';
    const row = ctx.q.userById(user.id)!;
    try {
      // the current password, when there is one, is checked as a sign-in is (and limited the same way)
      if (row.password_hash) {
        c.signIn.check(address, row.name);
        if (!(await verifyPassword(f.data.current ?? '', row.password_hash))) {
          c.signIn.failed(address, row.name);
          again('The current password is not right.', 400);
          return;
        }
        c.signIn.succeeded(row.name);
      }
      const ended = await setPassword(ctx.q, user.id, f.data.password, user.sessionId ?? null);
      ctx.log.info({ user: user.id, sessionsEnded: ended }, 'password changed');
      send(res, mePage(pc(res), meData(user, undefined, { notice: `Password ${row.password_hash ? 'changed' : 'set'}; ${ended} other session(s) ended.` })));
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      const wait = retryAfter(e);
      if (wait !== null) res.set('retry-after', String(wait));
      again(e.message, httpStatus(e));
    }
  });

  const submitData = (user: NonNullable<Request['user']>, extra: Partial<SubmitData> = {}): SubmitData => ({
    benchmarks: [...ctx.catalogue.benchmarks.values()].map((b) => {
      const q = quotaLeft(ctx, user, b);
      return { id: b.id, label: `${b.split.name} · ${b.protocol} · ${b.phase}`, open: !b.closed, quota: b.closed ? 'closed' : q.limit > 0 ? `${q.limit - q.used} of ${q.limit} left today` : 'no daily limit' };
    }),
    maxUploadMB: Math.round(ctx.maxUploadBytes / 1048576),
    resetsAt: utcDay().next,
    ...extra,
  });
  r.get('/submit', (req, res) => {
    if (!req.user) { res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`); return; }
    send(res, submitPage(pc(res), submitData(req.user, { selected: typeof req.query.benchmark === 'string' ? req.query.benchmark : undefined })));
  });
  r.post('/submit', async (req, res) => {
    const user = signedIn(req);
    const release = slots.take(user.id);
    if (!release) { send(res, submitPage(pc(res), submitData(user, { error: 'you have uploads in progress; wait for them to finish' })), 429); return; }
    let benchmark: string | undefined;
    try {
      const tmp = join(ctx.dataDir, 'uploads');
      await mkdir(tmp, { recursive: true });
      const received = await receiveUpload(req, tmp, { maxBytes: ctx.maxUploadBytes, idleMs: ctx.uploads.idleMs, minBytesPerSecond: ctx.uploads.minBytesPerSecond, inFlight: slots.received });
      benchmark = received.fields.benchmark;
      if (received.fields.private !== 'true') delete received.fields.private;
      for (const k of ['method', 'description', 'link']) if (!received.fields[k]) delete received.fields[k];
      const row = await submit(ctx, user, received);
      ctx.scorer.kick();
      res.redirect(303, `/submissions/${row.id}`);
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      const problems = (e.extra.problems ?? []) as SubmitData['problems'];
      send(res, submitPage(pc(res), submitData(user, { selected: benchmark, error: e.message, problems })), httpStatus(e) === 413 ? 413 : 200);
    } finally {
      release();
    }
  });

  const PER_PAGE = 48;
  r.get('/datasets/:split', (req, res) => {
    const s = ctx.catalogue.splits.get(String(req.params.split));
    if (!s) throw new NotFound(`no split ${JSON.stringify(req.params.split)}`);
    const q = z.object({ subset: z.string().optional(), page: z.coerce.number().int().positive().default(1) }).parse(req.query);
    const subsets = Object.entries(s.index.subsets).map(([name, v]) => ({ name, images: v!.images, masks: PUBLIC_MASK_SUBSETS.has(name) ? v!.masks : name === 'train' ? 0 : null, browsable: PUBLIC_MASK_SUBSETS.has(name) && v!.masks > 0 }));
    let browse = null;
    if (q.subset) {
      const sub = Object.hasOwn(s.index.subsets, q.subset) ? s.index.subsets[q.subset as keyof typeof s.index.subsets] : undefined;
      if (!sub || !PUBLIC_MASK_SUBSETS.has(q.subset)) throw new NotFound(`no public subset ${JSON.stringify(q.subset)} to browse`);
      const pages = Math.max(1, Math.ceil(sub.list.length / PER_PAGE));
      const pageNo = Math.min(q.page, pages);
      browse = { subset: q.subset, items: sub.list.slice((pageNo - 1) * PER_PAGE, pageNo * PER_PAGE), page: pageNo, pages };
    }
    send(res, datasetPage(pc(res), { split: { id: s.id, name: s.name }, subsets, classes: [{ id: 0, wnid: null, name: 'other' }, ...s.classes], browse }));
  });
  r.get('/datasets/:split/:subset/overlay/:wnid/:file', async (req, res) => {
    const s = ctx.catalogue.splits.get(String(req.params.split));
    const subset = String(req.params.subset);
    // test ground truth never leaves the server, not even blended into a picture
    if (!s || !PUBLIC_MASK_SUBSETS.has(subset) || !Object.hasOwn(s.index.subsets, subset)) throw new NotFound('no such image');
    const rel = `${req.params.wnid}/${req.params.file}`;
    if (!/^n\d{8}\/[A-Za-z0-9_.-]{1,200}\.png$/.test(rel) || !s.index.subsets[subset as 'validation']!.list.includes(rel)) throw new NotFound('no such image');
    const image = join(s.dir, subset, rel.replace(/\.png$/, '.JPEG'));
    const body = await overlayPng(image, join(s.dir, `${subset}-segmentation`, rel), join(ctx.dataDir, 'cache', 'overlays'));
    res.type('image/webp').set('cache-control', 'public, max-age=86400').send(body);
  });

  // ---- administration ----
  const admin = (req: Request) => {
    const user = signedIn(req);
    if (!user.isAdmin) throw new Forbidden('admins only');
    return user;
  };
  /** With queue workers: a line when none has been seen for WORKER_SILENT_SECONDS (from the last health check). */
  const workerWarning = (): string | null => {
    const h = ctx.scorer.lastQueueHealth;
    if (!ctx.scorer.queued) return null;
    void ctx.scorer.queueHealth().catch(() => {}); // refreshed for the next view; this one uses the last answer
    if (!h) return null;
    if (!h.reachable) return 'The scoring queue does not answer; the administrators have been told by the server\'s readiness check.';
    if (h.workerSeenAt === null) return 'No scoring worker has been seen yet: scoring starts when one runs.';
    const silent = Date.now() - h.workerSeenAt;
    return silent > ctx.workerSilentMs ? `No scoring worker seen for ${Math.round(silent / 60_000) || 1} min: scoring starts when one runs again.` : null;
  };
  const adminData = async (created?: AdminData['created']): Promise<AdminData> => ({
    health: await ctx.health(),
    queue: ctx.q.queueByUser(),
    counts: ctx.q.queueCounts(),
    submissions: ctx.q.recentSubmissions(200).map((s) => ({ id: s.id, benchmark: s.benchmark, user: s.user_name, method: s.method, status: s.status, hidden: s.hidden === 1, baseline: s.baseline === 1, private: s.private === 1, created_at: s.created_at })),
    benchmarks: [...ctx.catalogue.benchmarks.values()].map((b) => ({ id: b.id, closed: b.closed })),
    users: ctx.q.listUsers().map((u) => {
      const tokens = ctx.q.tokensOf(u.id);
      const used = tokens.map((t) => t.last_used_at).filter((t): t is string => !!t).sort();
      return { id: u.id, name: u.name, admin: u.is_admin === 1, created_at: u.created_at, password: !!u.password_hash, activeTokens: tokens.filter((t) => !t.revoked_at).length, lastUsed: used.at(-1) ?? null };
    }),
    created,
  });
  r.get('/admin', async (req, res) => {
    admin(req);
    send(res, adminPage(pc(res), await adminData()));
  });
  r.post('/admin/submissions/:id/:action', async (req, res) => {
    admin(req);
    const s = ctx.q.submission(Id.parse(req.params.id));
    if (!s) throw new NotFound('no such submission');
    const action = String(req.params.action);
    if (action === 'hide' || action === 'unhide') ctx.q.setFlag(s.id, 'hidden', action === 'hide');
    else if (action === 'baseline' || action === 'unbaseline') ctx.q.setFlag(s.id, 'baseline', action === 'baseline');
    else if (action === 'rescore') rescoreSubmission(ctx, s);
    else if (action === 'delete') await deleteSubmission(ctx, s.id);
    else throw new NotFound(`no action ${JSON.stringify(action)}`);
    res.redirect(303, '/admin');
  });
  r.post('/admin/benchmarks/:benchmark/rescore', (req, res) => {
    admin(req);
    const b = ctx.catalogue.benchmarks.get(String(req.params.benchmark));
    if (!b) throw new NotFound('no such benchmark');
    ctx.q.requeueBenchmark(b.id);
    ctx.scorer.kick();
    res.redirect(303, '/admin');
  });
  r.post('/admin/users', async (req, res) => {
    admin(req);
    const f = z.object({ name: UserName, admin: z.literal('true').optional() }).safeParse(req.body);
    if (!f.success) throw new InvalidInput(f.error.issues[0].message);
    const { user, token } = createUserWithToken(ctx.q, f.data.name, f.data.admin === 'true');
    res.set('cache-control', 'no-store');
    send(res, adminPage(pc(res), await adminData({ name: user.name, token })));
  });

  r.get('/login', (req, res) => {
    send(res, loginPage(pc(res), { next: safeNext(req.query.next), openSignup: ctx.openSignup }));
  });
  /** A new browser session for `user`, begun on this response; the CSRF cookie is renewed with it. */
  const beginSession = (req: Request, res: Response, userId: number, tokenId: number | null) => {
    const session = startSession(ctx.q, userId, { tokenId, address: req.ip ?? null, agent: req.get('user-agent') ?? null });
    res.cookie(SESSION, session.token, { httpOnly: true, sameSite: 'lax', secure: secureCookies, path: '/', expires: session.expires });
    res.cookie(CSRF, randomBytes(32).toString('base64url'), { httpOnly: true, sameSite: 'lax', secure: secureCookies, path: '/' });
  };
  /** A refused sign-in or sign-up: the form again with the reason, and the status (with Retry-After) that says why. */
  const refused = (res: Response, e: DomainError, form: (error: string) => Html) => {
    const wait = retryAfter(e);
    if (wait !== null) res.set('retry-after', String(wait));
    send(res, form(e.message), e instanceof Unauthenticated || e instanceof InvalidInput || e instanceof Conflict ? 200 : httpStatus(e));
  };
  if (ctx.openSignup) {
    r.get('/signup', (_req, res) => { send(res, signupPage(pc(res), {})); });
    r.post('/signup', async (req, res) => {
      const f = z.object({ username: UserName, password: z.string().min(MIN_PASSWORD, `a password has at least ${MIN_PASSWORD} characters`).max(500) }).safeParse(req.body);
      if (!f.success) { send(res, signupPage(pc(res), { error: f.error.issues[0].message })); return; }
      try {
        const address = req.ip ?? 'unknown';
        // every attempt that reaches the hash counts, made or not (a taken name costs a hash too)
        const wait = c.signUps.wait(address);
        if (wait > 0) throw new RateLimited(`too many accounts made from your address; try again in ${Math.ceil(wait / 60)} min`, { retry_after: wait });
        c.signUps.fail(address);
        const password = await hashPassword(f.data.password);
        const { user } = createUserWithToken(ctx.q, f.data.username, false);
        ctx.q.setPasswordHash(user.id, password);
        beginSession(req, res, user.id, null);
        res.redirect(303, '/me');
      } catch (e) {
        if (!(e instanceof DomainError)) throw e;
        refused(res, e, (error) => signupPage(pc(res), { error }));
      }
    });
  }
  r.post('/login', async (req, res) => {
    const form = Login.safeParse(req.body);
    const next = safeNext((req.body as { next?: string })?.next);
    if (!form.success) { send(res, loginPage(pc(res), { error: 'Fill in a user name and password, or a token.', next }), 400); return; }
    const address = req.ip ?? 'unknown';
    const account = 'username' in form.data ? form.data.username : null;
    try {
      c.signIn.check(address, account);
      let user: AuthUser;
      try {
        user = await signIn(ctx.q, 'token' in form.data ? { token: form.data.token } : { username: form.data.username, password: form.data.password });
      } catch (e) {
        if (e instanceof Unauthenticated) c.signIn.failed(address, account);
        throw e;
      }
      c.signIn.succeeded(account);
      beginSession(req, res, user.id, user.tokenId > 0 ? user.tokenId : null);
      res.redirect(303, next);
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      // the form again, with the reason (a page, not an error: the browser shows it as one)
      refused(res, e, (error) => loginPage(pc(res), { error, next }));
    }
  });
  r.post('/logout', (req, res) => {
    endSession(ctx.q, cookies(req)[SESSION]);
    res.clearCookie(SESSION, { path: '/' });
    res.redirect(303, '/');
  });

  // pages answer errors as pages (the API keeps its JSON)
  r.use((req: Request, _res: Response, next: NextFunction) => { if (req.path.startsWith('/api')) next(); else next(new NotFound(`no page at ${req.path}`)); });
  r.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (req.path.startsWith('/api') || res.headersSent) { next(err); return; }
    if (err instanceof DomainError) {
      const wait = retryAfter(err);
      if (wait !== null) res.set('retry-after', String(wait));
      send(res, errorPage(pc(res), httpStatus(err), err.message), httpStatus(err));
      return;
    }
    if (err instanceof z.ZodError) { send(res, errorPage(pc(res), 400, 'That view does not exist (check the address).'), 400); return; }
    const body = bodyParserError(err);
    if (body?.aborted) { logAbortedBody(ctx.log, req, err); res.end(); return; }
    if (body) { send(res, errorPage(pc(res), body.status, body.status === 413 ? 'The form sent more than a form can hold.' : 'The form could not be read.'), body.status); return; }
    ctx.log.error({ err, url: req.originalUrl }, 'page error');
    send(res, errorPage(pc(res), 500, 'The server failed on this page; the administrators have the details.'), 500);
  });
  return r;
}

/** Where to go after signing in: a local path only. */
function safeNext(v: unknown): string {
  const s = typeof v === 'string' ? v : '/';
  return /^\/(?!\/)[\w\-./?=&%#]*$/.test(s) ? s : '/';
}

