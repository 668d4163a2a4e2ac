/**
 * Every SQL statement of the server, named, each prepared once. The rest of the server never writes
 * SQL and never sees the connection; transactions go through `transaction()`.
 */
import type Database from 'better-sqlite3';
import type { Db } from './db.ts';
import type { ScoreExtras, ScoreRecord } from '../domain/score-record.ts';

export interface BaselineRow {
  id: number; benchmark: string; arch: string; model_dir: string; manifest: string; status: 'running' | 'submitted' | 'failed';
  error: string | null; submission_id: number | null; images: number | null; seconds: number | null; provider: string | null; runtime: string | null;
  fallbacks: string | null; created_by: number; created_at: string; finished_at: string | null;
}

export interface UserRow { id: number; name: string; is_admin: number; created_at: string; password_hash: string | null }
/** A browser session as its owner sees it (never its cookie). */
export interface SessionRow { id: number; created_at: string; expires_at: string; last_seen_at: string | null; address: string | null; agent: string | null; token_id: number | null; token_prefix: string | null }

export interface TokenRow { id: number; user_id: number; hash: string; prefix: string; label: string | null; created_at: string; last_used_at: string | null; revoked_at: string | null }
export type Status = 'queued' | 'scoring' | 'finished' | 'failed' | 'cancelled';
export type Fault = 'submission' | 'server';
/** One scoring of a submission: its id and the attempt number it started (stale results are refused). */
export interface Attempt { id: number; attempt: number }
/**
 * What a method says of itself beside its scores, as stored: the columns the upload, the edit forms,
 * the API and method.txt fill (their input rules: domain/schemas.ts MethodMeta).
 */
export const METHOD_META_COLUMNS = ['method', 'description', 'link', 'paper', 'code', 'backbone', 'pretraining', 'extra_data'] as const;
export type MethodMetaColumn = (typeof METHOD_META_COLUMNS)[number];
export type MethodMetaValues = Record<MethodMetaColumn, string | null>;

export interface SubmissionRow extends MethodMetaValues {
  id: number; user_id: number; benchmark: string; status: Status;
  file: string; file_bytes: number; file_sha256: string | null; images: number; has_match: number; progress_done: number; attempts: number;
  error: string | null; problems: string | null; warnings: string | null; computed_match: string | null;
  /** Who a failure is due to; a submission's own failures count against a private-GT quota. */
  fault: Fault | null;
  /** The submission's own match.json (validated at upload), as JSON. */
  match: string | null;
  hidden: number; private: number; baseline: number;
  created_at: string; started_at: string | null; finished_at: string | null;
  /** A model submission (migration 011): its bundle, the run's state and the run as it happened; NULL for zips. */
  model_file: string | null; model_sha256: string | null; model_bytes: number | null; model_json: string | null;
  model_state: ModelState | null; model_attempts: number; model_projected_seconds: number | null; model_run: string | null; model_public: number;
}
/** A model submission's run, before its predictions are scored (the submission stays 'queued' meanwhile). */
export type ModelState = 'pending' | 'running' | 'ran' | 'failed';
/** What a model run recorded (model_run, JSON). */
export interface ModelRunRecord { runtime: string; provider: string; device: string; images: number; seconds: number }
/** The model columns a model submission is inserted with. */
export interface ModelInsert { model_file: string; model_sha256: string; model_bytes: number; model_json: string; model_projected_seconds: number | null }
/** `record`: a ScoreRecord as JSON (score-record.ts). */
export interface ScoreRow { id: number; submission_id: number; evaluator_version: string; record: string; created_at: string }

/** A board row's sources: the submission, its user's name and its latest score. */
/** `baseline_run`, `baseline_manifest`: the server's own baseline run that produced the row, if any. */
export type BoardSourceRow = SubmissionRow & { user_name: string; score_id: number; record: string; baseline_run: number | null; baseline_manifest: string | null };

