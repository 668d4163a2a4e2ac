/**
 * The upload page's check of a zip in the browser, before any byte is sent: the file list against
 * the benchmark's names list and every mask's PNG header against its GT size. The rules, their
 * codes and their messages are the server's own modules (rules.ts, mask-header.ts, zip-layout.ts),
 * bundled, not copied; the server checks again (and more: zip safety, metadata) on upload.
 */
import { checkMaskHeader, HEADER_BYTES } from '../../evaluator/input/mask-header.ts';
import { problem, sortProblems, type Problem } from '../../evaluator/input/rules.ts';
import { detectTopFolder, JUNK, METADATA } from '../../evaluator/input/zip-layout.ts';
import { checkExtents } from '../../evaluator/input/zip-extent.ts';

export interface BenchmarkMasks { benchmark: string; subsetName: string; maxPixels: number; masks: string[]; sizes: ([number, number] | null)[] }
interface Entry { name: string; method: number; compressedSize: number; uncompressedSize: number; offset: number; nameBytes: number }

/**
 * The server's own answer for an archive it cannot open or list (sources.ts, through yauzl): the
 * same code, file and, for a file that is no zip or was cut short, the same words.
 */
const NOT_A_ZIP = problem('zip-unreadable', 'upload', { reason: 'End of central directory record signature not found. Either not a zip file, or file is truncated.' });
const CORRUPT = (reason: string) => problem('zip-corrupt', 'upload', { reason });

/** The entries, or the problem that stops the server too; null when only the server can tell (zip64). */
async function listZip(file: File): Promise<{ entries: Entry[]; cdOffset: number } | Problem | null> {
  const tailStart = Math.max(0, file.size - 65_557);
  const tail = new DataView(await file.slice(tailStart).arrayBuffer());
  let eocd = -1;
  for (let i = tail.byteLength - 22; i >= 0; i--) if (tail.getUint32(i, true) === 0x06054b50) { eocd = i; break; }
  if (eocd < 0) return NOT_A_ZIP;
  const count = tail.getUint16(eocd + 10, true), cdSize = tail.getUint32(eocd + 12, true), cdOffset = tail.getUint32(eocd + 16, true);
  if (count === 0xffff || cdOffset === 0xffffffff) return null;
  if (cdOffset + cdSize > file.size) return CORRUPT('unexpected EOF');
  const cd = new DataView(await file.slice(cdOffset, cdOffset + cdSize).arrayBuffer());
  const entries: Entry[] = [];
  const utf8 = new TextDecoder('utf-8'), latin1 = new TextDecoder('latin1');
  for (let p = 0, k = 0; k < count; k++) {
    if (p + 46 > cd.byteLength) return CORRUPT('unexpected EOF');
    if (cd.getUint32(p, true) !== 0x02014b50) return CORRUPT(`invalid central directory file header signature: 0x${cd.getUint32(p, true).toString(16)}`);
    const flags = cd.getUint16(p + 8, true), n = cd.getUint16(p + 28, true), m = cd.getUint16(p + 30, true), c = cd.getUint16(p + 32, true);
    const raw = new Uint8Array(cd.buffer, p + 46, n);
    entries.push({ name: (flags & 0x800 ? utf8 : latin1).decode(raw).replace(/\\/g, '/'), method: cd.getUint16(p + 10, true), compressedSize: cd.getUint32(p + 20, true), uncompressedSize: cd.getUint32(p + 24, true), offset: cd.getUint32(p + 42, true), nameBytes: n });
    p += 46 + n + m + c;
  }
  return { entries, cdOffset };
}

/** The first bytes of an entry, inflated from a prefix of its data (a large mask is never read whole). */
async function head(file: File, e: Entry): Promise<Uint8Array> {
  const local = new DataView(await file.slice(e.offset, e.offset + 30).arrayBuffer());
  if (local.byteLength < 30 || local.getUint32(0, true) !== 0x04034b50) return new Uint8Array(0);
  const start = e.offset + 30 + local.getUint16(26, true) + local.getUint16(28, true);
  const prefix = file.slice(start, start + Math.min(e.compressedSize, 4096));
  if (e.method === 0) return new Uint8Array(await prefix.slice(0, HEADER_BYTES).arrayBuffer());
  const out: number[] = [];
  const reader = prefix.stream().pipeThrough(new DecompressionStream('deflate-raw')).getReader();
  try {
    while (out.length < HEADER_BYTES) {
      const { value, done } = await reader.read();
      if (done || !value) break;
      for (const b of value) out.push(b);
    }
  } catch { /* the prefix ends mid-stream: what came out is what we have */ }
  void reader.cancel().catch(() => {});
  return Uint8Array.from(out.slice(0, HEADER_BYTES));
}

/** Every problem the server's file-list and header rules would report, or null when it cannot tell. */
export async function checkZip(file: File, b: BenchmarkMasks, onProgress: (done: number, total: number) => void): Promise<Problem[] | null> {
  const listed = await listZip(file);
  if (!listed) return null;
  if ('code' in listed) return [listed];
  const { entries } = listed;
  // the server refuses overlapping or impossibly large entries before anything else: so does this
  const extents = checkExtents(entries, listed.cdOffset).problems;
  if (extents.length) return extents;
  const files = entries.filter((e) => !e.name.endsWith('/') && !JUNK.test(e.name));
  const pngs = files.filter((e) => e.name.toLowerCase().endsWith('.png'));
  const prefix = detectTopFolder(pngs.map((e) => e.name), b.masks);
  const masks = new Map<string, Entry>();
  const problems: Problem[] = [];
  const others: string[] = [];
  for (const e of pngs) {
    if (prefix && !e.name.startsWith(prefix)) { others.push(e.name); continue; }
    masks.set(e.name.slice(prefix.length), e);
  }
  for (const e of files.filter((x) => !x.name.toLowerCase().endsWith('.png'))) {
    const rel = prefix && e.name.startsWith(prefix) ? e.name.slice(prefix.length) : e.name;
    if (!METADATA.test(rel)) others.push(rel);
  }
  const wanted = new Set(b.masks);
  b.masks.forEach((rel) => { if (!masks.has(rel)) problems.push(problem('missing-file', rel)); });
  for (const rel of masks.keys()) if (!wanted.has(rel)) problems.push(problem('extra-file', rel, { split: b.subsetName }));
  for (const rel of others) problems.push(problem('unexpected-file', rel));
  const present = b.masks.map((rel, i) => [rel, i] as const).filter(([rel]) => masks.has(rel));
  let done = 0, next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < present.length) {
      const [rel, i] = present[next++];
      problems.push(...checkMaskHeader(await head(file, masks.get(rel)!), rel, b.sizes[i], b.maxPixels).problems);
      if (++done % 200 === 0 || done === present.length) onProgress(done, present.length);
    }
  }));
  return sortProblems(problems, b.masks);
}
