/**
 * npm run -s model -- check <bundle.zip> --classes C [--json] [--no-trial] [--seconds S] [--images N]
 * npm run -s model -- run <bundle.zip> --classes C --images-dir <dir> --names <list> --out <dir> [--seconds S]
 *
 * The checks the server makes of a model bundle before it queues it (baselines/bundle/check.ts),
 * offline: model.json against its schema, the ONNX graph read without running it (opsets, operator
 * domains, external data, input and output shapes), then a trial run on two small images in a child
 * process, with the time per image and the time projected for a phase of N images. Every problem at
 * once, with the server's codes. Exit status: 0 no problem; 1 problems (listed; `--json`: as JSON).
 * `run`: the checks, then the model over a phase's images (`--images-dir`: the split's folder of
 * wnid/name.JPEG; `--names`: its names list) in a watched child process, masks written under --out
 * as the benchmark names them: what `npm run -s evaluate` scores. Exit 0 done; 1 problems.
 */
import './stdout.ts';
import { Command } from 'commander';
import { formatProblems, HINTS } from '../evaluator/index.ts';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { checkBundle } from '../baselines/bundle/check.ts';
import { imageJobs, runBundle } from '../baselines/bundle/run.ts';
import { parseNamesList } from '../evaluator/index.ts';

const program = new Command('model').description('model submissions: check a bundle (model.onnx + model.json) as the server will');
program.command('check <bundle>')
  .requiredOption('--classes <n>', 'the benchmark\'s class count (50, 300, 919)', (v) => parseInt(v, 10))
  .option('--json', 'print the result as JSON')
  .option('--no-trial', 'static checks only (no run)')
  .option('--seconds <s>', 'time limit per image of the trial (MODEL_TIMEOUT_SECONDS)', (v) => Number(v), 60)
  .option('--images <n>', 'images of the phase the time is projected for', (v) => parseInt(v, 10), 12419)
  .option('--max-bytes <n>', 'largest model.onnx (MAX_MODEL_BYTES)', (v) => parseInt(v, 10), 512 * 1024 * 1024)
  .action(async (bundle: string, o: { classes: number; json?: boolean; trial: boolean; seconds: number; images: number; maxBytes: number }) => {
    const r = await checkBundle(bundle, { classes: o.classes, maxModelBytes: o.maxBytes, trial: o.trial ? { seconds: o.seconds, images: o.images } : undefined });
    if (o.json) {
      process.stdout.write(`${JSON.stringify({ ok: r.problems.length === 0, problems: r.problems, trial: r.trial ? { seconds_per_image: r.trial.secondsPerImage ?? null, projected_seconds: r.trial.projectedSeconds ?? null, provider: r.trial.provider ?? null } : null }, null, 2)}\n`);
    } else if (r.problems.length) {
      process.stderr.write(`${formatProblems(`${bundle}: ${r.problems.length} problem(s)`, r.problems)}\n`);
      for (const c of new Set(r.problems.map((p) => p.code))) process.stderr.write(`  how to fix ${c}: ${HINTS[c]}\n`);
    } else {
      process.stdout.write(`${bundle}: ok (${r.model!.output}, ${r.model!.classes} classes, ${r.onnx!.nodes} nodes, opsets ${[...r.onnx!.opsets].map(([d, v]) => `${d || 'ai.onnx'} ${v}`).join(', ')})\n`);
      if (r.trial?.secondsPerImage !== undefined) process.stdout.write(`trial on the CPU: ${r.trial.secondsPerImage.toFixed(3)} s an image at most; ${o.images.toLocaleString('en-US')} images ≈ ${Math.ceil(r.trial.projectedSeconds! / 60)} min on one core\n`);
    }
    process.exitCode = r.problems.length ? 1 : 0;
  });
program.command('run <bundle>')
  .requiredOption('--classes <n>', 'the benchmark\'s class count', (v) => parseInt(v, 10))
  .requiredOption('--images-dir <dir>', 'the phase\'s images (wnid/name.JPEG under it)')
  .requiredOption('--names <list>', 'the names list (image and mask per line)')
  .requiredOption('--out <dir>', 'where the masks go')
  .option('--seconds <s>', 'time limit per image (MODEL_TIMEOUT_SECONDS)', (v) => Number(v), 60)
  .option('--max-bytes <n>', 'largest model.onnx (MAX_MODEL_BYTES)', (v) => parseInt(v, 10), 512 * 1024 * 1024)
  .action(async (bundle: string, o: { classes: number; imagesDir: string; names: string; out: string; seconds: number; maxBytes: number }) => {
    const lines = parseNamesList(await readFile(o.names, 'utf8'));
    if (lines.problems.length) { process.stderr.write(`${formatProblems(o.names, lines.problems)}\n`); process.exitCode = 1; return; }
    const dir = await mkdtemp(join(tmpdir(), 'isb-model-run-'));
    try {
      const r = await checkBundle(bundle, { classes: o.classes, maxModelBytes: o.maxBytes, trial: { seconds: o.seconds, images: lines.masks.length }, extractTo: dir });
      if (r.problems.length) { process.stderr.write(`${formatProblems(`${bundle}: ${r.problems.length} problem(s)`, r.problems)}\n`); process.exitCode = 1; return; }
      // the names list's image column is the mask's path with .JPEG (ImageNet-S lists: "wnid/name.JPEG wnid/name.png")
      const jobs = imageJobs(resolve(o.imagesDir), lines.masks);
      const run = await runBundle(dir, r.model!, jobs, resolve(o.out), { seconds: o.seconds, onImage: (done, total) => { if (done % 100 === 0 || done === total) process.stderr.write(`\r${done} / ${total} images`); } });
      process.stderr.write('\n');
      if (run.problem) { process.stderr.write(`${formatProblems(bundle, [run.problem])}\n`); process.exitCode = 1; return; }
      process.stdout.write(`${jobs.length} masks in ${o.out} (${run.seconds.toFixed(1)} s); score them with npm run -s evaluate -- --pred ${o.out} --names ${o.names} …\n`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
await program.parseAsync();
