/**
 * Streams a multipart upload to a temporary file under a size limit (busboy): the zip never sits
 * in memory, and an upload over the limit is cut off and removed.
 */
import busboy from 'busboy';
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Request } from 'express';
import { HttpError } from './errors.ts';

export interface Received {
  fields: Record<string, string>;
  file: { path: string; bytes: number } | null;
}

export async function receiveUpload(req: Request, tmpDir: string, maxBytes: number): Promise<Received> {
  const declared = Number(req.get('content-length') ?? 0);
  if (declared > maxBytes + 64 * 1024) {
    // Read and discard a body of plausible size (nothing is stored) so the client can finish
    // sending and read the 413; beyond that, close the connection at once.
    const drain = declared <= 4 * maxBytes;
    if (drain) await new Promise<void>((resolve) => { req.on('end', resolve); req.on('close', resolve); req.resume(); });
    throw new HttpError(413, `upload of ${declared} bytes exceeds the limit of ${maxBytes} bytes`, { close: !drain });
  }
  let bb: busboy.Busboy;
  try {
    bb = busboy({ headers: req.headers, limits: { files: 1, fileSize: maxBytes, fields: 20, fieldSize: 16 * 1024 } });
  } catch {
    throw new HttpError(400, 'expected a multipart/form-data body with fields "benchmark" and "file"');
  }
  const fields: Record<string, string> = {};
  let file: Received['file'] = null;
  let tooLarge = false, extraFiles = false;
  let writing: Promise<void> = Promise.resolve();
  const path = join(tmpDir, `${randomUUID()}.zip`);

  const done = new Promise<void>((resolve, reject) => {
    bb.on('field', (name, value) => { fields[name] = value; });
    bb.on('file', (name, stream) => {
      if (name !== 'file' || file) { extraFiles = true; stream.resume(); return; }
      file = { path, bytes: 0 };
      const out = createWriteStream(path);
      stream.on('data', (c: Buffer) => { file!.bytes += c.length; });
      stream.on('limit', () => { tooLarge = true; });
      writing = new Promise<void>((res, rej) => {
        out.on('finish', res);
        out.on('error', rej);
        stream.on('error', rej);
      });
      stream.pipe(out);
    });
    bb.on('filesLimit', () => { extraFiles = true; });
    bb.on('error', reject);
    bb.on('close', resolve);
  });
  req.pipe(bb);
  try {
    await done;
    await writing;
  } catch {
    await rm(path, { force: true });
    throw new HttpError(400, 'the upload was interrupted or is not valid multipart/form-data');
  }
  if (tooLarge) {
    await rm(path, { force: true });
    throw new HttpError(413, `upload exceeds the limit of ${maxBytes} bytes`);
  }
  if (extraFiles) {
    await rm(path, { force: true });
    throw new HttpError(400, 'send exactly one file, in the field "file"');
  }
  if (file) {
    // on disk before we answer 202: an accepted submission survives a crash
    const fh = await open(path, 'r+');
    try { await fh.sync(); } finally { await fh.close(); }
  }
  return { fields, file };
}
