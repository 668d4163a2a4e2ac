/**
 * The input rules, in one table: every problem a run or an upload can report has a stable code,
 * a severity and a message template filled from the problem's details. Clients and tests match
 * codes (and details), never prose. Where the server is stricter than the CLI, that is a policy
 * (validate.ts), not another rule.
 */

export type Severity = 'error' | 'warning';

type Details = Record<string, unknown>;
interface Rule<D extends Details = Details> {
  severity: Severity;
  /** What the rule is about, for documentation. */
  about: string;
  message: (d: D) => string;
}
type NoDetails = Record<string, never>;
function rule(severity: Severity, about: string, message: () => string): Rule<NoDetails>;
function rule<D extends Details>(severity: Severity, about: string, message: (d: D) => string): Rule<D>;
function rule(severity: Severity, about: string, message: (d: never) => string): Rule<never> {
  return { severity, about, message };
}

const list = (xs: unknown[], max = 20): string => `${xs.slice(0, max).join(', ')}${xs.length > max ? `, and ${xs.length - max} more` : ''}`;
const EXPECTED = 'expected an 8-bit RGB/RGBA PNG with class id = R + 256·G (B = 0), or an 8/16-bit grayscale PNG whose value is the class id';
const size = (d: { width: number; height: number }) => `${d.width}×${d.height}`;

