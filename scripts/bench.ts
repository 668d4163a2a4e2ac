/**
 * npm run bench [-- --quick] [--sections a,b,…] [--images N] [--scale-images N]
 *
 * Prints, from one run (all ratios against baselines measured in the same run; the machine is
 * shared and noisy, so absolute numbers vary):
 *   1. throughput: decode-only floor vs full evaluation (images/s and ratio), on the golden
 *      timing-200 set and on a generated set of typical ImageNet sizes, on 1 and on all cores;
 *      and our PNG decoder against sharp on the same masks;
 *   2. boundary extraction cost per pixel for d = 1…45 (ours on runs, ours per pixel, and the
 *      official definition transliterated to a JavaScript erosion loop as the baseline);
 *   3. the default matching for 50, 300 and 919 classes;
 *   4. scale: the full ImageNet-S-919 test size (27,423 images) through the CLI: images/s, per-image
 *      cost against a 1,000-image run, and peak RSS;
 *   5. dataset: generating the full ImageNet-S-919 test split (images + masks, real names, from the
 *      toolbox lists) and indexing it, fresh and from the cache;
 *   6. server (a separate process): leaderboard latency with 100 concurrent clients, idle and while two
 *      submissions score; the upload of a zip of the full ImageNet-S-919 test size, with peak RSS;
 *   7. hostile uploads (scripts/bench-hostile.ts): the server's peak RSS and its longest event-loop
 *      stall while it refuses hostile zips and aborted uploads;
 *   8. pages (scripts/bench-pages.ts): render time of a 919-class submission page and a 500-entry
 *      leaderboard, the leaderboard page's latency under 100 concurrent clients, JavaScript shipped;
 *  12. baselines: the ONNX Runtime runner against PyTorch eager on the CPU (PASS ResNet-50, 919 classes, random weights),
 *      and a submitted model bundle (LR-ASPP, 919 classes) run by the model runner against the same network in PyTorch.
 *  11. deadline: embedded scorer against QUEUE + local workers on the real server, and the queueing simulation of a conference deadline.
 *  10. gtcache: scoring with the GT decoded once against the decode-both floor and uncached scoring, at 1,200 and 27,423 images, and the store's memory.
 *  13. intervals (scripts/bench-intervals.ts): coverage of the 95 % intervals, the paired interval and
 *      the board's "≈ #1" set on synthetic populations with known metrics, at ImageNet-S's sizes;
 *   9. bootstrap: the cost of 1,000 resamples (one thread, all threads) against the scoring time of the same set, at 1,200 and at the full 919-test size (27,423 images).
 * Generated sets are cached under .bench/ (delete it to regenerate).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { decodeOnlyPass, evaluate } from '../evaluator/run/evaluate.ts';
import { boundaryFlags, dilationWidth } from '../evaluator/metrics/boundary.ts';
import { interiorIntervals, IntervalScratch } from '../evaluator/metrics/boundary-runs.ts';
import { CooccurrenceAccumulator } from '../evaluator/input/match.ts';
import { parseNamesList } from '../evaluator/input/names.ts';
import { idsToRuns } from '../evaluator/metrics/runs.ts';
import { DirectorySource } from '../evaluator/input/sources.ts';
import { PairPool } from '../evaluator/run/pool.ts';
import { munkres } from '../evaluator/metrics/munkres.ts';
import { writeSynthSet, type SynthItem } from '../datasets/imagenet-s/synth-set.ts';
import { indexRoot } from '../datasets/imagenet-s/dataset-index.ts';
import { readToolboxSplit } from '../datasets/imagenet-s/splits.ts';
import { zipDirectory } from '../datasets/imagenet-s/zip-write.ts';
import { freePort, startServerProcess } from './server-process.ts';
import { hostileClients, hostileUploads } from './bench-hostile.ts';
import { pagesBench } from './bench-pages.ts';
import { drawGt, makeImage, rng } from '../datasets/imagenet-s/synth-image.ts';
import { decodePng } from '../evaluator/input/png.ts';
import { bootstrap, bootstrapParallel, bootstrapSeed, packContributions, strataOf } from '../evaluator/statistics/bootstrap.ts';
import { intervalsBench } from './bench-intervals.ts';
import { buildGtStore } from '../evaluator/run/gt-cache.ts';
import { deadlineBench } from './bench-queue.ts';
import { baselinesBench } from './bench-baselines.ts';
import sharp from 'sharp';
import { miniSplitWithZip } from './bench-fixtures.ts';

const ROOT = resolve(import.meta.dirname, '..');
const BENCH = join(ROOT, '.bench');
const GOLDEN_TIMING = resolve(ROOT, '../shared/golden/timing-200');
const TOOLBOX = resolve(ROOT, '../shared/imagenet-s-toolbox');

const SECTIONS = ['throughput', 'boundary', 'matching', 'bootstrap', 'intervals', 'gtcache', 'scale', 'dataset', 'server', 'hostile', 'deadline', 'baselines', 'pages'];
const opts = new Command('bench')
  .option('--quick', 'skip the long sections (scale, dataset)')
  .option('--screenshots', 'pages section: also save screenshots of the large pages (needs chromium)')
  .option('--sections <list>', `comma-separated, of ${SECTIONS.join(', ')}`, (v) => v.split(','), SECTIONS)
  .option('--baseline-models <list>', 'baselines section: which of pass-r50, rf-convnext-t-rfmultiple, vit-b16, model-bundle', (v) => v.split(','))
  .option('--interval-parts <list>', 'intervals section: which of coverage, paired, boards', (v) => v.split(','))
  .option('--images <n>', 'size of the generated throughput set', (v) => parseInt(v, 10), 1200)
  .option('--scale-images <n>', 'size of the scale run', (v) => parseInt(v, 10), 27423)
  .parse()
  .opts<{ quick?: boolean; screenshots?: boolean; baselineModels?: string[]; intervalParts?: string[]; sections: string[]; images: number; scaleImages: number }>();
const LONG = ['scale', 'dataset', 'server', 'hostile', 'deadline'];
const run = (section: string): boolean => opts.sections.includes(section) && !(opts.quick && LONG.includes(section));

const cores = availableParallelism();
const f = (x: number, d = 0): string => x.toFixed(d);

function items(count: number, classes: number): SynthItem[] {
  return Array.from({ length: count }, (_, i) => {
    const cls = 1 + (i % classes);
    return { rel: `n${String(cls).padStart(8, '0')}/SYNTH_test_${String(i + 1).padStart(8, '0')}.png`, cls };
  });
}

/** A generated GT + prediction set, cached by its parameters. */
async function generated(name: string, count: number, classes: number, largeShare: number): Promise<{ gt: string; pred: string; names: string }> {
  const dir = join(BENCH, name);
  const stamp = JSON.stringify({ count, classes, largeShare, v: 1 });
  const stampFile = join(dir, 'stamp.json');
  if (!existsSync(stampFile) || readFileSync(stampFile, 'utf8') !== stamp) {
    rmSync(dir, { recursive: true, force: true });
    const t = performance.now();
    process.stdout.write(`  generating ${count} GT + prediction pairs (${classes} classes) in ${dir} … `);
    await writeSynthSet(dir, items(count, classes), { classes, seed: 2026, largeShare });
    console.log(`${f((performance.now() - t) / 1000, 1)} s`);
    writeFileSync(stampFile, stamp);
  }
  return { gt: join(dir, 'gt'), pred: join(dir, 'pred'), names: join(dir, 'names.txt') };
}

