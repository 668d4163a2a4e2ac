/**
 * A user's own account, as its owner sees and changes it, for the API and the pages alike: tokens,
 * browser sessions, submissions, quotas; a password change; an open sign-up.
 */
import type { AuthUser, FailureLimiter, SignInLimits } from './auth.ts';
import { createUserWithToken } from './auth.ts';
import type { Catalogue } from './catalogue.ts';
import { InvalidInput, RateLimited } from './errors.ts';
import { readScoreRecord } from './score-record.ts';
import { hashPassword, setPassword, verifyPassword } from './sessions.ts';
import { quotaLeft, type SubmitContext } from './submissions.ts';
import type { Queries } from '../storage/queries.ts';

export function tokensOf(q: Queries, user: AuthUser) {
  return q.tokensOf(user.id).map((t) => ({ id: t.id, prefix: t.prefix, label: t.label, created_at: t.created_at, last_used_at: t.last_used_at, revoked_at: t.revoked_at, current: t.id === user.tokenId }));
}

/** Browser sessions: where and when each was made and last seen; `current` is the viewer's own. */
export function sessionsOf(q: Queries, user: AuthUser) {
  return q.sessionsOf(user.id, new Date().toISOString()).map((x) => ({ ...x, current: x.id === user.sessionId }));
}

/** One line per quota: the protocols of one split's test phase share theirs. */
export function quotasOf(ctx: SubmitContext & { catalogue: Catalogue }, user: AuthUser) {
  return [...new Map([...ctx.catalogue.benchmarks.values()].map((b) => {
    const q = quotaLeft(ctx, user, b);
    const scope = q.shared.length > 1 ? `${b.split.name} ${b.phase} (all protocols)` : b.id;
    return [scope, { benchmark: scope, limit: q.limit, used: q.used, resetsAt: q.resetsAt }] as const;
  })).values()];
}

/** Everything the owner's account page shows. */
export function accountView(ctx: SubmitContext, user: AuthUser) {
  return {
    sessions: sessionsOf(ctx.q, user),
    hasPassword: !!ctx.q.userById(user.id)?.password_hash,
    submissions: ctx.q.submissionsOf(user.id).map((s) => {
      const score = ctx.q.latestScore(s.id);
      return { id: s.id, benchmark: s.benchmark, status: s.status, method: s.method, created_at: s.created_at, progress: { done: s.progress_done, total: s.images }, mIoU: score ? readScoreRecord(score.record).metrics.mIoU : null };
    }),
    tokens: tokensOf(ctx.q, user),
    quotas: quotasOf(ctx, user),
  };
}

/**
 * Sets or changes the viewer's password. The current one, when there is one, is checked as a
 * sign-in is, and limited the same way; every other session ends. Returns how many ended.
 */
export async function changePassword(q: Queries, limits: SignInLimits, user: AuthUser, form: { current?: string; password: string }, address: string): Promise<{ ended: number; changed: boolean }> {
  const row = q.userById(user.id)!;
  if (row.password_hash) {
    limits.check(address, row.name);
    if (!(await verifyPassword(form.current ?? '', row.password_hash))) {
      limits.failed(address, row.name);
      throw new InvalidInput('The current password is not right.');
    }
    limits.succeeded(row.name);
  }
  const ended = await setPassword(q, user.id, form.password, user.sessionId ?? null);
  return { ended, changed: !!row.password_hash };
}

/** An open sign-up (OPEN_SIGNUP): every attempt that reaches the hash counts against the address, made or not. */
export async function signUp(q: Queries, perAddress: FailureLimiter, address: string, name: string, password: string): Promise<number> {
  const wait = perAddress.wait(address);
  if (wait > 0) throw new RateLimited(`too many accounts made from your address; try again in ${Math.ceil(wait / 60)} min`, { retry_after: wait });
  perAddress.fail(address);
  const hash = await hashPassword(password);
  const { user } = createUserWithToken(q, name, false);
  q.setPasswordHash(user.id, hash);
  return user.id;
}
