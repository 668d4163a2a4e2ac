/**
 * A PNG mask's header (signature and IHDR, the first 33 bytes) and the encoding rules it must meet.
 * No Node-only imports: the browser's upload page runs the same code before anything is sent.
 */
import { crc32 } from './crc32.ts';
import { RuleError, type RuleCode } from './rules.ts';

const PNG_SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

/** A PNG that breaks an input rule (rules.ts): not-png, truncated-png, corrupt-png, palette-png, …. */
export class PngError extends RuleError {
  constructor(code: RuleCode, details: Record<string, unknown> = {}) {
    super(code, details);
    this.name = 'PngError';
  }
}

export interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlace: number;
}

const COLOR_TYPE_NAMES: Record<number, string> = {
  0: 'grayscale',
  2: 'RGB',
  3: 'paletted',
  4: 'grayscale+alpha',
  6: 'RGBA',
};


export function describeEncoding(h: Pick<PngHeader, 'bitDepth' | 'colorType'>): string {
  return `${h.bitDepth}-bit ${COLOR_TYPE_NAMES[h.colorType] ?? `color type ${h.colorType}`}`;
}

/** Reads and validates the IHDR chunk only (33 bytes): enough to check size and encoding without decoding. */
export function readPngHeader(buf: Uint8Array): PngHeader {
  if (buf.length < 8 || PNG_SIGNATURE.some((b, i) => buf[i] !== b)) {
    throw new PngError('not-png');
  }
  if (buf.length < 33) throw new PngError('truncated-png', { detail: 'no complete IHDR chunk' });
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const len = dv.getUint32(8);
  if (len !== 13 || String.fromCharCode(buf[12], buf[13], buf[14], buf[15]) !== 'IHDR') {
    throw new PngError('corrupt-png', { detail: 'first chunk is not a valid IHDR' });
  }
  const header: PngHeader = {
    width: dv.getUint32(16),
    height: dv.getUint32(20),
    bitDepth: buf[24],
    colorType: buf[25],
    interlace: buf[28],
  };
  if (crc32(buf.subarray(12, 29)) !== dv.getUint32(29)) {
    throw new PngError('corrupt-png', { detail: 'IHDR checksum mismatch' });
  }
  if (header.width === 0 || header.height === 0) throw new PngError('corrupt-png', { detail: 'zero width or height' });
  if (buf[26] !== 0 || buf[27] !== 0 || header.interlace > 1) {
    throw new PngError('corrupt-png', { detail: 'unknown compression, filter or interlace method' });
  }
  return header;
}

/** Throws unless the header describes an encoding we can turn into class ids. */
export function checkEncoding(h: PngHeader): void {
  const { colorType: ct, bitDepth: bd } = h;
  const ok = ((ct === 2 || ct === 6) && bd === 8) || ((ct === 0 || ct === 4) && (bd === 8 || bd === 16));
  if (!ok) {
    const code = ct === 3 ? 'palette-png' : (ct === 2 || ct === 6) && bd === 16 ? 'rgb16-png' : 'unsupported-png';
    throw new PngError(code, { encoding: describeEncoding(h) });
  }
}

export function checkPixelLimit(h: PngHeader, maxPixels: number): void {
  if (h.width * h.height > maxPixels) {
    throw new PngError('too-many-pixels', { width: h.width, height: h.height, limit: maxPixels });
  }
}