/** Images/s of one pass over the set with a started, warm pool (start-up is not in the timing). */
async function timeRun(set: { gt: string; pred: string; names: string }, classes: number, pool: PairPool, decodeOnly: boolean): Promise<number> {
  const masks = parseNamesList(readFileSync(set.names, 'utf8')).masks;
  const source = await DirectorySource.open(set.pred);
  const t = performance.now();
  if (decodeOnly) await decodeOnlyPass({ gtRoot: set.gt, pred: source, masks, classes, pool });
  else await evaluate({ gtRoot: set.gt, pred: source, masks, classes, pool });
  return masks.length / ((performance.now() - t) / 1000);
}

async function throughput(label: string, set: { gt: string; pred: string; names: string }, classes: number): Promise<void> {
  for (const workers of [...new Set([1, cores])]) {
    const pool = new PairPool(workers);
    try {
      // warm the page cache and the JIT, then interleave floor and full runs; best of three each
      await timeRun(set, classes, pool, true);
      await timeRun(set, classes, pool, false);
      let floor = 0, full = 0;
      for (let i = 0; i < 3; i++) {
        floor = Math.max(floor, await timeRun(set, classes, pool, true));
        full = Math.max(full, await timeRun(set, classes, pool, false));
      }
      console.log(`  ${label.padEnd(38)} ${String(workers).padStart(2)} worker(s): decode-only ${f(floor).padStart(5)} img/s   full ${f(full).padStart(5)} img/s   full/floor time ratio ${(floor / full).toFixed(2)}`);
    } finally {
      await pool.close();
    }
  }
}

