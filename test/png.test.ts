import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { decodePng, PngError } from '../evaluator/input/png.ts';
import { encodeMask, type MaskEncoding } from '../datasets/imagenet-s/png-write.ts';
import { rng } from '../datasets/imagenet-s/synth-image.ts';

function randomMask(seed: number, w: number, h: number, max: number): Uint16Array {
  const r = rng(seed);
  const ids = new Uint16Array(w * h);
  let v = 0;
  for (let i = 0; i < ids.length; i++) { if (r() < 0.05) v = Math.floor(r() * max); ids[i] = v; }
  return ids;
}

test('decodes every accepted encoding to the same ids', () => {
  const w = 37, h = 23;
  const ids8 = randomMask(1, w, h, 256);
  const ids16 = randomMask(2, w, h, 1001);
  for (const enc of ['rgb', 'rgba', 'gray16', 'graya16'] as MaskEncoding[]) {
    assert.deepEqual(decodePng(encodeMask(ids16, w, h, { encoding: enc })).ids, ids16, enc);
  }
  for (const enc of ['gray8', 'graya8'] as MaskEncoding[]) {
    assert.deepEqual(decodePng(encodeMask(ids8, w, h, { encoding: enc })).ids, ids8, enc);
  }
});

test('agrees with libvips (sharp) on RGB masks, all five row filters and interlaced files', async () => {
  const w = 61, h = 45;
  const r = rng(9);
  const rgb = Buffer.alloc(w * h * 3);
  for (let i = 0; i < w * h; i++) { rgb[i * 3] = Math.floor(r() * 256); rgb[i * 3 + 1] = Math.floor(r() * 4); }
  for (const opts of [{ adaptiveFiltering: true }, { adaptiveFiltering: false }, { progressive: true }, { progressive: true, adaptiveFiltering: true }]) {
    const png = await sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).png({ ...opts, compressionLevel: 6 }).toBuffer();
    const ours = decodePng(png).ids;
    for (let i = 0; i < w * h; i++) assert.equal(ours[i], rgb[i * 3] + 256 * rgb[i * 3 + 1], `pixel ${i} with ${JSON.stringify(opts)}`);
  }
});

test('counts pixels with a non-zero blue channel', () => {
  const ids = randomMask(3, 10, 10, 50);
  assert.equal(decodePng(encodeMask(ids, 10, 10, { blue: 0 })).blueNonZero, 0);
  assert.equal(decodePng(encodeMask(ids, 10, 10, { blue: 7 })).blueNonZero, 100);
});

test('rejects palette, 16-bit RGB, non-PNG, truncated, corrupt and oversized files with a reason', () => {
  const ids = randomMask(4, 20, 20, 5);
  const expectCode = (buf: Buffer, code: string, re: RegExp, maxPixels?: number) => {
    assert.throws(() => decodePng(buf, { maxPixels }), (e: unknown) => e instanceof PngError && e.code === code && re.test(e.message));
  };
  expectCode(encodeMask(ids, 20, 20, { encoding: 'palette' }), 'palette-png', /8-bit paletted.*expected an 8-bit RGB/);
  expectCode(encodeMask(ids, 20, 20, { encoding: 'rgb16' }), 'rgb16-png', /16-bit RGB/);
  expectCode(Buffer.from('GIF89a, definitely not a png file'), 'not-png', /not a PNG/);
  const good = encodeMask(ids, 20, 20);
  expectCode(good.subarray(0, 20), 'truncated-png', /truncated/);
  expectCode(good.subarray(0, good.length - 30), 'truncated-png', /truncated/);
  const flipped = Buffer.from(good); flipped[40] ^= 0xff;
  expectCode(flipped, 'corrupt-png', /checksum|corrupt/);
  expectCode(good, 'too-many-pixels', /exceeds the limit of 399 pixels/, 399);
});
