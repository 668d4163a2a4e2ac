/**
 * Every setting of the server and of its queue workers, in one table: name, what values it takes,
 * its default and what it does. The zod schema, the start-up check (a bad value stops the start
 * with one line naming it), `npm run -s admin -- settings` and the README's settings table are all
 * made from this table (test/config.test.ts holds the README to it).
 */
import { accessSync, constants, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { z } from 'zod';

type Scope = 'server' | 'worker' | 'both';

interface Setting {
  schema: z.ZodType;
  /** What is allowed, in words (the error line and the listing say it). */
  allowed: string;
  /** The default in words (undefined: unset). */
  default?: string;
  help: string;
  scope: Scope;
}


const int = (def: number, help: string, scope: Scope = 'server', min = 0, max = Number.MAX_SAFE_INTEGER) => ({
  // '' and '  ' are not 0: a value that is not an integer numeral is refused, not coerced
  schema: z.string().trim().regex(/^-?\d+$/, 'not an integer').transform(Number).pipe(z.number().int().min(min, `below ${min}`).max(max, `above ${max}`)).optional().transform((v) => v ?? def),
  allowed: max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`, default: String(def), help, scope,
});
const oneOf = <const T extends string>(values: readonly [T, ...T[]], def: T, help: string, scope: Scope = 'server') => ({
  schema: z.enum(values).optional().transform((v) => v ?? def), allowed: `one of ${values.join(', ')}`, default: def, help, scope,
});
const flag = (help: string, scope: Scope = 'server') => ({
  schema: z.enum(['true', 'false', '1', '0']).optional().transform((v) => v === 'true' || v === '1'), allowed: 'true or false (1 or 0)', default: 'false', help, scope,
});
/** A folder this process must be able to read (checked at start, not when it is first needed). */
const readableDir = (help: string, scope: Scope = 'server') => ({
  schema: z.string().min(1).refine((p) => {
    try { accessSync(p, constants.R_OK | constants.X_OK); return statSync(p).isDirectory(); } catch { return false; }
  }, 'not a readable folder').optional(),
  allowed: 'a readable folder', help, scope,
});
const redisUrl = (help: string, scope: Scope) => ({
  schema: z.string().refine((s) => { try { return ['redis:', 'rediss:'].includes(new URL(s).protocol); } catch { return false; } }, 'not a redis:// or rediss:// URL').optional(),
  allowed: 'a redis://[user:password@]host:port[/db] or rediss:// URL', help, scope,
});

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** express's "trust proxy" values this server accepts (proxy-addr's names, addresses, CIDRs; or hops). */
function validTrustProxy(v: string): boolean {
  if (v === '' || /^\d{1,2}$/.test(v)) return true;
  return v.split(',').map((x) => x.trim()).every((x) => ['loopback', 'linklocal', 'uniquelocal'].includes(x) || (() => {
    const [addr, bits, ...rest] = x.split('/');
    return rest.length === 0 && isIP(addr) !== 0 && (bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (isIP(addr) === 4 ? 32 : 128)));
  })());
}

export const SETTINGS = {
  PORT: int(8080, 'HTTP port (0: any free port, printed in the start line).', 'server', 0, 65535),
  HOST: { schema: z.string().min(1).optional().transform((v) => v ?? '0.0.0.0'), allowed: 'an address to listen on', default: '0.0.0.0', help: 'Address to listen on.', scope: 'server' },
  DATA_DIR: { schema: z.string().min(1).optional().transform((v) => v ?? './data'), allowed: 'a folder (made if missing)', default: './data', help: 'All state: the SQLite file, uploads, results, baseline models. A queue worker given it reads uploads there.', scope: 'both' },
  IMAGENETS_ROOT: readableDir('The host\'s ImageNet-S splits (ImageNetS50/, ImageNetS300/, ImageNetS919/); unset: the synthetic mini split.', 'both'),
  IMAGENETS_TOOLBOX: readableDir('The official toolbox (its data/ lists), to check the host\'s splits against.'),
  MAX_UPLOAD_BYTES: int(1024 * 1024 * 1024, 'Largest upload in bytes (the S-919 test set as PNG masks is about 150 MB).'),
  QUOTA_TEST_PER_DAY: int(5, 'Test submissions per user, split and UTC day; 0: unlimited.'),
  QUOTA_VALIDATION_PER_DAY: int(50, 'Validation submissions per user, benchmark and UTC day (keeps one account from flooding a board); 0: unlimited.'),
  SCORING_WORKERS: { ...int(availableParallelism(), 'Threads that decode masks while scoring.', 'both', 1), default: 'all cores' },
  MAX_PIXELS: int(40_000_000, 'Largest image a mask may have, in pixels.'),
  LOG_LEVEL: oneOf(LOG_LEVELS, 'info', 'Log level (pino, JSON lines on standard output).', 'both'),
  AUTH_FAILURES_PER_MINUTE: int(20, 'Failed authentications a client address may make a minute before 429.'),
  UPLOAD_IDLE_SECONDS: int(60, 'An upload that sends nothing this long is dropped (408).', 'server', 1),
  UPLOAD_MIN_BYTES_PER_SECOND: int(8192, 'An upload that averages less than this over any UPLOAD_IDLE_SECONDS is dropped (408) and its slot freed, so that trickling clients cannot hold the upload slots; 0: no floor.'),
  BODY_TIMEOUT_SECONDS: int(10, 'A request body other than an upload (a form, JSON) must arrive whole within this long; past it, 408 and the connection closes.', 'server', 1),
  MAX_UPLOADS_IN_PROGRESS: int(32, 'Uploads in progress at once, in all.', 'server', 1),
  MAX_UPLOADS_PER_USER: int(2, 'Uploads in progress at once, per user.', 'server', 1),
  REQUEST_TIMEOUT_SECONDS: int(3600, 'The longest one request (a large upload on a slow link) may take.'),
  TEST_DETAIL: oneOf(['owner', 'public'], 'owner', 'Per-class results of test submissions: their owner\'s only, or public on boards too.'),
  GT_CACHE_MB: int(1024, 'Decoded ground truth the scorer keeps, MB (the S-919 test set takes about 210 MB); 0: decode it with every submission.', 'both'),
  QUEUE: redisUrl('Score on queue workers (npm run worker) through BullMQ on this Redis; unset: in this process.', 'both'),
  QUEUE_IN_FLIGHT: int(4, 'With QUEUE: submissions handed to the queue at once (the rest wait, fairly ordered, in SQLite).', 'server', 1),
  QUEUE_LOCK_SECONDS: int(30, 'A worker that stops renewing its lock this long (killed, frozen) loses its job to another.', 'worker', 1),
  WORKER_SILENT_SECONDS: int(60, 'With QUEUE: after this long without a worker\'s heartbeat, the pages and /readyz say no worker is running.', 'server', 5),
  SCORING_TIMEOUT_SECONDS: int(120, 'The longest a scoring may take per started 1,000 images (an honest one takes a few seconds); past it the submission fails with the reason and the scorer moves on. 0: no limit.'),
  BASELINE_DEVICE: oneOf(['auto', 'cpu', 'cuda', 'webgpu'], 'auto', 'Where baselines and submitted models run in this process: auto (CUDA, else WebGPU, else CPU; each passed over is logged) or one of them. Queue workers take --device.'),
  MAX_MODEL_BYTES: int(512 * 1024 * 1024, 'Largest model bundle (zip) and largest model.onnx in it, in bytes.', 'server', 1024),
  MODEL_TIMEOUT_SECONDS: int(30, 'The longest a submitted model may take on one image (the trial at upload included); past it the run stops and the submission fails with model-timeout.', 'server', 1),
  MODEL_MEMORY_MB: int(4096, 'Resident memory a submitted model\'s process may use, MB; past it the run stops and the submission fails with model-out-of-memory.', 'server', 64),
  MODEL_SECONDS_PER_DAY: int(4 * 3600, 'Runner time a user\'s model submissions may take per UTC day, in seconds (projected at upload from the trial, then as measured); keeps one user from holding the runner. 0: unlimited.'),
  OPEN_SIGNUP: flag('Let visitors make their own accounts at /signup.'),
  SIGNUPS_PER_HOUR: int(5, 'With OPEN_SIGNUP: accounts one client address may make an hour (attempts count); 0: unlimited.'),
  TRUST_PROXY: {
    schema: z.string().optional().transform((v) => v?.trim() ?? '').refine(validTrustProxy, 'not loopback, linklocal, uniquelocal, a list of addresses or CIDRs, or a hop count'),
    allowed: 'empty; loopback, linklocal, uniquelocal, addresses or CIDRs (comma-separated); or a hop count', default: '',
    help: 'Behind a reverse proxy: whose X-Forwarded-For to believe for the client address (limits count per address). Empty: nobody\'s; the peer address counts.', scope: 'server',
  },
  SECURE_COOKIES: flag('Mark session cookies Secure (behind a TLS proxy).'),
  METRICS_TOKEN: { schema: z.string().min(16, 'shorter than 16 characters').optional(), allowed: 'a secret of 16 characters or more', help: 'When set, GET /metrics needs "Authorization: Bearer <it>".', scope: 'both' },
  METRICS_PORT: int(9464, 'A queue worker serves /metrics and /healthz on this port (0: none).', 'worker', 0, 65535),
} satisfies Record<string, Setting>;

export type SettingName = keyof typeof SETTINGS;

/** A setting with a bad value: the one line a start prints before it exits with code 2. */
export class ConfigError extends Error {}

type Parsed = { [K in SettingName]: z.output<(typeof SETTINGS)[K]['schema']> };

/** Parses the settings of one scope; every bad value is named in the error, one line each. */
export function parseSettings(env: Record<string, string | undefined>, scope: 'server' | 'worker'): Parsed {
  const out: Record<string, unknown> = {};
  const bad: string[] = [];
  for (const [name, s] of Object.entries(SETTINGS) as [SettingName, Setting][]) {
    if (s.scope !== 'both' && s.scope !== scope) continue;
    const raw = env[name];
    const r = s.schema.safeParse(raw === undefined ? undefined : raw);
    if (r.success) out[name] = r.data;
    else bad.push(`${name}=${JSON.stringify(raw)} is not allowed (${r.error.issues[0]?.message ?? 'invalid'}): ${name} takes ${s.allowed}${s.default !== undefined ? `, default ${s.default}` : ''}`);
  }
  if (bad.length) throw new ConfigError(bad.join('\n'));
  return out as Parsed;
}

export type Config = ReturnType<typeof loadConfig>;

export function loadConfig(env: Record<string, string | undefined> = process.env) {
  const e = parseSettings(env, 'server');
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: resolve(e.DATA_DIR),
    imagenetsRoot: e.IMAGENETS_ROOT ? resolve(e.IMAGENETS_ROOT) : undefined,
    toolbox: e.IMAGENETS_TOOLBOX ? resolve(e.IMAGENETS_TOOLBOX) : undefined,
    maxUploadBytes: e.MAX_UPLOAD_BYTES,
    quota: { test: e.QUOTA_TEST_PER_DAY, validation: e.QUOTA_VALIDATION_PER_DAY },
    scoringWorkers: e.SCORING_WORKERS,
    maxPixels: e.MAX_PIXELS,
    logLevel: e.LOG_LEVEL,
    authFailuresPerMinute: e.AUTH_FAILURES_PER_MINUTE,
    uploads: { idleMs: e.UPLOAD_IDLE_SECONDS * 1000, minBytesPerSecond: e.UPLOAD_MIN_BYTES_PER_SECOND, maxInProgress: e.MAX_UPLOADS_IN_PROGRESS, maxPerUser: e.MAX_UPLOADS_PER_USER },
    bodyTimeoutMs: e.BODY_TIMEOUT_SECONDS * 1000,
    requestTimeoutMs: e.REQUEST_TIMEOUT_SECONDS * 1000,
    testDetail: e.TEST_DETAIL,
    secureCookies: e.SECURE_COOKIES,
    openSignup: e.OPEN_SIGNUP,
    signupsPerHour: e.SIGNUPS_PER_HOUR,
    trustProxy: e.TRUST_PROXY,
    gtCacheMB: e.GT_CACHE_MB,
    scoringTimeoutSeconds: e.SCORING_TIMEOUT_SECONDS,
    queue: e.QUEUE,
    queueInFlight: e.QUEUE_IN_FLIGHT,
    workerSilentMs: e.WORKER_SILENT_SECONDS * 1000,
    baselineDevice: e.BASELINE_DEVICE,
    models: { maxBytes: e.MAX_MODEL_BYTES, timeoutSeconds: e.MODEL_TIMEOUT_SECONDS, memoryBytes: e.MODEL_MEMORY_MB * 1048576, secondsPerDay: e.MODEL_SECONDS_PER_DAY },
    metricsToken: e.METRICS_TOKEN,
  };
}

/** A queue worker's settings (npm run worker): the same table, its own scope; QUEUE is required. */
export function loadWorkerConfig(env: Record<string, string | undefined> = process.env) {
  const e = parseSettings(env, 'worker');
  if (!e.QUEUE) throw new ConfigError(`QUEUE is not set: a worker takes ${SETTINGS.QUEUE.allowed}`);
  return {
    queue: e.QUEUE,
    dataDir: env.DATA_DIR ? resolve(e.DATA_DIR) : undefined,
    imagenetsRoot: e.IMAGENETS_ROOT ? resolve(e.IMAGENETS_ROOT) : undefined,
    scoringWorkers: e.SCORING_WORKERS,
    gtCacheMB: e.GT_CACHE_MB,
    lockSeconds: e.QUEUE_LOCK_SECONDS,
    logLevel: e.LOG_LEVEL,
    metricsPort: e.METRICS_PORT,
    metricsToken: e.METRICS_TOKEN,
  };
}

/** Loads a config or, on a bad value, prints its line(s) and exits with code 2 (a start that cannot be). */
export function configOrExit<T>(load: () => T): T {
  try {
    return load();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`${e.message}\n`);
    process.exit(2);
  }
}

/** The settings table as Markdown (README) or as plain lines (admin settings). */
export function settingsTable(format: 'markdown' | 'text'): string {
  const rows = Object.entries(SETTINGS) as [SettingName, Setting][];
  const where = (s: Scope) => (s === 'both' ? 'server, worker' : s);
  if (format === 'markdown') {
    return ['| setting | default | takes | used by | what |', '|---|---|---|---|---|',
      ...rows.map(([n, s]) => `| \`${n}\` | ${s.default !== undefined ? `\`${s.default}\`` : 'unset'} | ${s.allowed} | ${where(s.scope)} | ${s.help} |`)].join('\n');
  }
  const w = Math.max(...rows.map(([n]) => n.length));
  return rows.map(([n, s]) => `${n.padEnd(w)}  ${s.default ?? '(unset)'}  [${where(s.scope)}; ${s.allowed}]\n${' '.repeat(w + 2)}${s.help}`).join('\n');
}
