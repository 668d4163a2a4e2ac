/**
 * Indexing a host's ImageNet-S root, in the layout the official preparation scripts write:
 *
 *   <root>/ImageNetS{50,300,919}/train/<wnid>/*.JPEG
 *                               /train-semi/<wnid>/<name>.JPEG   + train-semi-segmentation/<wnid>/<name>.png
 *                               /validation/<wnid>/<name>.JPEG   + validation-segmentation/<wnid>/<name>.png
 *                               /test/<wnid>/<name>.JPEG         [+ test-segmentation/…, private, hosts only]
 *
 * The index is verified: counts against the toolbox lists, every mask a readable PNG of the same
 * size as its image, ids within 0..C or 1000, no stray files. Problems are listed per file, all in
 * one report; `error` problems would make scores wrong, `warning` ones would not.
 * Masks are decoded in worker threads (ids must be checked); images are sized from their headers.
 * Results are cached by path, size and mtime, so a restart re-reads only what changed.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { forEachLimit, WorkerPool } from '../../util/pool.ts';
import { listFiles, writeJsonAtomic } from '../../util/files.ts';
import type { CheckBatch, CheckItem, CheckResult } from './check-job.ts';
import { readToolboxSplit, SPLIT_CLASSES, SPLIT_NAMES, type ClassInfo, type SplitName, type Subset } from './splits.ts';
import { DEFAULT_MAX_PIXELS, parseNamesList } from '../../evaluator/index.ts';

export type Severity = 'error' | 'warning';

export interface IndexProblem {
  file: string;
  problem: string;
  severity: Severity;
}

export interface SubsetIndex {
  images: number;
  masks: number;
  /** Masks (or, for train, images) in list order, relative to the subset folder. */
  list: string[];
  /** Image size per listed mask (for the hosting API and upload checks). */
  sizes?: Map<string, [number, number]>;
}

export interface SplitIndex {
  name: string;
  dir: string;
  classes: ClassInfo[];
  /** Where the lists came from. */
  listsFrom: 'toolbox' | 'manifest' | 'directory';
  subsets: Partial<Record<Subset, SubsetIndex>>;
  problems: IndexProblem[];
}

export interface DatasetIndex {
  root: string;
  splits: SplitIndex[];
}

export interface IndexOptions {
  toolbox?: string;
  /** JSON cache file (created if absent). */
  cache?: string;
  workers?: number;
  maxPixels?: number;
  onProgress?: (done: number, total: number) => void;
}

/** Splits the indexer recognises: the three official ones and the synthetic demo split. */
const KNOWN_SPLITS = [...SPLIT_NAMES, 'ImageNetSmini'];
const IMAGE_EXT = /\.(jpe?g|png)$/i;

export async function indexRoot(root: string, opts: IndexOptions = {}): Promise<DatasetIndex> {
  const cache = await Cache.load(opts.cache);
  const checker = new Checker(opts.workers ?? availableParallelism(), opts.maxPixels ?? DEFAULT_MAX_PIXELS, cache, opts.onProgress);
  const splits: SplitIndex[] = [];
  try {
    for (const name of KNOWN_SPLITS) {
      const dir = join(root, name);
      if (!existsSync(dir)) continue;
      splits.push(await indexSplit(name, dir, opts, checker));
    }
  } finally {
    await checker.close();
    await cache.save();
  }
  return { root, splits };
}

