/**
 * npm run -s evaluate -- --gt <dir> --pred <dir|zip> --names <list> --classes <N>
 *                        [--match <match.json>|auto] [--ci] [--json <out.json>] [--verify <result.json>]
 * Exit status: 0 scored (with --verify: every number reproduced); 2 invalid input (report on stderr
 * and in --json); 1 internal failure, or with --verify a number that differs (named on stderr).
 */
import './stdout.ts';
import { Command, InvalidArgumentError } from 'commander';
import { readFile } from 'node:fs/promises';
import {
  evaluate, DEFAULT_MAX_PIXELS, EVALUATOR_VERSION, parseMatch, parseNamesList, InputError, problem, type Problem,
  formatProblems, formatSummary, fullResultJson, firstDifference, openPredictionSource, bootstrap, bootstrapParallel, bootstrapSeed, strataOf,
  packContributions, provenanceOf, fileSha256, PairPool, defaultWorkers, BOOTSTRAP_METRICS, fmt, type BootstrapResult, type ResultJson,
} from '../evaluator/index.ts';
import { stat } from 'node:fs/promises';
import { Progress } from './progress.ts';
import { writeJsonAtomic } from '../util/files.ts';

const int = (min: number) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer ≥ ${min}`);
  return n;
};

const program = new Command('evaluate')
  .description('Score ImageNet-S predictions exactly as the official evaluator does.')
  .requiredOption('--gt <dir>', 'ground-truth mask directory (wnid/name.png)')
  .requiredOption('--pred <dir|zip>', 'prediction masks: a directory or a zip')
  .requiredOption('--names <list>', 'names list (official format: "wnid/name.JPEG wnid/name.png" per line)')
  .requiredOption('--classes <N>', 'number of classes C (50, 300 or 919)', int(1))
  .option('--match <match.json|auto>', 'apply a match (unsupervised protocol); "auto" computes the official default matching')
  .option('--json <out.json>', 'write the result (or the error report) as JSON')
  .option('--class-names <file>', 'display names in class-id order, one per line')
  .option('--workers <n>', 'worker threads (default: all cores; 0 = none)', int(0))
  .option('--max-pixels <n>', `largest image accepted, in pixels (default ${DEFAULT_MAX_PIXELS})`, int(1))
  .option('--ci', 'add 95 % bootstrap intervals and their 1,000 resamples of the images (see evaluator/statistics/bootstrap.ts)')
  .option('--verify <result.json>', 're-score and confirm every number of an earlier result (its --ci too when it has one); exit 1 naming the first that differs')
  .option('--quiet', 'print nothing but errors')
  .option('--stats', 'print {seconds, passSeconds, images, imagesPerSecond, peakRssMB} as one JSON line on stderr (benchmarks)')
  .version(EVALUATOR_VERSION, '--version', 'print the evaluator version (a digest of its source) and exit')
  .showHelpAfterError();

async function main(): Promise<number> {
  program.parse();
  const o = program.opts<{ gt: string; pred: string; names: string; classes: number; match?: string; json?: string; classNames?: string; workers?: number; maxPixels?: number; quiet?: boolean; stats?: boolean; ci?: boolean; verify?: string }>();
  const started = performance.now();
  const fail = async (message: string, problems: Problem[]): Promise<number> => {
    process.stderr.write(formatProblems(message, problems) + '\n');
    if (o.json) await writeJsonAtomic(o.json, { error: message, problems });
    return 2;
  };

  let stored: ResultJson | undefined;
  if (o.verify) {
    try { stored = JSON.parse(await readFile(o.verify, 'utf8')) as ResultJson; } catch (e) { return fail('cannot read the result to verify', [problem('file-unreadable', o.verify, { reason: (e as Error).message })]); }
    if (stored.bootstrap) o.ci = true;
  }

  let namesText: string;
  try { namesText = await readFile(o.names, 'utf8'); } catch (e) { return fail('cannot read the names list', [problem('file-unreadable', o.names, { reason: (e as Error).message })]); }
  const names = parseNamesList(namesText, o.names);
  if (names.problems.length) return fail('the names list is malformed', names.problems);

  let match: Awaited<ReturnType<typeof parseMatch>>['match'] | 'auto' | undefined;
  if (o.match === 'auto') match = 'auto';
  else if (o.match) {
    let text: string;
    try { text = await readFile(o.match, 'utf8'); } catch (e) { return fail('cannot read the match file', [problem('file-unreadable', o.match!, { reason: (e as Error).message })]); }
    const parsed = parseMatch(text, o.classes, o.match);
    if (!parsed.match) return fail('the match file is invalid', parsed.problems);
    match = parsed.match;
  }

  let source;
  try { source = await openPredictionSource(o.pred, names.masks); } catch (e) { return fail('cannot open the predictions', [problem('file-unreadable', o.pred, { reason: (e as Error).message })]); }
  const progress = !o.quiet && process.stderr.isTTY ? new Progress(process.stderr) : null;
  const workers = o.workers ?? defaultWorkers();
  // one pool for the images and then the resamples
  const pool = workers > 0 ? new PairPool(workers) : null;
  try {
    const passStarted = performance.now();
    const result = await evaluate({
      gtRoot: o.gt, pred: source, masks: names.masks, classes: o.classes, match,
      workers, pool: pool ?? undefined, maxPixels: o.maxPixels, contributions: o.ci,
      onProgress: progress ? (d, t) => progress.update(d, t) : undefined,
    });
    const passSeconds = (performance.now() - passStarted) / 1000;
    progress?.done();
    let classNames: string[] | undefined;
    if (o.classNames) classNames = (await readFile(o.classNames, 'utf8')).split(/\r?\n/).filter((l) => l.length > 0);
    if (!o.quiet && !o.verify) process.stdout.write(formatSummary(result, classNames) + '\n');
    let boot: BootstrapResult | undefined;
    if (o.ci) {
      const table = packContributions(result.accumulator.contributions, o.classes, strataOf(names.masks));
      const seed = bootstrapSeed(names.masks);
      boot = pool ? await bootstrapParallel(table, { seed, estimate: result.metrics, pool }) : bootstrap(table, { seed, estimate: result.metrics });
      if (!o.quiet && !o.verify) {
        process.stdout.write(`\n95 % bootstrap intervals (${boot.B} resamples of the ${result.images} images; test-set sampling only, not training randomness):\n`);
        for (const k of BOOTSTRAP_METRICS) { const c = boot.ci[k]; process.stdout.write(`  ${k.padEnd(8)} ${c ? `[${fmt(c[0])}, ${fmt(c[1])}]` : 'n/a'}\n`); }
      }
    }
    const predIsFile = (await stat(o.pred)).isFile();
    const provenance = provenanceOf(names.masks, result.gtDigests, predIsFile ? await fileSha256(o.pred) : null);
    const quote = (arg: string): string => (/^[\w./=+:@-]+$/.test(arg) ? arg : JSON.stringify(arg));
    const reproduce = ['npm run -s evaluate --', ...['--gt', o.gt, '--pred', o.pred, '--names', o.names, '--classes', String(o.classes), ...(o.match ? ['--match', o.match] : []), ...(o.ci ? ['--ci'] : []), '--verify', o.json ?? 'result.json'].map(quote)].join(' ');
    const out = fullResultJson(result, { boot, provenance, reproduce });
    if (o.json) await writeJsonAtomic(o.json, out);
    if (o.stats) {
      const seconds = (performance.now() - started) / 1000;
      // maxRSS covers the worker threads too: they live in this process
      process.stderr.write(JSON.stringify({ seconds, passSeconds, images: result.images, imagesPerSecond: result.images / seconds, peakRssMB: process.resourceUsage().maxRSS / 1024 }) + '\n');
    }
    if (stored) {
      const d = firstDifference(stored, JSON.parse(JSON.stringify(out)));
      if (d) {
        process.stderr.write(`verify: not reproduced: ${d.path} is ${JSON.stringify(d.stored)} in ${o.verify}, ${JSON.stringify(d.recomputed)} now\n`);
        return 1;
      }
      if (stored.provenance && stored.provenance.evaluatorVersion !== provenance.evaluatorVersion) {
        process.stderr.write(`verify: note: scored by evaluator ${stored.provenance.evaluatorVersion}, re-scored by ${provenance.evaluatorVersion}\n`);
      }
      if (!o.quiet) process.stdout.write(`verify: every number of ${o.verify} reproduced (${result.images} images${boot ? `, ${boot.B} resamples` : ''})\n`);
    }
    return 0;
  } catch (e) {
    progress?.done();
    if (e instanceof InputError) return fail(e.message, e.problems);
    throw e;
  } finally {
    await source.close();
    await pool?.close();
  }
}

main().then((code) => { process.exitCode = code; }, (e) => { process.stderr.write(`internal error: ${(e as Error).stack ?? e}\n`); process.exitCode = 1; });
