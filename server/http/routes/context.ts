/** What every router gets: the domain context and the authentication middlewares. */
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Scorer } from '../../queue/scorer.ts';
import type { SubmitContext } from '../../domain/submissions.ts';
import type { Leaderboards } from '../../domain/leaderboard.ts';
import type { FailureLimiter, SignInLimits } from '../../domain/auth.ts';
import type { Baselines } from '../../domain/baselines.ts';
import type { ModelRunner } from '../../queue/model-runner.ts';
import type { ServerMetrics } from '../../metrics.ts';
import type { Check } from '../../domain/health.ts';

export interface AppContext extends SubmitContext {
  /** Leaderboards, shared by the API and the pages (one cache). */
  boards: Leaderboards;
  scorer: Scorer;
  /** Reference models the server runs (baselines.ts). */
  baselines: Baselines;
  /** Runs submitted models before their scoring (queue/model-runner.ts). */
  modelRunner: Pick<ModelRunner, 'kick'>;
  metrics: ServerMetrics;
  /** Readiness checks (health.ts), afresh on each call. */
  health: () => Promise<Check[]>;
  /** When set, /metrics needs it as a bearer token. */
  metricsToken?: string;
  /** With a queue: after this long without a worker's heartbeat, pages say none is running. */
  workerSilentMs: number;
  log: Logger;
  maxUploadBytes: number;
  authFailuresPerMinute: number;
  uploads: { idleMs: number; minBytesPerSecond: number; maxInProgress: number; maxPerUser: number };
  /** The longest a non-upload request body may take to arrive. */
  bodyTimeoutMs: number;
  /** 'public': per-class results of private-GT submissions appear on boards too (the host opts in). */
  testDetail: 'owner' | 'public';
  /** Session and CSRF cookies only over HTTPS (behind a TLS proxy). */
  secureCookies: boolean;
  /** Visitors may make their own accounts. */
  openSignup: boolean;
  signupsPerHour: number;
  /** express's "trust proxy" (TRUST_PROXY): '' trusts no forwarded header. */
  trustProxy: string;
}

export interface RouteContext {
  ctx: AppContext;
  /** Leaderboards, shared by the API and the pages (one cache). */
  boards: Leaderboards;
  /** Sign-in limits per address and account (/login, /signup). */
  signIn: SignInLimits;
  /** Accounts made per address and hour (/signup). */
  signUps: FailureLimiter;
  requireAuth: RequestHandler;
  optionalAuth: RequestHandler;
  requireAdmin: RequestHandler;
}

export const Id = z.coerce.number().int().positive();

