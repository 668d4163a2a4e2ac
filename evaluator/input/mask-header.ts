/**
 * The header rules of one prediction mask, from its first 33 bytes: a PNG, an encoding with class
 * ids, within the pixel limit, and the size of its ground truth (transposed named as such). The
 * upload check (headers only) and the evaluation's per-pair pass both apply exactly these.
 */
import { checkEncoding, checkPixelLimit, readPngHeader, type PngHeader } from './png-header.ts';
import { problem, RuleError, type Problem } from './rules.ts';

/** Bytes a header check needs: the signature and the IHDR chunk. */
export const HEADER_BYTES = 33;

/** The header, or the problem with it; `gtSize` (width, height) adds the size rules. */
export function checkMaskHeader(head: Uint8Array, file: string, gtSize: readonly [number, number] | null, maxPixels: number): { header: PngHeader | null; problems: Problem[] } {
  let h: PngHeader;
  try {
    h = readPngHeader(head);
    checkEncoding(h);
    checkPixelLimit(h, maxPixels);
  } catch (e) {
    if (e instanceof RuleError) return { header: null, problems: [e.at(file)] };
    throw e;
  }
  if (gtSize && (gtSize[0] !== h.width || gtSize[1] !== h.height)) {
    const d = { width: h.width, height: h.height, gtWidth: gtSize[0], gtHeight: gtSize[1] };
    return { header: h, problems: [problem(gtSize[0] === h.height && gtSize[1] === h.width ? 'transposed' : 'size-mismatch', file, d)] };
  }
  return { header: h, problems: [] };
}