/**
 * The official definition transliterated to JavaScript: per label, n erosions with a 3×3 kernel of
 * the zero-padded mask. It is the definition's cost in this language, not OpenCV's cv2.erode (which
 * the official code calls, vectorised in C++): the baseline shows what the interval method saves
 * over doing the definition literally, not a speed-up over the official code's erosion.
 */
function officialErosion(ids: Uint16Array, w: number, h: number, n: number): Uint8Array {
  const out = new Uint8Array(w * h);
  const labels = new Set(ids);
  let a = new Uint8Array((w + 2) * (h + 2)), b = new Uint8Array((w + 2) * (h + 2));
  const W = w + 2;
  for (const v of labels) {
    a.fill(0);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) a[(y + 1) * W + x + 1] = ids[y * w + x] === v ? 1 : 0;
    for (let it = 0; it < n; it++) {
      b.fill(0);
      for (let y = 1; y <= h; y++) for (let x = 1; x <= w; x++) {
        const i = y * W + x;
        b[i] = a[i - W - 1] & a[i - W] & a[i - W + 1] & a[i - 1] & a[i] & a[i + 1] & a[i + W - 1] & a[i + W] & a[i + W + 1];
      }
      const t = a; a = b; b = t;
    }
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (ids[y * w + x] === v && !a[(y + 1) * W + x + 1]) out[y * w + x] = 1;
  }
  return out;
}

function boundaryCost(): void {
  const r = rng(7);
  const img = makeImage(r, 3, () => 5, [375, 500]);
  const ids = drawGt(img);
  const { width: w, height: h } = img;
  const runs = idsToRuns(ids, w, h);
  const px = w * h;
  const scratch = new IntervalScratch();
  const flags = new Uint8Array(px);
  const per = (fn: () => void, minMs = 150): number => {
    fn();
    let reps = 0;
    const t = performance.now();
    while (performance.now() - t < minMs) { fn(); reps++; }
    return ((performance.now() - t) * 1e6) / reps / px; // ns per pixel
  };
  console.log(`  375×500 GT mask, one map; ns per pixel (official d for this size = ${dilationWidth(h, w)})`);
  console.log('     d   on runs   per pixel   definition (JS loop)   definition/runs');
  const ours: number[] = [];
  for (const d of [1, 2, 3, 5, 8, 12, 19, 25, 32, 45]) {
    const onRuns = per(() => interiorIntervals(runs, d, scratch));
    const perPixel = per(() => boundaryFlags(ids, w, h, d, flags));
    const official = [1, 5, 19, 45].includes(d) ? per(() => officialErosion(ids, w, h, d), 50) : NaN;
    ours.push(onRuns);
    console.log(`  ${String(d).padStart(4)} ${onRuns.toFixed(3).padStart(9)} ${perPixel.toFixed(3).padStart(11)} ${Number.isNaN(official) ? '–'.padStart(23) : official.toFixed(1).padStart(23)} ${Number.isNaN(official) ? '' : f(official / onRuns).padStart(14) + '×'}`);
  }
  console.log(`  flatness: cost at d=45 / cost at d=1 = ${(ours[ours.length - 1] / ours[0]).toFixed(2)} (on runs)`);
}

