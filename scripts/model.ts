/**
 * npm run -s model -- check <bundle.zip> --classes C [--json] [--no-trial] [--seconds S] [--images N]
 *
 * The checks the server makes of a model bundle before it queues it (baselines/bundle/check.ts),
 * offline: model.json against its schema, the ONNX graph read without running it (opsets, operator
 * domains, external data, input and output shapes), then a trial run on two small images in a child
 * process, with the time per image and the time projected for a phase of N images. Every problem at
 * once, with the server's codes. Exit status: 0 no problem; 1 problems (listed; `--json`: as JSON).
 */
import './stdout.ts';
import { Command } from 'commander';
import { formatProblems, HINTS } from '../evaluator/index.ts';
import { checkBundle } from '../baselines/bundle/check.ts';

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
await program.parseAsync();
