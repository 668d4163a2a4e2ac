/**
 * Baselines end to end without official weights (PASS R18/R50; ImageNetSegModel ResNet-50 D32/D16): a seeded random-initialised checkpoint in the
 * official layout is converted by the real converter (Debian's PyTorch) and run by the real runner
 * (ONNX Runtime in Node); the reference pipeline (PASS's inference.py semantics in PyTorch: PIL,
 * torchvision, interpolate, arg-max, the max_res rule, PNG) runs on the same JPEGs; labels, logits
 * and the PNGs must agree. The model keys are those of the official definition (a recorded list).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { decodePng } from '../evaluator/index.ts';
import { f32File, loadBaseline, predict, runLogits, type Baseline } from '../baselines/runner/model.ts';
import { preprocess } from '../baselines/runner/preprocess.ts';

const ROOT = resolve(import.meta.dirname, '..');
const PY = '/usr/bin/python3';
const probe = spawnSync(PY, ['-c', 'import torch, torchvision'], { encoding: 'utf8' });
const skip = probe.status === 0 ? false : `${PY} with torch and torchvision not found (.ci/run installs python3-torch, python3-torchvision)`;
const work = mkdtempSync(join(tmpdir(), 'isb-pass-'));
after(() => rmSync(work, { recursive: true, force: true }));

const py = (script: string, args: string[]) => spawnSync(PY, [join(ROOT, 'baselines/convert', script), ...args], { encoding: 'utf8' });
const cli = (args: string[]) => spawnSync('npm', ['run', '-s', 'baseline', '--', ...args], { cwd: ROOT, encoding: 'utf8' });
// portrait, landscape, tiny, and over max_res (1000²) in both orientations: the PASS quirk
const IMAGES: [string, number, number][] = [['land', 500, 375], ['port', 333, 500], ['tiny', 40, 30], ['big', 1280, 960], ['bigport', 900, 1300]];
const ckpt = join(work, 'pass-r18.pth.tar'), model = join(work, 'model'), images = join(work, 'images'), ref = join(work, 'ref'), ours = join(work, 'ours');
let b: Baseline;

/** The share of pixels with the same id in two label maps of one size. */
function equalShare(a: Uint16Array, b: Uint16Array): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

/**
 * Logits close at rtol 1e-4 of the tensor's largest magnitude: random weights give logits in the
 * thousands, and float32 error grows with the magnitudes inside the network, not with each output.
 */
function assertClose(got: Float32Array, want: Float32Array, what: string): void {
  assert.equal(got.length, want.length, what);
  let scale = 0, worst = 0;
  for (let k = 0; k < want.length; k++) { scale = Math.max(scale, Math.abs(want[k])); worst = Math.max(worst, Math.abs(got[k] - want[k])); }
  assert.ok(worst <= 1e-4 * scale, `${what}: max |Δ| ${worst} against max |logit| ${scale}`);
}

before(async () => {
  if (skip) return;
  const made = py('make_checkpoint.py', ['--arch', 'pass-r18', '--classes', '50', '--seed', '3', '--width', '16', '--out', ckpt]);
  assert.equal(made.status, 0, made.stderr);
  mkdirSync(join(images, 'n01000001'), { recursive: true });
  for (const [name, w, h] of IMAGES) {
    const px = Buffer.alloc(w * h * 3);
    for (let i = 0; i < px.length; i++) px[i] = (((i / 3) % w) * 255) / w + ((i * 2654435761) >>> 27);
    await sharp(px, { raw: { width: w, height: h, channels: 3 } }).blur(2).jpeg({ quality: 85 }).toFile(join(images, 'n01000001', `${name}.JPEG`));
  }
  writeFileSync(join(work, 'names.txt'), IMAGES.map(([n]) => `n01000001/${n}.JPEG n01000001/${n}.png`).join('\n'));
});

test('the model definitions have the official keys and shapes (PASS R18 / R50, recorded from the official code)', { skip }, () => {
  const recorded = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/pass-state-dict-keys.json'), 'utf8')) as Record<string, Record<string, number[]>>;
  const dump = `
import json, sys
sys.path.insert(0, ${JSON.stringify(join(ROOT, 'baselines/convert'))})
from models import build
out = {}
for name, arch, classes in [('pass-r18-50', 'pass-r18', 50), ('pass-r50-300', 'pass-r50', 300), ('pass-r50-919', 'pass-r50', 919)]:
    out[name] = {k: list(v.shape) for k, v in build(arch, classes).state_dict().items()}
print(json.dumps(out))
`;
  const r = spawnSync(PY, ['-c', dump], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), recorded);
});

