/**
 * Validation, the phase before scoring, at the depth the caller asks:
 *   listing  the source's own problems (zip safety), missing, extra and unexpected files;
 *   headers  + every present mask's header against its GT size (and its declared size in a zip),
 *            and the submission's metadata files (match.json, method.txt).
 * The decoding depth is the evaluation's per-pair pass (pair.ts), which applies the same header
 * rules (mask-header.ts) before it decodes. The CLI, the upload check and evaluate() all come
 * through here; where the server is stricter than the CLI, that is a policy, not another rule.
 */
import { checkMaskHeader, HEADER_BYTES } from './mask-header.ts';
import { parseMatch, type Match } from './match.ts';
import { problem, RULES, sortProblems, type Problem, type Severity } from './rules.ts';
import { TooLargeError, type PredictionSource } from './sources.ts';
import { forEachLimit } from '../../util/pool.ts';

export interface ValidationPolicy {
  /** Files outside the names list (extra-file, unexpected-file): the CLI warns and skips them; the server refuses the upload. */
  strayFiles: Severity;
}
export const CLI_POLICY: ValidationPolicy = { strayFiles: 'warning' };
export const UPLOAD_POLICY: ValidationPolicy = { strayFiles: 'error' };

/**
 * match.json maps at most C + 1 ids ("65535": 919 is 14 bytes a pair): 256 KiB is ample, and a
 * file this small parses in well under a millisecond.
 */
export const MAX_MATCH_BYTES = 256 * 1024;
export const MAX_METHOD_BYTES = 16 * 1024;

/** What method.txt says of the method (the server's own rules for these fields: server/domain/schemas.ts MethodMeta). */
export interface MethodMeta { method?: string; description?: string; link?: string; paper?: string; code?: string; backbone?: string; pretraining?: string; extra_data?: string }

export interface ValidateOptions {
  source: PredictionSource;
  /** Mask paths in names-list order. */
  masks: string[];
  depth: 'listing' | 'headers';
  policy: ValidationPolicy;
  maxPixels: number;
  /** headers: each mask's GT size (width, height), from the dataset index. */
  gtSizes?: ReadonlyMap<string, readonly [number, number]>;
  /** headers: a mask entry may not declare more bytes than this for its GT size. */
  maxMaskBytes?: (width: number, height: number) => number;
  /** headers: how the submission's own match.json is treated (absent: not looked at). */
  matchFile?: { use: 'forbidden' | 'optional' | 'required'; classes: number; protocol: string };
  /** headers: read method.txt. */
  methodFile?: boolean;
  /** Named in extra-file messages ("not a mask of ImageNetS50 validation"). */
  subsetName?: string;
}

export interface Validation {
  /** Errors, in names-list order. */
  problems: Problem[];
  /** Problems of warning severity under the policy (extra and unexpected files under CLI_POLICY). */
  warnings: Problem[];
  /** Indices (in `masks`) of masks without a prediction. */
  missing: Set<number>;
  match: Match | null;
  meta: MethodMeta;
}

