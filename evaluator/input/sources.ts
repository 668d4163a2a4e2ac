/**
 * Where prediction masks come from: a directory, or a zip read in place (never unpacked to disk,
 * never loaded whole: the central directory is read once, then each entry is inflated on demand
 * with its size bounded).
 *
 * Zip layouts: masks at the root (`wnid/name.png`) or under one top folder (`preds/wnid/name.png`).
 * Zip entries are untrusted: names escaping the root, symlinks, encrypted entries, oversized or
 * over-compressed entries are reported as problems and never read.
 */
import { open, readFile, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { listFiles } from '../../util/files.ts';
import yauzl from 'yauzl';
import { problem, type Problem } from './rules.ts';
import { readEntryBytes, readEntryHead } from './zip-entry.ts';
import { detectTopFolder, JUNK, METADATA } from './zip-layout.ts';
import { checkExtents } from './zip-extent.ts';

export { detectTopFolder };

export interface SourceLimits {
  /** Largest uncompressed size of one entry. */
  maxEntryBytes: number;
  /** Largest number of entries in a zip. */
  maxEntries: number;
  /** Largest uncompressed / compressed ratio of one entry (bomb guard). */
  maxCompressionRatio: number;
  /** Longest entry name, extra field and comment in the central directory, bytes. */
  maxNameBytes: number;
  maxExtraBytes: number;
  maxCommentBytes: number;
}

/**
 * Memory while listing a zip is bounded by these: at most maxEntries entries are kept, each with
 * at most name + extra + comment ≤ 1.8 KiB of its own bytes (about 3 KiB with yauzl's objects), so
 * 200,000 entries stay under ~600 MB and a 27,423-mask upload (whose limit is its mask count +
 * 1,024, see SourceLimits users) under ~90 MB; the first entry over a limit stops the listing.
 */
export const DEFAULT_SOURCE_LIMITS: SourceLimits = {
  maxEntryBytes: 64 * 1024 * 1024,
  maxEntries: 200_000,
  maxCompressionRatio: 100, // masks are already deflated inside the PNG: a zip of them compresses ~1:1; deflate peaks near 1032:1
  // real writers: names are short paths; extra fields hold timestamps, Unix ids, zip64 sizes (≤ ~80 bytes)
  maxNameBytes: 512,
  maxExtraBytes: 256,
  maxCommentBytes: 1024,
};

/** Thrown by readExtra when a metadata file is larger than the caller allows (nothing is read). */
export class TooLargeError extends Error {
  constructor(readonly bytes: number, readonly limit: number) {
    super(`${bytes} bytes; the limit is ${limit}`);
  }
}


export interface PredictionSource {
  readonly description: string;
  /** Mask paths (relative, `/`-separated, after the layout's top folder is removed). */
  files(): string[];
  /** Problems found while opening (unsafe entries, …). */
  readonly problems: Problem[];
  /** Everything else in the source (not masks, not metadata), for the report. */
  readonly others: string[];
  /** A local path a worker can read itself, or null when the bytes must be passed. */
  pathOf(rel: string): string | null;
  read(rel: string): Promise<Buffer>;
  /** At most the first `n` bytes of a mask (header checks), without reading it whole. */
  readHead(rel: string, n: number): Promise<Buffer>;
  /** The stored size of a mask in bytes (declared, in a zip), checked against bounds before reading. */
  sizeOf(rel: string): number | undefined;
  /** A non-mask file of the submission (e.g. match.json), if present; TooLargeError over maxBytes. */
  readExtra(name: string, maxBytes: number): Promise<Buffer | null>;
  close(): Promise<void>;
}

export async function openPredictionSource(
  path: string,
  names: string[],
  limits: SourceLimits = DEFAULT_SOURCE_LIMITS,
): Promise<PredictionSource> {
  const st = await stat(path);
  if (st.isDirectory()) return DirectorySource.open(path);
  return ZipSource.open(path, names, limits);
}

export class DirectorySource implements PredictionSource {
  readonly problems: Problem[] = [];
  readonly others: string[] = [];
  private constructor(
    readonly root: string,
    private readonly list: string[],
  ) {}

  static async open(root: string): Promise<DirectorySource> {
    const list: string[] = [];
    const src = new DirectorySource(root, list);
    for (const rel of await listFiles(root)) {
      if (JUNK.test(rel)) continue;
      if (rel.toLowerCase().endsWith('.png')) list.push(rel);
      else if (!METADATA.test(rel)) src.others.push(rel);
    }
    list.sort();
    return src;
  }

  get description(): string { return this.root; }
  files(): string[] { return this.list; }
  pathOf(rel: string): string { return join(this.root, rel); }
  read(rel: string): Promise<Buffer> { return readFile(join(this.root, rel)); }
  async readHead(rel: string, n: number): Promise<Buffer> {
    const fh = await open(join(this.root, rel), 'r');
    try {
      const buf = Buffer.alloc(n);
      const { bytesRead } = await fh.read(buf, 0, n, 0);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  }
  /** Not bounded here: a directory is the host's or the CLI user's own disk. */
  sizeOf(): undefined { return undefined; }
  async readExtra(name: string, maxBytes: number): Promise<Buffer | null> {
    let size: number;
    try { size = (await stat(join(this.root, name))).size; } catch { return null; }
    if (size > maxBytes) throw new TooLargeError(size, maxBytes);
    return readFile(join(this.root, name));
  }
  async close(): Promise<void> {}
}

export class ZipSource implements PredictionSource {
  readonly problems: Problem[] = [];
  readonly others: string[] = [];
  private readonly masks = new Map<string, Located>();
  private readonly extras = new Map<string, Located>();

  private constructor(
    readonly description: string,
    /** null when the file could not be opened as a zip (the reason is in `problems`). */
    private readonly fh: FileHandle | null,
    private readonly size: number,
    private readonly limits: SourceLimits,
  ) {}

  static async open(path: string, names: string[], limits: SourceLimits): Promise<ZipSource> {
    let zip: yauzl.ZipFile;
    try {
      zip = await new Promise<yauzl.ZipFile>((res, rej) =>
        yauzl.open(path, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true, strictFileNames: false }, (err, z) => (err ? rej(err) : res(z!))),
      );
    } catch (e) {
      const src = new ZipSource(path, null, 0, limits);
      src.problems.push(problem('zip-unreadable', path, { reason: (e as Error).message }));
      return src;
    }
    const problems: Problem[] = [];
    let entries: yauzl.Entry[];
    // yauzl starts listing at the central directory: where every entry's data must have ended
    const centralDirectory = (zip as unknown as { readEntryCursor: number }).readEntryCursor;
    try {
      entries = await readAllEntries(zip, limits, problems, path);
    } finally {
      // entries are read through our own handle (zip-entry.ts); yauzl only lists them
      zip.close();
    }
    const fh = await open(path, 'r');
    const size = (await fh.stat()).size;
    const src = new ZipSource(path, fh, size, limits);
    src.problems.push(...problems);
    if (!problems.length) src.index(entries, names, Number.isSafeInteger(centralDirectory) ? centralDirectory : size);
    return src;
  }

  private index(listed: yauzl.Entry[], names: string[], centralDirectory: number): void {
    // every entry's data bounded by its declared size and by its neighbours, before any is read
    const extents = checkExtents(listed.map((e) => ({ name: entryName(e), offset: e.relativeOffsetOfLocalHeader, nameBytes: e.fileNameLength, compressedSize: e.compressedSize, uncompressedSize: e.uncompressedSize, method: e.compressionMethod })), centralDirectory);
    this.problems.push(...extents.problems);
    if (extents.problems.length) return;
    const entries: Located[] = listed.map((e, i) => Object.assign(e, { end: extents.ends[i] }));
    const masks: [string, Located][] = [];
    const seen = new Set<string>();
    for (const e of entries) {
      const name = entryName(e);
      if (name.endsWith('/')) continue; // directory entry
      const why = unsafeEntry(e, name, this.limits);
      if (why) { this.problems.push(why); continue; }
      if (seen.has(name)) { this.problems.push(problem('zip-duplicate', name)); continue; }
      seen.add(name);
      if (JUNK.test(name)) continue;
      if (name.toLowerCase().endsWith('.png')) masks.push([name, e]);
      else this.extras.set(name, e);
    }
    const prefix = detectTopFolder(masks.map(([n]) => n), names);
    for (const [n, e] of masks) {
      if (prefix && !n.startsWith(prefix)) { this.others.push(n); continue; }
      this.masks.set(n.slice(prefix.length), e);
    }
    for (const n of [...this.extras.keys()]) {
      const rel = prefix && n.startsWith(prefix) ? n.slice(prefix.length) : n;
      if (rel !== n) { this.extras.set(rel, this.extras.get(n)!); this.extras.delete(n); }
      if (!METADATA.test(rel)) this.others.push(rel);
    }
  }

  files(): string[] { return [...this.masks.keys()].sort(); }
  pathOf(): null { return null; }

  /** Declared uncompressed size of a mask entry (checked against bounds before reading). */
  sizeOf(rel: string): number | undefined {
    return this.masks.get(rel)?.uncompressedSize;
  }

  read(rel: string): Promise<Buffer> {
    const e = this.masks.get(rel);
    if (!e || !this.fh) return Promise.reject(new Error(`no entry ${rel}`));
    return readEntryBytes(this.fh, this.size, e);
  }

  async readExtra(name: string, maxBytes: number): Promise<Buffer | null> {
    const e = this.extras.get(name);
    if (!e || !this.fh) return null;
    if (e.uncompressedSize > maxBytes) throw new TooLargeError(e.uncompressedSize, maxBytes);
    return readEntryBytes(this.fh, this.size, e);
  }

  /** At most the first `n` bytes of a mask (header checks of uploads), never inflating it whole. */
  async readHead(rel: string, n: number): Promise<Buffer> {
    const e = this.masks.get(rel);
    if (!e || !this.fh) throw new Error(`no entry ${rel}`);
    return readEntryHead(this.fh, this.size, e, n);
  }

  /** Waits for reads in flight (FileHandle.close does), so closing early is always safe. */
  async close(): Promise<void> { await this.fh?.close(); }
}

/** A listed entry with the offset its data must end by (zip-extent.ts). */
type Located = yauzl.Entry & { end: number };

function entryName(e: yauzl.Entry): string {
  const raw = e.fileName as unknown as Buffer;
  // bit 11: UTF-8 names; otherwise CP437, identical to latin1 for the ASCII names masks use
  return (e.generalPurposeBitFlag & 0x800 ? raw.toString('utf8') : raw.toString('latin1')).replace(/\\/g, '/');
}

function unsafeEntry(e: yauzl.Entry, name: string, limits: SourceLimits): Problem | null {
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name) || name.split('/').includes('..')) return problem('zip-slip', name);
  if (name.includes('\0')) return problem('zip-nul-name', name);
  const mode = (e.externalFileAttributes >>> 16) & 0o170000;
  if (mode === 0o120000) return problem('zip-symlink', name);
  if (e.generalPurposeBitFlag & 0x1) return problem('zip-encrypted', name);
  if (e.compressionMethod !== 0 && e.compressionMethod !== 8) return problem('zip-method', name, { method: e.compressionMethod });
  if (e.uncompressedSize > limits.maxEntryBytes) return problem('zip-entry-size', name, { bytes: e.uncompressedSize, limit: limits.maxEntryBytes });
  if (e.compressedSize > 0 && e.uncompressedSize / e.compressedSize > limits.maxCompressionRatio) {
    return problem('zip-ratio', name, { ratio: Math.round(e.uncompressedSize / e.compressedSize), limit: limits.maxCompressionRatio });
  }
  return null;
}

