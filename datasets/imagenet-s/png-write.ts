/**
 * Writes class-id maps as PNG masks. Used by the synthetic generator and by tests that need
 * exact control over the encoding (including encodings the evaluator must reject).
 */
import { deflateSync, crc32, constants } from 'node:zlib';

export type MaskEncoding = 'rgb' | 'rgba' | 'gray8' | 'gray16' | 'graya8' | 'graya16' | 'rgb16' | 'palette';

const LAYOUT: Record<MaskEncoding, { colorType: number; bitDepth: number; channels: number }> = {
  rgb: { colorType: 2, bitDepth: 8, channels: 3 },
  rgba: { colorType: 6, bitDepth: 8, channels: 4 },
  gray8: { colorType: 0, bitDepth: 8, channels: 1 },
  gray16: { colorType: 0, bitDepth: 16, channels: 1 },
  graya8: { colorType: 4, bitDepth: 8, channels: 2 },
  graya16: { colorType: 4, bitDepth: 16, channels: 2 },
  rgb16: { colorType: 2, bitDepth: 16, channels: 3 },
  palette: { colorType: 3, bitDepth: 8, channels: 1 },
};

export interface WriteOptions {
  encoding?: MaskEncoding;
  /** Value written to the blue channel of RGB(A) masks (0 officially). */
  blue?: number;
  /** zlib level (default 6). */
  level?: number;
}

/** Encodes ids (row-major, width × height) as a PNG mask; rgb: R = id & 255, G = id >> 8. */
export function encodeMask(ids: ArrayLike<number>, width: number, height: number, opts: WriteOptions = {}): Buffer {
  const enc = opts.encoding ?? 'rgb';
  const { colorType, bitDepth, channels } = LAYOUT[enc];
  const bpp = channels * (bitDepth >> 3);
  const stride = width * bpp;
  const raw = new Uint8Array(height * stride);
  const blue = opts.blue ?? 0;
  for (let i = 0, o = 0; i < width * height; i++, o += bpp) {
    const id = ids[i];
    switch (enc) {
      case 'rgb': raw[o] = id & 255; raw[o + 1] = id >> 8; raw[o + 2] = blue; break;
      case 'rgba': raw[o] = id & 255; raw[o + 1] = id >> 8; raw[o + 2] = blue; raw[o + 3] = 255; break;
      case 'gray8': raw[o] = id; break;
      case 'gray16': raw[o] = id >> 8; raw[o + 1] = id & 255; break;
      case 'graya8': raw[o] = id; raw[o + 1] = 255; break;
      case 'graya16': raw[o] = id >> 8; raw[o + 1] = id & 255; raw[o + 2] = 255; raw[o + 3] = 255; break;
      case 'rgb16': raw[o] = 0; raw[o + 1] = id & 255; raw[o + 2] = 0; raw[o + 3] = id >> 8; raw[o + 4] = 0; raw[o + 5] = 0; break;
      case 'palette': raw[o] = id; break;
    }
  }
  const chunks: Buffer[] = [];
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = bitDepth; ihdr[9] = colorType; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  chunks.push(chunk('IHDR', ihdr));
  if (enc === 'palette') {
    const plte = Buffer.alloc(256 * 3);
    for (let i = 0; i < 256; i++) { plte[i * 3] = i; plte[i * 3 + 1] = 0; plte[i * 3 + 2] = 0; }
    chunks.push(chunk('PLTE', plte));
  }
  chunks.push(chunk('IDAT', deflateSync(filterRows(raw, stride, height, bpp), { level: opts.level ?? 6, strategy: constants.Z_RLE })));
  chunks.push(chunk('IEND', Buffer.alloc(0)));
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), ...chunks]);
}

/** Per row: None for the first row, else Up or Sub, whichever leaves fewer non-zero bytes. */
function filterRows(raw: Uint8Array, stride: number, height: number, bpp: number): Buffer {
  const out = Buffer.alloc(height * (stride + 1));
  for (let y = 0; y < height; y++) {
    const src = y * stride, dst = y * (stride + 1) + 1;
    if (y === 0) { out[dst - 1] = 0; out.set(raw.subarray(src, src + stride), dst); continue; }
    let up = 0, sub = 0;
    for (let i = 0; i < stride; i++) {
      if (raw[src + i] !== raw[src - stride + i]) up++;
      if (raw[src + i] !== (i >= bpp ? raw[src + i - bpp] : 0)) sub++;
    }
    if (up <= sub) {
      out[dst - 1] = 2;
      for (let i = 0; i < stride; i++) out[dst + i] = raw[src + i] - raw[src - stride + i];
    } else {
      out[dst - 1] = 1;
      for (let i = 0; i < stride; i++) out[dst + i] = raw[src + i] - (i >= bpp ? raw[src + i - bpp] : 0);
    }
  }
  return out;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}