export const RULES = {
  // the file list
  'missing-file': rule('error', 'a mask of the names list has no prediction', () => 'prediction file is missing'),
  'extra-file': rule<{ split?: string }>('warning', 'a PNG that is not in the names list', (d) => (d.split ? `not a mask of ${d.split} (extra file)` : 'not in the names list (extra file; not scored)')),
  'unexpected-file': rule('warning', 'a file that is neither a mask nor submission metadata', () => 'unexpected file (a submission holds PNG masks, and optionally match.json and method.txt)'),

  // one mask
  'size-mismatch': rule<{ width: number; height: number; gtWidth: number; gtHeight: number }>('error', 'prediction and GT differ in size',
    (d) => `prediction is ${size(d)} (width×height) but the ground truth is ${d.gtWidth}×${d.gtHeight}`),
  'transposed': rule<{ width: number; height: number; gtWidth: number; gtHeight: number }>('error', 'prediction is the GT size with rows and columns swapped',
    (d) => `prediction is ${size(d)} (width×height) but the ground truth is ${d.gtWidth}×${d.gtHeight} (transposed: same pixel count, rows and columns swapped)`),
  'not-png': rule('error', 'not a PNG file', () => 'not a PNG file (bad signature)'),
  'truncated-png': rule<{ detail: string }>('error', 'a PNG that ends early', (d) => `truncated PNG (${d.detail})`),
  'corrupt-png': rule<{ detail: string }>('error', 'a damaged PNG (checksums, chunks, compressed data)', (d) => `corrupt PNG (${d.detail})`),
  'palette-png': rule<{ encoding: string }>('error', 'a paletted PNG', (d) => `unsupported PNG encoding ${d.encoding} (a palette maps indices to colours; the official evaluator cannot read it); ${EXPECTED}`),
  'rgb16-png': rule<{ encoding: string }>('error', 'a 16-bit RGB(A) PNG', (d) => `unsupported PNG encoding ${d.encoding} (16-bit RGB: the official evaluator keeps only the high byte and silently reads wrong ids); ${EXPECTED}`),
  'unsupported-png': rule<{ encoding: string }>('error', 'another PNG encoding without class ids (1/2/4-bit gray, …)', (d) => `unsupported PNG encoding ${d.encoding}; ${EXPECTED}`),
  'too-many-pixels': rule<{ width: number; height: number; limit: number }>('error', 'an image over the pixel limit',
    (d) => `image of ${size(d)} = ${d.width * d.height} pixels exceeds the limit of ${d.limit} pixels`),
  'mask-too-large': rule<{ bytes: number; limit: number; gtWidth: number; gtHeight: number }>('error', 'an entry larger than any PNG of its image size',
    (d) => `${d.bytes} bytes uncompressed: larger than any PNG mask of ${d.gtWidth}×${d.gtHeight} can be (${d.limit})`),
  'unreadable-prediction': rule<{ reason: string }>('error', 'a prediction that cannot be read', (d) => `cannot read the prediction (${d.reason})`),

  // the hosted ground truth (the host's problem, never the submitter's)
  'gt-unreadable': rule<{ reason: string }>('error', 'a GT mask that cannot be read', (d) => `cannot read the ground-truth mask (${d.reason})`),
  'gt-invalid': rule<{ detail: string }>('error', 'a GT mask that is not a valid mask', (d) => `ground-truth mask: ${d.detail}`),

  // the zip
  'zip-unreadable': rule<{ reason: string }>('error', 'not a zip archive', (d) => `not a readable zip archive (${d.reason})`),
  'zip-corrupt': rule<{ reason: string }>('error', 'a damaged central directory', (d) => `corrupt zip archive (${d.reason})`),
  'zip-too-many-entries': rule<{ entries: number; limit: number }>('error', 'more entries than the limit', (d) => `the zip holds ${d.entries} entries; the limit is ${d.limit}`),
  'zip-entry-fields': rule<{ entry: number; field: string; bytes: number; limit: number }>('error', 'an over-long name, extra field or comment in the central directory',
    (d) => `central directory entry ${d.entry} has ${d.field === 'extra' ? 'an extra field' : `a ${d.field}`} of ${d.bytes} bytes (limit ${d.limit}); the zip was not read further`),
  'zip-slip': rule('error', 'an entry path that escapes the archive root', () => 'path escapes the archive root (zip-slip)'),
  'zip-nul-name': rule('error', 'an entry name with a NUL byte', () => 'path contains a NUL byte'),
  'zip-symlink': rule('error', 'a symbolic link', () => 'symbolic link (not allowed)'),
  'zip-encrypted': rule('error', 'an encrypted entry', () => 'encrypted entry (not supported)'),
  'zip-method': rule<{ method: number }>('error', 'a compression method other than store/deflate', (d) => `unsupported compression method ${d.method}`),
  'zip-entry-size': rule<{ bytes: number; limit: number }>('error', 'an entry over the size limit', (d) => `uncompressed size ${d.bytes} bytes exceeds the limit of ${d.limit}`),
  'zip-ratio': rule<{ ratio: number; limit: number }>('error', 'an entry over the compression-ratio limit (bomb guard)', (d) => `compression ratio ${d.ratio}:1 exceeds the limit of ${d.limit}:1`),
  'zip-duplicate': rule('error', 'the same path twice', () => 'duplicate entry in the zip'),
  'zip-compressed-size': rule<{ compressed: number; uncompressed: number; limit: number }>('error', 'a compressed size larger than its declared size could ever compress to',
    (d) => `declares ${d.compressed} compressed bytes for ${d.uncompressed} uncompressed; at most ${d.limit} are possible (a crafted central directory)`),
  'zip-overlap': rule<{ into: string; overlap: number }>('error', 'entries whose data overlap each other or the central directory',
    (d) => `its data runs ${d.overlap} bytes into ${d.into} (overlapping entries are refused)`),

  // scoring itself
  'scoring-timeout': rule<{ seconds: number; images: number }>('error', 'a scoring past its time limit (SCORING_TIMEOUT_SECONDS per started 1,000 images)',
    (d) => `scoring took longer than its limit of ${d.seconds} s for ${d.images} images and was stopped`),

  // match.json
  'match-not-json': rule<{ reason: string }>('error', 'match.json is not JSON', (d) => `not valid JSON (${d.reason})`),
  'match-not-object': rule('error', 'match.json is not an object', () => 'must be a JSON object mapping predicted id → GT id, e.g. {"0": 0, "1": 14}'),
  'match-bad-keys': rule<{ keys: string[]; classes: number }>('error', 'keys that are not predicted ids 0..C', (d) => `keys must be predicted ids 0..${d.classes}; invalid: ${list(d.keys)}`),
  'match-bad-values': rule<{ values: string[]; classes: number }>('error', 'values that are not class ids 0..C', (d) => `values must be GT class ids 0..${d.classes}; invalid: ${list(d.values)}`),
  'match-missing-id': rule<{ ids: { id: number; example: string }[]; total: number; computed?: boolean; classes?: number }>('error', 'a predicted id without a key',
    (d) => `predicted ids without a key: ${d.ids.slice(0, 20).map((x) => `${x.id} (e.g. in ${x.example})`).join(', ')}${d.total > 20 ? `, and ${d.total - 20} more` : ''}${d.computed ? `; the default matching only assigns ids 0..${d.classes}` : ''}`),
  'match-not-allowed': rule<{ protocol: string }>('error', 'match.json under a protocol that uses class ids', (d) => `the ${d.protocol} protocol uses class ids directly; match.json belongs to fully-unsupervised submissions`),
  'match-required': rule('error', 'a fully-unsupervised test submission without match.json',
    () => 'required for fully-unsupervised test submissions: map each predicted id to an ImageNet-S class id ({"0": 0, "1": 14, …}); validation submissions get the default matching computed for them'),

  // metadata files (match.json, method.txt)
  'metadata-too-large': rule<{ bytes: number; limit: number }>('error', 'match.json or method.txt over its size limit', (d) => `too large: ${d.bytes} bytes; the limit is ${d.limit}`),
  'metadata-unreadable': rule<{ reason: string }>('error', 'match.json or method.txt that cannot be read', (d) => `cannot be read from the zip (${d.reason})`),
  'method-not-utf8': rule('error', 'method.txt that is not UTF-8 text', () => 'not valid UTF-8 text'),

  // warnings over a whole run (one record each, with file and pixel counts; the score stays official)
  'blue-channel': rule<{ files: number }>('warning', 'predictions with a non-zero blue channel',
    (d) => `${d.files} prediction file(s) have a non-zero blue channel; it is ignored (id = R + 256·G)`),
  'out-of-range-ids': rule<{ files: number; pixels: number; ids: number[]; classes: number }>('warning', 'predicted ids above C (without a match)',
    (d) => `${d.files} prediction file(s) contain ${d.pixels} pixel(s) with ids above ${d.classes} (${d.ids.join(', ')}); scored as the official code does: counted as foreground for F-measure, as a miss for IoU`),
  'extra-files': rule<{ files: number }>('warning', 'files outside the names list, not scored (the run\'s summary of extra-file and unexpected-file)',
    (d) => `${d.files} prediction file(s) are not in the names list and were not scored`),

  // requests and command lines
  'file-unreadable': rule<{ reason: string }>('error', 'an input file named on the command line that cannot be read', (d) => d.reason),
  'invalid-field': rule<{ message: string }>('error', 'a form or request field that is not valid', (d) => d.message),

  // a model bundle (a zip of model.onnx and model.json: baselines/bundle/)
  'model-file-missing': rule<{ file: string }>('error', 'a bundle without model.onnx or model.json', (d) => `the bundle has no ${d.file} (a model bundle is a zip of model.onnx and model.json, at its root)`),
  'model-json-invalid': rule<{ issues: string[] }>('error', 'model.json that is not valid JSON or not the schema', (d) => `model.json: ${list(d.issues, 10)}`),
  'model-classes': rule<{ declared: number; classes: number }>('error', 'model.json declares another class count than the benchmark', (d) => `model.json says classes = ${d.declared}; this benchmark has ${d.classes}`),
  'model-too-large': rule<{ bytes: number; limit: number }>('error', 'a model over MAX_MODEL_BYTES', (d) => `${d.bytes} bytes; the limit is ${d.limit}`),
  'model-not-onnx': rule<{ reason: string }>('error', 'model.onnx is not an ONNX model', (d) => `not an ONNX model (${d.reason})`),
  'model-opset': rule<{ domain: string; version: number; min: number; max: number }>('error', 'an opset the runtime does not support',
    (d) => `opset ${d.version} of ${d.domain || 'ai.onnx'}; ONNX Runtime here supports ${d.min}–${d.max}`),
  'model-domain': rule<{ domain: string; ops: string[] }>('error', 'an operator outside the standard ONNX domains',
    (d) => `operators of the domain "${d.domain}" (${list(d.ops, 8)}): only the standard ONNX operators (ai.onnx, ai.onnx.ml) are allowed`),
  'model-external-data': rule<{ tensor: string; location: string | null; why: string }>('error', 'weights stored outside the bundle, or at a path that leaves it',
    (d) => `tensor "${d.tensor}" keeps its data at ${d.location === null ? 'no location' : JSON.stringify(d.location)}: ${d.why}`),
  'model-input': rule<{ detail: string }>('error', 'a graph input that is not one N×3×H×W float tensor', (d) => `graph input: ${d.detail}`),
  'model-output': rule<{ detail: string }>('error', 'a graph output that does not fit model.json (channels, rank, type)', (d) => `graph output: ${d.detail}`),
  'model-trial-failed': rule<{ reason: string }>('error', 'the model failed on a trial image', (d) => `the trial run failed: ${d.reason}`),
  'model-out-of-memory': rule<{ limit: number }>('error', 'a model past its memory ceiling', (d) => `the model went past its memory ceiling of ${Math.round(d.limit / 1048576)} MiB and was stopped`),
  'model-crashed': rule<{ reason: string }>('error', 'a model whose runtime ended with an error', (d) => `ONNX Runtime stopped the model: ${d.reason}`),
  'model-timeout': rule<{ seconds: number }>('error', 'a model past its time limit on one image (MODEL_TIMEOUT_SECONDS)', (d) => `one image took longer than ${d.seconds} s; the run was stopped`),
  'model-match-missing': rule<{ validation: string }>('error', 'a fully-unsupervised model on test whose validation run has no match yet',
    (d) => `a fully-unsupervised model applies on test the match its validation run got; this model (same model.onnx) has no scored run on ${d.validation}`),

  // the names list (CLI)
  'names-empty': rule('error', 'an empty names list', () => 'the names list has no entries'),
  'names-no-mask-column': rule<{ line: string }>('error', 'a names-list line without its mask column', (d) => `line has no second column (expected "wnid/name.JPEG wnid/name.png"): ${d.line}`),
  'names-bad-path': rule<{ path: string; why: string }>('error', 'a names-list mask path that is empty, absolute or escapes the root', (d) => `${d.why}: ${d.path}`),
} satisfies Record<string, Rule<never>>;

