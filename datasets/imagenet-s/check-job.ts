/**
 * Checks one mask (and its image): a readable PNG of an accepted encoding, the same size as the
 * image, ids within 0..C or 1000. Runs in worker threads during indexing.
 */
import { readFileSync } from 'node:fs';
import { decodePngRuns, IGNORE_ID, RunBuilder } from '../../evaluator/index.ts';
import { readImageSizeSync } from './image-header.ts';

export interface CheckItem {
  mask: string | null;
  image: string | null;
}

/** One message to a check worker: a batch of items. */
export interface CheckBatch { items: CheckItem[]; classes: number; maxPixels: number }

export interface CheckResult {
  mask?: { width: number; height: number; badIds: number[] } | { error: string };
  image?: { width: number; height: number } | { error: string };
}

const builder = new RunBuilder();


export function checkItem(item: CheckItem, classes: number, maxPixels: number): CheckResult {
  const out: CheckResult = {};
  if (item.mask) {
    try {
      const m = decodePngRuns(readFileSync(item.mask), { maxPixels, builder });
      const bad = new Set<number>();
      for (let y = 0; y < m.height; y++) {
        for (let k = m.rowFirst[y]; k < m.rowEnd[y]; k++) {
          const v = m.value[k];
          if (v > classes && v !== IGNORE_ID && bad.size < 10) bad.add(v);
        }
      }
      out.mask = { width: m.width, height: m.height, badIds: [...bad].sort((a, b) => a - b) };
    } catch (e) {
      out.mask = { error: (e as Error).message };
    }
  }
  if (item.image) {
    try {
      const size = readImageSizeSync(item.image);
      out.image = size ? { width: size.width, height: size.height } : { error: 'not a readable JPEG or PNG image' };
    } catch (e) {
      out.image = { error: (e as NodeJS.ErrnoException).code ?? (e as Error).message };
    }
  }
  return out;
}
