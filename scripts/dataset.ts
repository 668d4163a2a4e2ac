/**
 * npm run -s dataset -- info  --root <dir> [--toolbox <dir>] [--json <out.json>] [--cache <file>]
 * npm run -s dataset -- synth --out <dir> (--mini | --like ImageNetS50|ImageNetS300|ImageNetS919 --toolbox <dir>)
 *                             [--scale <0..1>] [--seed <n>] [--with-predictions] [--permuted] [--zip]
 * info exits 2 when the root has problems that would make scores wrong.
 */
import './stdout.ts';
import { Command, InvalidArgumentError, Option } from 'commander';
import { resolve } from 'node:path';
import { indexRoot, scoreAffecting, type DatasetIndex } from '../datasets/imagenet-s/dataset-index.ts';
import { writeLikeSplit } from '../datasets/imagenet-s/synth-like.ts';
import { MINI_SPLIT, writeMiniSplit } from '../datasets/imagenet-s/mini.ts';
import { SPLIT_NAMES, SUBSETS, type SplitName } from '../datasets/imagenet-s/splits.ts';
import { zipDirectory } from '../datasets/imagenet-s/zip-write.ts';
import { Progress } from './progress.ts';
import { writeJsonAtomic } from '../util/files.ts';

const program = new Command('dataset').description('Index, verify and generate ImageNet-S splits.');

export function indexToJson(idx: DatasetIndex): unknown {
  return {
    root: idx.root,
    splits: idx.splits.map((s) => ({
      name: s.name,
      classes: s.classes.length,
      listsFrom: s.listsFrom,
      subsets: Object.fromEntries(Object.entries(s.subsets).map(([k, v]) => [k, { images: v!.images, masks: v!.masks }])),
      problems: s.problems,
    })),
  };
}

program
  .command('info')
  .description('index a host ImageNet-S root and verify it')
  .requiredOption('--root <dir>', 'the ImageNet-S root (holding ImageNetS50/, ImageNetS300/, ImageNetS919/)')
  .option('--toolbox <dir>', 'the official toolbox (or its data/ folder) to check against the official lists')
  .option('--json <out.json>', 'write the index summary as JSON')
  .option('--cache <file>', 'check cache (default: <root>-independent file under ./data)', 'data/index-cache.json')
  .option('--max-problems <n>', 'problems printed per split', (v) => parseInt(v, 10), 50)
  .action(async (o: { root: string; toolbox?: string; json?: string; cache: string; maxProblems: number }) => {
    const progress = process.stderr.isTTY ? new Progress(process.stderr) : null;
    const idx = await indexRoot(resolve(o.root), { toolbox: o.toolbox, cache: o.cache, onProgress: progress ? (d, t) => progress.update(d, t, 'files checked') : undefined });
    progress?.done();
    if (idx.splits.length === 0) console.log(`no ImageNet-S split found in ${o.root} (expected ${[...SPLIT_NAMES, MINI_SPLIT].join(', ')})`);
    let fatal = 0;
    for (const s of idx.splits) {
      console.log(`${s.name}: ${s.classes.length} classes (lists from the ${s.listsFrom})`);
      console.log('  subset        images    masks');
      for (const sub of SUBSETS) {
        const v = s.subsets[sub];
        if (v) console.log(`  ${sub.padEnd(12)} ${String(v.images).padStart(7)} ${sub === 'train' ? '       –' : String(v.masks).padStart(8)}`);
      }
      const errors = scoreAffecting(s).length;
      fatal += errors;
      if (s.problems.length === 0) console.log('  no problems');
      else {
        console.log(`  ${s.problems.length} problem(s), ${errors} of them would make scores wrong:`);
        for (const p of s.problems.slice(0, o.maxProblems)) console.log(`    ${p.severity === 'error' ? 'error  ' : 'warning'} ${p.file}: ${p.problem}`);
        if (s.problems.length > o.maxProblems) console.log(`    … and ${s.problems.length - o.maxProblems} more${o.json ? ' (all in the JSON report)' : ' (use --json for all)'}`);
      }
    }
    if (o.json) await writeJsonAtomic(o.json, indexToJson(idx));
    process.exitCode = fatal > 0 ? 2 : 0;
  });

program
  .command('synth')
  .description('generate a synthetic split (deterministic by seed)')
  .requiredOption('--out <dir>', 'output root')
  .option('--mini', 'the self-contained demo split (no toolbox needed)')
  .addOption(new Option('--like <split>', 'real names and counts of an official split').choices([...SPLIT_NAMES]))
  .option('--toolbox <dir>', 'the official toolbox (required with --like)')
  .option('--scale <0..1>', 'keep this fraction of the images', (v) => {
    const n = Number(v);
    if (!(n > 0 && n <= 1)) throw new InvalidArgumentError('expected a number in (0, 1]');
    return n;
  }, 1)
  .option('--seed <n>', 'random seed', (v) => parseInt(v, 10), 1)
  .option('--with-predictions', 'also write perturbed predictions for validation and test')
  .option('--permuted', 'predictions with permuted class ids (the unsupervised flavour); implies --with-predictions')
  .option('--zip', 'also zip each prediction set (for uploads)')
  .action(async (o: { out: string; mini?: boolean; like?: SplitName; toolbox?: string; scale: number; seed: number; withPredictions?: boolean; permuted?: boolean; zip?: boolean }) => {
    if (!o.mini === !o.like) program.error('give exactly one of --mini or --like <split>');
    if (o.like && !o.toolbox) program.error('--like needs --toolbox <dir> (the official lists)');
    const t = performance.now();
    const progress = process.stderr.isTTY ? new Progress(process.stderr) : null;
    let predictions: Record<string, string | undefined> = {};
    if (o.mini) {
      const m = await writeMiniSplit(o.out, { seed: o.seed, withPredictions: o.withPredictions, permuted: o.permuted });
      console.log(`wrote ${m.root}: ${m.subsets.validation.masks.length} validation and ${m.subsets.test.masks.length} test images with masks, ${m.classes} classes`);
      predictions = { validation: m.subsets.validation.predictionsDir, test: m.subsets.test.predictionsDir };
    } else {
      const r = await writeLikeSplit(o.out, o.like!, o.toolbox!, {
        scale: o.scale, seed: o.seed, withPredictions: o.withPredictions, permuted: o.permuted,
        onProgress: progress ? (sub, d, n) => progress.update(d, n, sub) : undefined,
      });
      progress?.done();
      console.log(`wrote ${r.root}: ${Object.entries(r.counts).map(([k, v]) => `${k} ${v}`).join(', ')}`);
      console.log(`names lists: ${Object.values(r.lists).join(', ')}`);
      predictions = r.predictions ?? {};
    }
    for (const [subset, dir] of Object.entries(predictions)) {
      if (!dir) continue;
      console.log(`predictions (${subset}): ${dir}`);
      if (o.zip) {
        await zipDirectory(dir, `${dir}.zip`);
        console.log(`  zipped: ${dir}.zip`);
      }
    }
    console.log(`done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  });

await program.parseAsync();
