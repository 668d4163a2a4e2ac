/**
 * PNG → class-id map decoder for ImageNet-S masks.
 *
 * Why our own decoder instead of sharp: masks compress to a few KB, so decoding is dominated by
 * per-call overhead and the unfilter loop; a dedicated decoder that writes ids directly avoids
 * both (`npm run bench`, section 1, "PNG decode to ids": ours against sharp on the same masks), and
 * it reproduces PIL's semantics exactly (no ICC/gamma conversion, which libvips may apply, and
 * explicit control over every colour type).
 *
 * Accepted encodings (docs/imagenet-s-metrics.md §1.2 plus our grayscale extension):
 *   8-bit RGB / RGBA          id = R + 256·G   (B must be 0; a non-zero B is reported, alpha ignored)
 *   8/16-bit gray (± alpha)   id = gray value  (the official code crashes on these; we accept them)
 * Everything else (palette, 16-bit RGB, 1/2/4-bit gray) is rejected with an explanation, because the
 * official code would either crash or silently read something else.
 */
import { inflateSync, crc32 } from 'node:zlib';
import { idsToRuns, RunBuilder, type RunMap } from '../metrics/runs.ts';
import { checkEncoding, checkPixelLimit, PngError, readPngHeader, type PngHeader } from './png-header.ts';

export { PngError, readPngHeader, checkEncoding, checkPixelLimit, describeEncoding, type PngHeader } from './png-header.ts';

export interface IdMap {
  width: number;
  height: number;
  ids: Uint16Array;
  /** Number of pixels whose blue channel is non-zero (RGB/RGBA only). */
  blueNonZero: number;
}

export interface DecodeOptions {
  maxPixels?: number;
  /** A buffer to decode into when it is large enough (avoids an allocation per image). */
  into?: Uint16Array;
}

const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

let zeros = Buffer.alloc(4096);

interface Inflated {
  header: PngHeader;
  raw: Buffer;
  bpp: number;
  passes: readonly (readonly [number, number, number, number])[];
}

/** Signature, chunks (CRC-checked as PIL does), IDAT inflated with its size bounded by the header. */
function inflatePng(buf: Uint8Array, maxPixels: number): Inflated {
  const h = readPngHeader(buf);
  checkEncoding(h);
  checkPixelLimit(h, maxPixels);
  const { width, height } = h;
  const channels = h.colorType === 2 ? 3 : h.colorType === 6 ? 4 : h.colorType === 4 ? 2 : 1;
  const bpp = channels * (h.bitDepth >> 3);

  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const idat: Uint8Array[] = [];
  let off = 8;
  let sawEnd = false;
  while (off + 12 <= buf.length) {
    const len = dv.getUint32(off);
    if (off + 12 + len > buf.length) throw new PngError('truncated-png', { detail: 'a chunk extends past the end of the file' });
    const t0 = buf[off + 4], t1 = buf[off + 5], t2 = buf[off + 6], t3 = buf[off + 7];
    if (crc32(buf.subarray(off + 4, off + 8 + len)) !== dv.getUint32(off + 8 + len)) {
      throw new PngError('corrupt-png', { detail: `checksum mismatch in chunk ${String.fromCharCode(t0, t1, t2, t3)}` });
    }
    if (t0 === 73 && t1 === 68 && t2 === 65 && t3 === 84) idat.push(buf.subarray(off + 8, off + 8 + len)); // IDAT
    else if (t0 === 73 && t1 === 69 && t2 === 78 && t3 === 68) { sawEnd = true; break; } // IEND
    off += 12 + len;
  }
  if (idat.length === 0) throw new PngError(sawEnd ? 'corrupt-png' : 'truncated-png', { detail: 'no image data' });

  const passes = h.interlace ? ADAM7 : ([[0, 0, 1, 1]] as const);
  let expected = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const pw = Math.ceil((width - x0) / dx), ph = Math.ceil((height - y0) / dy);
    if (pw > 0 && ph > 0) expected += ph * (pw * bpp + 1);
  }
  let raw: Buffer;
  try {
    raw = inflateSync(idat.length === 1 ? idat[0] : Buffer.concat(idat), { maxOutputLength: Math.max(expected, 1) });
  } catch (e) {
    const msg = (e as Error).message;
    if (/unexpected end/i.test(msg)) throw new PngError('truncated-png', { detail: 'compressed image data ends early' });
    if (/buffer length|maxOutputLength|Cannot create a Buffer/i.test(msg)) throw new PngError('corrupt-png', { detail: 'more image data than its size allows' });
    throw new PngError('corrupt-png', { detail: msg });
  }
  if (raw.length < expected) throw new PngError('truncated-png', { detail: `image data holds ${raw.length} of ${expected} bytes` });
  if (zeros.length < width * bpp) zeros = Buffer.alloc(width * bpp);
  return { header: h, raw, bpp, passes };
}