async function indexSplit(name: string, dir: string, opts: IndexOptions, checker: Checker): Promise<SplitIndex> {
  const problems: IndexProblem[] = [];
  const official = (SPLIT_NAMES as readonly string[]).includes(name) ? (name as SplitName) : null;
  let classes: ClassInfo[];
  let expected: Partial<Record<'validation' | 'test' | 'train-semi', string[]>> = {};
  let listsFrom: SplitIndex['listsFrom'];

  if (official && opts.toolbox) {
    const lists = await readToolboxSplit(opts.toolbox, official);
    classes = lists.classes;
    expected = { validation: lists.validation, test: lists.test, 'train-semi': lists.trainSemi };
    listsFrom = 'toolbox';
  } else if (existsSync(join(dir, 'classes.json'))) {
    const manifest = JSON.parse(await readFile(join(dir, 'classes.json'), 'utf8')) as { classes: { wnid: string; name: string }[] };
    classes = manifest.classes.map((c, i) => ({ id: i + 1, wnid: c.wnid, name: c.name }));
    for (const subset of ['validation', 'test', 'train-semi'] as const) {
      const f = join(dir, `${subset}.txt`);
      if (existsSync(f)) expected[subset] = parseNamesList(await readFile(f, 'utf8')).masks;
    }
    listsFrom = 'manifest';
  } else {
    // No toolbox: class ids from the sorted class folders, lists from the files present.
    const wnids = new Set<string>();
    for (const sub of ['train', 'validation', 'validation-segmentation', 'test', 'train-semi']) {
      if (existsSync(join(dir, sub))) for (const e of await readdir(join(dir, sub), { withFileTypes: true })) if (e.isDirectory()) wnids.add(e.name);
    }
    classes = [...wnids].sort().map((wnid, i) => ({ id: i + 1, wnid, name: wnid }));
    listsFrom = 'directory';
    if (official && classes.length !== SPLIT_CLASSES[official]) {
      problems.push({ file: name, problem: `found ${classes.length} class folders, ${official} has ${SPLIT_CLASSES[official]}: class ids would be wrong (give the toolbox to check against the official lists)`, severity: 'error' });
    }
  }
  const C = classes.length;
  const wnids = new Set(classes.map((c) => c.wnid));
  const subsets: SplitIndex['subsets'] = {};

  // train: counted, not verified per file (1.2 M images for ImageNet-S-919)
  if (existsSync(join(dir, 'train'))) {
    const files = await listFiles(join(dir, 'train'));
    for (const f of files) {
      const wnid = f.split('/')[0];
      if (!wnids.has(wnid)) { problems.push({ file: `${name}/train/${f}`, problem: `stray file: ${wnid} is not a class of ${name}`, severity: 'warning' }); }
      else if (!IMAGE_EXT.test(f)) problems.push({ file: `${name}/train/${f}`, problem: 'stray file: not an image', severity: 'warning' });
    }
    subsets.train = { images: files.filter((f) => IMAGE_EXT.test(f)).length, masks: 0, list: files };
  }

  for (const subset of ['train-semi', 'validation', 'test'] as const) {
    const imgDir = join(dir, subset), maskDir = join(dir, `${subset}-segmentation`);
    if (!existsSync(imgDir) && !existsSync(maskDir)) {
      if (expected[subset] && subset !== 'test') problems.push({ file: `${name}/${subset}`, problem: 'subset missing', severity: subset === 'validation' ? 'error' : 'warning' });
      continue;
    }
    const images = existsSync(imgDir) ? await listFiles(imgDir) : [];
    const masks = existsSync(maskDir) ? await listFiles(maskDir) : [];
    const list = expected[subset] ?? (masks.length ? masks.filter((m) => m.endsWith('.png')).sort() : images.map((i) => i.replace(/\.JPEG$/i, '.png')).sort());
    subsets[subset] = await verifySubset({ split: name, dir, subset, list, images: new Set(images), masks: new Set(masks), classes: C, wnids, checker, problems, official: !!expected[subset] });
  }
  return { name, dir, classes, listsFrom, subsets, problems };
}

interface SubsetCheck {
  split: string;
  dir: string;
  subset: 'train-semi' | 'validation' | 'test';
  /** The names list (official, or from the files present). */
  list: string[];
  /** Files present, relative to the subset's image and mask folders. */
  images: Set<string>;
  masks: Set<string>;
  classes: number;
  wnids: Set<string>;
  checker: Checker;
  /** Problems are added here. */
  problems: IndexProblem[];
  /** The list is the official one (counts are checked against it). */
  official: boolean;
}

