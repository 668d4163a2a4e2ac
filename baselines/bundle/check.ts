/**
 * Checks a model bundle before anything is queued, and offline (`npm run -s model -- check`): every
 * problem at once, with the codes and answer shape of zip problems (evaluator/input/rules.ts). The
 * static checks read the graph without running it (onnx-proto.ts); the trial runs it on two small
 * images in a child process of its own (trial.ts), under a time limit.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { problem, sortProblems, TooLargeError, ZipSource, type Problem, type SourceLimits } from '../../evaluator/index.ts';
import { BUNDLE_JSON, BUNDLE_ONNX, ModelJson } from './bundle.ts';
import { ELEM_TYPES, OnnxParseError, readOnnx, type OnnxSummary } from './onnx-proto.ts';
import { trialRun, type TrialResult } from './trial.ts';

/**
 * The operator domains and opsets ONNX Runtime (onnxruntime-node 1.30) runs here. ai.onnx: 7–26,
 * measured (a model stamped 27 is refused: "Current official support for domain ai.onnx is till
 * opset 26"); ai.onnx.ml as ONNX 1.19 defines it.
 */
export const OPSETS: Record<string, [number, number]> = { '': [7, 26], 'ai.onnx': [7, 26], 'ai.onnx.ml': [1, 5] };
const FLOATS = new Set([1, 10, 16]), INTEGERS = new Set([2, 3, 4, 5, 6, 7, 12, 13]);

export interface BundleOptions {
  /** The benchmark's class count. */
  classes: number;
  maxModelBytes: number;
  /** Run the model on two small images (and project the phase's time for `images`); off: static checks only. */
  trial?: { seconds: number; images: number; memoryBytes?: number };
  /** Write the bundle's files (model.onnx and its external data) here and keep them, for a run. */
  extractTo?: string;
}

export interface BundleCheck {
  problems: Problem[];
  model?: ModelJson;
  onnx?: OnnxSummary;
  trial?: TrialResult;
}

/** How the bundle is read: entries as large as the model limit; weights compress little, zeros a lot (bomb guard kept). */
function limits(maxModelBytes: number): SourceLimits {
  return { maxEntryBytes: maxModelBytes, maxEntries: 1000, maxCompressionRatio: 1100, maxNameBytes: 512, maxExtraBytes: 256, maxCommentBytes: 1024 };
}

