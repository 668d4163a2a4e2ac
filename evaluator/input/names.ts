/**
 * The official names list (§1.1): `wnid/name.JPEG wnid/name.png` per line; the mask path is the
 * second space-separated field. Lines are split like Python's `str.splitlines()`.
 * Where the official code crashes (blank or one-column lines) or would escape the mask roots
 * (absolute paths, `..`), we report a problem per line instead.
 */
import { createHash } from 'node:crypto';
import { problem, type Problem } from './rules.ts';

// Python's str.splitlines() boundaries: \n \r \r\n \v \f \x1c \x1d \x1e \x85 \u2028 \u2029
const LINE_BREAKS = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/;

export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split(LINE_BREAKS);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop(); // a trailing break adds no line
  return lines;
}

export interface NamesList {
  /** Mask paths relative to the GT / prediction roots, in list order (duplicates kept, as officially). */
  masks: string[];
  problems: Problem[];
}

export function parseNamesList(text: string, source = 'names list'): NamesList {
  const masks: string[] = [];
  const problems: Problem[] = [];
  const lines = splitLines(text);
  lines.forEach((line, i) => {
    const fields = line.split(' ');
    const where = `${source}:${i + 1}`;
    if (fields.length < 2) {
      problems.push(problem('names-no-mask-column', where, { line: JSON.stringify(line) }));
      return;
    }
    const rel = fields[1];
    const bad = checkRelativePath(rel);
    if (bad) {
      problems.push(problem('names-bad-path', where, { path: JSON.stringify(rel), why: bad }));
      return;
    }
    masks.push(rel);
  });
  if (lines.length === 0) problems.push(problem('names-empty', source));
  return { masks, problems };
}

/** Returns why a relative mask path is unsafe or malformed, or null when it is fine. */
export function checkRelativePath(rel: string): string | null {
  if (rel === '') return 'empty mask path (two consecutive spaces?)';
  if (rel.startsWith('/') || rel.includes('\\') || /^[A-Za-z]:/.test(rel)) return 'mask path must be relative, with / separators';
  if (rel.split('/').some((s) => s === '..' || s === '.' || s === '')) return 'mask path must not contain empty, "." or ".." segments';
  if (rel.includes('\0')) return 'mask path contains a NUL byte';
  return null;
}

/** sha256 of a names list's mask paths, one per line, in order: what identifies the GT a result was scored against. */
export function namesHash(masks: string[]): string {
  return createHash('sha256').update(masks.join('\n')).digest('hex');
}