function matching(): void {
  for (const [C, N] of [[50, 752], [300, 4097], [919, 12419]] as const) {
    const r = rng(C);
    const perm = Array.from({ length: C }, (_, i) => i);
    for (let i = C - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [perm[i], perm[j]] = [perm[j], perm[i]]; }
    const acc = new CooccurrenceAccumulator(C);
    acc.images = N;
    // image-level presence like real predictions: the own class (permuted), sometimes a second
    // GT class, sometimes one or two spurious predicted ids
    for (let im = 0; im < N; im++) {
      const g = [1 + (im % C)];
      if (r() < 0.3) g.push(1 + Math.floor(r() * C));
      const p = [perm[g[0] - 1] + 1];
      if (r() < 0.5) p.push(1 + Math.floor(r() * C));
      if (r() < 0.2) p.push(1 + Math.floor(r() * C));
      for (const pp of new Set(p)) for (const gg of new Set(g)) acc.counts[(pp - 1) * C + gg - 1]++;
    }
    const t = performance.now();
    const m = acc.result();
    const ms = performance.now() - t;
    let recovered = 0;
    for (let i = 0; i < C; i++) if (m.get(perm[i] + 1) === i + 1) recovered++;
    console.log(`  C = ${String(C).padStart(3)}, ${String(N).padStart(5)} images: ${f(ms, 1).padStart(7)} ms (cost matrix + Munkres), ${recovered}/${C} classes recovered`);
  }
  // a garbage submission: 3 random predicted ids per image, no relation to the GT
  {
    const C = 919, N = 12419, r = rng(5);
    const acc = new CooccurrenceAccumulator(C);
    acc.images = N;
    for (let im = 0; im < N; im++) {
      const p = new Set([1, 2, 3].map(() => 1 + Math.floor(r() * C)));
      for (const pp of p) acc.counts[(pp - 1) * C + (im % C)]++;
    }
    const t = performance.now();
    acc.result();
    console.log(`  C = 919, 12419 images of random predictions: ${f(performance.now() - t, 0)} ms`);
  }
  // worst case: uniformly random float32 costs (no structure for the algorithm to exploit)
  const r = rng(99), n = 919;
  const cost = Float64Array.from({ length: n * n }, () => Math.fround(r()));
  const t = performance.now();
  munkres(cost, n);
  console.log(`  C = 919, random costs (worst case): ${f(performance.now() - t, 0)} ms`);
}

function cliRun(set: { gt: string; pred: string; names: string }, classes: number): { seconds: number; passSeconds: number; images: number; imagesPerSecond: number; peakRssMB: number } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/evaluate.ts'), '--gt', set.gt, '--pred', set.pred, '--names', set.names, '--classes', String(classes), '--quiet', '--stats'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`evaluate failed: ${r.stderr}`);
  return JSON.parse(r.stderr.trim().split('\n').pop()!);
}

console.log(`ImageNet-S Bench benchmark: ${cores} core(s), Node ${process.version}`);
if (run('throughput')) {
  console.log('\n1. Throughput (decode-only floor = both PNGs decoded, nothing else; same pool, same I/O)');
  if (existsSync(join(GOLDEN_TIMING, 'names.txt'))) {
    await throughput('golden timing-200 (375×500, C=50)', { gt: join(GOLDEN_TIMING, 'gt'), pred: join(GOLDEN_TIMING, 'pred'), names: join(GOLDEN_TIMING, 'names.txt') }, 50);
  } else console.log('  (../shared/golden/timing-200 not found: skipped)');
  const typical = await generated(`typical-${opts.images}`, opts.images, 919, 0.05);
  await throughput(`generated ${opts.images} (typical sizes, C=919)`, typical, 919);
  console.log('  reference: the official evaluator scores 30–50 img/s on a 2-core machine (docs/imagenet-s-metrics.md §11)');
  await decoderVsSharp(typical);
}

/**
 * Our mask decoder against sharp (libvips) on the same files, in memory, one at a time on one
 * thread, each to class ids (sharp: raw RGB, then id = R + 256·G). evaluator/input/png.ts cites this.
 */