test('convert: a PASS checkpoint becomes ONNX + manifest; ONNX Runtime agrees with PyTorch on the parity inputs', { skip, timeout: 120_000 }, async () => {
  const r = cli(['convert', '--arch', 'pass-r18', '--checkpoint', ckpt, '--classes', '50', '--out', model]);
  assert.equal(r.status, 0, r.stderr);
  const m = JSON.parse(readFileSync(join(model, 'manifest.json'), 'utf8'));
  assert.equal(m.family, 'pass');
  assert.equal(m.protocol, 'fully-unsupervised');
  assert.equal(m.checkpoint.ignored_count, 1, 'the training head is ignored');
  assert.match(m.onnx.sha256, /^[0-9a-f]{64}$/);
  assert.equal(m.parity.labelAgreement, 1);
  b = await loadBaseline(model);
  // logits close
  for (const [i, p] of m.parity_inputs.entries()) {
    const input = await f32File(join(model, 'parity', `${i}.input.f32`)), want = await f32File(join(model, 'parity', `${i}.logits.f32`));
    const [, , h, w] = p.input;
    const got = (await runLogits(b, input, h, w)).data as Float32Array;
    assertClose(got, want, `parity input ${i}`);
  }
});

test('convert refuses a wrong class count, a wrong architecture and a checkpoint of another kind, saying why', { skip, timeout: 120_000 }, () => {
  const classes = cli(['convert', '--arch', 'pass-r18', '--checkpoint', ckpt, '--classes', '300', '--out', join(work, 'x')]);
  assert.equal(classes.status, 2);
  assert.match(classes.stderr, /predicts 51 channels \(50 classes \+ other\), not 301: is --classes 50 meant\?/);
  const arch = cli(['convert', '--arch', 'pass-r50', '--checkpoint', ckpt, '--classes', '50', '--out', join(work, 'x')]);
  assert.equal(arch.status, 2);
  assert.match(arch.stderr, /is --arch right\?/);
  const other = join(work, 'other.pth');
  assert.equal(spawnSync(PY, ['-c', `import torch; torch.save({'model': {}}, ${JSON.stringify(other)})`]).status, 0);
  const kind = cli(['convert', '--arch', 'pass-r18', '--checkpoint', other, '--classes', '50', '--out', join(work, 'x')]);
  assert.equal(kind.status, 2);
  assert.match(kind.stderr, /not a PASS checkpoint: no "state_dict"/);
});

test('run equals the reference pipeline: the same input tensor, close logits, ≥ 99.99 % equal labels, the PASS max_res quirk', { skip, timeout: 180_000 }, async () => {
  const r = py('reference.py', ['--arch', 'pass-r18', '--checkpoint', ckpt, '--classes', '50', '--images', images, '--out', ref]);
  assert.equal(r.status, 0, r.stderr);
  const run = cli(['run', '--model', model, '--images', images, '--names', join(work, 'names.txt'), '--out', ours, '--zip', join(work, 'ours.zip')]);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /5 images in .* img\/s, cpu/);
  b ??= await loadBaseline(model);
  for (const [name, w, h] of IMAGES) {
    const a = decodePng(readFileSync(join(ref, 'n01000001', `${name}.png`))), o = decodePng(readFileSync(join(ours, 'n01000001', `${name}.png`)));
    assert.deepEqual([o.width, o.height], [w, h]);
    const same = equalShare(a.ids, o.ids);
    assert.ok(same >= 0.9999, `${name}: ${(100 * same).toFixed(4)} % equal`);
    assert.ok(new Set(a.ids).size > 1, `${name}: more than one label (the test means something)`);
    // logits of the whole pipeline (decode, resize, normalise, network) against the reference's
    const x = await preprocess(join(images, 'n01000001', `${name}.JPEG`));
    const got = (await runLogits(b, x.tensor, x.height, x.width)).data as Float32Array;
    const want = await f32File(join(ref, 'n01000001', `${name}.logits.f32`));
    assertClose(got, want, `${name} logits`);
  }
  // the quirk: PASS resizes a landscape image over max_res to (1000, int(1000·W/H)), not by orientation
  const big = decodePng(readFileSync(join(ref, 'n01000001', 'big.png')));
  const byOrientation = await predict(b, join(images, 'n01000001', 'big.JPEG'), [1000, 750]);
  const same = equalShare(big.ids, byOrientation.ids);
  assert.ok(same < 0.9999, `the orientation rule would not reproduce the reference (${(100 * same).toFixed(4)} % equal)`);
});