const now = (): string => new Date().toISOString();
/** The fair queue: the user served longest ago (or never) first, oldest first within a user. */
/** A queued submission the scorer may take: a zip, or a model whose run made its predictions. */
const READY_TO_SCORE = `(s.model_state IS NULL OR s.model_state = 'ran')`;
/** Queued again (admin): a model whose run failed runs again; one that ran is scored again from its predictions. */
const RERUN_FAILED_MODEL = `model_state = CASE WHEN model_state = 'failed' THEN 'pending' ELSE model_state END`;
const FAIR_ORDER = 'ORDER BY (SELECT MAX(x.started_at) FROM submissions x WHERE x.user_id = s.user_id) ASC NULLS FIRST, s.id ASC';

export class Queries {
  private readonly prepared = new Map<string, Database.Statement>();
  constructor(private readonly db: Db) {}

  /** The statement for `sql`, prepared on first use and kept. */
  private stmt(sql: string): Database.Statement {
    let s = this.prepared.get(sql);
    if (!s) this.prepared.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  // users and tokens
  createUser(name: string, isAdmin: boolean): UserRow {
    return this.stmt('INSERT INTO users (name, is_admin, created_at) VALUES (?, ?, ?) RETURNING *').get(name, isAdmin ? 1 : 0, now()) as UserRow;
  }
  userByName(name: string): UserRow | undefined {
    return this.stmt('SELECT * FROM users WHERE name = ?').get(name) as UserRow | undefined;
  }
  userNames(): string[] {
    return (this.stmt('SELECT name FROM users').all() as { name: string }[]).map((r) => r.name);
  }
  userById(id: number): UserRow | undefined {
    return this.stmt('SELECT * FROM users WHERE id = ?').get(id) as UserRow | undefined;
  }
  listUsers(): UserRow[] {
    return this.stmt('SELECT * FROM users ORDER BY id').all() as UserRow[];
  }
  addToken(userId: number, hash: string, prefix: string, label: string | null): TokenRow {
    return this.stmt('INSERT INTO tokens (user_id, hash, prefix, label, created_at) VALUES (?, ?, ?, ?, ?) RETURNING *').get(userId, hash, prefix, label, now()) as TokenRow;
  }
  activeTokenByHash(hash: string): (TokenRow & { name: string; is_admin: number }) | undefined {
    return this.stmt('SELECT t.*, u.name, u.is_admin FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = ? AND t.revoked_at IS NULL').get(hash) as (TokenRow & { name: string; is_admin: number }) | undefined;
  }
  /** Called at most once a minute per token (auth.ts), so requests do not each cost a synced write. */
  touchToken(id: number): void {
    this.stmt('UPDATE tokens SET last_used_at = ? WHERE id = ?').run(now(), id);
  }
  tokensOf(userId: number): TokenRow[] {
    return this.stmt('SELECT * FROM tokens WHERE user_id = ? ORDER BY id').all(userId) as TokenRow[];
  }
  /** Revokes a token and ends the browser sessions made from it. */
  revokeToken(id: number, userId: number | null): boolean {
    return this.transaction(() => {
      const r = userId === null
        ? this.stmt('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(now(), id)
        : this.stmt('UPDATE tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL').run(now(), id, userId);
      if (r.changes > 0) this.stmt('DELETE FROM sessions WHERE token_id = ?').run(id);
      return r.changes > 0;
    });
  }

  setPasswordHash(userId: number, hash: string): void {
    this.stmt('UPDATE users SET password_hash = ? WHERE id = ?').run(hash, userId);
  }

  // browser sessions (only the cookie's SHA-256 is stored)
  addSession(userId: number, hash: string, expiresAt: string, from: { tokenId: number | null; address: string | null; agent: string | null }): void {
    this.stmt('INSERT INTO sessions (user_id, hash, created_at, expires_at, token_id, address, agent, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(userId, hash, now(), expiresAt, from.tokenId, from.address, from.agent, now());
  }
  /** A session that has not expired, and whose token (when it was made from one) is not revoked. */
  activeSession(hash: string, at: string): { id: number; user_id: number; name: string; is_admin: number; last_seen_at: string | null } | undefined {
    return this.stmt(`SELECT s.id, s.user_id, u.name, u.is_admin, s.last_seen_at FROM sessions s JOIN users u ON u.id = s.user_id
      LEFT JOIN tokens t ON t.id = s.token_id
      WHERE s.hash = ? AND s.expires_at > ? AND (s.token_id IS NULL OR t.revoked_at IS NULL)`).get(hash, at) as { id: number; user_id: number; name: string; is_admin: number; last_seen_at: string | null } | undefined;
  }
  touchSession(id: number): void {
    this.stmt('UPDATE sessions SET last_seen_at = ? WHERE id = ?').run(now(), id);
  }
  sessionsOf(userId: number, at: string): SessionRow[] {
    return this.stmt(`SELECT s.id, s.created_at, s.expires_at, s.last_seen_at, s.address, s.agent, s.token_id, t.prefix AS token_prefix
      FROM sessions s LEFT JOIN tokens t ON t.id = s.token_id
      WHERE s.user_id = ? AND s.expires_at > ? AND (s.token_id IS NULL OR t.revoked_at IS NULL) ORDER BY s.id DESC`).all(userId, at) as SessionRow[];
  }
  deleteSession(hash: string): void {
    this.stmt('DELETE FROM sessions WHERE hash = ?').run(hash);
  }
  /** Ends one of a user's sessions; false when there is none of that id. */
  endSessionOf(userId: number, id: number): boolean {
    return this.stmt('DELETE FROM sessions WHERE id = ? AND user_id = ?').run(id, userId).changes > 0;
  }
  /** Ends every session of a user but `keep` (a session id; none: all). Returns how many ended. */
  endSessionsOf(userId: number, keep: number | null = null): number {
    return this.stmt('DELETE FROM sessions WHERE user_id = ? AND id IS NOT ?').run(userId, keep).changes;
  }

  // submissions
  insertSubmission(s: Partial<MethodMetaValues> & { user_id: number; benchmark: string; file: string; file_bytes: number; file_sha256?: string | null; images: number; has_match: boolean; match?: Record<string, number> | null; private: boolean; baseline: boolean; model?: ModelInsert }): SubmissionRow {
    // the next id above every id ever used, deleted ones included (migration 009)
    const { model, ...row } = s;
    return this.stmt(`INSERT INTO submissions (id, user_id, benchmark, status, method, description, link, paper, code, backbone, pretraining, extra_data, file, file_bytes, file_sha256, images, has_match, match, private, baseline, created_at,
        model_file, model_sha256, model_bytes, model_json, model_projected_seconds, model_state)
      VALUES (MAX(COALESCE((SELECT MAX(id) FROM submissions), 0), (SELECT last FROM id_high_water WHERE name = 'submissions')) + 1,
        @user_id, @benchmark, 'queued', @method, @description, @link, @paper, @code, @backbone, @pretraining, @extra_data, @file, @file_bytes, @file_sha256, @images, @has_match, @match, @private, @baseline, @created_at,
        @model_file, @model_sha256, @model_bytes, @model_json, @model_projected_seconds, @model_state) RETURNING *`)
      .get({
        ...Object.fromEntries(METHOD_META_COLUMNS.map((k) => [k, s[k] ?? null])), ...row, file_sha256: s.file_sha256 ?? null, has_match: s.has_match ? 1 : 0, match: s.match ? JSON.stringify(s.match) : null, private: s.private ? 1 : 0, baseline: s.baseline ? 1 : 0, created_at: now(),
        model_file: null, model_sha256: null, model_bytes: null, model_json: null, model_projected_seconds: null, ...model, model_state: model ? 'pending' : null,
      }) as SubmissionRow;
  }
  submission(id: number): SubmissionRow | undefined {
    return this.stmt('SELECT * FROM submissions WHERE id = ?').get(id) as SubmissionRow | undefined;
  }
  submissionsOf(userId: number): SubmissionRow[] {
    return this.stmt('SELECT * FROM submissions WHERE user_id = ? ORDER BY id DESC').all(userId) as SubmissionRow[];
  }
  /**
   * Submissions counted against a quota shared by `benchmarks`, created since `since`: queued,
   * scoring or finished, and with `ownFailures` also those that failed by their own fault.
   */
  countForQuota(userId: number, benchmarks: string[], since: string, ownFailures: boolean): number {
    // baselines are the server's own rows (an admin's registration), not the admin's answers about the GT
    return (this.stmt(`SELECT COUNT(*) AS n FROM submissions WHERE user_id = ? AND benchmark IN (SELECT value FROM json_each(?)) AND created_at >= ? AND baseline = 0
      AND (status IN ('queued', 'scoring', 'finished') OR (? AND status = 'failed' AND fault = 'submission'))`)
      .get(userId, JSON.stringify(benchmarks), since, ownFailures ? 1 : 0) as { n: number }).n;
  }
  /** Files of all submissions (for removing orphans at start). */
  submissionFiles(): Set<string> {
    const rows = this.stmt('SELECT file, model_file FROM submissions').all() as { file: string; model_file: string | null }[];
    return new Set(rows.flatMap((r) => (r.model_file ? [r.file, r.model_file] : [r.file])));
  }
  /** Runs `fn` in one transaction (better-sqlite3 runs it synchronously: no other write interleaves). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }
  /**
   * The next submission to score, fairly: the queued submission of the user served longest ago
   * (or never), oldest first within a user.
   */
  nextQueued(): SubmissionRow | undefined {
    return this.stmt(`SELECT s.* FROM submissions s WHERE s.status = 'queued' AND ${READY_TO_SCORE} ${FAIR_ORDER} LIMIT 1`).get() as SubmissionRow | undefined;
  }
  /**
   * 1 when the submission is next in its line (by the fair order, as things stand now); null when not
   * queued. A model waiting for its run is in the models' line, the rest in the scorer's.
   */
  queuePosition(id: number): number | null {
    const s = this.submission(id);
    const line = s?.model_state === 'pending' ? `s.model_state = 'pending'` : READY_TO_SCORE;
    const ids = (this.stmt(`SELECT s.id FROM submissions s WHERE s.status = 'queued' AND ${line} ${FAIR_ORDER}`).all() as { id: number }[]).map((r) => r.id);
    const i = ids.indexOf(id);
    return i < 0 ? null : i + 1;
  }

  // model runs (server/queue/model-runner.ts): a step of a queued submission, before its scoring
  /** The next model to run, by the same fair order as scoring. */
  nextModel(): SubmissionRow | undefined {
    return this.stmt(`SELECT s.* FROM submissions s WHERE s.status = 'queued' AND s.model_state = 'pending' ${FAIR_ORDER} LIMIT 1`).get() as SubmissionRow | undefined;
  }
  /** pending → running, only if still queued (a concurrent cancel wins): the run's attempt. */
  startModel(id: number): Attempt | null {
    const r = this.stmt(`UPDATE submissions SET model_state = 'running', model_attempts = model_attempts + 1, progress_done = 0, started_at = ?
      WHERE id = ? AND status = 'queued' AND model_state = 'pending' RETURNING model_attempts`).get(now(), id) as { model_attempts: number } | undefined;
    return r ? { id, attempt: r.model_attempts } : null;
  }
  setModelProgress(a: Attempt, done: number): void {
    this.stmt(`UPDATE submissions SET progress_done = ? WHERE id = ? AND status = 'queued' AND model_state = 'running' AND model_attempts = ?`).run(done, a.id, a.attempt);
  }
  /** running → ran with its predictions zip, only in this attempt and while queued: it goes on to scoring. */
  modelRan(a: Attempt, run: ModelRunRecord, file: { bytes: number; sha256: string }): boolean {
    return this.stmt(`UPDATE submissions SET model_state = 'ran', model_run = ?, file_bytes = ?, file_sha256 = ?, progress_done = 0
      WHERE id = ? AND status = 'queued' AND model_state = 'running' AND model_attempts = ?`).run(JSON.stringify(run), file.bytes, file.sha256, a.id, a.attempt).changes > 0;
  }
  /** running → failed (the submission fails), on the same condition as modelRan. */
  modelFailed(a: Attempt, error: string, problems: unknown[] | null, fault: Fault, run: Partial<ModelRunRecord> | null): boolean {
    return this.stmt(`UPDATE submissions SET model_state = 'failed', status = 'failed', finished_at = ?, error = ?, problems = ?, fault = ?, model_run = ?
      WHERE id = ? AND status = 'queued' AND model_state = 'running' AND model_attempts = ?`)
      .run(now(), error, problems ? JSON.stringify(problems) : null, fault, run ? JSON.stringify(run) : null, a.id, a.attempt).changes > 0;
  }
  /** Model runs in progress (a queue server waits for their jobs again on start). */
  modelsRunningNow(): SubmissionRow[] {
    return this.stmt(`SELECT * FROM submissions WHERE status = 'queued' AND model_state = 'running' ORDER BY started_at, id`).all() as SubmissionRow[];
  }
  /** After a restart (embedded runner): interrupted runs start again (a run is deterministic). */
  requeueInterruptedModels(): number {
    return this.stmt(`UPDATE submissions SET model_state = 'pending', progress_done = 0 WHERE status = 'queued' AND model_state = 'running'`).run().changes;
  }
  /**
   * Runner seconds a user's model submissions took (or, not yet run, are projected to take) since
   * `since`: the daily compute budget.
   */
  computeUsed(userId: number, since: string): number {
    return (this.stmt(`SELECT COALESCE(SUM(COALESCE(json_extract(model_run, '$.seconds'), CASE WHEN status = 'queued' THEN model_projected_seconds END, 0)), 0) AS t
      FROM submissions WHERE user_id = ? AND created_at >= ? AND model_state IS NOT NULL`).get(userId, since) as { t: number }).t;
  }
  /**
   * The match a user's run of the same model (by sha256) got on `benchmark` (a fully-unsupervised
   * validation phase): applied when that model is submitted on test.
   */
  modelMatch(userId: number, benchmark: string, sha256: string): string | undefined {
    return (this.stmt(`SELECT computed_match AS m FROM submissions WHERE user_id = ? AND benchmark = ? AND model_sha256 = ? AND status = 'finished' AND computed_match IS NOT NULL
      ORDER BY id DESC LIMIT 1`).get(userId, benchmark, sha256) as { m: string } | undefined)?.m;
  }
  setModelPublic(id: number, value: boolean): void {
    this.stmt('UPDATE submissions SET model_public = ? WHERE id = ? AND model_file IS NOT NULL').run(value ? 1 : 0, id);
  }
  /**
   * queued → scoring, only if still queued (a concurrent cancel wins). Returns the attempt: the
   * result of this scoring is stored only while the submission is still in this attempt.
   */
  startScoring(id: number): Attempt | null {
    const r = this.stmt(`UPDATE submissions SET status = 'scoring', started_at = ?, attempts = attempts + 1, progress_done = 0 WHERE id = ? AND status = 'queued' RETURNING attempts`).get(now(), id) as { attempts: number } | undefined;
    return r ? { id, attempt: r.attempts } : null;
  }
  setProgress(id: number, done: number): void {
    this.stmt(`UPDATE submissions SET progress_done = ? WHERE id = ? AND status = 'scoring'`).run(done, id);
  }
  /**
   * scoring → finished with its score, only if the submission is still in this attempt (a cancel,
   * delete or restart that came first wins; the result is then discarded). True when stored.
   */
  finish(a: Attempt, version: string, record: ScoreRecord, warnings: unknown, computedMatch: unknown | null, extras?: ScoreExtras): boolean {
    return this.db.transaction(() => {
      const r = this.stmt(`UPDATE submissions SET status = 'finished', finished_at = ?, progress_done = images, error = NULL, problems = NULL, fault = NULL, warnings = ?, computed_match = ?
        WHERE id = ? AND status = 'scoring' AND attempts = ?`)
        .run(now(), JSON.stringify(warnings), computedMatch === null ? null : JSON.stringify(computedMatch), a.id, a.attempt);
      if (r.changes === 0) return false;
      const score = this.stmt('INSERT INTO scores (submission_id, evaluator_version, record, created_at) VALUES (?, ?, ?, ?)').run(a.id, version, JSON.stringify(record), now());
      if (extras) {
        const blob = (x: Float64Array | Float32Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
        this.stmt('INSERT INTO score_samples (score_id, seed, b, samples) VALUES (?, ?, ?, ?)').run(score.lastInsertRowid, extras.samples.seed, extras.samples.B, blob(extras.samples.values));
        if (extras.perImage) this.stmt('INSERT INTO score_images (score_id, miou, fmeasure) VALUES (?, ?, ?)').run(score.lastInsertRowid, blob(extras.perImage.mIoU), blob(extras.perImage.fmeasure));
      }
      return true;
    })();
  }
  /** scoring → failed, on the same condition as finish. */
  fail(a: Attempt, error: string, problems: unknown[] | null, fault: Fault): boolean {
    return this.stmt(`UPDATE submissions SET status = 'failed', finished_at = ?, error = ?, problems = ?, fault = ? WHERE id = ? AND status = 'scoring' AND attempts = ?`)
      .run(now(), error, problems ? JSON.stringify(problems) : null, fault, a.id, a.attempt).changes > 0;
  }
  /** queued | scoring → cancelled; false when the submission had already reached another state. */
  cancel(id: number): boolean {
    return this.stmt(`UPDATE submissions SET status = 'cancelled', finished_at = ? WHERE id = ? AND status IN ('queued', 'scoring')`).run(now(), id).changes > 0;
  }
  /** The newest submissions of every user, with the user's name (the admin page). */
  recentSubmissions(limit: number): (SubmissionRow & { user_name: string })[] {
    return this.stmt('SELECT s.*, u.name AS user_name FROM submissions s JOIN users u ON u.id = s.user_id ORDER BY s.id DESC LIMIT ?').all(limit) as (SubmissionRow & { user_name: string })[];
  }
  /** Queued and scoring submissions per user (the admin page's queue). */
  queueByUser(): { user_name: string; queued: number; scoring: number }[] {
    return this.stmt(`SELECT u.name AS user_name, SUM(s.status = 'queued') AS queued, SUM(s.status = 'scoring') AS scoring
      FROM submissions s JOIN users u ON u.id = s.user_id WHERE s.status IN ('queued', 'scoring') GROUP BY u.id ORDER BY u.name`).all() as { user_name: string; queued: number; scoring: number }[];
  }
  /** Submissions per state (operations metrics). */
  queueCounts(): Record<string, number> {
    // a queued model whose run is in progress is 'running'
    const rows = this.stmt(`SELECT CASE WHEN status = 'queued' AND model_state = 'running' THEN 'running' ELSE status END AS state, COUNT(*) AS n FROM submissions GROUP BY state`).all() as { state: string; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  }
  /** A benchmark's board version (bumped by triggers on every change a board can show). */
  boardVersion(benchmark: string): number {
    return (this.stmt('SELECT version FROM board_versions WHERE benchmark = ?').get(benchmark) as { version: number } | undefined)?.version ?? 0;
  }
  /** After a crash or restart: interrupted scorings go back to the queue. */
  /** Submissions being scored (a queue server waits for their jobs again on start). */
  scoringNow(): SubmissionRow[] {
    return this.stmt(`SELECT * FROM submissions WHERE status = 'scoring' ORDER BY started_at, id`).all() as SubmissionRow[];
  }
  requeueInterrupted(): number {
    return this.stmt(`UPDATE submissions SET status = 'queued', progress_done = 0 WHERE status = 'scoring'`).run().changes;
  }
  /** Re-scoring (admin): back to the queue; earlier scores stay in `scores`. */
  requeue(id: number): boolean {
    return this.stmt(`UPDATE submissions SET status = 'queued', progress_done = 0, error = NULL, problems = NULL, fault = NULL, ${RERUN_FAILED_MODEL} WHERE id = ? AND status IN ('finished', 'failed')`).run(id).changes > 0;
  }
  requeueBenchmark(benchmark: string): number {
    return this.stmt(`UPDATE submissions SET status = 'queued', progress_done = 0, error = NULL, problems = NULL, fault = NULL, ${RERUN_FAILED_MODEL} WHERE benchmark = ? AND status IN ('finished', 'failed')`).run(benchmark).changes;
  }
  /** Sets the fields given (undefined: kept). */
  updateMeta(id: number, fields: Partial<MethodMetaValues> & { private?: boolean }): void {
    const cur = this.submission(id)!;
    const next = Object.fromEntries(METHOD_META_COLUMNS.map((k) => [k, fields[k] !== undefined ? fields[k] : cur[k]]));
    this.stmt(`UPDATE submissions SET ${METHOD_META_COLUMNS.map((k) => `${k} = @${k}`).join(', ')}, private = @private WHERE id = @id`).run(
      { ...next, private: fields.private !== undefined ? (fields.private ? 1 : 0) : cur.private, id },
    );
  }
  /**
   * A method's row in another benchmark (the other phase of its split and protocol): the newest
   * finished, visible submission of the same user under the same method name (case aside).
   */
  counterpart(userId: number, benchmark: string, method: string): number | null {
    const r = this.stmt(`SELECT id FROM submissions WHERE user_id = ? AND benchmark = ? AND method = ? COLLATE NOCASE
      AND status = 'finished' AND hidden = 0 AND private = 0 ORDER BY id DESC LIMIT 1`).get(userId, benchmark, method) as { id: number } | undefined;
    return r?.id ?? null;
  }
  setFlag(id: number, flag: 'hidden' | 'baseline', value: boolean): boolean {
    const sql = flag === 'hidden' ? 'UPDATE submissions SET hidden = ? WHERE id = ?' : 'UPDATE submissions SET baseline = ? WHERE id = ?';
    return this.stmt(sql).run(value ? 1 : 0, id).changes > 0;
  }
  deleteSubmission(id: number): SubmissionRow | undefined {
    return this.stmt('DELETE FROM submissions WHERE id = ? RETURNING *').get(id) as SubmissionRow | undefined;
  }

  // scores and leaderboards
  latestScore(submissionId: number): ScoreRow | undefined {
    return this.stmt('SELECT * FROM scores WHERE submission_id = ? ORDER BY id DESC LIMIT 1').get(submissionId) as ScoreRow | undefined;
  }
  /** The names-list hash a submission's latest score was computed with (read from the record by SQLite, not parsed whole). */
  scoredNamesHash(submissionId: number): string | null {
    const r = this.stmt(`SELECT json_extract(record, '$.provenance.namesSha256') AS h FROM scores WHERE submission_id = ? ORDER BY id DESC LIMIT 1`).get(submissionId) as { h: string | null } | undefined;
    return r?.h ?? null;
  }
  // baselines (server/domain/baselines.ts)
  insertBaseline(b: { benchmark: string; arch: string; model_dir: string; manifest: string; created_by: number }): BaselineRow {
    return this.stmt(`INSERT INTO baselines (benchmark, arch, model_dir, manifest, status, created_by, created_at)
      VALUES (@benchmark, @arch, @model_dir, @manifest, 'running', @created_by, @created_at) RETURNING *`).get({ ...b, created_at: now() }) as BaselineRow;
  }
  baseline(id: number): BaselineRow | undefined {
    return this.stmt('SELECT * FROM baselines WHERE id = ?').get(id) as BaselineRow | undefined;
  }
  baselineSubmitted(id: number, r: { submission: number; images: number; seconds: number; provider: string; runtime: string; fallbacks: { provider: string; reason: string }[] }): void {
    this.stmt(`UPDATE baselines SET status = 'submitted', submission_id = ?, images = ?, seconds = ?, provider = ?, runtime = ?, fallbacks = ?, finished_at = ? WHERE id = ?`)
      .run(r.submission, r.images, r.seconds, r.provider, r.runtime, JSON.stringify(r.fallbacks), now(), id);
  }
  baselineFailed(id: number, error: string): void {
    this.stmt(`UPDATE baselines SET status = 'failed', error = ?, finished_at = ? WHERE id = ?`).run(error.slice(0, 2000), now(), id);
  }
  failInterruptedBaselines(): number {
    return this.stmt(`UPDATE baselines SET status = 'failed', error = 'the server stopped during the run; register the model again', finished_at = ? WHERE status = 'running'`).run(now()).changes;
  }
  /** The computed match of the latest scored baseline run of a model (by ONNX sha256) on a benchmark. */
  baselineMatch(benchmark: string, onnxSha256: string): string | undefined {
    const r = this.stmt(`SELECT s.computed_match AS m FROM baselines x JOIN submissions s ON s.id = x.submission_id
      WHERE x.benchmark = ? AND json_extract(x.manifest, '$.onnx.sha256') = ? AND s.status = 'finished' AND s.computed_match IS NOT NULL
      ORDER BY x.id DESC LIMIT 1`).get(benchmark, onnxSha256) as { m: string } | undefined;
    return r?.m;
  }

  /** A score's bootstrap resamples (score_samples), or undefined for scores from before they were kept. */
  samplesOf(scoreId: number): ScoreExtras['samples'] | undefined {
    const r = this.stmt('SELECT seed, b, samples FROM score_samples WHERE score_id = ?').get(scoreId) as { seed: string; b: number; samples: Buffer } | undefined;
    return r && { seed: r.seed, B: r.b, values: new Float64Array(r.samples.buffer.slice(r.samples.byteOffset, r.samples.byteOffset + r.samples.byteLength)) };
  }
  /** A score's per-image figures (public-GT phases only). */
  perImageOf(scoreId: number): NonNullable<ScoreExtras['perImage']> | undefined {
    const r = this.stmt('SELECT miou, fmeasure FROM score_images WHERE score_id = ?').get(scoreId) as { miou: Buffer; fmeasure: Buffer } | undefined;
    const f32 = (b: Buffer) => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    return r && { mIoU: f32(r.miou), fmeasure: f32(r.fmeasure) };
  }
  scoresOf(submissionId: number): ScoreRow[] {
    return this.stmt('SELECT * FROM scores WHERE submission_id = ? ORDER BY id').all(submissionId) as ScoreRow[];
  }
  /**
   * Scored submissions of a benchmark with their latest score, visible to `viewer` (null: public).
   * A submission queued again for re-scoring keeps its row (with its last score) meanwhile.
   */
  /** Whether a user has private entries a board of the benchmark would show them. */
  hasPrivateRows(benchmark: string, userId: number): boolean {
    return this.stmt(`SELECT 1 FROM submissions WHERE user_id = ? AND benchmark = ? AND private = 1 AND hidden = 0 AND status IN ('finished', 'queued', 'scoring') LIMIT 1`).get(userId, benchmark) !== undefined;
  }
  boardRows(benchmark: string, viewer: number | null, includeHidden: boolean): BoardSourceRow[] {
    return this.stmt(`SELECT s.*, u.name AS user_name, sc.id AS score_id, sc.record AS record, x.id AS baseline_run, x.manifest AS baseline_manifest
      FROM submissions s JOIN users u ON u.id = s.user_id
      LEFT JOIN baselines x ON x.submission_id = s.id AND s.baseline = 1
      JOIN scores sc ON sc.id = (SELECT MAX(id) FROM scores WHERE submission_id = s.id)
      WHERE s.benchmark = ? AND s.status IN ('finished', 'queued', 'scoring') AND (? OR s.hidden = 0) AND (s.private = 0 OR s.user_id = ?)`)
      .all(benchmark, includeHidden ? 1 : 0, viewer ?? -1) as BoardSourceRow[];
  }
}
