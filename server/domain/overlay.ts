/**
 * An image with its ground-truth mask overlaid, rendered with sharp (public subsets only; the
 * caller checks). One colour per class id, ignore pixels grey; cached on disk by source mtimes.
 *
 * These are the server's only per-image routes a visitor can call without an account, so the work
 * behind them is bounded: the cache is looked at before anything is read, requests for one picture
 * share one rendering, and at most RENDERS_AT_ONCE render at a time with RENDERS_WAITING waiting
 * (more are refused with OverlayBusy rather than piling up memory).
 */
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { decodePng, IGNORE_ID } from '../../evaluator/index.ts';
import { Gate, GateFull } from '../../util/pool.ts';
import { Unavailable } from './errors.ts';

const RENDERS_AT_ONCE = 2;
const RENDERS_WAITING = 32;
const gate = new Gate(RENDERS_AT_ONCE, RENDERS_WAITING);
const inFlight = new Map<string, Promise<Buffer>>();
let drawing = 0;
/** Counters for tests and the bench: renderings made, and the most at once. */
export const overlayStats = { rendered: 0, peak: 0 };

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
  return cached(join(cacheDir, `${key}.webp`), async () => blend(imagePath, decodePng(await readFile(maskPath))));
}

/**
 * An image with a submission's predicted mask overlaid (error analysis on public-GT phases).
 * Predicted ids go through the submission's match first, so a class has the colour of its GT
 * overlay; ids the match leaves out are drawn in the out-of-range grey. Cached by submission,
 * image and match.
 */
export async function predictionOverlay(imagePath: string, readMask: () => Promise<Uint8Array>, match: Map<number, number> | null, cacheKey: string, cacheDir: string): Promise<Buffer> {
  const key = createHash('sha256').update(`prediction\0${cacheKey}\0${match ? [...match].join(',') : ''}`).digest('hex').slice(0, 24);
  return cached(join(cacheDir, `${key}.webp`), async () => {
    const mask = decodePng(await readMask());
    if (match) for (let i = 0; i < mask.ids.length; i++) mask.ids[i] = match.get(mask.ids[i]) ?? IGNORE_ID;
    return blend(imagePath, mask);
  });
}

/** Too many overlays are being drawn: try again shortly. */
export class OverlayBusy extends Unavailable {
  constructor() { super('too many pictures are being drawn right now; try again in a few seconds', { retry_after: 5 }); }
}

async function cached(file: string, make: () => Promise<Buffer>): Promise<Buffer> {
  try { return await readFile(file); } catch { /* not yet */ }
  const running = inFlight.get(file);
  if (running) return running;
  const p = gate.run(async () => {
    drawing++;
    overlayStats.peak = Math.max(overlayStats.peak, drawing);
    let out: Buffer;
    try { out = await make(); } finally { drawing--; }
    overlayStats.rendered++;
    await mkdir(dirname(file), { recursive: true });
    // written whole under another name, then renamed: a reader never sees half a picture
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, out);
    await rename(tmp, file);
    return out;
  }).catch((e: unknown) => { throw e instanceof GateFull ? new OverlayBusy() : e; }).finally(() => inFlight.delete(file));
  inFlight.set(file, p);
  return p;
}

async function blend(imagePath: string, mask: { ids: ArrayLike<number>; width: number; height: number }): Promise<Buffer> {
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
  return sharp(blended).resize({ width: Math.min(width, 480), withoutEnlargement: true }).webp({ quality: 80 }).toBuffer();
}
