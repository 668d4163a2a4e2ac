/**
 * Where prediction masks come from: a directory, or a zip read in place (never unpacked to disk,
 * never loaded whole: the central directory is read once, then each entry is inflated on demand
 * with its size bounded).
 *
 * Zip layouts: masks at the root (`wnid/name.png`) or under one top folder (`preds/wnid/name.png`).
 * Zip entries are untrusted: names escaping the root, symlinks, encrypted entries, oversized or
 * over-compressed entries are reported as problems and never read.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { listFiles } from './files.ts';
import yauzl from 'yauzl';
import type { Problem } from './problems.ts';

export interface SourceLimits {
  /** Largest uncompressed size of one entry. */
  maxEntryBytes: number;
  /** Largest number of entries in a zip. */
  maxEntries: number;
  /** Largest uncompressed / compressed ratio of one entry (bomb guard). */
  maxCompressionRatio: number;
}

export const DEFAULT_SOURCE_LIMITS: SourceLimits = {
  maxEntryBytes: 64 * 1024 * 1024,
  maxEntries: 200_000,
  maxCompressionRatio: 100, // masks are already deflated inside the PNG: a zip of them compresses ~1:1; deflate peaks near 1032:1
};

/** Files the sources skip silently: submission metadata and OS droppings. */
const METADATA = /^(method\.txt|match\.json|readme(\.\w+)?)$/i;
const JUNK = /(^|\/)(__MACOSX\/|\.DS_Store$|Thumbs\.db$|\._)/;

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
  /** A non-mask file of the submission (e.g. match.json), if present. */
  readExtra(name: string): Promise<Buffer | null>;
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
  async readExtra(name: string): Promise<Buffer | null> {
    try { return await readFile(join(this.root, name)); } catch { return null; }
  }
  async close(): Promise<void> {}
}

export class ZipSource implements PredictionSource {
  readonly problems: Problem[] = [];
  readonly others: string[] = [];
  private readonly masks = new Map<string, yauzl.Entry>();
  private readonly extras = new Map<string, yauzl.Entry>();

  private constructor(
    readonly description: string,
    /** null when the file could not be opened as a zip (the reason is in `problems`). */
    private readonly zip: yauzl.ZipFile | null,
    private readonly limits: SourceLimits,
  ) {}