test('--device: auto tries CUDA, then WebGPU, then CPU, and says why each was passed over; a named GPU falls back the same way; an unknown one is refused', { skip, timeout: 120_000 }, () => {
  const names = join(work, 'names.txt');
  const auto = cli(['run', '--model', model, '--images', images, '--names', names, '--out', join(work, 'dev-auto'), '--device', 'auto']);
  assert.equal(auto.status, 0, auto.stderr);
  assert.match(auto.stderr, /note: cuda passed over: libonnxruntime_providers_shared\.so and libonnxruntime_providers_cuda\.so not installed in .*onnxruntime-node\/bin\/napi-v6\/linux\/x64/);
  assert.match(auto.stderr, /note: webgpu passed over: .*adapter/i);
  assert.match(auto.stdout, /5 images in .* img\/s, cpu\)/);
  const cuda = cli(['run', '--model', model, '--images', images, '--names', names, '--out', join(work, 'dev-cuda'), '--device', 'cuda']);
  assert.equal(cuda.status, 0, cuda.stderr);
  assert.match(cuda.stderr, /note: cuda passed over/);
  assert.doesNotMatch(cuda.stderr, /webgpu passed over/);
  assert.match(cuda.stdout, /, cpu\)/);
  const bad = cli(['run', '--model', model, '--images', images, '--names', names, '--out', join(work, 'dev-x'), '--device', 'tpu']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--device tpu: one of auto, cpu, cuda, webgpu/);
});