/** True when the row's filtered bytes are all zero (a native comparison). */
function zeroRow(raw: Buffer, src: number, stride: number): boolean {
  return raw.compare(zeros, 0, stride, src, src + stride) === 0;
}

/** Decodes a PNG into a per-pixel class-id map. The pixel limit is checked before any allocation. */
export function decodePng(buf: Uint8Array, opts: DecodeOptions = {}): IdMap {
  const { header: h, raw, bpp, passes } = inflatePng(buf, opts.maxPixels ?? Number.MAX_SAFE_INTEGER);
  const { width, height } = h;
  const npx = width * height;
  const ids = opts.into && opts.into.length >= npx ? opts.into.subarray(0, npx) : new Uint16Array(npx);
  let blue = 0;
  let pos = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const pw = Math.ceil((width - x0) / dx), ph = Math.ceil((height - y0) / dy);
    if (pw <= 0 || ph <= 0) continue;
    const stride = pw * bpp;
    let rowBlue = 0; // blue pixels of the previous row, for rows copied from it
    // Rows are unfiltered in place: the previous row of `raw` already holds unfiltered bytes.
    for (let r = 0; r < ph; r++, pos += stride + 1) {
      const ft = raw[pos];
      const src = pos + 1;
      const rowBase = (y0 + r * dy) * width + x0;
      // Fast paths (native calls): masks repeat the row above (Up filter, all-zero residuals)
      // or are all background (None filter, all-zero bytes).
      if ((ft === 2 || ft === 0) && zeroRow(raw, src, stride)) {
        if (ft === 0 || r === 0) {
          if (dx === 1) ids.fill(0, rowBase, rowBase + pw);
          else for (let x = 0, o = rowBase; x < pw; x++, o += dx) ids[o] = 0;
          rowBlue = 0;
          continue;
        }
        raw.copyWithin(src, src - stride - 1, src - 1);
        const prevBase = rowBase - dy * width;
        if (dx === 1) ids.copyWithin(rowBase, prevBase, prevBase + pw);
        else for (let x = 0, o = rowBase; x < pw; x++, o += dx) ids[o] = ids[o - dy * width];
        blue += rowBlue;
        continue;
      }
      unfilter(ft, raw, src, r === 0 ? -1 : src - stride - 1, stride, bpp);
      rowBlue = writeIds(raw, src, ids, rowBase, dx, pw, h.colorType, h.bitDepth);
      blue += rowBlue;
    }
  }
  return { width, height, ids, blueNonZero: blue };
}

/**
 * Decodes a PNG straight into runs (see runs.ts): no per-pixel id map is written, and rows that
 * repeat the row above share its runs. Interlaced files go through the per-pixel decoder.
 */