async function decoderVsSharp(set: { pred: string; names: string }): Promise<void> {
  const masks = parseNamesList(readFileSync(set.names, 'utf8')).masks.slice(0, 400);
  const files = masks.map((m) => readFileSync(join(set.pred, m)));
  sharp.concurrency(1);
  const ours = async (): Promise<number> => { let s = 0; for (const b of files) s += decodePng(b).ids[0]; return s; };
  const viaSharp = async (): Promise<number> => {
    let s = 0;
    for (const b of files) {
      const { data, info } = await sharp(b).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      const ids = new Uint16Array(info.width * info.height);
      for (let i = 0, o = 0; i < ids.length; i++, o += 3) ids[i] = data[o] + 256 * data[o + 1];
      s += ids[0];
    }
    return s;
  };
  const best = async (fn: () => Promise<number>): Promise<number> => {
    await fn();
    let t = Infinity;
    for (let i = 0; i < 3; i++) { const s = performance.now(); await fn(); t = Math.min(t, performance.now() - s); }
    return t;
  };
  const a = await best(ours), b = await best(viaSharp);
  console.log(`  PNG decode to ids, ${files.length} generated masks, one thread: ours ${(files.length / (a / 1000)).toFixed(0)} img/s, sharp ${(files.length / (b / 1000)).toFixed(0)} img/s (sharp/ours time ${(b / a).toFixed(2)}×)`);
}

if (run('boundary')) {
  console.log('\n2. Boundary extraction cost for d = 1…45');
  boundaryCost();
}

if (run('matching')) {
  console.log('\n3. Default matching (after the data pass)');
  matching();
}

if (run('scale')) {
  console.log(`\n4. Scale: the evaluate CLI on 1,000 images and on ${opts.scaleImages} images (C = 919, all cores)`);
  const small = await generated('scale-1000', 1000, 919, 0.03);
  const big = await generated(`scale-${opts.scaleImages}`, opts.scaleImages, 919, 0.03);
  cliRun(small, 919); // warm the page cache
  const a = cliRun(small, 919);
  const b = cliRun(big, 919);
  const perA = (a.passSeconds * 1000) / a.images, perB = (b.passSeconds * 1000) / b.images;
  for (const x of [a, b]) {
    console.log(`  ${String(x.images).padStart(6)} images: process ${f(x.seconds, 1).padStart(5)} s (${f(x.imagesPerSecond).padStart(4)} img/s), evaluation pass ${f(x.passSeconds, 1).padStart(5)} s = ${((x.passSeconds * 1000) / x.images).toFixed(3)} ms/image, peak RSS ${f(x.peakRssMB)} MB`);
  }
  console.log(`  per-image cost of the evaluation pass, ${b.images} / 1,000 images: ${(perB / perA).toFixed(2)}`);
}

if (run('dataset')) {
  console.log('\n5. Dataset: the full ImageNet-S-919 test split (27,423 images + masks), generated and indexed (validation is not generated, and reported missing)');
  if (!existsSync(join(TOOLBOX, 'data'))) console.log('  (../shared/imagenet-s-toolbox not found: skipped)');
  else {
    const out = join(BENCH, 'like919-test');
    rmSync(out, { recursive: true, force: true });
    let t = performance.now();
    const lists = await readToolboxSplit(TOOLBOX, 'ImageNetS919');
    const root = join(out, 'ImageNetS919');
    await writeSynthSet(join(out, 'lists'), lists.test.map((rel) => ({ rel, cls: lists.classes.find((c) => c.wnid === rel.split('/')[0])!.id })), {
      classes: 919, seed: 1, predictions: false, gtDir: join(root, 'test-segmentation'), imageDir: join(root, 'test'), largeShare: 0.02,
    });
    console.log(`  generate: ${f((performance.now() - t) / 1000, 1)} s for ${lists.test.length} JPEG images + PNG masks (${f(lists.test.length / ((performance.now() - t) / 1000))} pairs/s)`);
    const cache = join(out, 'index-cache.json');
    for (const label of ['index, fresh (masks decoded, image headers read)', 'index, cached (restart, nothing changed)']) {
      t = performance.now();
      const idx = await indexRoot(out, { toolbox: TOOLBOX, cache });
      const s = idx.splits[0];
      const errors = s.problems.filter((p) => p.severity === 'error').map((p) => `${p.file}: ${p.problem}`);
      console.log(`  ${label}: ${f((performance.now() - t) / 1000, 2)} s, test ${s.subsets.test?.images} images / ${s.subsets.test?.masks} masks; problems: ${errors.join('; ') || 'none'}`);
    }
  }
}