export async function checkBundle(zipPath: string, o: BundleOptions): Promise<BundleCheck> {
  const src = await ZipSource.open(zipPath, [], limits(o.maxModelBytes));
  // an entry over the size limit is, for the model, the model's own problem
  const out: BundleCheck = { problems: src.problems.map((p) => (p.code === 'zip-entry-size' && p.file === BUNDLE_ONNX ? problem('model-too-large', BUNDLE_ONNX, p.details as { bytes: number; limit: number }) : p)) };
  const add = (p: Problem) => out.problems.push(p);
  try {
    if (out.problems.length) return out;
    const files = new Set(src.others);
    // model.json
    const json = await src.readExtra(BUNDLE_JSON, 64 * 1024).catch((e) => { add(e instanceof TooLargeError ? problem('metadata-too-large', BUNDLE_JSON, { bytes: e.bytes, limit: e.limit }) : problem('metadata-unreadable', BUNDLE_JSON, { reason: (e as Error).message })); return undefined; });
    if (json === null) add(problem('model-file-missing', BUNDLE_JSON, { file: BUNDLE_JSON }));
    else if (json) {
      let raw: unknown;
      try { raw = JSON.parse(json.toString('utf8')); } catch (e) { add(problem('model-json-invalid', BUNDLE_JSON, { issues: [`not JSON (${(e as Error).message})`] })); }
      if (raw !== undefined) {
        const parsed = ModelJson.safeParse(raw);
        if (!parsed.success) add(problem('model-json-invalid', BUNDLE_JSON, { issues: parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`) }));
        else {
          out.model = parsed.data;
          if (parsed.data.classes !== o.classes) add(problem('model-classes', BUNDLE_JSON, { declared: parsed.data.classes, classes: o.classes }));
        }
      }
    }
    // model.onnx
    let bytes: Buffer | null | undefined;
    try { bytes = await src.readExtra(BUNDLE_ONNX, o.maxModelBytes); } catch (e) {
      add(e instanceof TooLargeError ? problem('model-too-large', BUNDLE_ONNX, { bytes: e.bytes, limit: e.limit }) : problem('model-not-onnx', BUNDLE_ONNX, { reason: (e as Error).message }));
    }
    if (bytes === null) add(problem('model-file-missing', BUNDLE_ONNX, { file: BUNDLE_ONNX }));
    if (bytes) {
      try { out.onnx = readOnnx(bytes); } catch (e) {
        if (!(e instanceof OnnxParseError)) throw e;
        add(problem('model-not-onnx', BUNDLE_ONNX, { reason: e.message }));
      }
    }
    if (out.onnx) staticChecks(out.onnx, out.model, files, o, add);
    if (!out.problems.length && (o.trial || o.extractTo) && bytes && out.model) {
      // the bundle's files as the runtime will see them: model.onnx and any external data beside it
      const dir = o.extractTo ?? await mkdtemp(join(tmpdir(), 'isb-model-'));
      try {
        await writeFile(join(dir, BUNDLE_ONNX), bytes);
        for (const ref of out.onnx!.external) {
          const data = await src.readExtra(ref.location!, o.maxModelBytes);
          if (data) await writeFile(join(dir, ref.location!), data);
        }
        if (o.trial) {
          out.trial = await trialRun(dir, out.model, o.trial);
          if (out.trial.problem) add(out.trial.problem);
        }
      } finally {
        if (!o.extractTo) await rm(dir, { recursive: true, force: true });
      }
    }
    return out;
  } finally {
    out.problems = sortProblems(out.problems, []);
    await src.close();
  }
}

function staticChecks(g: OnnxSummary, m: ModelJson | undefined, files: Set<string>, o: BundleOptions, add: (p: Problem) => void): void {
  for (const [domain, version] of g.opsets) {
    const range = OPSETS[domain];
    if (range && (version < range[0] || version > range[1])) add(problem('model-opset', BUNDLE_ONNX, { domain, version, min: range[0], max: range[1] }));
  }
  for (const domain of g.nodeDomains) {
    if (!(domain in OPSETS)) add(problem('model-domain', BUNDLE_ONNX, { domain, ops: [...(g.opTypes.get(domain) ?? [])].sort() }));
  }
  for (const ref of g.external) {
    const loc = ref.location;
    const why = loc === null || loc === '' ? 'an external tensor must name its file'
      : /^([/\\]|[A-Za-z]:)/.test(loc) ? 'an absolute path (only files of the bundle are read)'
        : loc.split(/[/\\]/).some((s) => s === '..') ? 'a path that leaves the bundle'
          : loc.includes('\0') ? 'a path with a NUL byte'
            : !files.has(loc) || loc === BUNDLE_ONNX || loc === BUNDLE_JSON ? 'not a file of the bundle' : null;
    if (why) add(problem('model-external-data', BUNDLE_ONNX, { tensor: ref.tensor, location: loc, why }));
  }
  const inputs = g.inputs.filter((x) => !g.initializerNames.has(x.name));
  const type = (t: number) => ELEM_TYPES[t] ?? `type ${t}`;
  if (inputs.length !== 1) add(problem('model-input', BUNDLE_ONNX, { detail: `${inputs.length} inputs (${inputs.map((x) => x.name).join(', ')}); one image tensor expected` }));
  else {
    const x = inputs[0];
    if (x.elemType !== 1) add(problem('model-input', BUNDLE_ONNX, { detail: `"${x.name}" is ${type(x.elemType)}; float32 expected` }));
    if (x.dims && x.dims.length !== 4) add(problem('model-input', BUNDLE_ONNX, { detail: `"${x.name}" has rank ${x.dims.length}; N×3×H×W expected` }));
    else if (x.dims && typeof x.dims[1] === 'number' && x.dims[1] !== 3) add(problem('model-input', BUNDLE_ONNX, { detail: `"${x.name}" has ${x.dims[1]} channels; 3 (RGB) expected` }));
    else if (x.dims && typeof x.dims[0] === 'number' && x.dims[0] !== 1) add(problem('model-input', BUNDLE_ONNX, { detail: `"${x.name}" has a batch of ${x.dims[0]}; 1 (or dynamic) expected` }));
  }
  if (g.outputs.length !== 1) add(problem('model-output', BUNDLE_ONNX, { detail: `${g.outputs.length} outputs; one expected` }));
  else if (m) {
    const y = g.outputs[0], rank = y.dims?.length;
    if (m.output === 'logits') {
      if (y.elemType && !FLOATS.has(y.elemType)) add(problem('model-output', BUNDLE_ONNX, { detail: `"${y.name}" is ${type(y.elemType)}; float logits expected for output "logits"` }));
      if (rank !== undefined && rank !== 4) add(problem('model-output', BUNDLE_ONNX, { detail: `"${y.name}" has rank ${rank}; 1×(C+1)×h×w expected` }));
      else if (y.dims && typeof y.dims[1] === 'number' && y.dims[1] !== o.classes + 1) add(problem('model-output', BUNDLE_ONNX, { detail: `"${y.name}" has ${y.dims[1]} channels; ${o.classes + 1} expected (C = ${o.classes} classes + other)` }));
    } else {
      if (y.elemType && !INTEGERS.has(y.elemType)) add(problem('model-output', BUNDLE_ONNX, { detail: `"${y.name}" is ${type(y.elemType)}; integer class ids expected for output "labels"` }));
      if (rank !== undefined && rank !== 3 && !(rank === 4 && y.dims![1] === 1)) add(problem('model-output', BUNDLE_ONNX, { detail: `"${y.name}" has rank ${rank}; 1×H×W expected` }));
    }
  }
}