/**
 * Lists the central directory one entry at a time, checking each entry's variable-length fields
 * as it arrives; the first entry over a limit (or a count over maxEntries) ends the listing, so
 * memory stays bounded whatever the central directory holds.
 */
function readAllEntries(zip: yauzl.ZipFile, limits: SourceLimits, problems: Problem[], path: string): Promise<yauzl.Entry[]> {
  return new Promise((resolve) => {
    const entries: yauzl.Entry[] = [];
    if (zip.entryCount > limits.maxEntries) {
      problems.push(problem('zip-too-many-entries', path, { entries: zip.entryCount, limit: limits.maxEntries }));
      resolve(entries);
      return;
    }
    zip.on('entry', (e: yauzl.Entry) => {
      const over = e.fileNameLength > limits.maxNameBytes ? { field: 'name', bytes: e.fileNameLength, limit: limits.maxNameBytes }
        : e.extraFieldLength > limits.maxExtraBytes ? { field: 'extra', bytes: e.extraFieldLength, limit: limits.maxExtraBytes }
          : e.fileCommentLength > limits.maxCommentBytes ? { field: 'comment', bytes: e.fileCommentLength, limit: limits.maxCommentBytes } : null;
      if (over) {
        problems.push(problem('zip-entry-fields', path, { entry: entries.length + 1, ...over }));
        resolve(entries);
        return;
      }
      entries.push(e);
      zip.readEntry();
    });
    zip.on('end', () => resolve(entries));
    zip.on('error', (err: Error) => {
      problems.push(problem('zip-corrupt', path, { reason: err.message }));
      resolve(entries);
    });
    zip.readEntry();
  });
}