if (run('server')) {
  console.log('\n6. Server (a separate process, all cores for scoring)');
  await serverLoad();
}

if (run('gtcache')) {
  console.log('\n10. Ground truth decoded once (a GT store) against the decode-both floor and the uncached scoring, same set, same pool, one run');
  for (const count of [opts.images, opts.quick ? opts.images * 4 : opts.scaleImages]) {
    const set = count === opts.scaleImages ? await generated(`scale-${count}`, count, 919, 0.03) : await generated(`typical-${count}`, count, 919, 0.05);
    const masks = parseNamesList(readFileSync(set.names, 'utf8')).masks;
    const pool = new PairPool(cores);
    try {
      const secs = async (fn: () => Promise<unknown>) => { const t = performance.now(); await fn(); return (performance.now() - t) / 1000; };
      const source = await DirectorySource.open(set.pred);
      await decodeOnlyPass({ gtRoot: set.gt, pred: source, masks, classes: 919, pool }); // warm the page cache
      const floor = await secs(() => decodeOnlyPass({ gtRoot: set.gt, pred: source, masks, classes: 919, pool }));
      const plain = await secs(() => evaluate({ gtRoot: set.gt, pred: source, masks, classes: 919, pool }));
      const rss0 = process.memoryUsage().rss;
      let gt!: Awaited<ReturnType<typeof buildGtStore>>;
      const build = await secs(async () => { gt = await buildGtStore({ gtRoot: set.gt, masks, pool }); });
      const cached = await secs(() => evaluate({ gtRoot: set.gt, pred: source, masks, classes: 919, pool, gt }));
      const cached2 = await secs(() => evaluate({ gtRoot: set.gt, pred: source, masks, classes: 919, pool, gt }));
      const best = Math.min(cached, cached2);
      console.log(`  ${String(count).padStart(5)} images, ${cores} threads: decode-both floor ${f(floor, 2)} s; scoring ${f(plain, 2)} s (${f(plain / floor, 2)}× the floor); with the GT store ${f(best, 2)} s (${f(best / floor, 2)}× the floor, ${f(plain / best, 2)}× faster)`);
      console.log(`        the store: built in ${f(build, 2)} s, ${f(gt.bytes / 1048576, 1)} MB of shared memory (${f(gt.bytes / count / 1024, 1)} KB a mask; RSS grew ${f((process.memoryUsage().rss - rss0) / 1048576)} MB)`);
    } finally {
      await pool.close();
    }
  }
}

if (run('baselines')) {
  console.log('\n12. Baselines: the ONNX Runtime runner against PyTorch eager on the CPU, same model, same images, one run');
  await baselinesBench(BENCH, opts.quick ? 8 : 24, opts.baselineModels);
}

if (run('deadline')) {
  console.log('\n11. Deadline: the real server, embedded scorer against QUEUE with local worker processes (a burst each), then a queueing simulation from the measured throughput');
  if (spawnSync('redis-server', ['--version']).status !== 0) console.log('  (redis-server not installed: skipped)');
  else await deadlineBench(BENCH, cores);
}

