/**
 * Model bundles (baselines/bundle/): checked before anything is queued, with coded problems, offline
 * through `npm run -s model -- check` as on the server. Test graphs are made by Debian's python3-onnx
 * (test/helpers/make_onnx.py), random weights; the trial runs them in a child process.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import sharp from 'sharp';
import { runBundle } from '../baselines/bundle/run.ts';
import { decodeRGB } from '../baselines/runner/preprocess.ts';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { checkBundle } from '../baselines/bundle/check.ts';
import { OnnxParseError, readOnnx } from '../baselines/bundle/onnx-proto.ts';
import { inputSize, ModelJson } from '../baselines/bundle/bundle.ts';
import { craftZip } from './helpers/zip.ts';
import { writeMiniSplit } from '../datasets/imagenet-s/mini.ts';
import { decodePng, DirectorySource, evaluate } from '../evaluator/index.ts';

const ROOT = resolve(import.meta.dirname, '..');
const PY = '/usr/bin/python3';
const probe = spawnSync(PY, ['-c', 'import onnx, numpy'], { encoding: 'utf8' });
const skip = probe.status === 0 ? false : `${PY} with onnx and numpy not found (.ci/run installs python3-onnx)`;
const C = 6;
const work = mkdtempSync(join(tmpdir(), 'isb-bundle-'));
const graphs = join(work, 'graphs');
const MODEL = { version: 1, classes: C, input: { resize_short_side: null, max_long_side: null, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }, output: 'logits' };

before(() => {
  if (skip) return;
  spawnSync('mkdir', ['-p', graphs]);
  const r = spawnSync(PY, [join(ROOT, 'test/helpers/make_onnx.py'), graphs, String(C)], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});
after(() => rmSync(work, { recursive: true, force: true }));

async function bundle(name: string, graph: string | Buffer | null, model: unknown = MODEL, extra: Record<string, Buffer> = {}): Promise<string> {
  const path = join(work, `${name}.zip`);
  await craftZip(path, (z) => {
    if (graph !== null) z.addBuffer(typeof graph === 'string' ? readFileSync(join(graphs, `${graph}.onnx`)) : graph, 'model.onnx');
    if (model !== null) z.addBuffer(Buffer.from(typeof model === 'string' ? model : JSON.stringify(model)), 'model.json');
    for (const [n, b] of Object.entries(extra)) z.addBuffer(b, n);
  });
  return path;
}
const codes = (r: { problems: { code: string }[] }) => r.problems.map((p) => p.code);
const opts = { classes: C, maxModelBytes: 1 << 20 };

test('a stride-1 logits model and an arg-max labels model pass every check and the trial, with the time projected', { skip }, async () => {
  for (const [graph, output] of [['logits', 'logits'], ['labels', 'labels']] as const) {
    const r = await checkBundle(await bundle(graph, graph, { ...MODEL, output }), { ...opts, trial: { seconds: 30, images: 752 } });
    assert.deepEqual(r.problems, [], graph);
    assert.equal(r.onnx!.opsets.get(''), 17);
    assert.ok(r.trial!.secondsPerImage! > 0 && r.trial!.projectedSeconds === r.trial!.secondsPerImage! * 752);
  }
});

test('refused with named codes, all at once, nothing run: external data outside the bundle, not ONNX, channels against classes, a custom-domain operator, an opset too new', { skip }, async () => {
  const escape = await checkBundle(await bundle('escape', 'external-escape'), opts);
  assert.deepEqual(codes(escape), ['model-external-data']);
  assert.deepEqual(escape.problems[0].details, { tensor: 'w', location: '../../../../etc/passwd', why: 'a path that leaves the bundle' });
  assert.deepEqual(codes(await checkBundle(await bundle('text', Buffer.from('this is not a model')), opts)), ['model-not-onnx']);
  assert.deepEqual(codes(await checkBundle(await bundle('png', Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(100, 7)])), opts)), ['model-not-onnx']);
  const wrong = await checkBundle(await bundle('wrong', 'wrong-channels'), opts);
  assert.deepEqual(codes(wrong), ['model-output']);
  assert.match(wrong.problems[0].problem, /9 channels; 7 expected/);
  const custom = await checkBundle(await bundle('custom', 'custom-domain'), opts);
  assert.deepEqual(codes(custom), ['model-domain']);
  assert.deepEqual(custom.problems[0].details, { domain: 'com.example', ops: ['Sharpen'] });
  assert.deepEqual(codes(await checkBundle(await bundle('opset', 'opset-27'), opts)), ['model-opset']);
  const two = await checkBundle(await bundle('two-inputs', 'two-inputs'), opts);
  assert.deepEqual(codes(two), ['model-input']);
  assert.match(two.problems[0].problem, /2 inputs \(image, depth\)/);
  // several at once: no model.json and a bad graph
  assert.deepEqual(codes(await checkBundle(await bundle('two', 'custom-domain', null), opts)).sort(), ['model-domain', 'model-file-missing']);
  assert.deepEqual(codes(await checkBundle(await bundle('none', null), opts)), ['model-file-missing']);
  assert.deepEqual(codes(await checkBundle(await bundle('big', 'logits'), { ...opts, maxModelBytes: 200 })), ['model-too-large']);
});

test('model.json: its schema and the benchmark\'s classes; external weights beside the model in the bundle are allowed', { skip }, async () => {
  const bad = await checkBundle(await bundle('json', 'logits', { ...MODEL, output: 'probabilities', input: { ...MODEL.input, std: [1, 0, 1] } }), opts);
  assert.deepEqual(codes(bad), ['model-json-invalid']);
  assert.match(bad.problems[0].problem, /output/);
  assert.match(bad.problems[0].problem, /std/);
  assert.deepEqual(codes(await checkBundle(await bundle('notjson', 'logits', '{"version": 1,'), opts)), ['model-json-invalid']);
  assert.deepEqual(codes(await checkBundle(await bundle('classes', 'logits', { ...MODEL, classes: 50 }), opts)), ['model-classes']);
  const beside = await checkBundle(await bundle('beside', 'external-beside', MODEL, { 'weights.bin': readFileSync(join(graphs, 'weights.bin')) }), { ...opts, trial: { seconds: 30, images: 10 } });
  assert.deepEqual(beside.problems, []);
  assert.deepEqual(codes(await checkBundle(await bundle('missing', 'external-beside'), opts)), ['model-external-data']);
});

test('what only a run shows: channels the graph leaves undeclared fail the trial with ONNX Runtime\'s shapes', { skip }, async () => {
  const r = await checkBundle(await bundle('hidden', 'hidden-channels'), { ...opts, trial: { seconds: 30, images: 10 } });
  assert.deepEqual(codes(r), ['model-trial-failed']);
  assert.match(r.problems[0].problem, /1×9×71×97 for a 97×71 input; 1×7×h×w expected/);
  assert.deepEqual(codes(await checkBundle(await bundle('hidden-static', 'hidden-channels'), opts)), [], 'the static checks cannot tell');
});

test('a model that never ends (a Loop of 2^62 iterations) fails its trial with model-timeout within the limit plus a few seconds', { skip }, async () => {
  const t = performance.now();
  const r = await checkBundle(await bundle('loop', 'loop-forever'), { ...opts, trial: { seconds: 2, images: 10 } });
  const s = (performance.now() - t) / 1000;
  assert.deepEqual(codes(r), ['model-timeout']);
  assert.ok(s < 2 + 8, `${s} s`);
});

test('npm run -s model -- check: exit 0 and a summary; exit 1 with the problems as JSON', { skip }, async () => {
  const ok = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/model.ts'), 'check', await bundle('cli-ok', 'logits'), '--classes', String(C), '--seconds', '30'], { encoding: 'utf8', cwd: ROOT });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /ok \(logits, 6 classes/);
  assert.match(ok.stdout, /trial on the CPU/);
  const bad = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/model.ts'), 'check', await bundle('cli-bad', 'external-escape'), '--classes', String(C), '--json'], { encoding: 'utf8', cwd: ROOT });
  assert.equal(bad.status, 1);
  const out = JSON.parse(bad.stdout) as { ok: boolean; problems: { code: string; file: string }[] };
  assert.deepEqual([out.ok, out.problems.map((p) => [p.code, p.file])], [false, [['model-external-data', 'model.onnx']]]);
});

const torchProbe = spawnSync(PY, ['-c', 'import torch, torchvision'], { encoding: 'utf8' });
const noTorch = torchProbe.status === 0 ? false : `${PY} with torch and torchvision not found (.ci/run installs python3-torch, python3-torchvision)`;

test('a researcher\'s path from PyTorch: docs/examples/export_model.py (torchvision LR-ASPP, random weights, opset 17, dynamic size) writes a bundle that passes every check', { skip: skip || noTorch }, async () => {
  const out = join(work, 'exported.zip');
  const r = spawnSync(PY, [join(ROOT, 'docs/examples/export_model.py'), '--classes', String(C), '--out', out], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const check = await checkBundle(out, { classes: C, maxModelBytes: 64 << 20, trial: { seconds: 60, images: 752 } });
  assert.deepEqual(check.problems, []);
  assert.equal(check.model!.output, 'logits');
  assert.deepEqual(check.onnx!.inputs.map((x) => [x.name, x.dims]), [['image', [1, 3, 'height', 'width']]]);
  assert.deepEqual([...check.onnx!.opsets], [['', 17]]);
});

test('a stride-1 network exported from PyTorch, run by the model runner over the mini split\'s validation images, scores exactly as PyTorch\'s own predictions', { skip: skip || noTorch }, async () => {
  const mini = await writeMiniSplit(join(work, 'mini'), { validation: 36, test: 1 });
  const v = mini.subsets.validation, images = join(mini.root, 'validation');
  const zip = join(work, 'stride1.zip'), torchPred = join(work, 'torch-pred'), modelPred = join(work, 'model-pred');
  const made = spawnSync(PY, [join(ROOT, 'test/helpers/torch_stride1.py'), '--images', images, '--names', v.namesFile, '--classes', String(mini.classes), '--bundle', zip, '--pred', torchPred], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/model.ts'), 'run', zip, '--classes', String(mini.classes), '--images-dir', images, '--names', v.namesFile, '--out', modelPred], { encoding: 'utf8', cwd: ROOT });
  assert.equal(run.status, 0, run.stderr);
  // mask by mask, pixel for pixel (the PNG encoders differ; the ids may not)
  let pixels = 0, differ = 0;
  for (const m of v.masks) {
    const a = decodePng(readFileSync(join(modelPred, m))), b = decodePng(readFileSync(join(torchPred, m)));
    assert.deepEqual([a.width, a.height], [b.width, b.height], m);
    for (let i = 0; i < a.ids.length; i++) if (a.ids[i] !== b.ids[i]) differ++;
    pixels += a.ids.length;
  }
  assert.equal(differ, 0, `${differ} of ${pixels} pixels differ`);
  const score = async (pred: string) => (await evaluate({ gtRoot: v.masksDir, pred: await DirectorySource.open(pred), masks: v.masks, classes: mini.classes, workers: 1 })).metrics;
  const [ours, theirs] = [await score(modelPred), await score(torchPred)];
  assert.deepEqual(ours, theirs);
  assert.ok(ours.mIoU > 0);
});

test('a model run that outgrows its memory ceiling fails with model-out-of-memory, one that fails in the runtime with model-crashed (ONNX Runtime\'s message); a cancel stops it', { skip }, async () => {
  const dir = join(work, 'run-dir'), out = join(work, 'run-out');
  mkdirSync(dir, { recursive: true });
  const img = join(work, 'img.jpg');
  await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 90, g: 140, b: 30 } } }).jpeg().toFile(img);
  const jobs = [{ image: img, mask: 'n1/a.png' }, { image: img, mask: 'n1/b.png' }];
  const model = ModelJson.parse(MODEL);
  copyFileSync(join(graphs, 'memory-hog.onnx'), join(dir, 'model.onnx'));
  const hog = await runBundle(dir, model, jobs, out, { seconds: 60, memoryBytes: 400 * 1048576 });
  assert.deepEqual([hog.problem?.code, hog.problem?.details], ['model-out-of-memory', { limit: 400 * 1048576 }]);
  copyFileSync(join(graphs, 'reshape-fails.onnx'), join(dir, 'model.onnx'));
  const crash = await runBundle(dir, model, jobs, out, { seconds: 60 });
  assert.deepEqual([crash.problem?.code], ['model-crashed']);
  assert.match(crash.problem!.problem, /Reshape|reshape/);
  copyFileSync(join(graphs, 'loop-forever.onnx'), join(dir, 'model.onnx'));
  const ac = new AbortController(), t = performance.now();
  setTimeout(() => ac.abort(), 1500);
  const cancelled = await runBundle(dir, model, jobs, out, { seconds: 600, signal: ac.signal });
  assert.equal(cancelled.problem?.code, 'model-crashed');
  assert.ok((performance.now() - t) / 1000 < 10, 'stopped at once');
  copyFileSync(join(graphs, 'logits.onnx'), join(dir, 'model.onnx'));
  const seen: number[] = [];
  const ok = await runBundle(dir, model, jobs, out, { seconds: 60, onImage: (d) => seen.push(d) });
  assert.equal(ok.problem, undefined);
  assert.deepEqual(seen, [1, 2]);
  // the stages on worker threads (as on a GPU) write the same masks as in the graph's thread (as on the CPU)
  const threaded = join(work, 'run-out-threads');
  assert.equal((await runBundle(dir, model, jobs, threaded, { seconds: 60, stageThreads: 2 })).problem, undefined);
  for (const j of jobs) assert.deepEqual(readFileSync(join(threaded, j.mask)), readFileSync(join(out, j.mask)), j.mask);
  assert.deepEqual([decodePng(readFileSync(join(out, 'n1/a.png'))).width, decodePng(readFileSync(join(out, 'n1/b.png'))).height], [64, 48]);
});

const pilProbe = spawnSync(PY, ['-c', 'import PIL, numpy; from PIL import ImageCms'], { encoding: 'utf8' });
const noPil = pilProbe.status === 0 ? false : `${PY} with Pillow (ImageCms) and numpy not found (python3-pil comes with .ci/run's python3-torchvision)`;

test('images decode as Pillow\'s convert(\'RGB\'): a CMYK JPEG (Pillow\'s own formula), an RGB JPEG carrying a non-sRGB ICC profile (ignored), a plain one', { skip: noPil }, async () => {
  const dir = join(work, 'decode');
  mkdirSync(dir, { recursive: true });
  const made = spawnSync(PY, ['-c', `
import numpy as np
from PIL import Image, ImageCms
d = ${JSON.stringify(dir)}
rng = np.random.default_rng(2)
Image.fromarray(rng.integers(0, 256, (40, 56, 4), dtype=np.uint8), 'CMYK').save(d + '/cmyk.jpg', quality=95)
rgb = Image.fromarray(rng.integers(0, 256, (40, 56, 3), dtype=np.uint8))
rgb.save(d + '/icc.jpg', quality=90, icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile('XYZ')).tobytes())
rgb.save(d + '/plain.jpg', quality=90)
for n in ('cmyk', 'icc', 'plain'):
    Image.open(d + '/' + n + '.jpg').convert('RGB').save(d + '/' + n + '.pil.png')
`], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  for (const n of ['cmyk', 'icc', 'plain']) {
    const ours = await decodeRGB(join(dir, `${n}.jpg`));
    const ref = await sharp(join(dir, `${n}.pil.png`)).removeAlpha().raw().toBuffer();
    let differ = 0;
    for (let i = 0; i < ref.length; i++) if (ref[i] !== ours.rgb[i]) differ++;
    assert.equal(differ, 0, `${n}: ${differ} of ${ref.length} values differ from Pillow`);
  }
});

test('the ONNX reader: truncated and corrupted files are refused, never read past their end', { skip }, () => {
  const good = readFileSync(join(graphs, 'logits.onnx'));
  assert.equal(readOnnx(good).inputs[0].name, 'image');
  for (let n = 0; n < good.length; n += 7) assert.throws(() => readOnnx(good.subarray(0, n)), OnnxParseError, `truncated at ${n}`);
  const flipped = Buffer.from(good);
  flipped[3] = 0xff; // a length that runs past the end
  assert.throws(() => readOnnx(flipped), OnnxParseError);
});

test('the graph input size from model.json: the short side resized, the long side capped', () => {
  const m = (short: number | null, cap: number | null) => ModelJson.parse({ ...MODEL, input: { ...MODEL.input, resize_short_side: short, max_long_side: cap } });
  assert.deepEqual(inputSize(m(null, null), 500, 375), [500, 375]);
  assert.deepEqual(inputSize(m(256, null), 500, 375), [341, 256]);
  assert.deepEqual(inputSize(m(256, null), 375, 500), [256, 341]);
  assert.deepEqual(inputSize(m(null, 300), 500, 375), [300, 225]);
  assert.deepEqual(inputSize(m(512, 600), 500, 250), [600, 300]);
});

test('a model\'s child process dies with its parent, even inside an image that never ends (setpriv --pdeathsig)', { skip, timeout: 60_000 }, async (t) => {
  const dir = join(work, 'orphan');
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(graphs, 'loop-forever.onnx'), join(dir, 'model.onnx'));
  const img = join(dir, 'img.jpg');
  await sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 9, g: 80, b: 200 } } }).jpeg().toFile(img);
  writeFileSync(join(dir, 'jobs.json'), JSON.stringify([{ image: img, mask: 'n1/a.png' }]));
  // a parent (as a queue worker is) that starts the model's child the way runIsolated does, then is SIGKILLed
  const parent = spawn(process.execPath, ['--import', 'tsx', '-e', `
    import { spawn } from 'node:child_process';
    import { childCommand } from './baselines/bundle/isolated.ts';
    const [cmd, argv] = childCommand(['--import', 'tsx', 'baselines/bundle/run-child.ts', ${JSON.stringify(join(dir, 'model.onnx'))}, ${JSON.stringify(JSON.stringify(MODEL))}, ${JSON.stringify(join(dir, 'jobs.json'))}, ${JSON.stringify(join(dir, 'out'))}]);
    const c = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
    c.stdout.on('data', (d) => process.stdout.write('child ' + c.pid + ' ' + d));
  `], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  parent.stdout.on('data', (c: Buffer) => { out += c.toString(); });
  const pidOf = () => Number(/child (\d+) \{"event":"image"\}/.exec(out)?.[1] ?? 0);
  t.after(() => { parent.kill('SIGKILL'); try { process.kill(pidOf(), 'SIGKILL'); } catch { /* gone */ } });
  await waitUntil(() => pidOf() > 0, 30_000);
  await new Promise((r) => setTimeout(r, 500)); // inside the Loop
  const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };
  assert.ok(alive(pidOf()), 'the model runs');
  parent.kill('SIGKILL');
  await waitUntil(() => !alive(pidOf()), 3000);
});

async function waitUntil(fn: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) { if (Date.now() > end) throw new Error('timed out'); await new Promise((r) => setTimeout(r, 50)); }
}
