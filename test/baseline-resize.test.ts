/**
 * The runner's preprocessing reproduces the reference pipelines' `transforms.Resize(256)` on PIL
 * images bit for bit (baselines/runner/resize.ts): images of many shapes, reduced and enlarged, are
 * resized here and by torchvision + Pillow (Debian's python3-torchvision, run with /usr/bin/python3),
 * and every byte must agree.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { resizeBilinearRGB, resizedSize } from '../baselines/runner/resize.ts';
import { rng } from '../datasets/imagenet-s/synth-image.ts';

const PY = '/usr/bin/python3';
const probe = spawnSync(PY, ['-c', 'import torchvision, PIL'], { encoding: 'utf8' });
const skip = probe.status === 0 ? false : `${PY} with torchvision and Pillow not found (.ci/run installs python3-torchvision): ${probe.stderr?.trim().split('\n').pop() ?? ''}`;
const work = mkdtempSync(join(tmpdir(), 'isb-resize-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** A photo-like RGB image: smooth gradients, hard edges and noise. */
function image(w: number, h: number, seed: number): Uint8Array {
  const r = rng(seed), out = new Uint8Array(w * h * 3);
  const cx = r() * w, cy = r() * h, rad = (0.2 + r() * 0.3) * Math.min(w, h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const o = (y * w + x) * 3, inside = (x - cx) ** 2 + (y - cy) ** 2 < rad * rad;
    out[o] = (x * 255) / Math.max(1, w - 1);
    out[o + 1] = inside ? 230 : (y * 255) / Math.max(1, h - 1);
    out[o + 2] = Math.min(255, Math.floor(r() * 64) + (inside ? 20 : 160));
  }
  return out;
}

const SHAPES: [number, number][] = [[500, 375], [375, 500], [640, 480], [333, 500], [1024, 683], [100, 60], [60, 100], [256, 300], [300, 256], [257, 1001], [2000, 1500], [7, 3], [256, 256]];

test('Resize(256) equals torchvision + Pillow byte for byte, output sizes included', { skip, timeout: 120_000 }, async () => {
  const files = await Promise.all(SHAPES.map(async ([w, h], i) => {
    const png = join(work, `in-${i}.png`);
    await sharp(Buffer.from(image(w, h, i + 1)), { raw: { width: w, height: h, channels: 3 } }).png().toFile(png);
    return png;
  }));
  const script = `
import sys, json
from PIL import Image
from torchvision import transforms
t = transforms.Resize(256)
out = []
for i, p in enumerate(sys.argv[1:]):
    im = t(Image.open(p).convert('RGB'))
    open(p + '.raw', 'wb').write(im.tobytes())
    out.append(im.size)
print(json.dumps(out))
`;
  const py = spawnSync(PY, ['-c', script, ...files], { encoding: 'utf8' });
  assert.equal(py.status, 0, py.stderr);
  const sizes = JSON.parse(py.stdout) as [number, number][];
  SHAPES.forEach(([w, h], i) => {
    const [ow, oh] = resizedSize(w, h);
    assert.deepEqual([ow, oh], sizes[i], `${w}×${h}: output size`);
    const ours = resizeBilinearRGB(image(w, h, i + 1), w, h, ow, oh);
    const theirs = readFileSync(`${files[i]}.raw`);
    assert.equal(ours.length, theirs.length);
    let diff = 0, first = -1;
    for (let k = 0; k < ours.length; k++) if (ours[k] !== theirs[k]) { diff++; if (first < 0) first = k; }
    assert.equal(diff, 0, `${w}×${h} → ${ow}×${oh}: ${diff} bytes differ, the first at ${first}`);
  });
});

test('sharp\'s own resize is not the reference (why the port exists)', { skip }, async () => {
  const [w, h] = [500, 375], src = image(w, h, 99);
  const [ow, oh] = resizedSize(w, h);
  const theirs = await sharp(Buffer.from(src), { raw: { width: w, height: h, channels: 3 } }).resize(ow, oh, { kernel: 'linear', fit: 'fill' }).raw().toBuffer();
  const ours = resizeBilinearRGB(src, w, h, ow, oh);
  let diff = 0;
  for (let k = 0; k < ours.length; k++) if (ours[k] !== theirs[k]) diff++;
  assert.ok(diff > 0, 'sharp differs from Pillow somewhere');
});

test('the whole input: sharp decodes JPEGs as Pillow does, and the tensor equals ToTensor + Normalize (max |Δ| ≤ 1e-6)', { skip, timeout: 120_000 }, async () => {
  const { writeMiniSplit } = await import('../datasets/imagenet-s/mini.ts');
  const { preprocess } = await import('../baselines/runner/preprocess.ts');
  const m = await writeMiniSplit(join(work, 'mini'), { validation: 8, test: 1 });
  const jpegs = m.subsets.validation.masks.map((rel) => join(m.root, 'validation', rel.replace(/\.png$/, '.JPEG')));
  const script = `
import sys
import numpy as np
from PIL import Image
from torchvision import transforms
t = transforms.Compose([transforms.Resize(256), transforms.ToTensor(), transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])])
for p in sys.argv[1:]:
    x = t(Image.open(p).convert('RGB'))
    open(p + '.f32', 'wb').write(x.numpy().astype(np.float32).tobytes())
    open(p + '.rgb', 'wb').write(Image.open(p).convert('RGB').tobytes())
`;
  const py = spawnSync(PY, ['-c', script, ...jpegs], { encoding: 'utf8' });
  assert.equal(py.status, 0, py.stderr);
  for (const p of jpegs) {
    const { decodeRGB } = await import('../baselines/runner/preprocess.ts');
    assert.deepEqual(Buffer.from((await decodeRGB(p)).rgb), readFileSync(`${p}.rgb`), `${p}: decoded bytes`);
    const ours = (await preprocess(p)).tensor;
    const ref = new Float32Array(new Uint8Array(readFileSync(`${p}.f32`)).buffer);
    assert.equal(ours.length, ref.length);
    let max = 0;
    for (let i = 0; i < ours.length; i++) max = Math.max(max, Math.abs(ours[i] - ref[i]));
    assert.ok(max <= 1e-6, `${p}: max |Δ| ${max}`);
  }
});
