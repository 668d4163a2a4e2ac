/**
 * Streams a multipart upload to a temporary file under a size limit (busboy): the zip never sits
 * in memory. Every upload settles: completed, aborted by the client, stalled past the idle
 * timeout, or over the size limit, and in every case but the first its file is removed and its
 * descriptor closed at once. Concurrent uploads are bounded (UploadSlots), so stalled clients
 * cannot exhaust descriptors.
 */
import busboy from 'busboy';
import { randomUUID } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Request } from 'express';
import { createHash } from 'node:crypto';
import { DomainError, InvalidInput, TooLarge, UploadStalled } from '../domain/errors.ts';
import { exemptFromBodyDeadline } from './body.ts';

export interface Received {
  fields: Record<string, string>;
  /** The stored file, its size and sha256 (computed as it arrived). */
  file: { path: string; bytes: number; sha256: string } | null;
  /** The field that carried it: "file" (a zip of masks) or "model" (a model bundle). */
  field?: UploadField;
}

/** The file fields an upload may carry, one of them: predictions, or a model for the server to run. */
export type UploadField = 'file' | 'model';

export interface ReceiveLimits {
  /** The largest zip of masks (field "file"). */
  maxBytes: number;
  /** The largest model bundle (field "model"); unset: models are not taken here. */
  maxModelBytes?: number;
  /** An upload that sends nothing for this long is dropped; also the window of the rate floor. */
  idleMs: number;
  /**
   * The least an upload must average over each `idleMs` window (0: no floor). A client trickling
   * a byte now and then never goes idle, yet holds its slot for hours: this frees it.
   */
  minBytesPerSecond?: number;
  /** Bytes received by uploads in progress (UploadSlots.received): counted up while this one runs, back down when it settles. */
  inFlight?: { bytes: number };
}

/** After a refusal, a client still sending may send this much more (discarded) before the connection is closed. */
const DISCARD_FACTOR = 4;