test('run on PASS validation writes the default match beside the predictions (the evaluator\'s own), and puts a given one in a test zip', { skip, timeout: 180_000 }, async () => {
  const { writeMiniSplit } = await import('../datasets/imagenet-s/mini.ts');
  const m = await writeMiniSplit(join(work, 'mini'), { validation: 12, test: 3 });
  const val = join(work, 'mini-val');
  const r = cli(['run', '--model', model, '--images', join(m.root, 'validation'), '--names', m.subsets.validation.namesFile, '--out', val]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /default match computed against .*validation-segmentation/);
  const written = JSON.parse(readFileSync(join(val, 'match.json'), 'utf8'));
  const auto = join(work, 'auto.json');
  const e = spawnSync('npm', ['run', '-s', 'evaluate', '--', '--gt', m.subsets.validation.masksDir, '--pred', val, '--names', m.subsets.validation.namesFile, '--classes', '50', '--match', 'auto', '--json', auto, '--quiet'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(e.status, 0, e.stderr);
  assert.deepEqual(written, JSON.parse(readFileSync(auto, 'utf8')).match);
  // test: no GT beside the images; the validation match goes into the zip
  const testOut = join(work, 'mini-test'), zip = join(work, 'mini-test.zip');
  const t = cli(['run', '--model', model, '--images', join(m.root, 'test'), '--names', m.subsets.test.namesFile, '--out', testOut, '--match', join(val, 'match.json'), '--zip', zip]);
  assert.equal(t.status, 0, t.stderr);
  const { ZipSource, DEFAULT_SOURCE_LIMITS } = await import('../evaluator/index.ts');
  const z = await ZipSource.open(zip, m.subsets.test.masks, DEFAULT_SOURCE_LIMITS);
  try {
    assert.deepEqual(JSON.parse((await z.readExtra('match.json', 1 << 20))!.toString('utf8')), written);
  } finally { await z.close(); }
});

test('convert, then register: the server runs the model on validation and test and shows baseline rows with provenance; scores equal the reference pipeline\'s', { skip, timeout: 300_000 }, async () => {
  const { testServer } = await import('./helpers/server.ts');
  const srv = await testServer({ QUOTA_TEST_PER_DAY: '1' });
  try {
    // a 6-class model for the 6-class demo split
    const ck6 = join(work, 'pass-r18-6.pth.tar'), model6 = join(work, 'model6');
    assert.equal(py('make_checkpoint.py', ['--arch', 'pass-r18', '--classes', '6', '--seed', '5', '--width', '16', '--out', ck6]).status, 0);
    const conv = spawnSync('npm', ['run', '-s', 'baseline', '--', 'convert', '--arch', 'pass-r18', '--checkpoint', ck6, '--classes', '6', '--out', model6], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ISB_ANY_CLASSES: '1' } });
    assert.equal(conv.status, 0, conv.stderr);
    const admin = srv.user('root', true);
    // asynchronously: the server answers from this process
    const register = (benchmark: string) => new Promise<{ status: number | null; stdout: string; stderr: string }>((res) => {
      const c = spawn('npm', ['run', '-s', 'baseline', '--', 'register', '--model', model6, '--benchmark', benchmark, '--server', srv.url, '--token', admin, '--wait'], { cwd: ROOT });
      let stdout = '', stderr = '';
      c.stdout.on('data', (d: Buffer) => { stdout += d; });
      c.stderr.on('data', (d: Buffer) => { stderr += d; });
      c.on('close', (status) => res({ status, stdout, stderr }));
    });
    const early = await register('imagenetsmini.fully-unsupervised.test');
    assert.equal(early.status, 2);
    assert.match(early.stderr, /register this model on imagenetsmini\.fully-unsupervised\.validation first/);
    // one command: validation, then test with the validation match
    const val = await register('imagenetsmini.fully-unsupervised.validation');
    assert.equal(val.status, 0, val.stderr);
    assert.match(val.stdout, /registered on imagenetsmini\.fully-unsupervised\.test: runs after it/);
    assert.match(val.stdout, /imagenetsmini\.fully-unsupervised\.validation: submission \d+ scored: mIoU \d+\.\d\d[^]*imagenetsmini\.fully-unsupervised\.test: submission \d+ scored: mIoU \d+\.\d\d/);
    // the same checkpoint through the PyTorch reference pipeline, scored by the CLI with the default match
    const split = join(srv.dataDir, 'demo-dataset', 'ImageNetSmini');
    const refOut = join(work, 'ref6');
    const ref6 = py('reference.py', ['--arch', 'pass-r18', '--checkpoint', ck6, '--classes', '6', '--images', join(split, 'validation'), '--out', refOut]);
    assert.equal(ref6.status, 0, ref6.stderr);
    const json = join(work, 'ref6.json');
    const e = spawnSync('npm', ['run', '-s', 'evaluate', '--', '--gt', join(split, 'validation-segmentation'), '--pred', refOut, '--names', join(split, 'validation.txt'), '--classes', '6', '--match', 'auto', '--json', json, '--quiet'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(e.status, 0, e.stderr);
    const refMetrics = JSON.parse(readFileSync(json, 'utf8'));
    const board = async (b: string) => (await (await fetch(`${srv.url}/api/leaderboards/${b}`)).json()) as { rows: { baseline: boolean; method: string; description: string; metrics: Record<string, number>; run: { provenance: string; reported: unknown } | null }[] };
    const row = (await board('imagenetsmini.fully-unsupervised.validation')).rows.find((x) => x.baseline)!;
    assert.equal(row.method, 'PASS-R18');
    for (const k of ['mIoU', 'mBIoU', 'Acc', 'FMeasure']) assert.ok(Math.abs(row.metrics[k] - refMetrics[k]) < 0.01, `${k}: server ${row.metrics[k]}, reference ${refMetrics[k]}`);
    const prov = /Provenance: (\/baselines\/\d+\/manifest\.json)/.exec(row.description)![1];
    assert.deepEqual(row.run, { provenance: prov, reported: null }, 'the row links its run; a 6-class model has no reported number');
    const manifest = (await (await fetch(`${srv.url}${prov}`)).json()) as { onnx: { sha256: string }; run: { images: number; provider: string; passed_over: { provider: string; reason: string }[] } };
    assert.match(manifest.onnx.sha256, /^[0-9a-f]{64}$/);
    assert.equal(manifest.run.images, 36);
    // no GPU here: CUDA's provider libraries are not installed (npm does not fetch them) and WebGPU finds no adapter
    assert.equal(manifest.run.provider, 'cpu');
    assert.deepEqual(manifest.run.passed_over.map((f) => f.provider), ['cuda', 'webgpu']);
    assert.match(manifest.run.passed_over[0].reason, /libonnxruntime_providers_cuda\.so not installed/);
    // test: the validation match applied (the same as the validation submission's)
    const testRows = (await board('imagenetsmini.fully-unsupervised.test')).rows.filter((x) => x.baseline);
    assert.deepEqual(testRows.map((x) => x.method), ['PASS-R18']);
    const subOf = async (b: string) => (await (await fetch(`${srv.url}/api/leaderboards/${b}`)).json()) as { rows: { submission: number; baseline: boolean }[] };
    const view = async (id: number) => (await (await fetch(`${srv.url}/api/submissions/${id}`, { headers: { authorization: `Bearer ${admin}` } })).json()) as { match?: string; match_url?: string };
    const valSub = (await subOf('imagenetsmini.fully-unsupervised.validation')).rows.find((x) => x.baseline)!.submission;
    const testSub = (await subOf('imagenetsmini.fully-unsupervised.test')).rows.find((x) => x.baseline)!.submission;
    const vv = await view(valSub);
    assert.equal(vv.match, 'default matching (computed)');
    assert.ok(vv.match_url, 'the validation run got a computed match');
    // a fully-unsupervised test phase refuses a zip without match.json: the scored test row carried the validation one
    assert.equal(((await view(testSub)) as { status?: string }).status, 'finished');
    // baselines are exempt from the daily test quota (1 here): a second test run is accepted
    const again = await register('imagenetsmini.fully-unsupervised.test');
    assert.equal(again.status, 0, again.stderr);
    assert.equal((await board('imagenetsmini.fully-unsupervised.test')).rows.filter((x) => x.baseline).length, 2);
  } finally {
    await srv.cleanup();
  }
});

test('ImageNetSegModel ResNet-50 D32 and D16: the official keys, strict loading, and run equal to the reference with its own max_res rule', { skip, timeout: 300_000 }, async () => {
  const recorded = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/isegm-resnet-state-dict-keys.json'), 'utf8')) as Record<string, Record<string, number[]>>;
  const dump = `
import json, sys
sys.path.insert(0, ${JSON.stringify(join(ROOT, 'baselines/convert'))})
from models import build
print(json.dumps({f'{a}-919': {k: list(v.shape) for k, v in build(a, 919).state_dict().items()} for a in ['r50-d32', 'r50-d16']}))
`;
  const keys = spawnSync(PY, ['-c', dump], { encoding: 'utf8' });
  assert.equal(keys.status, 0, keys.stderr);
  assert.deepEqual(JSON.parse(keys.stdout), recorded);
  for (const arch of ['r50-d32', 'r50-d16']) {
    const ck = join(work, `${arch}.pth`), dir = join(work, arch), refDir = join(work, `ref-${arch}`), outDir = join(work, `ours-${arch}`);
    assert.equal(py('make_checkpoint.py', ['--arch', arch, '--classes', '50', '--seed', '4', '--width', '16', '--out', ck]).status, 0);
    // a PASS checkpoint is not an ImageNetSegModel one, and says so
    const wrong = cli(['convert', '--arch', arch, '--checkpoint', ckpt, '--classes', '50', '--out', join(work, 'x')]);
    assert.equal(wrong.status, 2);
    assert.match(wrong.stderr, /not an ImageNetSegModel checkpoint: no "model"/);
    const conv = cli(['convert', '--arch', arch, '--checkpoint', ck, '--classes', '50', '--out', dir]);
    assert.equal(conv.status, 0, conv.stderr);
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    assert.deepEqual([m.family, m.protocol, m.max_res.rule, m.parity.labelAgreement], ['imagenetsegmodel', 'semi-supervised', 'orientation', 1]);
    const r = py('reference.py', ['--arch', arch, '--checkpoint', ck, '--classes', '50', '--images', images, '--out', refDir]);
    assert.equal(r.status, 0, r.stderr);
    const run = cli(['run', '--model', dir, '--images', images, '--names', join(work, 'names.txt'), '--out', outDir]);
    assert.equal(run.status, 0, run.stderr);
    for (const [name] of IMAGES) {
      const a = decodePng(readFileSync(join(refDir, 'n01000001', `${name}.png`))), o = decodePng(readFileSync(join(outDir, 'n01000001', `${name}.png`)));
      const same = equalShare(a.ids, o.ids);
      assert.ok(same >= 0.9999, `${arch} ${name}: ${(100 * same).toFixed(4)} % equal`);
    }
  }
  // the landscape image over max_res: ImageNetSegModel's rule is by orientation, PASS's rule would not reproduce it
  const b16 = await loadBaseline(join(work, 'r50-d16'));
  const big = decodePng(readFileSync(join(work, 'ref-r50-d16', 'n01000001', 'big.png')));
  const passRule = await predict(b16, join(images, 'n01000001', 'big.JPEG'), [1333, 1000]);
  const same = equalShare(big.ids, passRule.ids);
  assert.ok(same < 0.9999, `PASS's rule would not reproduce ImageNetSegModel's (${(100 * same).toFixed(4)} % equal)`);
});

test('ConvNeXt-T, RF-ConvNeXt-T and ViT-S/16, ViT-B/16: the official keys and shapes at full size', { skip }, () => {
  const recorded = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/isegm-convnext-vit-state-dict-keys.json'), 'utf8')) as Record<string, Record<string, number[]>>;
  const dump = `
import json, sys
sys.path.insert(0, ${JSON.stringify(join(ROOT, 'baselines/convert'))})
from models import build
print(json.dumps({f'{a}-919': {k: list(v.shape) for k, v in build(a, 919).state_dict().items()} for a in ['convnext-t', 'rf-convnext-t', 'vit-s16', 'vit-b16']}))
`;
  const keys = spawnSync(PY, ['-c', dump], { encoding: 'utf8' });
  assert.equal(keys.status, 0, keys.stderr);
  assert.deepEqual(JSON.parse(keys.stdout), recorded);
});

// reduced sizes (random weights): the structure of each family, not its width, is under test
const FAMILIES: { arch: string; variant?: string; name: string }[] = [
  { arch: 'convnext-t', name: 'ConvNeXt-T' },
  { arch: 'rf-convnext-t', variant: 'rfsingle', name: 'RF-ConvNeXt-T rfsingle' },
  { arch: 'rf-convnext-t', variant: 'rfmultiple', name: 'RF-ConvNeXt-T rfmultiple' },
  { arch: 'rf-convnext-t', variant: 'rfmerge', name: 'RF-ConvNeXt-T rfmerge' },
  { arch: 'vit-s16', name: 'ViT-S/16' },
  { arch: 'vit-b16', name: 'ViT-B/16' },
];
const anySize = { ...process.env, ISB_ANY_SIZE: '1' };

for (const f of FAMILIES) {
  const id = f.variant ? `${f.arch}-${f.variant}` : f.arch;
  test(`${f.name}: convert (parity recorded), then run equals the reference pipeline: close logits, ≥ 99.99 % equal labels, PNG ids`, { skip, timeout: 240_000 }, async () => {
    const ck = join(work, `${id}.pth`), dir = join(work, id), refDir = join(work, `ref-${id}`), outDir = join(work, `ours-${id}`);
    const made = spawnSync(PY, [join(ROOT, 'baselines/convert/make_checkpoint.py'), '--arch', f.arch, '--classes', '50', '--seed', '6', '--reduced', ...(f.variant ? ['--variant', f.variant] : []), '--out', ck], { encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    const conv = spawnSync('npm', ['run', '-s', 'baseline', '--', 'convert', '--arch', f.arch, '--checkpoint', ck, '--classes', '50', '--out', dir], { cwd: ROOT, encoding: 'utf8', env: anySize });
    assert.equal(conv.status, 0, conv.stderr);
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    assert.deepEqual([m.name, m.family, m.protocol, m.max_res.rule, m.parity.labelAgreement], [f.name, 'imagenetsegmodel', 'semi-supervised', 'orientation', 1]);
    if (f.variant) assert.equal(m.rf.variant, f.variant);
    const r = spawnSync(PY, [join(ROOT, 'baselines/convert/reference.py'), '--arch', f.arch, '--checkpoint', ck, '--classes', '50', '--images', images, '--out', refDir], { encoding: 'utf8', env: anySize });
    assert.equal(r.status, 0, r.stderr);
    const run = cli(['run', '--model', dir, '--images', images, '--names', join(work, 'names.txt'), '--out', outDir]);
    assert.equal(run.status, 0, run.stderr);
    const b = await loadBaseline(dir);
    for (const [name, w, h] of IMAGES) {
      const a = decodePng(readFileSync(join(refDir, 'n01000001', `${name}.png`))), o = decodePng(readFileSync(join(outDir, 'n01000001', `${name}.png`)));
      assert.deepEqual([o.width, o.height], [w, h]);
      const same = equalShare(a.ids, o.ids);
      assert.ok(same >= 0.9999, `${id} ${name}: ${(100 * same).toFixed(4)} % equal`);
      assert.ok(new Set(a.ids).size > 1, `${id} ${name}: more than one label`);
      const x = await preprocess(join(images, 'n01000001', `${name}.JPEG`));
      const got = await runLogits(b, x.tensor, x.height, x.width);
      const want = await f32File(join(refDir, 'n01000001', `${name}.logits.f32`));
      // ConvNeXt: stride 32 with 4 x 4 sub-pixels per position (stride 8); ViT: stride 16 on the floored grid
      const expected = f.arch.startsWith('vit') ? [Math.floor(x.height / 16), Math.floor(x.width / 16)] : [4 * Math.floor(x.height / 32), 4 * Math.floor(x.width / 32)];
      assert.deepEqual(got.dims.slice(2), expected);
      assertClose(got.data as Float32Array, want, `${id} ${name} logits`);
    }
    await b.session.release();
  });
}

test('the rules the official code fixes, stated independently: RF-Next branches |w_i| / Σ|w| at padding rate·(k−1)/2, merged kernels at rate 1, the ConvNeXt head\'s sub-pixel order', { skip }, () => {
  const check = `
import sys, torch, torch.nn.functional as F
sys.path.insert(0, ${JSON.stringify(join(ROOT, 'baselines/convert'))})
from models import SearchedDepthwise, SegConvNeXt
torch.manual_seed(0)
x = torch.randn(1, 4, 20, 23)
m = SearchedDepthwise(4, 7)
with torch.no_grad():
    m.weight.normal_(); m.bias.normal_(); m.sample_weights.copy_(torch.tensor([-1.0, 3.0, 9.0]))
    m.rates[:2] = torch.tensor([[1, 1], [3, 3]], dtype=torch.int32); m.num_rates[0] = 2
    conv = lambda d: F.conv2d(x, m.weight, m.bias, 1, 3 * d, d, 4)
    assert torch.allclose(m(x), 0.25 * conv(1) + 0.75 * conv(3), atol=1e-5), 'rfmultiple'
    m.num_rates[0] = 1; m.rates[0] = torch.tensor([2, 2], dtype=torch.int32)
    assert torch.equal(m(x), conv(2)), 'rfsingle'
    big = SearchedDepthwise(4, 13); big.weight.normal_()
    assert torch.equal(big(x), F.conv2d(x, big.weight, big.bias, 1, 6, 1, 4)), 'rfmerge'
    net = SegConvNeXt(2, dims=(8, 8, 8, 8), depths=(1, 1, 1, 1)).eval()
    net.seg_head.fc.weight.zero_(); net.seg_head.fc.bias.copy_(torch.arange(48.0))
    out = net(torch.randn(1, 3, 64, 96))
    assert out.shape == (1, 3, 8, 12), out.shape
    for c in range(3):
        for i in range(4):
            for j in range(4):
                assert out[0, c, 4 + i, 8 + j] == (i * 4 + j) * 3 + c, (c, i, j)
print('ok')
`;
  const r = spawnSync(PY, ['-c', check], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'ok');
});

test('reported numbers: by architecture, RF-Next variant, recipe and phase; shown beside the measured mIoU of a baseline row, with its provenance, never in its place', async () => {
  const { reportedFor, recipeOf } = await import('../baselines/reported.ts');
  const { baselineRun } = await import('../server/domain/leaderboard.ts');
  const { leaderboardPage } = await import('../leaderboard-ui/pages/leaderboard.ts');
  const { fakeBoard } = await import('../scripts/bench-pages.ts');
  assert.equal(reportedFor({ arch: 'pass-r18', classes: 50 }, 'test')?.mIoU, 29.3);
  assert.equal(reportedFor({ arch: 'pass-r50', classes: 919 }, 'validation')?.mIoU, 11.5);
  assert.equal(reportedFor({ arch: 'rf-convnext-t', classes: 919, rf: { variant: 'rfmerge' } }, 'validation')?.mIoU, 51.3);
  assert.equal(reportedFor({ arch: 'rf-convnext-t', classes: 919, rf: { variant: 'rfsingle' } }, 'test')?.mIoU, 50.5);
  assert.equal(reportedFor({ arch: 'convnext-t', classes: 919 }, 'test')?.mIoU, 48.8);
  // several recipes: none without a name; TEC reports validation only
  assert.equal(reportedFor({ arch: 'vit-b16', classes: 919 }, 'validation'), null);
  assert.equal(reportedFor({ arch: 'vit-b16', classes: 919, recipe: 'mae-ssl+sup' }, 'test')?.mIoU, 60.2);
  assert.equal(reportedFor({ arch: 'vit-b16', classes: 919, recipe: 'tec-mae-ssl+sup' }, 'validation')?.mIoU, 62.0);
  assert.equal(reportedFor({ arch: 'vit-b16', classes: 919, recipe: 'tec-mae-ssl' }, 'test'), null);
  assert.match(recipeOf({ arch: 'vit-b16', classes: 919, recipe: 'tec-mae-ssl' })!.source, /no TEC ImageNet-S checkpoint is published/);
  assert.equal(reportedFor({ arch: 'pass-r18', classes: 6 }, 'validation'), null);
  const run = baselineRun({ baseline: 1, baseline_run: 7, baseline_manifest: JSON.stringify({ arch: 'pass-r18', classes: 50 }) }, 'validation');
  assert.deepEqual(run, { provenance: '/baselines/7/manifest.json', reported: { mIoU: 29.2, source: 'PASS README (LUSSeg/PASS), fully unsupervised', recipe: 'pass' } });
  assert.equal(baselineRun({ baseline: 1, baseline_run: null, baseline_manifest: null }, 'validation'), null, 'a row flagged baseline by an admin has no run');
  // the page: measured value first, the reported one under it, marked as the authors'
  const rows = fakeBoard(3).map((r, i) => ({ ...r, baseline: i === 1, run: i === 1 ? run : null }));
  const page = leaderboardPage({ viewer: null, csrf: 'x'.repeat(43), path: '/' }, { benchmark: { id: 'imagenets50.fully-unsupervised.validation', split: 'imagenets50', splitName: 'ImageNetS50', protocol: 'fully-unsupervised', phase: 'validation', classes: 50, images: 752, gtPrivate: false }, rows, history: rows, sort: 'mIoU', order: 'desc', all: false }).value;
  const row = page.split('<tr').find((t) => t.includes(`/submissions/${rows[1].submission}"`))!;
  assert.match(row, new RegExp(`>${(rows[1].metrics.mIoU as number).toFixed(2)}<span class="sub">.*?<span class="sub reported" title="Reported by the authors \\(PASS README[^"]*\\); the value above is this server&#39;s own run">reported 29\\.2</span>`));
  assert.match(row, /Run by this server from the authors' checkpoint · <a href="\/baselines\/7\/manifest\.json"[^>]*>provenance<\/a>/);
  assert.equal((page.match(/reported 29\.2/g) ?? []).length, 1);
});

test('a server stopped during a baseline run leaves no run "running": the run and the test run chained to it are failed, saying to register again', { skip, timeout: 120_000 }, async () => {
  const { testServer } = await import('./helpers/server.ts');
  const { loadConfig } = await import('../server/config.ts');
  const { startServer } = await import('../server/server.ts');
  const pino = (await import('pino')).default;
  const srv = await testServer();
  const ck = join(work, 'pass-r18-6-stop.pth.tar'), dir = join(work, 'model6-stop');
  assert.equal(py('make_checkpoint.py', ['--arch', 'pass-r18', '--classes', '6', '--seed', '8', '--width', '16', '--out', ck]).status, 0);
  const conv = spawnSync('npm', ['run', '-s', 'baseline', '--', 'convert', '--arch', 'pass-r18', '--checkpoint', ck, '--classes', '6', '--out', dir], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ISB_ANY_CLASSES: '1' } });
  assert.equal(conv.status, 0, conv.stderr);
  const admin = srv.user('root', true);
  const headers = { authorization: `Bearer ${admin}`, 'content-type': 'application/json' };
  const r = await fetch(`${srv.url}/api/admin/baselines`, { method: 'POST', headers, body: JSON.stringify({ model: dir, benchmark: 'imagenetsmini.fully-unsupervised.validation' }) });
  assert.equal(r.status, 202);
  const body = (await r.json()) as { id: number; then: { id: number; benchmark: string }[] };
  assert.deepEqual(body.then.map((t) => t.benchmark), ['imagenetsmini.fully-unsupervised.test']);
  await srv.close();
  // the same data directory, started again
  const again = await startServer(loadConfig({ DATA_DIR: srv.dataDir, PORT: '0', HOST: '127.0.0.1', SCORING_WORKERS: '1', LOG_LEVEL: 'silent' }), pino({ level: 'silent' }));
  try {
    const get = async (id: number) => (await (await fetch(`${again.url}/api/admin/baselines/${id}`, { headers })).json()) as { status: string; error: string | null };
    const val = await get(body.id), test = await get(body.then[0].id);
    assert.ok(val.status === 'submitted' || (val.status === 'failed' && /server stopped during the run; register the model again/.test(val.error!)), JSON.stringify(val));
    assert.equal(test.status, 'failed');
    assert.match(test.error!, /the server stopped before this run started; register the model again/);
  } finally {
    await again.close();
    rmSync(srv.dataDir, { recursive: true, force: true });
  }
});
