/**
 * Property-based fuzzing of everything an upload reaches: valid zips and PNG masks, mutated
 * (truncated, bytes flipped, length fields changed, chunks and entries duplicated or reordered),
 * must get an answer, problems or scores, within a time bound; never an exception, never a hang.
 * `npm test` runs a bounded number of cases (test/fuzz.test.ts); `npm run fuzz` runs many more.
 */
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateSync, inflateSync } from 'node:zlib';
import { evaluate } from '../../evaluator/run/evaluate.ts';
import { processPair } from '../../evaluator/run/pair.ts';
import { InputError } from '../../evaluator/input/problems.ts';
import { ZipSource } from '../../evaluator/input/sources.ts';
import type { Benchmark } from '../../server/domain/catalogue.ts';
import { checkUpload, uploadLimits } from '../../server/domain/upload-check.ts';

export const BOUNDS = { checkMs: 5_000, evaluateMs: 15_000, pairMs: 2_000 };

type Mutation =
  | { op: 'truncate'; at: number }
  | { op: 'flip'; at: number; mask: number }
  | { op: 'field'; offset: number; width: 2 | 4; value: number }
  | { op: 'duplicate'; from: number; length: number; to: number }
  | { op: 'swap'; a: number; b: number; length: number };

/** Positions are fractions of the length (so one arbitrary fits any buffer). */
const pos = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });
const extreme = fc.oneof(fc.constantFrom(0, 1, 0x7f, 0xff, 0xffff, 0x7fffffff, 0xffffffff), fc.integer({ min: 0, max: 0xffffffff }));

function mutations(anchors: number[]): fc.Arbitrary<Mutation[]> {
  // length and offset fields sit at known distances from the signatures found in the base file
  const fieldAt = anchors.length
    ? fc.tuple(fc.constantFrom(...anchors), fc.constantFrom(0, 4, 8, 10, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 42)).map(([a, d]) => a + d)
    : fc.nat();
  const one: fc.Arbitrary<Mutation> = fc.oneof(
    pos.map((at) => ({ op: 'truncate' as const, at })),
    fc.record({ at: pos, mask: fc.integer({ min: 1, max: 255 }) }).map((m) => ({ op: 'flip' as const, ...m })),
    fc.record({ offset: fieldAt, width: fc.constantFrom(2 as const, 4 as const), value: extreme }).map((m) => ({ op: 'field' as const, ...m })),
    fc.record({ from: pos, length: fc.integer({ min: 1, max: 4096 }), to: pos }).map((m) => ({ op: 'duplicate' as const, ...m })),
    fc.record({ a: pos, b: pos, length: fc.integer({ min: 1, max: 512 }) }).map((m) => ({ op: 'swap' as const, ...m })),
  );
  return fc.array(one, { minLength: 1, maxLength: 3 });
}

export function applyMutations(base: Buffer, ms: Mutation[]): Buffer {
  let b = Buffer.from(base);
  const at = (f: number) => Math.floor(f * b.length);
  for (const m of ms) {
    if (b.length === 0) break;
    if (m.op === 'truncate') b = b.subarray(0, at(m.at));
    else if (m.op === 'flip') b[at(m.at)] ^= m.mask;
    else if (m.op === 'field') {
      // an absolute offset (a field of the base file's structure); PNG fields are big-endian
      const p = m.offset;
      if (p + m.width <= b.length) { if (m.width === 2) b.writeUInt16LE(m.value & 0xffff, p); else b.writeUInt32LE(m.value >>> 0, p); }
    } else if (m.op === 'duplicate') {
      const from = at(m.from), to = at(m.to);
      b = Buffer.concat([b.subarray(0, to), b.subarray(from, from + m.length), b.subarray(to)]);
    } else {
      const a = at(m.a), c = at(m.b), n = Math.min(m.length, b.length - Math.max(a, c));
      if (n > 0 && Math.abs(a - c) >= n) { const t = Buffer.from(b.subarray(a, a + n)); b.copy(b, a, c, c + n); t.copy(b, c); }
    }
  }
  return b;
}

/** Offsets of zip signatures (local headers, central entries, end records) in a zip. */
export function zipAnchors(zip: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i + 4 <= zip.length; i++) {
    const s = zip.readUInt32LE(i);
    if (s === 0x04034b50 || s === 0x02014b50 || s === 0x06054b50) out.push(i);
  }
  return out;
}

/** Offsets of PNG chunk starts. */
export function pngAnchors(png: Buffer): number[] {
  const out: number[] = [];
  for (let off = 8; off + 8 <= png.length; off += 12 + png.readUInt32BE(off)) out.push(off);
  return out;
}