if (run('bootstrap')) {
  console.log('\n9. Bootstrap intervals (B = 1,000) against the scoring of the same set, one run');
  for (const count of [opts.images, opts.quick ? opts.images * 4 : opts.scaleImages]) {
    const set = count === opts.scaleImages ? await generated(`scale-${count}`, count, 919, 0.03) : await generated(`typical-${count}`, count, 919, 0.05);
    const masks = parseNamesList(readFileSync(set.names, 'utf8')).masks;
    const pool = new PairPool(cores);
    try {
      await evaluate({ gtRoot: set.gt, pred: await DirectorySource.open(set.pred), masks, classes: 919, pool });
      let t = performance.now();
      const r = await evaluate({ gtRoot: set.gt, pred: await DirectorySource.open(set.pred), masks, classes: 919, pool, contributions: true });
      const scoring = (performance.now() - t) / 1000;
      t = performance.now();
      const table = packContributions(r.accumulator.contributions, 919, strataOf(masks));
      const single = bootstrap(table, { seed: bootstrapSeed(masks) });
      const boot1 = (performance.now() - t) / 1000;
      t = performance.now();
      const b = await bootstrapParallel(packContributions(r.accumulator.contributions, 919, strataOf(masks)), { seed: bootstrapSeed(masks), pool });
      const boot = (performance.now() - t) / 1000;
      if (single.ci.mIoU![0] !== b.ci.mIoU![0] || single.ci.mIoU![1] !== b.ci.mIoU![1]) throw new Error('bootstrap: threads and one thread disagree');
      console.log(`  ${String(count).padStart(5)} images, 919 classes: scoring ${f(scoring, 2)} s; bootstrap one thread ${f(boot1, 2)} s, ${cores} threads ${f(boot, 2)} s (${f(boot / scoring, 2)}× the scoring); mIoU ${f(r.metrics.mIoU, 2)} [${b.ci.mIoU!.map((x) => f(x, 2)).join(', ')}]`);
    } finally {
      await pool.close();
    }
  }
}

if (run('intervals')) await intervalsBench({ quick: opts.quick, parts: opts.intervalParts });

if (run('pages')) {
  console.log('\n8. Pages (render time of large pages; the leaderboard page over HTTP; JavaScript shipped)');
  await pagesBench(BENCH, !!opts.screenshots);
}

if (run('hostile')) {
  console.log('\n7. Hostile uploads (a separate server process; stall = the server\'s longest event-loop delay during the upload)');
  await hostileUploads(BENCH);
  console.log('\n7b. Hostile clients (overlay floods, a big board, sign-in floods, slow bodies; a separate server process)');
  await hostileClients(BENCH);
}