export type RuleCode = keyof typeof RULES;

/**
 * What to do about each problem, in a sentence: shown beside it on the upload page and in the
 * browser's pre-check. Every code has one (the type says so); the ground-truth codes are the host's.
 */
export const HINTS: Record<RuleCode, string> = {
  'missing-file': 'Predict every image of the names list and save its mask under the same wnid/name.png path.',
  'extra-file': 'Remove it, or check that you zipped the masks of the right split and phase.',
  'unexpected-file': 'Keep only the PNG masks, and match.json or method.txt if you need them.',
  'size-mismatch': 'Resize the prediction to the image\'s own size (the ground truth\'s), nearest-neighbour, before saving.',
  'transposed': 'Width and height are swapped: save the array as H×W (rows first), not W×H.',
  'not-png': 'Save the mask as PNG (not JPEG or a renamed file).',
  'truncated-png': 'Write the file again; it was cut short (a full disk or an interrupted copy).',
  'corrupt-png': 'Write the file again with a standard PNG writer (Pillow, OpenCV, libpng).',
  'palette-png': 'Save as RGB with id = R + 256·G, or as 8/16-bit grayscale, not as a paletted ("P" mode) image.',
  'rgb16-png': 'Save 8 bits per channel (RGB, id = R + 256·G) or 16-bit grayscale.',
  'unsupported-png': 'Save as 8-bit RGB (id = R + 256·G) or 8/16-bit grayscale holding the class id.',
  'too-many-pixels': 'The mask must have the image\'s size; this one is far larger than any ImageNet-S image.',
  'mask-too-large': 'Save the mask again with a standard PNG writer; this entry is larger than any mask of its size can be.',
  'unreadable-prediction': 'Write the file again; if it persists, zip again with a standard tool (zip, Python\'s zipfile).',
  'gt-unreadable': 'The host\'s ground truth is damaged: nothing to fix in the submission; the administrators have been told.',
  'gt-invalid': 'The host\'s ground truth is damaged: nothing to fix in the submission; the administrators have been told.',
  'zip-unreadable': 'Upload a .zip made with a standard tool (zip -r, Python\'s zipfile); check that the download or copy finished.',
  'zip-corrupt': 'The archive is damaged or cut short: zip the masks again.',
  'zip-too-many-entries': 'Zip only the masks of the names list (and match.json, method.txt).',
  'zip-entry-fields': 'Zip again with a standard tool: this archive carries oversized names, extra fields or comments.',
  'zip-slip': 'Zip the masks with relative paths (wnid/name.png), without "..".',
  'zip-nul-name': 'Rename the file: names may not contain a NUL byte.',
  'zip-symlink': 'Zip the files themselves, not symbolic links to them.',
  'zip-encrypted': 'Zip without a password.',
  'zip-method': 'Zip with deflate or store (the defaults of zip and Python\'s zipfile).',
  'zip-entry-size': 'The entry is far larger than a mask can be: check that it is a mask.',
  'zip-ratio': 'The entry compresses implausibly well for a mask: save it again as a normal PNG.',
  'zip-duplicate': 'Each path may appear once: remove the duplicate.',
  'zip-compressed-size': 'Zip again with a standard tool: the archive declares impossible sizes.',
  'zip-overlap': 'Zip again with a standard tool: entries of this archive share their data.',
  'scoring-timeout': 'Scoring a normal zip takes seconds: check the masks (sizes, encoding), or ask the administrators.',
  'match-not-json': 'Write match.json with a JSON library (json.dump in Python).',
  'match-not-object': 'match.json is one object: {"predicted id": GT class id, …}.',
  'match-bad-keys': 'Keys are your predicted ids (0..C), as strings: {"0": 0, "1": 14}.',
  'match-bad-values': 'Values are ImageNet-S class ids 0..C (0: other).',
  'match-missing-id': 'Give every predicted id that occurs in the masks a key, or leave match.json out on validation to get the default matching.',
  'match-not-allowed': 'Leave match.json out: this protocol scores class ids as they are.',
  'match-required': 'Add match.json (the match computed on validation: download it from your validation submission\'s page).',
  'metadata-too-large': 'Keep match.json under 256 KiB and method.txt under 16 KiB.',
  'metadata-unreadable': 'Zip the file again.',
  'method-not-utf8': 'Save method.txt as UTF-8 text.',
  'blue-channel': 'Nothing required: the blue channel is ignored; save B = 0 to be sure ids are what you meant.',
  'out-of-range-ids': 'Ids above C score as the official code scores them; map them to classes (or 0) if that was not meant.',
  'extra-files': 'Nothing required; remove them to make the zip smaller.',
  'file-unreadable': 'Check the path and its permissions.',
  'invalid-field': 'Correct the field and send it again.',
  'model-file-missing': 'Zip model.onnx and model.json together, both at the root of the zip.',
  'model-json-invalid': 'Follow the model.json schema in docs/model-submissions.md (version, classes, input, output).',
  'model-classes': 'Set classes to the benchmark\'s class count (50, 300 or 919) and export C + 1 output channels.',
  'model-too-large': 'Export in float16, or prune the model, to fit under the limit.',
  'model-not-onnx': 'Export with torch.onnx.export and check the file with onnx.checker.check_model before zipping.',
  'model-opset': 'Export with opset_version=17 (or another one within the range).',
  'model-domain': 'Export without custom operators (no com.microsoft or your own domains): rewrite them with standard ONNX operators.',
  'model-external-data': 'Save the weights inside model.onnx (onnx.save with save_as_external_data=False), or beside it in the bundle under a plain relative name.',
  'model-input': 'Export one input of shape 1×3×H×W, float32, with dynamic height and width (dynamic_axes={"input": {2: "h", 3: "w"}}).',
  'model-output': 'Export one output: 1×(C+1)×h×w float logits for output "logits", or 1×H×W integer class ids for output "labels".',
  'model-trial-failed': 'Run the exported model with onnxruntime on an image of another size first; the message above is ONNX Runtime\'s.',
  'model-out-of-memory': 'Lower the input size (resize_short_side / max_long_side in model.json) or the model\'s width.',
  'model-crashed': 'Run the model with onnxruntime on the benchmark\'s images locally; the message above is ONNX Runtime\'s.',
  'model-timeout': 'Make the model faster on the CPU, or smaller (resize_short_side / max_long_side in model.json).',
  'model-match-missing': 'Submit the same bundle on the validation benchmark first and wait for it to finish; then submit it on test.',
  'names-empty': 'Use the official names list of the split and phase.',
  'names-no-mask-column': 'Use the official names list: each line is "wnid/name.JPEG wnid/name.png".',
  'names-bad-path': 'Use the official names list: relative wnid/name.png paths.',
};
/** A rule's details argument: none for rules without details. */
type DetailsOf<C extends RuleCode> = Parameters<(typeof RULES)[C]['message']>[0];
type DetailsArgs<C extends RuleCode> = DetailsOf<C> extends NoDetails ? [] : [details: DetailsOf<C>];

