/**
 * Synthetic ImageNet-S-like masks, deterministic by seed. An image is a list of objects (an
 * ellipse or a rounded box of one class) on "other" (0), with a 1–3 px ignore band (1000) along
 * object borders, as the ImageNet-S annotations mark uncertain edges. Predictions are the same
 * objects with perturbed parameters (shifted, grown, shrunk, wrong class, missed, extra blobs,
 * noise), so GT and prediction are both cheap to draw at any size.
 */
import { IGNORE_ID } from '../../evaluator/index.ts';

/** Small, fast, seedable PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed derived from a string and a base seed (FNV-1a), so each file is reproducible on its own. */
export function seedOf(base: number, key: string): number {
  let h = (0x811c9dc5 ^ base) >>> 0;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export interface Shape {
  cls: number;
  kind: 'ellipse' | 'box';
  cx: number; cy: number; rx: number; ry: number;
}

export interface SynthImage {
  width: number;
  height: number;
  objects: Shape[];
  /** Width of the ignore band along object borders (0 = none). */
  band: number;
}

/** Typical ImageNet sizes (height × width), with a few large ones. */
const SIZES: [number, number][] = [
  [375, 500], [500, 375], [333, 500], [500, 333], [500, 500], [281, 500], [375, 500], [500, 375], [480, 640], [400, 500],
];
const LARGE: [number, number][] = [[900, 1200], [1200, 900], [768, 1024], [600, 800]];

export function pickSize(r: () => number, largeShare = 0.03): [number, number] {
  if (r() < largeShare) return LARGE[Math.floor(r() * LARGE.length)];
  return SIZES[Math.floor(r() * SIZES.length)];
}

/**
 * An image of class `cls` (the image's own class), sometimes with a second class from `others`.
 * Object areas are drawn so the size groups S/MS/ML/L (≤5, ≤25, ≤50, >50 % of the pixels) all occur.
 */
export function makeImage(r: () => number, cls: number, others: () => number, size?: [number, number]): SynthImage {
  const [height, width] = size ?? pickSize(r);
  const area = width * height;
  const objects: Shape[] = [];
  const groupFrac = [[0.01, 0.05], [0.06, 0.25], [0.26, 0.5], [0.51, 0.85]][pickGroup(r)];
  objects.push(shapeOfArea(r, cls, area * (groupFrac[0] + r() * (groupFrac[1] - groupFrac[0])), width, height));
  if (r() < 0.3) {
    const second = others();
    if (second !== cls) objects.push(shapeOfArea(r, second, area * (0.01 + r() * 0.15), width, height));
  }
  const band = r() < 0.85 ? 1 + Math.floor(r() * 3) : 0;
  return { width, height, objects, band };
}

function pickGroup(r: () => number): number {
  const x = r();
  return x < 0.2 ? 0 : x < 0.55 ? 1 : x < 0.8 ? 2 : 3;
}

function shapeOfArea(r: () => number, cls: number, target: number, width: number, height: number): Shape {
  const kind = r() < 0.7 ? 'ellipse' : 'box';
  const aspect = 0.5 + r();
  // ellipse area = π rx ry; box area = 4 rx ry
  const k = kind === 'ellipse' ? Math.PI : 4;
  let rx = Math.sqrt(target / (k * aspect)), ry = rx * aspect;
  rx = Math.min(rx, width / 2); ry = Math.min(ry, height / 2);
  const cx = rx + r() * Math.max(0, width - 2 * rx);
  const cy = ry + r() * Math.max(0, height - 2 * ry);
  return { cls, kind, cx, cy, rx: Math.max(rx, 1), ry: Math.max(ry, 1) };
}

function inside(s: Shape, x: number, y: number, grow = 0): boolean {
  const dx = x + 0.5 - s.cx, dy = y + 0.5 - s.cy;
  const rx = s.rx + grow, ry = s.ry + grow;
  if (rx <= 0 || ry <= 0) return false;
  if (s.kind === 'box') return Math.abs(dx) <= rx && Math.abs(dy) <= ry;
  return (dx * dx) / (rx * rx) + (dy * dy) / (ry * ry) <= 1;
}

/** Draws the GT mask: objects in order (later ones on top), then the ignore band along their borders. */
export function drawGt(img: SynthImage): Uint16Array {
  const { width, height, objects, band } = img;
  const ids = new Uint16Array(width * height);
  for (const s of objects) fillShape(ids, width, height, s, s.cls, 0);
  if (band > 0) {
    // Pixels within `band` px (along rows and columns) of another label become ignore, on both sides.
    const src = ids.slice();
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const v = src[y * width + x];
        for (let d = 1; d <= band; d++) {
          if ((x + d < width && src[y * width + x + d] !== v) || (x - d >= 0 && src[y * width + x - d] !== v) ||
              (y + d < height && src[(y + d) * width + x] !== v) || (y - d >= 0 && src[(y - d) * width + x] !== v)) {
            ids[y * width + x] = IGNORE_ID;
            break;
          }
        }
      }
    }
  }
  return ids;
}

