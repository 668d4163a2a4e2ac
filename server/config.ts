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
  };
}