/** One problem of a run or an upload: a rule's code, the file it is about, the message and the details. */
export interface Problem {
  code: RuleCode;
  /** The file (or `names list:line`, `match.json`, `upload`, …) the problem is about. */
  file: string;
  problem: string;
  details?: Details;
}

/** Builds a problem from its rule's template. */
export function problem<C extends RuleCode>(code: C, file: string, ...details: DetailsArgs<C>): Problem {
  const d = (details[0] ?? {}) as Details;
  const message = (RULES[code].message as (x: Details) => string)(d);
  return Object.keys(d).length ? { code, file, problem: message, details: d } : { code, file, problem: message };
}

/** An error carrying a rule (thrown by the PNG reader and the zip entry reader, caught into problems). */
export class RuleError extends Error {
  readonly details: Details;
  constructor(readonly code: RuleCode, ...details: Details[]) {
    super((RULES[code].message as (x: Details) => string)(details[0] ?? {}));
    this.details = details[0] ?? {};
    this.name = 'RuleError';
  }
  /** The problem this error describes, about `file`. */
  at(file: string): Problem {
    return Object.keys(this.details).length ? { code: this.code, file, problem: this.message, details: this.details } : { code: this.code, file, problem: this.message };
  }
}

/** In names-list order (GT problems beside their mask; others first), each problem once. */
export function sortProblems(problems: Problem[], masks: string[]): Problem[] {
  const order = new Map<string, number>();
  masks.forEach((m, i) => { if (!order.has(m)) order.set(m, i); });
  const key = (p: Problem): number => order.get(p.file) ?? order.get(p.file.replace(/^GT /, '')) ?? -1;
  const seen = new Set<string>();
  const unique = problems.filter((p) => { const k = `${p.code}\0${p.file}\0${p.problem}`; if (seen.has(k)) return false; seen.add(k); return true; });
  return unique.sort((a, b) => key(a) - key(b));
}
