/**
 * Bench section `baselines`: the runner (ONNX Runtime, CPU) against PyTorch eager on the CPU for the
 * same model and the same images, in one run, for one model of each family at full size with 919
 * classes (random-initialised, converted by the real converter): PASS ResNet-50, RF-ConvNeXt-T
 * (rfmultiple, the heaviest variant: three dilated branches per block) and ViT-B/16; on generated
 * JPEGs of typical ImageNet sizes. PyTorch runs on all cores with the BLAS Debian's alternatives give
 * it (printed; the reference BLAS makes its linear layers ~15× slower: install libopenblas0-pthread). Both sides include decoding, preprocessing, the resize to the
 * image size and the arg-max, and writing the PNGs; neither includes loading the model.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import sharp from 'sharp';
import { loadBaseline, predict } from '../baselines/runner/model.ts';
import { encodeMask } from '../datasets/imagenet-s/png-write.ts';
import { pickSize, rng } from '../datasets/imagenet-s/synth-image.ts';
import { decodePng } from '../evaluator/index.ts';

const ROOT = resolve(import.meta.dirname, '..');
const PY = '/usr/bin/python3';
const MODELS = [
  { id: 'pass-r50', arch: 'pass-r50', args: [], label: 'PASS ResNet-50' },
  { id: 'rf-convnext-t-rfmultiple', arch: 'rf-convnext-t', args: ['--variant', 'rfmultiple'], label: 'RF-ConvNeXt-T rfmultiple' },
  { id: 'vit-b16', arch: 'vit-b16', args: [], label: 'ViT-B/16' },
];

export async function baselinesBench(benchDir: string, count: number): Promise<void> {
  if (spawnSync(PY, ['-c', 'import torch, torchvision']).status !== 0) { console.log('  (/usr/bin/python3 with torch and torchvision not found: skipped)'); return; }
  const dir = join(benchDir, 'baselines');
  const images = join(dir, 'images', 'n01000001');
  mkdirSync(images, { recursive: true });
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
  const results: Record<string, unknown> = {};
  for (const m of MODELS) {
    const ckpt = join(dir, `${m.id}-919.pth`), model = join(dir, `model-${m.id}`), refDir = join(dir, `ref-${m.id}`), oursDir = join(dir, `ours-${m.id}`);
    if (!existsSync(ckpt)) {
      const made = spawnSync(PY, [join(ROOT, 'baselines/convert/make_checkpoint.py'), '--arch', m.arch, '--classes', '919', '--seed', '1', ...m.args, '--out', ckpt], { encoding: 'utf8' });
      if (made.status !== 0) throw new Error(made.stderr);
    }
    if (!existsSync(join(model, 'manifest.json'))) {
      const conv = spawnSync(PY, [join(ROOT, 'baselines/convert/convert.py'), '--arch', m.arch, '--checkpoint', ckpt, '--classes', '919', '--out', model], { encoding: 'utf8' });
      if (conv.status !== 0) throw new Error(conv.stderr);
    }
    // PyTorch eager (threads: PyTorch's default, all cores)
    const ref = spawnSync(PY, [join(ROOT, 'baselines/convert/reference.py'), '--arch', m.arch, '--checkpoint', ckpt, '--classes', '919', '--images', join(dir, 'images'), '--out', refDir, '--timing'], { encoding: 'utf8' });
    if (ref.status !== 0) throw new Error(ref.stderr);
    const torch = JSON.parse(ref.stderr.trim().split('\n').pop()!) as { images: number; seconds: number; threads: number; blas: string[] };
    // ONNX Runtime (intra-op threads: its default, all cores)
    const b = await loadBaseline(model, 'cpu');
    await predict(b, join(images, `${names[0]}.JPEG`)); // warm-up, as reference.py --timing does
    const t = performance.now();
    for (const n of names) {
      const p = await predict(b, join(images, `${n}.JPEG`));
      const out = join(oursDir, 'n01000001', `${n}.png`);
      await mkdir(dirname(out), { recursive: true });
      await writeFile(out, encodeMask(p.ids, p.width, p.height));
    }
    const ours = (performance.now() - t) / 1000;
    await b.session.release();
    let same = 0, pixels = 0;
    for (const n of names) {
      const a = decodePng(readFileSync(join(refDir, 'n01000001', `${n}.png`))), o = decodePng(readFileSync(join(oursDir, 'n01000001', `${n}.png`)));
      for (let i = 0; i < a.ids.length; i++) if (a.ids[i] === o.ids[i]) same++;
      pixels += a.ids.length;
    }
    results[m.id] = { torch, ours, agreement: same / pixels, pixels };
    if (m === MODELS[0]) console.log(`  PyTorch ${torch.threads} thread(s), BLAS ${torch.blas.join(', ') || 'unknown'}${torch.blas.some((x) => x.includes('/blas/')) ? ' (the reference BLAS: install libopenblas0-pthread for a fair comparison)' : ''}; ONNX Runtime its default threads`);
    console.log(`  ${m.label}, 919 classes, ${count} JPEGs of typical sizes, CPU: PyTorch eager ${(torch.images / torch.seconds).toFixed(2)} img/s, ONNX Runtime runner ${(count / ours).toFixed(2)} img/s (${(torch.seconds / ours).toFixed(2)}× PyTorch); labels agree on ${((100 * same) / pixels).toFixed(5)} % of ${(pixels / 1e6).toFixed(1)} M pixels`);
  }
  writeFileSync(join(dir, 'last.json'), JSON.stringify(results));
}
