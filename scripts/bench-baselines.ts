/**
 * Bench section `baselines`: the runner (ONNX Runtime, CPU) against PyTorch eager on the CPU for the
 * same model and the same images, in one run: a random-initialised PASS ResNet-50 at full width
 * (919 classes), converted by the real converter, on generated JPEGs of typical ImageNet sizes.
 * Both sides include decoding, preprocessing, the resize to the image size and the arg-max, and
 * writing the PNGs; neither includes loading the model.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import sharp from 'sharp';
import { loadBaseline, predict } from '../baselines/runner/model.ts';
import { encodeMask } from '../datasets/imagenet-s/png-write.ts';
import { pickSize, rng } from '../datasets/imagenet-s/synth-image.ts';

const ROOT = resolve(import.meta.dirname, '..');
const PY = '/usr/bin/python3';

export async function baselinesBench(benchDir: string, count: number): Promise<void> {
  if (spawnSync(PY, ['-c', 'import torch, torchvision']).status !== 0) { console.log('  (/usr/bin/python3 with torch and torchvision not found: skipped)'); return; }
  const dir = join(benchDir, 'baselines');
  const ckpt = join(dir, 'pass-r50-919.pth.tar'), model = join(dir, 'model'), images = join(dir, 'images', 'n01000001');
  mkdirSync(images, { recursive: true });
  if (!existsSync(ckpt)) {
    const r = spawnSync(PY, [join(ROOT, 'baselines/convert/make_checkpoint.py'), '--arch', 'pass-r50', '--classes', '919', '--seed', '1', '--out', ckpt], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
  }
  if (!existsSync(join(model, 'manifest.json'))) {
    const r = spawnSync(PY, [join(ROOT, 'baselines/convert/convert.py'), '--arch', 'pass-r50', '--checkpoint', ckpt, '--classes', '919', '--out', model], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
  }
  const r = rng(11);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const [h, w] = pickSize(r, 0);
    const name = `img${i}`;
    names.push(name);
    const file = join(images, `${name}.JPEG`);
    if (existsSync(file)) continue;
    const px = Buffer.alloc(w * h * 3);
    for (let k = 0; k < px.length; k++) px[k] = (((k / 3) % w) * 255) / w + ((k * 2654435761) >>> 26);
    await sharp(px, { raw: { width: w, height: h, channels: 3 } }).blur(3).jpeg({ quality: 85 }).toFile(file);
  }
  // PyTorch eager (threads: PyTorch's default, all cores)
  const ref = spawnSync(PY, [join(ROOT, 'baselines/convert/reference.py'), '--arch', 'pass-r50', '--checkpoint', ckpt, '--classes', '919', '--images', join(dir, 'images'), '--out', join(dir, 'ref'), '--timing'], { encoding: 'utf8' });
  if (ref.status !== 0) throw new Error(ref.stderr);
  const torch = JSON.parse(ref.stderr.trim().split('\n').pop()!) as { images: number; seconds: number };
  // ONNX Runtime (intra-op threads: its default, all cores)
  const b = await loadBaseline(model);
  await predict(b, join(images, `${names[0]}.JPEG`)); // warm-up, as PyTorch's first call is in its loop too
  const t = performance.now();
  for (const n of names) {
    const p = await predict(b, join(images, `${n}.JPEG`));
    const out = join(dir, 'ours', 'n01000001', `${n}.png`);
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, encodeMask(p.ids, p.width, p.height));
  }
  const ours = (performance.now() - t) / 1000;
  writeFileSync(join(dir, 'last.json'), JSON.stringify({ torch, ours }));
  console.log(`  PASS ResNet-50, 919 classes, ${count} JPEGs of typical sizes, CPU: PyTorch eager ${(torch.images / torch.seconds).toFixed(2)} img/s, ONNX Runtime runner ${(count / ours).toFixed(2)} img/s (${(torch.seconds / ours).toFixed(2)}× PyTorch)`);
}