async function serverLoad(): Promise<void> {
  const { root, zip } = await miniSplitWithZip(BENCH, 'server', 800);
  const dataDir = join(BENCH, 'server-data');
  rmSync(dataDir, { recursive: true, force: true });
  const env = { DATA_DIR: dataDir, IMAGENETS_ROOT: root, LOG_LEVEL: 'warn' };
  const tokens = ['u1', 'u2', 'u3', 'u4'].map((u) => spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/admin.ts'), 'create-user', u], { env: { ...process.env, ...env }, encoding: 'utf8' }).stdout.trim());
  const sp = await startServerProcess(env, await freePort());
  const bench = 'imagenetsmini.semi-supervised.validation';
  const submitZip = async (token: string, path: string, benchmark: string): Promise<{ id: number; status: number; ms: number }> => {
    const form = new FormData();
    form.set('benchmark', benchmark);
    form.set('file', new Blob([readFileSync(path)]), 'preds.zip');
    const t = performance.now();
    const r = await fetch(`${sp.base}/api/submissions`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
    const body = (await r.json()) as { id: number };
    return { id: body.id, status: r.status, ms: performance.now() - t };
  };
  const status = async (token: string, id: number): Promise<string> => ((await (await fetch(`${sp.base}/api/submissions/${id}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { status: string }).status;
  const waitDone = async (token: string, id: number): Promise<void> => { while (!['finished', 'failed'].includes(await status(token, id))) await new Promise((r) => setTimeout(r, 100)); };
  try {
    // two finished rows on the board first
    for (const t of tokens.slice(0, 2)) { const s = await submitZip(t, zip, bench); await waitDone(t, s.id); }
    const load = async (until: () => boolean): Promise<number[]> => {
      const lat: number[] = [];
      await Promise.all(Array.from({ length: 100 }, async () => {
        while (!until()) {
          const t = performance.now();
          const r = await fetch(`${sp.base}/api/leaderboards/${bench}`);
          await r.arrayBuffer();
          lat.push(performance.now() - t);
        }
      }));
      return lat.sort((a, b) => a - b);
    };
    const pct = (l: number[], p: number): string => l[Math.min(l.length - 1, Math.floor(p * l.length))].toFixed(1);
    let end = performance.now() + 4000;
    const idle = await load(() => performance.now() > end);
    console.log(`  leaderboard, 100 concurrent clients, idle:            ${idle.length} requests in 4 s, p50 ${pct(idle, 0.5)} ms, p99 ${pct(idle, 0.99)} ms`);
    const a = await submitZip(tokens[2], zip, bench), b = await submitZip(tokens[3], zip, bench);
    let doneA = false, doneB = false;
    const t0 = performance.now();
    void waitDone(tokens[2], a.id).then(() => { doneA = true; });
    void waitDone(tokens[3], b.id).then(() => { doneB = true; });
    const busy = await load(() => doneA && doneB);
    const secs = (performance.now() - t0) / 1000;
    console.log(`  leaderboard, 100 concurrent clients, 2 scoring (800 images each): ${busy.length} requests in ${secs.toFixed(1)} s, p50 ${pct(busy, 0.5)} ms, p99 ${pct(busy, 0.99)} ms`);
  } finally {
    await sp.kill('SIGTERM');
  }

  // the upload of a zip of the full ImageNet-S-919 test size
  const like = join(BENCH, 'like919-test');
  if (!existsSync(join(TOOLBOX, 'data')) || !existsSync(join(like, 'ImageNetS919', 'test-segmentation'))) {
    console.log('  (919 upload: needs ../shared/imagenet-s-toolbox and the dataset section run first: skipped)');
    return;
  }
  const lists = await readToolboxSplit(TOOLBOX, 'ImageNetS919');
  const predDir = join(BENCH, 'like919-pred');
  const bigZip = join(BENCH, 'like919-test-pred.zip');
  if (!existsSync(bigZip)) {
    await writeSynthSet(join(BENCH, 'like919-lists'), lists.test.map((rel) => ({ rel, cls: lists.classes.find((c) => c.wnid === rel.split('/')[0])!.id })), { classes: 919, seed: 1, gt: false, predDir, largeShare: 0.02 });
    await zipDirectory(predDir, bigZip);
  }
  const dataDir919 = join(BENCH, 'server-data-919');
  rmSync(dataDir919, { recursive: true, force: true });
  const env919 = { DATA_DIR: dataDir919, IMAGENETS_ROOT: like, IMAGENETS_TOOLBOX: TOOLBOX, LOG_LEVEL: 'warn', QUOTA_TEST_PER_DAY: '0' };
  const token = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/admin.ts'), 'create-user', 'big'], { env: { ...process.env, ...env919 }, encoding: 'utf8' }).stdout.trim();
  let t = performance.now();
  const sp2 = await startServerProcess(env919, await freePort());
  console.log(`  919 test split hosted: server start incl. indexing 27,423 masks ${((performance.now() - t) / 1000).toFixed(1)} s, RSS so far ${sp2.peakRssMB().toFixed(0)} MB`);
  try {
    const mb = readFileSync(bigZip).length / 1e6;
    const form = new FormData();
    form.set('benchmark', 'imagenets919.semi-supervised.test');
    form.set('file', new Blob([readFileSync(bigZip)]), 'preds.zip');
    t = performance.now();
    const r = await fetch(`${sp2.base}/api/submissions`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
    const body = (await r.json()) as { id: number; error?: string };
    console.log(`  upload of ${lists.test.length} masks (${mb.toFixed(0)} MB zip): HTTP ${r.status} after ${((performance.now() - t) / 1000).toFixed(1)} s (streamed to disk, every entry's header checked)${body.error ? ` — ${body.error}` : ''}`);
    t = performance.now();
    let st = '';
    while (!['finished', 'failed'].includes(st)) {
      await new Promise((res) => setTimeout(res, 250));
      st = ((await (await fetch(`${sp2.base}/api/submissions/${body.id}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { status: string }).status;
    }
    console.log(`  scored: ${st} after ${((performance.now() - t) / 1000).toFixed(1)} s; server peak RSS ${sp2.peakRssMB().toFixed(0)} MB`);
  } finally {
    await sp2.kill('SIGTERM');
  }
}