/** Rewrites every chunk's CRC so that mutations inside chunk data reach the decoder behind the CRC check. */
export function fixPngCrcs(png: Buffer): Buffer {
  const b = Buffer.from(png);
  for (let off = 8; off + 12 <= b.length;) {
    const len = b.readUInt32BE(off);
    if (off + 12 + len > b.length) break;
    b.writeUInt32BE(crc32(b.subarray(off + 4, off + 8 + len)) >>> 0, off + 8 + len);
    off += 12 + len;
  }
  return b;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t };
}

/**
 * Mutated upload zips: the upload check answers with a list of problems; when it finds none, the
 * evaluator scores the zip or raises an InputError (nothing else), each within its bound.
 */
export async function fuzzUploads(opts: { base: Buffer; benchmark: Benchmark; dir: string; numRuns: number; seed?: number }): Promise<void> {
  const path = join(opts.dir, 'fuzz.zip');
  await fc.assert(fc.asyncProperty(mutations(zipAnchors(opts.base)), async (ms) => {
    writeFileSync(path, applyMutations(opts.base, ms));
    const check = await timed(() => checkUpload(path, opts.benchmark, 40_000_000));
    if (!Array.isArray(check.value.problems)) throw new Error('no problem list');
    if (check.ms > BOUNDS.checkMs) throw new Error(`upload check took ${check.ms.toFixed(0)} ms`);
    if (check.value.problems.length) return;
    const b = opts.benchmark;
    const src = await ZipSource.open(path, b.masks, uploadLimits(b));
    try {
      const run = await timed(() => evaluate({ gtRoot: b.gtDir, pred: src, masks: b.masks, classes: b.classes, workers: 0 }).then(() => null, (e: unknown) => e));
      if (run.value !== null && !(run.value instanceof InputError)) throw run.value;
      if (run.ms > BOUNDS.evaluateMs) throw new Error(`evaluation took ${run.ms.toFixed(0)} ms`);
    } finally {
      await src.close();
    }
  }), { numRuns: opts.numRuns, seed: opts.seed });
}

/**
 * A PNG whose decompressed image data (filter bytes and pixels) went through `ms`, deflated again
 * into one IDAT with valid CRCs: reaches the row filters and pixel decoding behind zlib and the CRCs.
 */
export function mutatePixels(png: Buffer, ms: Mutation[]): Buffer {
  const idat: Buffer[] = [];
  const chunks: Buffer[] = [];
  for (let off = 8; off + 12 <= png.length;) {
    const len = png.readUInt32BE(off), type = png.toString('latin1', off + 4, off + 8);
    if (type === 'IDAT') idat.push(png.subarray(off + 8, off + 8 + len));
    else chunks.push(png.subarray(off, off + 12 + len));
    off += 12 + len;
  }
  const raw = applyMutations(inflateSync(Buffer.concat(idat)), ms);
  const data = deflateSync(raw);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write('IDAT', 4, 'latin1');
  const idatChunk = Buffer.concat([head, data, Buffer.alloc(4)]);
  const iend = chunks.pop()!; // IEND last
  return fixPngCrcs(Buffer.concat([png.subarray(0, 8), ...chunks, idatChunk, iend]));
}

/**
 * Mutated masks, at three layers (file bytes; file bytes with CRCs repaired; decompressed pixels):
 * one pair is always an answer, a record or problems, within its bound.
 */
export async function fuzzMasks(opts: { gtPath: string; pred: Buffer; classes: number; numRuns: number; seed?: number }): Promise<void> {
  await fc.assert(fc.property(mutations(pngAnchors(opts.pred)), fc.constantFrom('file' as const, 'file+crc' as const, 'pixels' as const), (ms, layer) => {
    const bytes = layer === 'pixels' ? mutatePixels(opts.pred, ms) : layer === 'file+crc' ? fixPngCrcs(applyMutations(opts.pred, ms)) : applyMutations(opts.pred, ms);
    const t = performance.now();
    const r = processPair({ id: 0, rel: 'x/y.png', gtPath: opts.gtPath, predBytes: new Uint8Array(bytes), classes: opts.classes, maxPixels: 40_000_000 });
    const ms2 = performance.now() - t;
    if (!r.record && !r.problems?.length) throw new Error('neither a record nor problems');
    if (ms2 > BOUNDS.pairMs) throw new Error(`one pair took ${ms2.toFixed(0)} ms`);
  }), { numRuns: opts.numRuns, seed: opts.seed });
}