export async function receiveUpload(req: Request, tmpDir: string, limits: ReceiveLimits): Promise<Received> {
  // the body's bound is the larger of the two; each field is held to its own as it arrives
  const maxBytes = Math.max(limits.maxBytes, limits.maxModelBytes ?? 0);
  const fieldLimit: Record<UploadField, number> = { file: limits.maxBytes, model: limits.maxModelBytes ?? 0 };
  let field: UploadField | undefined;
  // an upload has limits of its own (idle, rate floor, size): the short deadline of other bodies does not apply
  exemptFromBodyDeadline(req);
  const declared = Number(req.get('content-length') ?? 0);
  if (declared > maxBytes + 64 * 1024) {
    // Read and discard a body of plausible size (nothing is stored) so the client can finish
    // sending and read the 413; beyond that, close the connection at once.
    const drain = declared <= DISCARD_FACTOR * maxBytes;
    if (drain) await discard(req, DISCARD_FACTOR * maxBytes, limits.idleMs);
    throw new TooLarge(`upload of ${declared} bytes exceeds the limit of ${maxBytes} bytes`, { close: !drain });
  }
  let bb: busboy.Busboy;
  try {
    // two file parts: a browser's form sends its empty file input too (skipped below); a second real file is refused
    bb = busboy({ headers: req.headers, limits: { files: 2, fileSize: maxBytes, fields: 20, fieldSize: 16 * 1024 } });
  } catch {
    throw new InvalidInput('expected a multipart/form-data body with fields "benchmark" and "file"');
  }
  const path = join(tmpDir, `${randomUUID()}.zip`);
  const fields: Record<string, string> = {};
  let file: Received['file'] = null;
  let out: WriteStream | null = null;
  let fileStream: Readable | null = null;
  let extraFiles = false;

  let counted = 0;
  try {
  await new Promise<void>((resolve, reject) => {
    let settled = false;
    let writing: Promise<void> = Promise.resolve();
    let idle: NodeJS.Timeout | undefined;
    let floor: NodeJS.Timeout | undefined;
    /**
     * Ends the upload with an error: the descriptor closes and the file goes at once. A client
     * still sending has the rest of its body read and dropped (bounded), so it can read the answer;
     * a stalled or trickling one (`drain` false) is answered at once, and the connection closed.
     */
    const fail = (err: DomainError, drain = true): void => {
      if (settled) return;
      settled = true;
      clearTimeout(idle);
      clearInterval(floor);
      req.unpipe(bb);
      fileStream?.unpipe();
      fileStream?.resume();
      bb.removeAllListeners();
      bb.on('error', () => {});
      out?.destroy();
      const drained = drain && !req.destroyed && !req.complete ? discard(req, DISCARD_FACTOR * maxBytes, limits.idleMs) : Promise.resolve();
      void Promise.all([rm(path, { force: true }), drained]).finally(() => reject(err));
    };
    // the 408 is sent, then the connection closed (http/body.ts ends a response whose body is unread)
    const arm = (): void => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        fail(new UploadStalled(`the upload sent nothing for ${Math.round(limits.idleMs / 1000)} s and was dropped`, { close: true }), false);
      }, limits.idleMs);
    };
    arm();
    const minRate = limits.minBytesPerSecond ?? 0;
    let windowBytes = 0;
    if (minRate > 0) {
      const seconds = limits.idleMs / 1000;
      floor = setInterval(() => {
        if (windowBytes < minRate * seconds) {
          fail(new UploadStalled(`the upload sent ${windowBytes} bytes in ${Math.round(seconds)} s, under the floor of ${minRate} bytes/s, and was dropped to free its slot`, { close: true }), false);
        }
        windowBytes = 0;
      }, limits.idleMs);
    }
    req.on('data', (c: Buffer) => {
      arm();
      windowBytes += c.length;
      if (counted < 0) return;
      counted += c.length;
      if (limits.inFlight) limits.inFlight.bytes += c.length;
    });
    req.on('close', () => { if (!req.complete) fail(new InvalidInput('the upload was interrupted', { close: true })); });
    req.on('error', () => fail(new InvalidInput('the upload was interrupted', { close: true })));

    bb.on('field', (name, value) => { fields[name] = value; });
    bb.on('file', (name, stream: Readable & { truncated?: boolean }, info: { filename?: string }) => {
      // a form's file input left empty is sent as a part with no file name: not a file
      if (!info?.filename && (name === 'file' || name === 'model')) { stream.resume(); return; }
      if ((name !== 'file' && !(name === 'model' && fieldLimit.model > 0)) || file) { extraFiles = true; stream.resume(); return; }
      field = name;
      const own = fieldLimit[name];
      file = { path, bytes: 0, sha256: '' };
      fileStream = stream;
      const w = (out = createWriteStream(path));
      const hash = createHash('sha256');
      stream.on('data', (c: Buffer) => {
        file!.bytes += c.length; hash.update(c);
        if (file!.bytes > own) fail(new TooLarge(`${name === 'model' ? 'model bundle' : 'upload'} exceeds the limit of ${own} bytes`, { close: true }));
      });
      stream.on('end', () => { file!.sha256 = hash.digest('hex'); });
      stream.on('limit', () => fail(new TooLarge(`upload exceeds the limit of ${maxBytes} bytes`, { close: true })));
      writing = new Promise<void>((res, rej) => {
        w.on('finish', res);
        w.on('error', rej);
        stream.on('error', rej);
      });
      // after a refusal `w` is destroyed on purpose; its error then has no one to tell
      writing.catch(() => {});
      stream.pipe(w);
    });
    bb.on('filesLimit', () => { extraFiles = true; });
    bb.on('error', () => fail(new InvalidInput('the upload was interrupted or is not valid multipart/form-data')));
    bb.on('close', () => {
      writing.then(() => {
        if (settled) return;
        settled = true;
        clearTimeout(idle);
        clearInterval(floor);
        resolve();
      }, () => fail(new InvalidInput('the upload could not be stored')));
    });
    req.pipe(bb);
  });
  } finally {
    // a refused body may still be draining: it is no longer an upload in progress
    if (limits.inFlight) limits.inFlight.bytes -= counted;
    counted = -1;
  }

  if (extraFiles) {
    await rm(path, { force: true });
    throw new InvalidInput(fieldLimit.model > 0 ? 'send exactly one file: predictions in the field "file", or a model bundle in the field "model"' : 'send exactly one file, in the field "file"');
  }
  if (file) {
    // on disk before we answer 202: an accepted submission survives a crash
    const fh = await open(path, 'r+');
    try { await fh.sync(); } finally { await fh.close(); }
  }
  return { fields, file, ...(field ? { field } : {}) };
}

/**
 * Reads and drops the rest of a request body; settles when it ends, or after `max` bytes or
 * `idleMs` without data (the connection is then destroyed).
 */
function discard(req: Request, max: number, idleMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    let seen = 0;
    let idle = setTimeout(stop, idleMs);
    function stop(): void { clearTimeout(idle); req.destroy(); resolve(); }
    req.on('data', (c: Buffer) => {
      seen += c.length;
      if (seen > max) { stop(); return; }
      clearTimeout(idle);
      idle = setTimeout(stop, idleMs);
    });
    req.on('end', () => { clearTimeout(idle); resolve(); });
    req.on('close', () => { clearTimeout(idle); resolve(); });
    req.resume();
  });
}

/**
 * Bounds uploads in progress, in all and per user: each holds a descriptor and a temporary file
 * until it settles, so a crowd of slow or stalled clients is refused (429) rather than served
 * until the process runs out of descriptors.
 */
export class UploadSlots {
  private total = 0;
  private readonly perUser = new Map<number, number>();
  constructor(private readonly maxTotal: number, private readonly maxPerUser: number) {}

  /** A release function, or null when no slot is free. */
  take(user: number): (() => void) | null {
    const mine = this.perUser.get(user) ?? 0;
    if (this.total >= this.maxTotal || mine >= this.maxPerUser) return null;
    this.total++;
    this.perUser.set(user, mine + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const n = (this.perUser.get(user) ?? 1) - 1;
      if (n > 0) this.perUser.set(user, n); else this.perUser.delete(user);
    };
  }

  get inProgress(): number { return this.total; }
  /** Bytes received so far by the uploads in progress (receiveUpload counts them). */
  readonly received = { bytes: 0 };
}