function fillShape(ids: Uint16Array, width: number, height: number, s: Shape, value: number, grow: number): void {
  const x0 = Math.max(0, Math.floor(s.cx - s.rx - grow - 1)), x1 = Math.min(width - 1, Math.ceil(s.cx + s.rx + grow + 1));
  const y0 = Math.max(0, Math.floor(s.cy - s.ry - grow - 1)), y1 = Math.min(height - 1, Math.ceil(s.cy + s.ry + grow + 1));
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) if (inside(s, x, y, grow)) ids[y * width + x] = value;
}

export type PredOp = 'exact' | 'shift' | 'grow' | 'shrink' | 'wrong-class' | 'miss' | 'extra' | 'noise';

export interface PredictionStyle {
  /** Map from GT class to predicted id (identity for supervised, a permutation for unsupervised). */
  idOf: (cls: number) => number;
  /** Number of classes C: wrong classes and extra blobs use ids in 1..C. */
  classes: number;
}

/** A perturbed prediction of `img`. Returns the ids and the operation applied (for the record). */
export function drawPrediction(r: () => number, img: SynthImage, style: PredictionStyle): { ids: Uint16Array; op: PredOp } {
  const { width, height } = img;
  const x = r();
  const op: PredOp = x < 0.15 ? 'exact' : x < 0.35 ? 'shift' : x < 0.5 ? 'grow' : x < 0.65 ? 'shrink' : x < 0.75 ? 'wrong-class' : x < 0.8 ? 'miss' : x < 0.92 ? 'extra' : 'noise';
  const ids = new Uint16Array(width * height);
  const diag = Math.sqrt(width * width + height * height);
  for (const s of img.objects) {
    let shape = s, grow = 0, id = style.idOf(s.cls);
    if (op === 'shift') shape = { ...s, cx: s.cx + (r() - 0.5) * 0.1 * diag, cy: s.cy + (r() - 0.5) * 0.1 * diag };
    else if (op === 'grow') grow = 2 + r() * 0.04 * diag;
    else if (op === 'shrink') grow = -(2 + r() * 0.3 * Math.min(s.rx, s.ry));
    else if (op === 'wrong-class' && s === img.objects[0]) id = style.idOf(1 + ((s.cls + Math.floor(r() * (style.classes - 1))) % style.classes));
    else if (op === 'miss' && s === img.objects[0] && img.objects.length === 1) continue;
    fillShape(ids, width, height, shape, id, grow);
  }
  if (op === 'extra') {
    const blob: Shape = { cls: 0, kind: 'ellipse', cx: r() * width, cy: r() * height, rx: 5 + r() * width * 0.1, ry: 5 + r() * height * 0.1 };
    fillShape(ids, width, height, blob, style.idOf(1 + Math.floor(r() * style.classes)), 0);
  } else if (op === 'noise') {
    const n = Math.floor(width * height * 0.002);
    for (let i = 0; i < n; i++) ids[Math.floor(r() * width * height)] = style.idOf(1 + Math.floor(r() * style.classes));
  }
  return { ids, op };
}

/** A random permutation of 1..n. */
export function permutation(n: number, r: () => number): number[] {
  const p = Array.from({ length: n }, (_, i) => i + 1);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}
