/** What an administrator sees and does, for the API and the admin page alike. */
import type { AuthUser } from './auth.ts';
import { administerSubmission, type AccessContext } from './access.ts';
import type { Check } from './health.ts';
import { NotFound } from './errors.ts';
import { deleteSubmission, rescoreSubmission, type SubmitContext } from './submissions.ts';
import type { Scorer } from '../queue/scorer.ts';

export interface AdminContext extends SubmitContext, AccessContext { health: () => Promise<Check[]>; scorer: Scorer }

export async function adminView(ctx: AdminContext) {
  return {
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
  };
}

export const SUBMISSION_ACTIONS = ['hide', 'unhide', 'baseline', 'unbaseline', 'rescore', 'delete'] as const;
export type SubmissionAction = (typeof SUBMISSION_ACTIONS)[number];

/** One administrative action on a submission. */
export async function administer(ctx: AdminContext, viewer: AuthUser | undefined, id: number, action: string): Promise<void> {
  const s = administerSubmission(ctx, viewer, id);
  if (action === 'hide' || action === 'unhide') ctx.q.setFlag(s.id, 'hidden', action === 'hide');
  else if (action === 'baseline' || action === 'unbaseline') ctx.q.setFlag(s.id, 'baseline', action === 'baseline');
  else if (action === 'rescore') rescoreSubmission(ctx, s);
  else if (action === 'delete') await deleteSubmission(ctx, s.id);
  else throw new NotFound(`no action ${JSON.stringify(action)}`);
}

/** Every submission of a benchmark scored again (a new evaluator version); earlier scores are kept. */
export function rescoreBenchmark(ctx: AdminContext, benchmark: string): { benchmark: string; queued: number } {
  const b = ctx.catalogue.benchmarks.get(benchmark);
  if (!b) throw new NotFound('no such benchmark');
  const queued = ctx.q.requeueBenchmark(b.id);
  ctx.scorer.kick();
  return { benchmark: b.id, queued };
}