  static async open(path: string, names: string[], limits: SourceLimits): Promise<ZipSource> {
    let zip: yauzl.ZipFile;
    try {
      zip = await new Promise<yauzl.ZipFile>((res, rej) =>
        yauzl.open(path, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true, strictFileNames: false }, (err, z) => (err ? rej(err) : res(z!))),
      );
    } catch (e) {
      const src = new ZipSource(path, null, limits);
      src.problems.push({ file: path, problem: `not a readable zip archive (${(e as Error).message})` });
      return src;
    }
    const src = new ZipSource(path, zip, limits);
    const entries = await readAllEntries(zip, limits.maxEntries, src.problems, path);
    src.index(entries, names);
    return src;
  }

  private index(entries: yauzl.Entry[], names: string[]): void {
    const masks: [string, yauzl.Entry][] = [];
    const seen = new Set<string>();
    for (const e of entries) {
      const name = entryName(e);
      if (name.endsWith('/')) continue; // directory entry
      const why = unsafeEntry(e, name, this.limits);
      if (why) { this.problems.push({ file: name, problem: why }); continue; }
      if (seen.has(name)) { this.problems.push({ file: name, problem: 'duplicate entry in the zip' }); continue; }
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

  read(rel: string): Promise<Buffer> {
    const e = this.masks.get(rel);
    if (!e || !this.zip) return Promise.reject(new Error(`no entry ${rel}`));
    return readEntry(this.zip, e);
  }

  async readExtra(name: string): Promise<Buffer | null> {
    const e = this.extras.get(name);
    return e && this.zip ? readEntry(this.zip, e) : null;
  }

  /**
   * The first `n` bytes of a mask (header checks of uploads). Large entries are inflated only as far
   * as needed; small ones are cheaper to read whole than to cut short (measured: ~2× on 2 KB masks).
   */
  async readHead(rel: string, n: number): Promise<Buffer> {
    const e = this.masks.get(rel);
    if (!e || !this.zip) throw new Error(`no entry ${rel}`);
    const buf = await readEntry(this.zip, e, e.uncompressedSize > 65536 ? n : Infinity);
    return buf.subarray(0, n);
  }

  async close(): Promise<void> { this.zip?.close(); }
}

function entryName(e: yauzl.Entry): string {
  const raw = e.fileName as unknown as Buffer;
  // bit 11: UTF-8 names; otherwise CP437, identical to latin1 for the ASCII names masks use
  return (e.generalPurposeBitFlag & 0x800 ? raw.toString('utf8') : raw.toString('latin1')).replace(/\\/g, '/');
}

function unsafeEntry(e: yauzl.Entry, name: string, limits: SourceLimits): string | null {
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name) || name.split('/').includes('..')) return 'path escapes the archive root (zip-slip)';
  if (name.includes('\0')) return 'path contains a NUL byte';
  const mode = (e.externalFileAttributes >>> 16) & 0o170000;
  if (mode === 0o120000) return 'symbolic link (not allowed)';
  if (e.generalPurposeBitFlag & 0x1) return 'encrypted entry (not supported)';
  if (e.compressionMethod !== 0 && e.compressionMethod !== 8) return `unsupported compression method ${e.compressionMethod}`;
  if (e.uncompressedSize > limits.maxEntryBytes) return `uncompressed size ${e.uncompressedSize} bytes exceeds the limit of ${limits.maxEntryBytes}`;
  if (e.compressedSize > 0 && e.uncompressedSize / e.compressedSize > limits.maxCompressionRatio) {
    return `compression ratio ${Math.round(e.uncompressedSize / e.compressedSize)}:1 exceeds the limit of ${limits.maxCompressionRatio}:1`;
  }
  return null;
}

/** The top folder to strip: "" when the names are found at the root, "X/" when all masks sit under X/. */
export function detectTopFolder(paths: string[], names: string[]): string {
  if (paths.length === 0) return '';
  const set = new Set(paths);
  const probe = names.slice(0, 50);
  if (probe.some((n) => set.has(n))) return '';
  const tops = new Set(paths.map((p) => (p.includes('/') ? p.slice(0, p.indexOf('/') + 1) : '')));
  if (tops.size === 1) {
    const [top] = tops;
    if (top && probe.some((n) => set.has(top + n))) return top;
  }
  return '';
}

function readAllEntries(zip: yauzl.ZipFile, max: number, problems: Problem[], path: string): Promise<yauzl.Entry[]> {
  return new Promise((resolve) => {
    const entries: yauzl.Entry[] = [];
    if (zip.entryCount > max) {
      problems.push({ file: path, problem: `the zip holds ${zip.entryCount} entries; the limit is ${max}` });
      resolve(entries);
      return;
    }
    zip.on('entry', (e: yauzl.Entry) => { entries.push(e); zip.readEntry(); });
    zip.on('end', () => resolve(entries));
    zip.on('error', (err: Error) => {
      problems.push({ file: path, problem: `corrupt zip archive (${err.message})` });
      resolve(entries);
    });
    zip.readEntry();
  });
}

/** Reads an entry, or only its first `limit` bytes (the stream is then closed early). */
function readEntry(zip: yauzl.ZipFile, e: yauzl.Entry, limit = Infinity): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(e, (err, stream) => {
      if (err || !stream) return reject(err ?? new Error('cannot open entry'));
      const chunks: Buffer[] = [];
      let got = 0;
      const done = (): void => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
      stream.on('data', (c: Buffer) => {
        chunks.push(c);
        got += c.length;
        if (got >= limit) { stream.removeAllListeners('end'); stream.destroy(); done(); }
      });
      stream.on('error', (x) => { if (got < limit) reject(x); });
      stream.on('end', done);
    });
  });
}
