/** Server configuration from the environment, validated (zod) with the defaults of an embedded install. */
import { resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { z } from 'zod';

const int = (def: number) => z.coerce.number().int().min(0).default(def);

const Env = z.object({
  PORT: int(8080),
  HOST: z.string().default('0.0.0.0'),
  DATA_DIR: z.string().default('./data'),
  IMAGENETS_ROOT: z.string().optional(),
  IMAGENETS_TOOLBOX: z.string().optional(),
  /** Largest upload, bytes (the ImageNet-S-919 test set as PNG masks is ~150 MB). */
  MAX_UPLOAD_BYTES: int(1024 * 1024 * 1024),
  /** Submissions per user, benchmark and UTC day; 0 = unlimited. */
  QUOTA_TEST_PER_DAY: int(5),
  QUOTA_VALIDATION_PER_DAY: int(0),
  /** Worker threads for scoring (default: all cores). */
  SCORING_WORKERS: int(availableParallelism()),
  MAX_PIXELS: int(40_000_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Failed authentications per client address per minute before 429. */
  AUTH_FAILURES_PER_MINUTE: int(20),
  /** An upload that sends nothing for this long is dropped (its file and descriptor released). */
  UPLOAD_IDLE_SECONDS: int(60),
  /** Uploads in progress at once, in all and per user (each holds a descriptor until it settles). */
  MAX_UPLOADS_IN_PROGRESS: int(32),
  MAX_UPLOADS_PER_USER: int(2),
  /** Longest time one request (a large upload on a slow link) may take. */
  REQUEST_TIMEOUT_SECONDS: int(3600),
  /** Per-class results of test (private-GT) submissions: their owner's only, or public on boards. */
  TEST_DETAIL: z.enum(['owner', 'public']).default('owner'),
  /**
   * Decoded ground truth kept by the scorer, MB (about 8 KB a mask: the 919 test set's 27,423 masks
   * take ~210 MB); 0 decodes the GT with every submission.
   */
  GT_CACHE_MB: int(1024),
  /** Score on worker processes behind BullMQ on this Redis (redis://host:port[/db]); unset: in this process. */
  QUEUE: z.string().url().optional(),
  /** With QUEUE: submissions handed to the queue at once (picked fairly; the rest wait in SQLite). */
  QUEUE_IN_FLIGHT: int(4),
  /** Where the server runs baselines: auto (CUDA, else WebGPU, else CPU; each passed over is logged) or one of them. */
  BASELINE_DEVICE: z.enum(['auto', 'cpu', 'cuda', 'webgpu']).default('auto'),
  /** Let visitors make their own accounts at /signup (otherwise admins make them). */
  OPEN_SIGNUP: z.enum(['true', 'false', '1', '0']).default('false'),
  /** Mark session cookies Secure (set it when the server is behind a TLS proxy). */
  SECURE_COOKIES: z.enum(['true', 'false', '1', '0']).default('false'),
});

export type Config = ReturnType<typeof loadConfig>;

export function loadConfig(env: Record<string, string | undefined> = process.env) {
  const e = Env.parse(env);
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: resolve(e.DATA_DIR),
    imagenetsRoot: e.IMAGENETS_ROOT ? resolve(e.IMAGENETS_ROOT) : undefined,
    toolbox: e.IMAGENETS_TOOLBOX ? resolve(e.IMAGENETS_TOOLBOX) : undefined,
    maxUploadBytes: e.MAX_UPLOAD_BYTES,
    quota: { test: e.QUOTA_TEST_PER_DAY, validation: e.QUOTA_VALIDATION_PER_DAY },
    scoringWorkers: Math.max(1, e.SCORING_WORKERS),
    maxPixels: e.MAX_PIXELS,
    logLevel: e.LOG_LEVEL,
    authFailuresPerMinute: e.AUTH_FAILURES_PER_MINUTE,
    uploads: { idleMs: Math.max(1, e.UPLOAD_IDLE_SECONDS) * 1000, maxInProgress: Math.max(1, e.MAX_UPLOADS_IN_PROGRESS), maxPerUser: Math.max(1, e.MAX_UPLOADS_PER_USER) },
    requestTimeoutMs: e.REQUEST_TIMEOUT_SECONDS * 1000,
    testDetail: e.TEST_DETAIL,
    secureCookies: e.SECURE_COOKIES === 'true' || e.SECURE_COOKIES === '1',
    openSignup: e.OPEN_SIGNUP === 'true' || e.OPEN_SIGNUP === '1',
    gtCacheMB: e.GT_CACHE_MB,
    queue: e.QUEUE,
    queueInFlight: Math.max(1, e.QUEUE_IN_FLIGHT),
    baselineDevice: e.BASELINE_DEVICE,
  };
}
