/**
 * The complete check of an uploaded zip, before anything is queued: zip safety (in ZipSource),
 * the file list against the split (missing, extra), every PNG header (size equal to the GT's,
 * encoding, pixel limit), match.json and method.txt. All problems are returned together.
 */
import { checkEncoding, checkPixelLimit, readPngHeader } from '../evaluator/png.ts';
import { parseMatch, type Match } from '../evaluator/match.ts';
import type { Problem } from '../evaluator/problems.ts';
import { ZipSource, TooLargeError, type SourceLimits, DEFAULT_SOURCE_LIMITS } from '../evaluator/sources.ts';
import { Catalogue, type Benchmark } from './catalogue.ts';

export interface UploadMeta {
  method?: string;
  description?: string;
  link?: string;
}

export interface UploadCheck {
  problems: Problem[];
  meta: UploadMeta;
  match: Match | null;
}

export const MAX_META_BYTES = 16 * 1024;
/**
 * match.json maps at most C + 1 ids ("65535": 919 is 14 bytes a pair): 256 KiB is ample, and a
 * file this small parses in well under a millisecond on the main thread.
 */
export const MAX_MATCH_BYTES = 256 * 1024;
/** Bytes of a mask read for its header check: the signature and IHDR are the first 33. */
const HEADER_BYTES = 33;
/** Entries beyond the benchmark's masks that a zip may hold (folders, metadata, OS droppings). */
const SPARE_ENTRIES = 1024;

/** The zip limits of an upload to `b`: the listing is bounded by the benchmark's own size. */
export function uploadLimits(b: Benchmark): SourceLimits {
  return { ...DEFAULT_SOURCE_LIMITS, maxEntries: b.masks.length + SPARE_ENTRIES };
}

/**
 * The largest PNG a width × height mask can be: 8 bytes a pixel (16-bit RGBA) plus a filter byte a
 * row, deflate's worst-case expansion (stored blocks), and 1 MiB of chunks around it. An entry
 * declaring more is refused before it is read: scoring reads every mask whole.
 */
export function maxMaskBytes(width: number, height: number): number {
  const raw = 8 * width * height + height;
  return raw + Math.ceil(raw / 16_384) * 5 + 1024 * 1024;
}

export async function checkUpload(zipPath: string, b: Benchmark, maxPixels: number): Promise<UploadCheck> {
  const src = await ZipSource.open(zipPath, b.masks, uploadLimits(b));
  try {
    const problems: Problem[] = [...src.problems];
    const meta: UploadMeta = {};
    let match: Match | null = null;
    if (src.problems.some((p) => p.file === zipPath)) {
      // not a zip at all: name the upload, not the server's path
      return { problems: src.problems.map((p) => ({ file: 'upload', problem: p.problem })), meta, match };
    }

    const files = new Set(src.files());
    const wanted = new Set(b.masks);
    for (const m of b.masks) if (!files.has(m)) problems.push({ file: m, problem: 'prediction file is missing' });
    for (const f of files) if (!wanted.has(f)) problems.push({ file: f, problem: `not a mask of ${b.split.name} ${b.phase} (extra file)` });
    for (const f of src.others) problems.push({ file: f, problem: 'unexpected file (a submission holds PNG masks, and optionally match.json and method.txt)' });

    // Every present mask's header: encoding, pixel limit and size against the GT.
    const present = b.masks.filter((m) => files.has(m));
    await forEachLimit(present, 16, async (rel) => {
      const gtSize = b.sizes.get(rel);
      const bytes = src.sizeOf(rel) ?? 0;
      if (gtSize && bytes > maxMaskBytes(gtSize[0], gtSize[1])) {
        problems.push({ file: rel, problem: `${bytes} bytes uncompressed: larger than any PNG mask of ${gtSize[0]}×${gtSize[1]} can be (${maxMaskBytes(gtSize[0], gtSize[1])})` });
        return;
      }
      try {
        const head = await src.readHead(rel, HEADER_BYTES);
        const h = readPngHeader(head);
        checkEncoding(h);
        checkPixelLimit(h, maxPixels);
        const gt = b.sizes.get(rel);
        if (gt && (gt[0] !== h.width || gt[1] !== h.height)) {
          const transposed = gt[0] === h.height && gt[1] === h.width;
          problems.push({ file: rel, problem: `prediction is ${h.width}×${h.height} (width×height) but the ground truth is ${gt[0]}×${gt[1]}${transposed ? ' (transposed)' : ''}` });
        }
      } catch (e) {
        problems.push({ file: rel, problem: (e as Error).message });
      }
    });

    const needs = Catalogue.needsMatch(b);
    const matchBuf = await readMeta(src, 'match.json', MAX_MATCH_BYTES, problems);
    if (matchBuf) {
      if (needs === 'none') problems.push({ file: 'match.json', problem: `the ${b.protocol} protocol uses class ids directly; match.json belongs to fully-unsupervised submissions` });
      else {
        const parsed = parseMatch(matchBuf.toString('utf8'), b.classes);
        problems.push(...parsed.problems);
        match = parsed.match;
      }
    } else if (needs === 'required' && !problems.some((p) => p.file === 'match.json')) {
      problems.push({ file: 'match.json', problem: 'required for fully-unsupervised test submissions: map each predicted id to an ImageNet-S class id ({"0": 0, "1": 14, …}); validation submissions get the default matching computed for them' });
    }

    const methodBuf = await readMeta(src, 'method.txt', MAX_META_BYTES, problems);
    if (methodBuf) {
      const parsed = parseMethodTxt(methodBuf);
      if (typeof parsed === 'string') problems.push({ file: 'method.txt', problem: parsed });
      else Object.assign(meta, parsed);
    }
    return { problems: sortByMaskOrder(problems, b.masks), meta, match };
  } finally {
    await src.close();
  }
}

/** A metadata file of the upload, or null (absent, too large, unreadable: then a problem says why). */
async function readMeta(src: ZipSource, name: string, maxBytes: number, problems: Problem[]): Promise<Buffer | null> {
  try {
    return await src.readExtra(name, maxBytes);
  } catch (e) {
    problems.push({ file: name, problem: e instanceof TooLargeError ? `too large: ${e.message}` : `cannot be read from the zip (${(e as Error).message})` });
    return null;
  }
}

/**
 * method.txt: `Field: value` lines with the field names of the official submission form
 * ("Method name", "Description", "Link"/"Paper"/"Code"); other fields are ignored.
 */
export function parseMethodTxt(buf: Buffer): UploadMeta | string {
  if (buf.length > MAX_META_BYTES) return `larger than ${MAX_META_BYTES} bytes`;
  const text = buf.toString('utf8');
  if (text.includes('\uFFFD')) return 'not valid UTF-8 text';
  const meta: UploadMeta = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([^:]+?)\s*:\s*(.*?)\s*$/.exec(line);
    if (!m || !m[2]) continue;
    const key = m[1].toLowerCase();
    if (/^(method( name)?|name of (the )?method)$/.test(key)) meta.method = m[2].slice(0, 200);
    else if (/^(description|method description|abstract)$/.test(key)) meta.description = m[2].slice(0, 4000);
    else if (/^(link|url|paper|code|project( page)?|paper link|code link)$/.test(key) && /^https?:\/\//.test(m[2])) meta.link = m[2].slice(0, 500);
  }
  return meta;
}

function sortByMaskOrder(problems: Problem[], masks: string[]): Problem[] {
  const order = new Map(masks.map((m, i) => [m, i]));
  return [...problems].sort((a, b) => (order.get(a.file) ?? -1) - (order.get(b.file) ?? -1));
}

async function forEachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}