async function verifySubset(o: SubsetCheck): Promise<SubsetIndex> {
  const { split, dir, subset, list, images, masks, classes: C, wnids, checker, problems, official } = o;
  const scored = subset !== 'train-semi'; // validation and test masks are what submissions are scored on
  const maskSev: Severity = scored ? 'error' : 'warning';
  const hasMasks = masks.size > 0;
  const imgRel = (m: string): string => m.replace(/\.png$/, '.JPEG');
  const items: { rel: string; item: CheckItem }[] = [];
  let nImages = 0, nMasks = 0;
  const expectedMasks = new Set(list), expectedImages = new Set(list.map(imgRel));
  for (const rel of list) {
    const hasImg = images.has(imgRel(rel)), hasMask = masks.has(rel);
    if (hasImg) nImages++;
    if (hasMask) nMasks++;
    if (!hasImg && images.size > 0) problems.push({ file: `${split}/${subset}/${imgRel(rel)}`, problem: 'image missing', severity: 'warning' });
    if (!hasMask && hasMasks) problems.push({ file: `${split}/${subset}-segmentation/${rel}`, problem: 'mask missing', severity: maskSev });
    if (hasImg || hasMask) items.push({ rel, item: { mask: hasMask ? join(dir, `${subset}-segmentation`, rel) : null, image: hasImg ? join(dir, subset, imgRel(rel)) : null } });
  }
  if (official && images.size > 0 && nImages !== list.length) {
    problems.push({ file: `${split}/${subset}`, problem: `${nImages} of ${list.length} listed images present`, severity: 'warning' });
  }
  if (official && hasMasks && nMasks !== list.length) {
    problems.push({ file: `${split}/${subset}-segmentation`, problem: `${nMasks} of ${list.length} listed masks present`, severity: maskSev });
  }
  for (const f of images) if (!expectedImages.has(f)) problems.push({ file: `${split}/${subset}/${f}`, problem: strayReason(f, wnids), severity: 'warning' });
  for (const f of masks) if (!expectedMasks.has(f)) problems.push({ file: `${split}/${subset}-segmentation/${f}`, problem: strayReason(f, wnids), severity: 'warning' });

  const results = await checker.check(items.map((i) => i.item), C);
  const sizes = new Map<string, [number, number]>();
  items.forEach(({ rel }, k) => {
    const r = results[k];
    const maskFile = `${split}/${subset}-segmentation/${rel}`;
    if (r.image && 'error' in r.image) problems.push({ file: `${split}/${subset}/${imgRel(rel)}`, problem: `unreadable image (${r.image.error})`, severity: 'warning' });
    if (r.mask && 'error' in r.mask) { problems.push({ file: maskFile, problem: `unreadable mask: ${r.mask.error}`, severity: maskSev }); return; }
    if (r.mask && 'width' in r.mask) {
      if (r.image && 'width' in r.image && (r.image.width !== r.mask.width || r.image.height !== r.mask.height)) {
        problems.push({ file: maskFile, problem: `mask is ${r.mask.width}×${r.mask.height} but its image is ${r.image.width}×${r.image.height}`, severity: maskSev });
      }
      if (r.mask.badIds.length) problems.push({ file: maskFile, problem: `ids outside 0..${C} and 1000: ${r.mask.badIds.join(', ')}`, severity: maskSev });
      sizes.set(rel, [r.mask.width, r.mask.height]);
    } else if (r.image && 'width' in r.image) sizes.set(rel, [r.image.width, r.image.height]);
  });
  return { images: nImages, masks: nMasks, list, sizes };
}

function strayReason(f: string, wnids: Set<string>): string {
  const wnid = f.split('/')[0];
  if (!f.includes('/') || !wnids.has(wnid)) return 'stray file: not in a class folder of this split';
  return 'stray file: not in the official list';
}