export function decodePngRuns(buf: Uint8Array, opts: { maxPixels?: number; builder?: RunBuilder } = {}): RunMap {
  const inflated = inflatePng(buf, opts.maxPixels ?? Number.MAX_SAFE_INTEGER);
  const { header: h, raw, bpp } = inflated;
  const { width, height } = h;
  if (h.interlace) {
    const m = decodePng(buf, opts);
    return idsToRuns(m.ids, width, height, m.blueNonZero);
  }
  const b = opts.builder ?? new RunBuilder(height * 4);
  b.reset();
  const rowFirst = new Int32Array(height), rowEnd = new Int32Array(height);
  const stride = width * bpp;
  const ct = h.colorType, bd = h.bitDepth;
  let blue = 0, rowBlue = 0;
  for (let r = 0, pos = 0; r < height; r++, pos += stride + 1) {
    const ft = raw[pos];
    const src = pos + 1;
    if ((ft === 2 || ft === 0) && zeroRow(raw, src, stride)) {
      if (ft === 0 || r === 0) {
        rowFirst[r] = b.length; b.push(0, 0); rowEnd[r] = b.length;
        rowBlue = 0;
        continue;
      }
      raw.copyWithin(src, src - stride - 1, src - 1);
      rowFirst[r] = rowFirst[r - 1]; rowEnd[r] = rowEnd[r - 1];
      blue += rowBlue;
      continue;
    }
    unfilter(ft, raw, src, r === 0 ? -1 : src - stride - 1, stride, bpp);
    b.reserve(width);
    rowFirst[r] = b.length;
    const starts = b.start, values = b.value;
    let n = b.length;
    rowBlue = 0;
    if (ct === 2 || ct === 6) {
      const c = ct === 2 ? 3 : 4;
      let last = -1;
      for (let x = 0, i = src; x < width; x++, i += c) {
        const id = raw[i] | (raw[i + 1] << 8);
        if (id !== last) { starts[n] = x; values[n++] = id; last = id; }
        if (raw[i + 2] !== 0) rowBlue++;
      }
    } else {
      const c = (ct === 4 ? 2 : 1) * (bd >> 3);
      let last = -1;
      if (bd === 8) {
        for (let x = 0, i = src; x < width; x++, i += c) {
          const id = raw[i];
          if (id !== last) { starts[n] = x; values[n++] = id; last = id; }
        }
      } else {
        for (let x = 0, i = src; x < width; x++, i += c) {
          const id = (raw[i] << 8) | raw[i + 1];
          if (id !== last) { starts[n] = x; values[n++] = id; last = id; }
        }
      }
    }
    b.length = n;
    rowEnd[r] = n;
    blue += rowBlue;
  }
  return { width, height, rowFirst, rowEnd, start: b.start, value: b.value, blueNonZero: blue };
}

/** Unfilters one row in place; `prev` is the offset of the previous row's bytes, or -1 for the first row. */
function unfilter(ft: number, raw: Uint8Array, src: number, prev: number, n: number, bpp: number): void {
  const end = src + n;
  switch (ft) {
    case 0:
      return;
    case 1:
      for (let i = src + bpp; i < end; i++) raw[i] += raw[i - bpp];
      return;
    case 2:
      if (prev < 0) return;
      for (let i = src, j = prev; i < end; i++, j++) raw[i] += raw[j];
      return;
    case 3:
      if (prev < 0) {
        for (let i = src + bpp; i < end; i++) raw[i] += raw[i - bpp] >> 1;
        return;
      }
      for (let i = src, j = prev; i < src + bpp; i++, j++) raw[i] += raw[j] >> 1;
      for (let i = src + bpp, j = prev + bpp; i < end; i++, j++) raw[i] += (raw[i - bpp] + raw[j]) >> 1;
      return;
    case 4:
      if (prev < 0) {
        for (let i = src + bpp; i < end; i++) raw[i] += raw[i - bpp];
        return;
      }
      for (let i = src, j = prev; i < src + bpp; i++, j++) raw[i] += raw[j];
      for (let i = src + bpp, j = prev + bpp; i < end; i++, j++) {
        const a = raw[i - bpp], b = raw[j], c = raw[j - bpp];
        const pa = Math.abs(b - c), pb = Math.abs(a - c), pc = Math.abs(a + b - c - c);
        raw[i] += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      return;
    default:
      throw new PngError('corrupt-png', { detail: `unknown row filter type ${ft}` });
  }
}

/** Writes one unfiltered row as ids; returns the number of pixels with a non-zero blue channel. */
function writeIds(raw: Uint8Array, src: number, ids: Uint16Array, base: number, dx: number, pw: number, ct: number, bd: number): number {
  let blue = 0;
  if (ct === 2 || ct === 6) {
    const c = ct === 2 ? 3 : 4;
    for (let x = 0, i = src, o = base; x < pw; x++, i += c, o += dx) {
      ids[o] = raw[i] | (raw[i + 1] << 8);
      if (raw[i + 2] !== 0) blue++;
    }
  } else {
    const c = (ct === 4 ? 2 : 1) * (bd >> 3);
    if (bd === 8) for (let x = 0, i = src, o = base; x < pw; x++, i += c, o += dx) ids[o] = raw[i];
    else for (let x = 0, i = src, o = base; x < pw; x++, i += c, o += dx) ids[o] = (raw[i] << 8) | raw[i + 1];
  }
  return blue;
}
