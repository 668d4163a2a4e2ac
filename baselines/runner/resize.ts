/**
 * torchvision's `Resize(256)` on a PIL image, bit for bit: the output size rule of torchvision 0.14
 * and Pillow's 8-bit bilinear resampler (libImaging/Resample.c: a separable filter whose support
 * grows with the scale when reducing, coefficients normalised then rounded to 22-bit fixed point,
 * a horizontal pass over the rows the vertical pass needs, then a vertical pass, each rounding to
 * 8 bits). sharp's own resize uses other kernels, so the reference pipelines' inputs are only
 * reproduced this way. Written from the algorithm's description; checked against Pillow by
 * test/baseline-resize.test.ts.
 */

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 1 << PRECISION_BITS;

/** torchvision 0.14 `Resize(size)` with an int: the short side becomes `size`, the long side int(size · long / short). */
export function resizedSize(width: number, height: number, size = 256): [number, number] {
  const [short, long] = width <= height ? [width, height] : [height, width];
  const newLong = Math.trunc((size * long) / short);
  return width <= height ? [size, newLong] : [newLong, size];
}

interface Coeffs { ksize: number; bounds: Int32Array; kk: Int32Array }

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc for the bilinear (triangle) filter, support 1. */
function coefficients(inSize: number, outSize: number): Coeffs {
  const scale = inSize / outSize;
  const filterscale = Math.max(1, scale);
  const support = 1 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2), kk = new Int32Array(outSize * ksize);
  const w = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const ss = 1 / filterscale;
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const t = Math.abs((x + xmin - center + 0.5) * ss);
      w[x] = t < 1 ? 1 - t : 0;
      ww += w[x];
    }
    for (let x = 0; x < ksize; x++) {
      const k = x < xmax ? (ww !== 0 ? w[x] / ww : w[x]) : 0;
      kk[xx * ksize + x] = k < 0 ? Math.trunc(-0.5 + k * ONE) : Math.trunc(0.5 + k * ONE);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, kk };
}

const clip8 = (v: number): number => (v >= ONE * 256 ? 255 : v <= 0 ? 0 : v >> PRECISION_BITS);

/**
 * Pillow's `Image.resize((outW, outH), Image.BILINEAR)` of an RGB image (3 bytes a pixel, rows top
 * to bottom). The same size returns a copy, as Pillow does.
 */
export function resizeBilinearRGB(src: Uint8Array, width: number, height: number, outW: number, outH: number): Uint8Array {
  if (src.length !== width * height * 3) throw new Error(`resize: ${src.length} bytes for ${width}×${height} RGB`);
  if (outW === width && outH === height) return src.slice();
  const h = coefficients(width, outW), v = coefficients(height, outH);
  const needH = outW !== width, needV = outH !== height;
  let img = src, w = width;
  let vBounds = v.bounds;
  if (needH) {
    // only the source rows the vertical pass reads
    const first = v.bounds[0], last = v.bounds[(outH - 1) * 2] + v.bounds[(outH - 1) * 2 + 1];
    const rows = last - first;
    const tmp = new Uint8Array(outW * rows * 3);
    for (let y = 0; y < rows; y++) {
      const rowIn = (y + first) * width * 3, rowOut = y * outW * 3;
      for (let xx = 0; xx < outW; xx++) {
        const xmin = h.bounds[xx * 2], xmax = h.bounds[xx * 2 + 1], k = xx * h.ksize;
        let s0 = ONE >> 1, s1 = ONE >> 1, s2 = ONE >> 1;
        for (let x = 0; x < xmax; x++) {
          const p = rowIn + (x + xmin) * 3, c = h.kk[k + x];
          s0 += src[p] * c; s1 += src[p + 1] * c; s2 += src[p + 2] * c;
        }
        tmp[rowOut + xx * 3] = clip8(s0); tmp[rowOut + xx * 3 + 1] = clip8(s1); tmp[rowOut + xx * 3 + 2] = clip8(s2);
      }
    }
    img = tmp; w = outW;
    vBounds = v.bounds.map((b, i) => (i % 2 === 0 ? b - first : b));
  }
  if (!needV) return img;
  const out = new Uint8Array(w * outH * 3);
  for (let yy = 0; yy < outH; yy++) {
    const ymin = vBounds[yy * 2], ymax = vBounds[yy * 2 + 1], k = yy * v.ksize;
    for (let xx = 0; xx < w; xx++) {
      let s0 = ONE >> 1, s1 = ONE >> 1, s2 = ONE >> 1;
      for (let y = 0; y < ymax; y++) {
        const p = ((y + ymin) * w + xx) * 3, c = v.kk[k + y];
        s0 += img[p] * c; s1 += img[p + 1] * c; s2 += img[p + 2] * c;
      }
      const o = (yy * w + xx) * 3;
      out[o] = clip8(s0); out[o + 1] = clip8(s1); out[o + 2] = clip8(s2);
    }
  }
  return out;
}

/** torch's `F.interpolate(mode='nearest')` source index on the CPU (float32 scale, as in PyTorch 1.13). */
export function nearestIndex(dst: number, inSize: number, outSize: number): number {
  if (outSize === inSize) return dst;
  if (outSize === 2 * inSize) return dst >> 1;
  const scale = Math.fround(inSize / outSize);
  return Math.min(Math.floor(Math.fround(Math.fround(dst) * scale)), inSize - 1);
}