export async function validate(o: ValidateOptions): Promise<Validation> {
  const out: Validation = { problems: [...o.source.problems], warnings: [], missing: new Set(), match: null, meta: {} };
  const add = (p: Problem): void => {
    const severity = p.code === 'extra-file' || p.code === 'unexpected-file' ? o.policy.strayFiles : RULES[p.code].severity;
    (severity === 'error' ? out.problems : out.warnings).push(p);
  };
  if (o.masks.length === 0) add(problem('names-empty', 'names list'));

  const available = new Set(o.source.files());
  const wanted = new Set(o.masks);
  o.masks.forEach((rel, i) => { if (!available.has(rel)) { out.missing.add(i); add(problem('missing-file', rel)); } });
  for (const rel of available) if (!wanted.has(rel)) add(problem('extra-file', rel, o.subsetName ? { split: o.subsetName } : {}));
  for (const rel of o.source.others) add(problem('unexpected-file', rel));

  if (o.depth === 'headers') {
    await forEachLimit(o.masks.filter((m) => available.has(m)), 16, async (rel) => {
      const gt = o.gtSizes?.get(rel) ?? null;
      const bytes = o.source.sizeOf(rel);
      if (gt && o.maxMaskBytes && bytes !== undefined && bytes > o.maxMaskBytes(gt[0], gt[1])) {
        add(problem('mask-too-large', rel, { bytes, limit: o.maxMaskBytes(gt[0], gt[1]), gtWidth: gt[0], gtHeight: gt[1] }));
        return;
      }
      let head: Buffer;
      try {
        head = await o.source.readHead(rel, HEADER_BYTES);
      } catch (e) {
        add(problem('unreadable-prediction', rel, { reason: (e as Error).message }));
        return;
      }
      for (const p of checkMaskHeader(head, rel, gt, o.maxPixels).problems) add(p);
    });
    if (o.matchFile) await readMatchFile(o, out, add);
    if (o.methodFile) {
      const buf = await readMetadata(o.source, 'method.txt', MAX_METHOD_BYTES, add);
      if (buf) {
        const parsed = parseMethodTxt(buf);
        if (parsed) out.meta = parsed; else add(problem('method-not-utf8', 'method.txt'));
      }
    }
  }
  out.problems = sortProblems(out.problems, o.masks);
  out.warnings = sortProblems(out.warnings, o.masks);
  return out;
}

async function readMatchFile(o: ValidateOptions, out: Validation, add: (p: Problem) => void): Promise<void> {
  const m = o.matchFile!;
  const before = out.problems.length;
  const buf = await readMetadata(o.source, 'match.json', MAX_MATCH_BYTES, add);
  if (buf) {
    if (m.use === 'forbidden') add(problem('match-not-allowed', 'match.json', { protocol: m.protocol }));
    else {
      const parsed = parseMatch(buf.toString('utf8'), m.classes);
      parsed.problems.forEach(add);
      out.match = parsed.match;
    }
  } else if (m.use === 'required' && out.problems.length === before) add(problem('match-required', 'match.json'));
}

/** A metadata file of the submission, or null (absent; too large or unreadable: then a problem says why). */
async function readMetadata(source: PredictionSource, name: string, maxBytes: number, add: (p: Problem) => void): Promise<Buffer | null> {
  try {
    return await source.readExtra(name, maxBytes);
  } catch (e) {
    add(e instanceof TooLargeError ? problem('metadata-too-large', name, { bytes: e.bytes, limit: e.limit }) : problem('metadata-unreadable', name, { reason: (e as Error).message }));
    return null;
  }
}

/**
 * method.txt: `Field: value` lines with the field names of the official submission form
 * ("Method name", "Description", "Link"/"Paper"/"Code"); other fields are ignored. Null when the
 * bytes are not UTF-8 text.
 */
export function parseMethodTxt(buf: Buffer): MethodMeta | null {
  const text = buf.toString('utf8');
  if (text.includes('\uFFFD')) return null;
  const meta: MethodMeta = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([^:]+?)\s*:\s*(.*?)\s*$/.exec(line);
    if (!m || !m[2]) continue;
    const key = m[1].toLowerCase();
    if (/^(method( name)?|name of (the )?method)$/.test(key)) meta.method = m[2].slice(0, 200);
    else if (/^(description|method description|abstract)$/.test(key)) meta.description = m[2].slice(0, 4000);
    else if (/^(paper|paper link|paper url|arxiv)$/.test(key) && /^https?:\/\//.test(m[2]) && !meta.paper) meta.paper = m[2].slice(0, 500);
    else if (/^(code|code link|code url|repository|github)$/.test(key) && /^https?:\/\//.test(m[2]) && !meta.code) meta.code = m[2].slice(0, 500);
    else if (/^(link|url|project( page)?)$/.test(key) && /^https?:\/\//.test(m[2]) && !meta.link) meta.link = m[2].slice(0, 500);
    else if (/^(backbone|architecture|encoder)$/.test(key)) meta.backbone = m[2].slice(0, 100);
    else if (/^(pre-?training|pre-?trained( on)?)$/.test(key)) meta.pretraining = m[2].slice(0, 300);
    else if (/^(extra|additional|external) data$/.test(key)) meta.extra_data = m[2].slice(0, 300);
  }
  return meta;
}

