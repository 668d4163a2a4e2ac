/**
 * The reference pipelines' input (PASS and ImageNetSegModel `inference.py`): PIL decode → RGB,
 * `Resize(256)`, `ToTensor()`, `Normalize(mean, std)`, batch 1. Decoding is sharp's (libjpeg-turbo,
 * the same decoder and settings as Pillow's on Debian: equal bytes, tested), resizing is the Pillow
 * port (resize.ts), and the arithmetic is float32 in torch's order, so the tensor is the reference's.
 */
import sharp from 'sharp';
import { resizeBilinearRGB, resizedSize } from './resize.ts';

export const MEAN = [0.485, 0.456, 0.406] as const;
export const STD = [0.229, 0.224, 0.225] as const;

export interface Decoded { rgb: Uint8Array; width: number; height: number }

/**
 * An image file as RGB bytes, as `Image.open(p).convert('RGB')` gives them. Pillow ignores an
 * embedded ICC profile (sharp would convert through it: up to 244 levels apart on an image carrying
 * an XYZ profile), and turns CMYK into RGB with its own formula, R = (255 − K) − (C·(255 − K))/255 with
 * Pillow's rounding (MULDIV255), where sharp would convert through a CMYK profile (up to 130 levels
 * apart). Both are done here as Pillow does (Pillow 9.4, Debian's; test/model-bundle.test.ts).
 */
export async function decodeRGB(path: string | Buffer): Promise<Decoded> {
  const meta = await sharp(path).metadata();
  if (meta.space === 'cmyk') {
    const { data, info } = await sharp(path, { ignoreIcc: true }).pipelineColourspace('cmyk').toColourspace('cmyk').raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 4) throw new Error(`CMYK image decoded to ${info.channels} channels`);
    const n = info.width * info.height, rgb = new Uint8Array(n * 3);
    for (let p = 0; p < n; p++) {
      const nk = 255 - data[p * 4 + 3];
      for (let c = 0; c < 3; c++) { const t = data[p * 4 + c] * nk + 128; rgb[p * 3 + c] = nk - (((t >> 8) + t) >> 8); }
    }
    return { rgb, width: info.width, height: info.height };
  }
  const { data, info } = await sharp(path, { ignoreIcc: true }).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`expected 3 channels, got ${info.channels}`);
  return { rgb: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}

export interface Input {
  /** 1 × 3 × h × w, float32, normalised. */
  tensor: Float32Array;
  width: number;
  height: number;
  /** The original image's size: the prediction's. */
  origWidth: number;
  origHeight: number;
}

const f32 = Math.fround;

/** ToTensor + Normalize of resized RGB bytes: f32(f32(f32(v / 255) − mean) / std), channel-major. */
export function normalise(rgb: Uint8Array, width: number, height: number, means: readonly number[] = MEAN, stds: readonly number[] = STD): Float32Array {
  const n = width * height, out = new Float32Array(3 * n);
  for (let c = 0; c < 3; c++) {
    const mean = f32(means[c]), std = f32(stds[c]);
    const lut = new Float32Array(256);
    for (let v = 0; v < 256; v++) lut[v] = f32(f32(f32(v / 255) - mean) / std);
    for (let i = 0; i < n; i++) out[c * n + i] = lut[rgb[i * 3 + c]];
  }
  return out;
}

export async function preprocess(path: string | Buffer, size = 256): Promise<Input> {
  const d = await decodeRGB(path);
  const [w, h] = resizedSize(d.width, d.height, size);
  const resized = resizeBilinearRGB(d.rgb, d.width, d.height, w, h);
  return { tensor: normalise(resized, w, h), width: w, height: h, origWidth: d.width, origHeight: d.height };
}
