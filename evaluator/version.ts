/**
 * The evaluator's version, derived, never typed: a digest of every source file of this folder and
 * its subfolders (by path), read when the module loads. Any change to scoring code changes it, so a score row always says
 * which code produced it, and re-scoring "for a new evaluator version" cannot be forgotten.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

function digest(dir: string): string {
  const h = createHash('sha256');
  for (const f of readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((x) => x.endsWith('.ts')).sort()) {
    h.update(f).update('\0').update(readFileSync(join(dir, f))).update('\0');
  }
  return h.digest('hex').slice(0, 12);
}

export const EVALUATOR_VERSION = `src-${digest(import.meta.dirname)}`;
