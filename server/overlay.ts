/**
 * An image with its ground-truth mask overlaid, rendered with sharp (public subsets only; the
 * caller checks). One colour per class id, ignore pixels grey; cached on disk by source mtimes.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodePng, IGNORE_ID } from '../evaluator/index.ts';

/** A colour per id, spread around the hue circle (golden angle), fixed forever. */
function colour(id: number): [number, number, number] {
  const h = (id * 137.508) % 360, s = 0.65, l = 0.5;
  const k = (n: number) => (n + h / 30) % 12;
  const f = (n: number) => l - s * Math.min(l, 1 - l) * Math.max(-1, Math.min(k(n) - 3, 9 - k(n), 1));
  return [Math.round(f(0) * 255), Math.round(f(8) * 255), Math.round(f(4) * 255)];
}

export async function overlayPng(imagePath: string, maskPath: string, cacheDir: string): Promise<Buffer> {
  const [si, sm] = await Promise.all([stat(imagePath), stat(maskPath)]);
  const key = createHash('sha256').update(`${imagePath}\0${si.mtimeMs}\0${maskPath}\0${sm.mtimeMs}`).digest('hex').slice(0, 24);
  const cached = join(cacheDir, `${key}.webp`);
  try { return await readFile(cached); } catch { /* not yet */ }
  const mask = decodePng(await readFile(maskPath));
  const { width, height } = mask;
  const rgba = Buffer.alloc(width * height * 4);
  for (let i = 0; i < mask.ids.length; i++) {
    const id = mask.ids[i];
    if (id === 0) continue; // "other": the photo shows through
    const [r, g, b] = id === IGNORE_ID ? [160, 160, 160] : colour(id);
    rgba[i * 4] = r; rgba[i * 4 + 1] = g; rgba[i * 4 + 2] = b; rgba[i * 4 + 3] = id === IGNORE_ID ? 150 : 120;
  }
  // two pipelines: sharp applies one resize per pipeline, and the overlay needs the mask's size
  const blended = await sharp(imagePath).resize(width, height, { fit: 'fill' })
    .composite([{ input: rgba, raw: { width, height, channels: 4 } }]).png().toBuffer();
  const out = await sharp(blended).resize({ width: Math.min(width, 480), withoutEnlargement: true }).webp({ quality: 80 }).toBuffer();
  await mkdir(cacheDir, { recursive: true });
  await writeFile(cached, out);
  return out;
}
