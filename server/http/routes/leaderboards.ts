/** Leaderboards, as JSON and CSV, for everyone (private rows to their owner only). */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { NotFound } from '../../domain/errors.ts';
import { boardCsv, INTERVALS, SORT_KEYS, type SortKey } from '../../domain/leaderboard.ts';
import type { RouteContext } from './context.ts';

const BoardQuery = z.object({
  sort: z.enum(SORT_KEYS as [SortKey, ...SortKey[]]).default('mIoU'),
  order: z.enum(['asc', 'desc']).default('desc'),
  all: z.enum(['true', 'false', '1', '0']).optional(),
  format: z.enum(['json', 'csv']).default('json'),
});

export function leaderboardRoutes({ ctx, optionalAuth, boards }: RouteContext): Router {
  const r = Router();
  const board = async (req: Request, res: Response, csv: boolean): Promise<void> => {
    const b = ctx.catalogue.benchmarks.get(String(req.params.benchmark));
    if (!b) throw new NotFound(`unknown benchmark ${JSON.stringify(req.params.benchmark)}`);
    const q = BoardQuery.parse(req.query);
    const rows = await boards.rows(b, req.user?.id ?? null, { sort: q.sort, order: q.order, all: q.all === 'true' || q.all === '1' });
    if (csv || q.format === 'csv') res.type('text/csv; charset=utf-8').attachment(`${b.id}.csv`).send(boardCsv(rows));
    else res.json({ benchmark: b.id, sort: q.sort, order: q.order, intervals: INTERVALS, rows });
  };
  r.get('/leaderboards/:benchmark.csv', optionalAuth, (req, res) => board(req, res, true));
  r.get('/leaderboards/:benchmark', optionalAuth, (req, res) => board(req, res, false));
  return r;
}
