/**
 * Reading one zip entry's bytes from an open file handle: the local header, the raw data, then
 * inflate (zlib, off the event loop) with the output bounded by the entry's declared size and the
 * CRC checked.
 *
 * Why not yauzl's read streams: cutting one short (a header check wants 33 bytes of a large entry)
 * destroys it while its raw read is still queued, and closing the zip then crashes the process
 * inside yauzl's fd-slicer. Here nothing is ever cut short: a head read inflates a raw prefix
 * synchronously, and FileHandle.close() waits for reads in flight. yauzl still lists the central
 * directory (sources.ts).
 */
import type { FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import { constants, crc32, inflateRaw, inflateRawSync } from 'node:zlib';

const inflateRawAsync = promisify(inflateRaw);

/** The fields of a central-directory entry that reading needs (yauzl's Entry has them). */
export interface EntryLocation {
  relativeOffsetOfLocalHeader: number;
  compressedSize: number;
  uncompressedSize: number;
  compressionMethod: number;
  crc32: number;
  /** Where the entry's data must have ended (the next entry, or the central directory: zip-extent.ts). */
  end?: number;
}

const LOCAL_HEADER = 30;
const LOCAL_SIGNATURE = 0x04034b50;
/** Raw bytes inflated for a head read at first; doubled while the output is short. */
const HEAD_PREFIX = 4096;
const HEAD_PREFIX_MAX = 256 * 1024;

export class ZipEntryError extends Error {}

async function dataStart(fh: FileHandle, fileSize: number, e: EntryLocation): Promise<number> {
  const head = Buffer.alloc(LOCAL_HEADER);
  const { bytesRead } = await fh.read(head, 0, LOCAL_HEADER, e.relativeOffsetOfLocalHeader);
  if (bytesRead < LOCAL_HEADER || head.readUInt32LE(0) !== LOCAL_SIGNATURE) throw new ZipEntryError('invalid local file header');
  const start = e.relativeOffsetOfLocalHeader + LOCAL_HEADER + head.readUInt16LE(26) + head.readUInt16LE(28);
  if (start + e.compressedSize > fileSize) throw new ZipEntryError('entry data runs past the end of the archive');
  // the local header may name a longer extra field than the listing allowed for: checked again here
  if (e.end !== undefined && start + e.compressedSize > e.end) throw new ZipEntryError('entry data overlaps the next entry');
  return start;
}

async function readRaw(fh: FileHandle, at: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, at + got);
    if (bytesRead === 0) throw new ZipEntryError('unexpected end of the archive');
    got += bytesRead;
  }
  return buf;
}

/** The whole entry, inflated, its size and CRC checked. Memory: compressed + declared size. */
export async function readEntryBytes(fh: FileHandle, fileSize: number, e: EntryLocation): Promise<Buffer> {
  const raw = await readRaw(fh, await dataStart(fh, fileSize, e), e.compressedSize);
  let out: Buffer;
  if (e.compressionMethod === 0) out = raw;
  else {
    try {
      out = await inflateRawAsync(raw, { maxOutputLength: Math.max(1, e.uncompressedSize) });
    } catch (x) {
      const code = (x as NodeJS.ErrnoException).code;
      throw new ZipEntryError(code === 'ERR_BUFFER_TOO_LARGE' ? 'inflates to more than its declared size' : `corrupt compressed data (${(x as Error).message})`);
    }
  }
  if (out.length !== e.uncompressedSize) throw new ZipEntryError(`holds ${out.length} bytes but declares ${e.uncompressedSize}`);
  if (crc32(out) >>> 0 !== e.crc32 >>> 0) throw new ZipEntryError('CRC-32 mismatch (the archive is damaged)');
  return out;
}

/**
 * At most the first `n` bytes of the entry (fewer when it is shorter or its data is corrupt):
 * a raw prefix is inflated with a sync flush, so a large entry is never read whole.
 */
export async function readEntryHead(fh: FileHandle, fileSize: number, e: EntryLocation, n: number): Promise<Buffer> {
  const start = await dataStart(fh, fileSize, e);
  if (e.compressionMethod === 0) return readRaw(fh, start, Math.min(n, e.compressedSize));
  for (let prefix = HEAD_PREFIX; ; prefix *= 2) {
    const take = Math.min(prefix, e.compressedSize);
    const raw = await readRaw(fh, start, take);
    let out: Buffer;
    try {
      // deflate expands at most ~1032:1, so the output of a bounded prefix is bounded too
      out = inflateRawSync(raw, { finishFlush: constants.Z_SYNC_FLUSH });
    } catch {
      return Buffer.alloc(0);
    }
    if (out.length >= n || take === e.compressedSize || prefix >= HEAD_PREFIX_MAX) return out.subarray(0, n);
  }
}
