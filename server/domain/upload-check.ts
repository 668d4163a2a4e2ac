/**
 * The complete check of an uploaded zip, before anything is queued: validation at header depth
 * (evaluator/input/validate.ts) under the upload policy, with the limits of an upload to this benchmark
 * and its GT sizes from the dataset index. All problems are returned together.
 */
import { DEFAULT_SOURCE_LIMITS, UPLOAD_POLICY, validate, ZipSource, type Match, type MethodMeta, type Problem, type SourceLimits } from '../../evaluator/index.ts';
import { Catalogue, type Benchmark } from './catalogue.ts';


export interface UploadCheck {
  problems: Problem[];
  meta: MethodMeta;
  match: Match | null;
}

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
    if (src.problems.some((p) => p.file === zipPath)) {
      // the archive itself is unusable: name the upload, not the server's path
      return { problems: src.problems.map((p) => ({ ...p, file: 'upload' })), meta: {}, match: null };
    }
    const needs = Catalogue.needsMatch(b);
    const v = await validate({
      source: src, masks: b.masks, depth: 'headers', policy: UPLOAD_POLICY, maxPixels,
      gtSizes: b.sizes, maxMaskBytes,
      matchFile: { use: needs === 'none' ? 'forbidden' : needs === 'required' ? 'required' : 'optional', classes: b.classes, protocol: b.protocol },
      methodFile: true, subsetName: `${b.split.name} ${b.phase}`,
    });
    return { problems: v.problems, meta: v.meta, match: v.match };
  } finally {
    await src.close();
  }
}