/** File-check results keyed by path, valid while size and mtime are unchanged. */
class Cache {
  private dirty = false;
  private constructor(private readonly path: string | undefined, private readonly entries: Record<string, { size: number; mtimeMs: number; result: CheckResult }>) {}

  static async load(path?: string): Promise<Cache> {
    if (!path || !existsSync(path)) return new Cache(path, {});
    try { return new Cache(path, JSON.parse(await readFile(path, 'utf8'))); } catch { return new Cache(path, {}); }
  }

  key(item: CheckItem, C: number): string { return `${C}|${item.mask ?? ''}|${item.image ?? ''}`; }

  async get(item: CheckItem, C: number): Promise<{ key: string; stamp: { size: number; mtimeMs: number }; hit?: CheckResult }> {
    let size = 0, mtimeMs = 0;
    for (const p of [item.mask, item.image]) {
      if (!p) continue;
      const s = await stat(p);
      size += s.size;
      mtimeMs = Math.max(mtimeMs, s.mtimeMs);
    }
    const key = this.key(item, C);
    const e = this.entries[key];
    return { key, stamp: { size, mtimeMs }, hit: e && e.size === size && e.mtimeMs === mtimeMs ? e.result : undefined };
  }

  set(key: string, stamp: { size: number; mtimeMs: number }, result: CheckResult): void {
    this.entries[key] = { ...stamp, result };
    this.dirty = true;
  }

  async save(): Promise<void> {
    if (!this.path || !this.dirty) return;
    await mkdir(dirname(this.path), { recursive: true });
    await writeJsonAtomic(this.path, this.entries, false);
  }
}

/** Runs mask/image checks in worker threads, consulting the cache first. */
class Checker {
  private pool: WorkerPool<CheckBatch, CheckResult[]> | null = null;
  private done = 0;
  private total = 0;
  constructor(
    private readonly size: number,
    private readonly maxPixels: number,
    private readonly cache: Cache,
    private readonly onProgress?: (done: number, total: number) => void,
  ) {}

  async check(items: CheckItem[], C: number): Promise<CheckResult[]> {
    const results = new Array<CheckResult>(items.length);
    this.total += items.length;
    const todo: number[] = [];
    const stamps = new Map<number, { key: string; stamp: { size: number; mtimeMs: number } }>();
    await forEachLimit(items, 64, async (item, i) => {
      try {
        const c = await this.cache.get(item, C);
        if (c.hit) { results[i] = c.hit; this.tick(); }
        else { todo.push(i); stamps.set(i, c); }
      } catch (e) {
        results[i] = { mask: { error: (e as NodeJS.ErrnoException).code ?? String(e) } };
      }
    });
    if (todo.length === 0) return results;
    this.pool ??= new WorkerPool(new URL('./check-worker.ts', import.meta.url), Math.max(1, this.size), 'dataset check worker');
    const pool = this.pool;
    // batches of 32 masks: one message per batch, two batches in flight per worker
    const batches: number[][] = [];
    for (let k = 0; k < todo.length; k += 32) batches.push(todo.slice(k, k + 32));
    await forEachLimit(batches, pool.size * 2, async (idx) => {
      const out = await pool.run({ items: idx.map((i) => items[i]), classes: C, maxPixels: this.maxPixels });
      idx.forEach((i, k) => {
        results[i] = out[k];
        const s = stamps.get(i)!;
        this.cache.set(s.key, s.stamp, out[k]);
        this.tick();
      });
    });
    return results;
  }

  private tick(): void {
    this.onProgress?.(++this.done, this.total);
  }

  async close(): Promise<void> {
    await this.pool?.close();
  }
}

/** Errors only: the problems that would make scores wrong. */
export function scoreAffecting(split: SplitIndex): IndexProblem[] {
  return split.problems.filter((p) => p.severity === 'error');
}
