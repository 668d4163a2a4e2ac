/**
 * Image dimensions from the first bytes of a file (JPEG SOF marker or PNG IHDR), so indexing a
 * dataset reads a few KB per image rather than decoding it.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { readPngHeader } from '../../evaluator/index.ts';

export interface ImageSize { width: number; height: number; format: 'jpeg' | 'png' }

/** SOF markers that carry the frame size (baseline, progressive, lossless, arithmetic). */
const SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

export function imageSize(buf: Uint8Array): ImageSize | null {
  if (buf.length >= 8 && buf[0] === 0x89 && buf[1] === 0x50) {
    try { const h = readPngHeader(buf); return { width: h.width, height: h.height, format: 'png' }; } catch { return null; }
  }
  if (buf.length < 4 || buf[0] !== 0xff || buf[1] !== 0xd8) return null;
  let i = 2;
  while (i + 4 <= buf.length) {
    if (buf[i] !== 0xff) return null;
    let m = buf[i + 1];
    while (m === 0xff && i + 2 < buf.length) { i++; m = buf[i + 1]; } // fill bytes
    if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) { i += 2; continue; } // no length
    if (m === 0xd9 || m === 0xda) return null; // end of image / start of scan before any frame
    const len = (buf[i + 2] << 8) | buf[i + 3];
    if (SOF.has(m)) {
      if (i + 9 > buf.length) return null;
      const height = (buf[i + 5] << 8) | buf[i + 6], width = (buf[i + 7] << 8) | buf[i + 8];
      return width > 0 && height > 0 ? { width, height, format: 'jpeg' } : null;
    }
    i += 2 + len;
  }
  return null;
}

/** How much of a file is read for its size: 64 KB covers JPEG EXIF blocks in practice, then more. */
const HEAD_READS = [65536, 4 << 20];

/** Reads just enough of a file for its size. */
export async function readImageSize(path: string): Promise<ImageSize | null> {
  const fh = await open(path, 'r');
  try {
    for (const n of HEAD_READS) {
      const buf = Buffer.alloc(n);
      const { bytesRead } = await fh.read(buf, 0, n, 0);
      const size = imageSize(buf.subarray(0, bytesRead));
      if (size || bytesRead < n) return size;
    }
    return null;
  } finally {
    await fh.close();
  }
}

/** The same, synchronously (the dataset check workers). */
export function readImageSizeSync(path: string): ImageSize | null {
  const fd = openSync(path, 'r');
  try {
    for (const n of HEAD_READS) {
      const buf = Buffer.alloc(n);
      const bytesRead = readSync(fd, buf, 0, n, 0);
      const size = imageSize(buf.subarray(0, bytesRead));
      if (size || bytesRead < n) return size;
    }
    return null;
  } finally {
    closeSync(fd);
  }
}
