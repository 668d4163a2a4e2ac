/**
 * The complete check of an uploaded zip, before anything is queued: zip safety (in ZipSource),
 * the file list against the split (missing, extra), every PNG header (size equal to the GT's,
 * encoding, pixel limit), match.json and method.txt. All problems are returned together.
 */
import { checkEncoding, checkPixelLimit, readPngHeader } from '../evaluator/png.ts';
import { parseMatch, type Match } from '../evaluator/match.ts';
import type { Problem } from '../evaluator/problems.ts';
import { ZipSource, DEFAULT_SOURCE_LIMITS } from '../evaluator/sources.ts';
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

const MAX_META_BYTES = 16 * 1024;
/** Bytes of a mask read for its header check: the signature and IHDR are the first 33. */
const HEADER_BYTES = 33;

export async function checkUpload(zipPath: string, b: Benchmark, maxPixels: number): Promise<UploadCheck> {
  const src = await ZipSource.open(zipPath, b.masks, DEFAULT_SOURCE_LIMITS);
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
    const matchBuf = await src.readExtra('match.json');
    if (matchBuf) {
      if (needs === 'none') problems.push({ file: 'match.json', problem: `the ${b.protocol} protocol uses class ids directly; match.json belongs to fully-unsupervised submissions` });
      else {
        const parsed = parseMatch(matchBuf.toString('utf8'), b.classes);
        problems.push(...parsed.problems);
        match = parsed.match;
      }
    } else if (needs === 'required') {
      problems.push({ file: 'match.json', problem: 'required for fully-unsupervised test submissions: map each predicted id to an ImageNet-S class id ({"0": 0, "1": 14, …}); validation submissions get the default matching computed for them' });
    }

    const methodBuf = await src.readExtra('method.txt');
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
