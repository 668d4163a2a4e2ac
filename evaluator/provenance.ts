/**
 * What a result was computed from, by hash: the names list, the ground truth (names list + the
 * bytes of every mask, as read while scoring: the hash states what was scored against, not what a
 * directory held at some other time), the predictions, and the evaluator (version.ts).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { EVALUATOR_VERSION } from './version.ts';
import { namesHash } from './input/names.ts';

export { namesHash };

export interface Provenance {
  evaluatorVersion: string;
  /** sha256 of the names list's mask paths, one per line, in order. */
  namesSha256: string;
  /** sha256 of "<mask path>\t<sha256 of its bytes>\n" for every GT mask, in names-list order. */
  gtSha256: string;
  /** sha256 of the uploaded zip (null when the predictions were a directory). */
  predictionsSha256: string | null;
}

export function groundTruthHash(masks: string[], digests: string[]): string {
  const h = createHash('sha256');
  masks.forEach((m, i) => h.update(`${m}\t${digests[i]}\n`));
  return h.digest('hex');
}

export async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export function provenanceOf(masks: string[], gtDigests: string[], predictionsSha256: string | null): Provenance {
  return { evaluatorVersion: EVALUATOR_VERSION, namesSha256: namesHash(masks), gtSha256: groundTruthHash(masks, gtDigests), predictionsSha256 };
}
