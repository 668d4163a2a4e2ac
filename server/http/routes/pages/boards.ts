/** Pages: the home page (every benchmark and its leader), a board, and a comparison of entries. */
import { Router } from 'express';
import { z } from 'zod';
import { comparePage } from '../../../../leaderboard-ui/pages/compare.ts';
import { homePage } from '../../../../leaderboard-ui/pages/home.ts';
import { leaderboardPage } from '../../../../leaderboard-ui/pages/leaderboard.ts';
import type { Html } from '../../../../leaderboard-ui/html.ts';
import { readSubmission } from '../../../domain/access.ts';
import { InvalidInput, NotFound } from '../../../domain/errors.ts';
import { SORT_KEYS, type SortKey } from '../../../domain/leaderboard.ts';
import { pairedComparison, submissionView } from '../../../domain/submissions.ts';
import { intervalsUnreliable } from '../../../../evaluator/index.ts';
import { Id } from '../context.ts';
import { pc, send, type PageRouteContext } from './common.ts';

const BoardView = z.object({
  sort: z.enum(SORT_KEYS as [SortKey, ...SortKey[]]).default('mIoU'),
  order: z.enum(['asc', 'desc']).default('desc'),
  all: z.enum(['true', 'false']).optional(),
});

export function boardPages(c: PageRouteContext): Router {
  const { ctx, boards } = c;
  const r = Router();
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
      benchmark: { id: b.id, split: b.split.id, splitName: b.split.name, protocol: b.protocol, phase: b.phase, classes: b.classes, images: b.masks.length, closed: b.closed, gtPrivate: b.gtPrivate, intervalsUnreliable: intervalsUnreliable(b.masks.length, b.classes) },
      rows: await boards.rows(b, viewer, { sort: v.sort, order: v.order, all }),
      history: await boards.rows(b, viewer, { sort: v.sort, order: v.order, all: true }),
      sort: v.sort, order: v.order, all,
    });
    if (viewer === null) anonymousBoards.set(key, { version, body });
    send(res, body);
  });

  r.get('/compare', (req, res) => {
    const raw = [req.query.ids, req.query.id].flat().filter((x): x is string => typeof x === 'string').join(',');
    const ids = [...new Set(raw.split(',').filter(Boolean).map((x) => Id.parse(x)))];
    if (ids.length < 2 || ids.length > 4) throw new InvalidInput('compare two to four submissions: /compare?ids=12,34');
    const shown = ids.map((id) => readSubmission(ctx, req.user, id));
    const benchmark = shown[0].s.benchmark;
    if (shown.some((x) => x.s.benchmark !== benchmark)) throw new InvalidInput('the submissions compared must belong to one benchmark');
    // the reference every difference is taken against: any of the entries (?base=id), the first by default
    const baseId = req.query.base === undefined ? ids[0] : Id.parse(req.query.base);
    const base = shown.find((x) => x.s.id === baseId);
    if (!base) throw new InvalidInput(`base=${baseId} is not one of the submissions compared`);
    const entries = shown.map(({ s, perClass }) => {
      const view = submissionView(ctx, s);
      if (!view.metrics) throw new InvalidInput(`submission ${s.id} has no score yet`);
      return {
        id: s.id, user: ctx.q.userById(s.user_id)?.name ?? '?', method: s.method, metrics: view.metrics, classes: perClass ? view.classes ?? null : null,
        ci: view.ci ?? null, paired: s === base.s ? null : pairedComparison(ctx, base.s, s),
      };
    });
    // every pair on mIoU, each once (b against a, a listed first)
    const pairs = shown.flatMap((a, i) => shown.slice(i + 1).map((b) => ({ a: a.s.id, b: b.s.id, paired: pairedComparison(ctx, a.s, b.s)?.mIoU ?? null })));
    send(res, comparePage(pc(res), { benchmark, entries, base: base.s.id, pairs }));
  });
  return r;
}
