/**
 * The resamples' random numbers: Threefry-4×32-20 (Salmon, Moraes, Dror and Shaw, "Parallel random
 * numbers: as easy as 1, 2, 3", SC 2011), a counter-based generator. Output block = a keyed
 * bijection of a 128-bit counter, so draw j of resample b is computed directly from (key, b, j):
 * every resample is an independent stream whatever thread computes it and in whatever order, and
 * no two resamples share draws (a seed-plus-multiplier scheme gave some streams correlations up to
 * 0.96). The key and a counter offset are the full 256-bit seed: words 0–3 key the cipher, words
 * 4–7 are added to the counter. Checked against the authors' known-answer vectors (test/bootstrap).
 * Only additions, rotations and xors of 32-bit words: fast in JavaScript.
 */

const ROT = [10, 26, 11, 21, 13, 27, 23, 5, 6, 20, 17, 11, 25, 10, 18, 20];
const PARITY = 0x1bd11bda;

/** A 256-bit seed (64 hex digits) as the cipher's key schedule and counter offset. */
export interface StreamKey { ks: Uint32Array; offset: Uint32Array }

export function streamKey(seedHex: string): StreamKey {
  if (!/^[0-9a-f]{64}$/.test(seedHex)) throw new Error(`resample seed: 64 hex digits expected, got "${seedHex}"`);
  const w = Uint32Array.from({ length: 8 }, (_, i) => parseInt(seedHex.slice(i * 8, i * 8 + 8), 16));
  const ks = new Uint32Array(5);
  ks.set(w.subarray(0, 4));
  ks[4] = PARITY ^ w[0] ^ w[1] ^ w[2] ^ w[3];
  return { ks, offset: w.slice(4, 8) };
}

/** One Threefry-4×32-20 block of counter (c0..c3) under key schedule `ks`, into out[0..3]. */
export function threefry4x32(ks: Uint32Array, c0: number, c1: number, c2: number, c3: number, out: Uint32Array): void {
  let x0 = (c0 + ks[0]) | 0, x1 = (c1 + ks[1]) | 0, x2 = (c2 + ks[2]) | 0, x3 = (c3 + ks[3]) | 0;
  for (let r = 0; r < 20; r++) {
    const a = ROT[(r & 7) * 2], b = ROT[(r & 7) * 2 + 1];
    if ((r & 1) === 0) {
      x0 = (x0 + x1) | 0; x1 = ((x1 << a) | (x1 >>> (32 - a))) ^ x0;
      x2 = (x2 + x3) | 0; x3 = ((x3 << b) | (x3 >>> (32 - b))) ^ x2;
    } else {
      x0 = (x0 + x3) | 0; x3 = ((x3 << a) | (x3 >>> (32 - a))) ^ x0;
      x2 = (x2 + x1) | 0; x1 = ((x1 << b) | (x1 >>> (32 - b))) ^ x2;
    }
    if ((r & 3) === 3) {
      const i = (r + 1) >> 2;
      x0 = (x0 + ks[i % 5]) | 0; x1 = (x1 + ks[(i + 1) % 5]) | 0;
      x2 = (x2 + ks[(i + 2) % 5]) | 0; x3 = (x3 + ks[(i + 3) % 5] + i) | 0;
    }
  }
  out[0] = x0; out[1] = x1; out[2] = x2; out[3] = x3;
}

/**
 * Stream b of a seed: uniform integers below m (m ≤ 2^21), four per cipher block, draw j from
 * counter (⌊j/4⌋, b) + offset. ⌊u·m/2^32⌋ of a 32-bit u: exact in double precision, bias below
 * m/2^32 (5·10⁻⁶ at 27,423 images), far under any resampling error.
 */
export class Stream {
  private readonly block = new Uint32Array(4);
  private j = 0;
  constructor(private readonly key: StreamKey, private readonly b: number) {}
  below(m: number): number {
    const k = this.j & 3;
    if (k === 0) {
      const o = this.key.offset, q = this.j >>> 2;
      threefry4x32(this.key.ks, (q + o[0]) | 0, (this.b + o[1]) | 0, o[2] | 0, o[3] | 0, this.block);
    }
    this.j++;
    return Math.floor((this.block[k] * m) / 4294967296);
  }
}
