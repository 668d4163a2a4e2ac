/**
 * npm run -s baseline -- convert --arch <arch> --checkpoint <file> --classes <50|300|919> --out <model dir> [--recipe <name>] [--allow-pickle]
 * npm run -s baseline -- run --model <model dir> --images <dir of wnid/name.JPEG> --names <names list> --out <dir> [--zip <file>] [--device auto|cpu|cuda|webgpu]
 * npm run -s baseline -- register --model <model dir> --benchmark <benchmark id> [--server URL] [--token T] [--wait]
 * Reference models converted from host-supplied official checkpoints (baselines/convert, Debian's
 * /usr/bin/python3 with python3-torch) and run through ONNX Runtime (baselines/runner).
 * Exit status: 0 done; 2 invalid input (said on stderr); 1 internal failure.
 */
import './stdout.ts';
import { Command } from 'commander';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { DEVICES, loadBaseline, Manifest, measureParity, type Device } from '../baselines/runner/model.ts';
import { runModel } from '../baselines/runner/run.ts';
import { RECIPES, recipesOf } from '../baselines/reported.ts';
import { DirectorySource, evaluate, parseNamesList } from '../evaluator/index.ts';
import { matchToJsonText } from '../evaluator/input/match.ts';
import { zipDirectory } from '../datasets/imagenet-s/zip-write.ts';
import { Progress } from './progress.ts';
import { writeJsonAtomic } from '../util/files.ts';

const ROOT = resolve(import.meta.dirname, '..');
const PYTHON = process.env.BASELINE_PYTHON ?? '/usr/bin/python3';
const ARCHS = ['pass-r18', 'pass-r50', 'r50-d32', 'r50-d16', 'convnext-t', 'rf-convnext-t', 'vit-s16', 'vit-b16'];
const program = new Command('baseline').description('Reference models from official checkpoints, run through ONNX Runtime.');

program.command('convert')
  .requiredOption('--arch <arch>', `${ARCHS.join(' | ')}`)
  .requiredOption('--checkpoint <file>', 'the official .pth / .pth.tar')
  .requiredOption('--classes <n>', '50, 300 or 919')
  .requiredOption('--out <dir>', 'model directory to write (model.onnx, manifest.json)')
  .option('--recipe <name>', `the published recipe the checkpoint follows, where its architecture has several (${Object.entries(RECIPES).filter(([, r]) => Object.keys(r).length > 1).map(([k, r]) => `${k}: ${Object.keys(r).join(', ')}`).join('; ')}): the authors' number shown beside the row`)
  .option('--allow-pickle', 'load a checkpoint that is not weights-only (trusted files only)')
  .action(async (o: { arch: string; checkpoint: string; classes: string; out: string; recipe?: string; allowPickle?: boolean }) => {
    const args = [join(ROOT, 'baselines/convert/convert.py'), '--arch', o.arch, '--checkpoint', o.checkpoint, '--classes', o.classes, '--out', o.out, ...(o.allowPickle ? ['--allow-pickle'] : [])];
    const r = spawnSync(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    if (r.error) { process.stderr.write(`error: cannot run ${PYTHON} (${r.error.message}); install Debian's python3-torch\n`); process.exitCode = 2; return; }
    if (r.status !== 0) { process.stderr.write(r.stderr.split('\n').filter((l) => !/Warning|warn\(|_C\._jit/.test(l)).join('\n')); process.exitCode = r.status === 2 ? 2 : 1; return; }
    const manifestPath = join(o.out, 'manifest.json');
    const manifest = Manifest.parse(JSON.parse(await readFile(manifestPath, 'utf8')));
    // the recipe: named and known, or the architecture's only one
    const recipes = Object.keys(recipesOf(manifest));
    if (o.recipe && !recipes.includes(o.recipe)) {
      process.stderr.write(`error: --recipe ${o.recipe}: ${manifest.name ?? o.arch} with ${o.classes} classes has ${recipes.length ? `the recipes ${recipes.join(', ')}` : 'no published recipe'}\n`);
      process.exitCode = 2;
      return;
    }
    const recipe = o.recipe ?? (recipes.length === 1 ? recipes[0] : undefined);
    // parity: ONNX Runtime here against PyTorch's logits there, into the manifest
    const parity = await measureParity(await loadBaseline(o.out));
    await writeJsonAtomic(manifestPath, { ...manifest, ...(recipe ? { recipe } : {}), parity });
    process.stdout.write(`${manifest.name ?? o.arch} (${o.classes} classes) → ${o.out}: max |Δlogit| ${parity.maxAbsLogit.toExponential(2)}, label agreement ${(parity.labelAgreement * 100).toFixed(3)} % (PyTorch against ${parity.ort})\n`);
    if (!recipe && recipes.length > 1) process.stdout.write(`note: ${manifest.name} has several published recipes (${recipes.join(', ')}); convert again with --recipe to show the authors' number beside its row\n`);
  });

program.command('run')
  .requiredOption('--model <dir>', 'a converted model directory')
  .requiredOption('--images <dir>', 'images as wnid/name.JPEG')
  .requiredOption('--names <list>', 'the official names list (wnid/name.JPEG wnid/name.png per line)')
  .requiredOption('--out <dir>', 'where to write wnid/name.png')
  .option('--zip <file>', 'also zip the predictions for upload')
  .option('--match <match.json>', 'PASS on test: the match computed on validation, put beside the predictions (and in the zip)')
  .option('--device <device>', 'auto (CUDA, else WebGPU, else CPU) | cpu | cuda | webgpu; a GPU that fails to load falls back, saying why', 'auto')
  .action(async (o: { model: string; images: string; names: string; out: string; zip?: string; match?: string; device: string }) => {
    if (!(DEVICES as readonly string[]).includes(o.device)) { process.stderr.write(`error: --device ${o.device}: one of ${DEVICES.join(', ')}\n`); process.exitCode = 2; return; }
    const names = parseNamesList(await readFile(o.names, 'utf8'), o.names);
    if (names.problems.length) { process.stderr.write(`error: the names list is malformed: ${names.problems[0].problem}\n`); process.exitCode = 2; return; }
    const b = await loadBaseline(o.model, o.device as Device);
    for (const f of b.fallbacks) process.stderr.write(`note: ${f.provider} passed over: ${f.reason}\n`);
    const lines = (await readFile(o.names, 'utf8')).split(/\r?\n/).filter((l) => l.trim());
    const progress = process.stderr.isTTY ? new Progress(process.stderr) : null;
    const inputs = names.masks.map((mask, i) => ({ image: join(o.images, lines[i].trim().split(/\s+/)[0]), mask }));
    const { seconds } = await runModel(b, inputs, o.out, { onImage: (done, total) => progress?.update(done, total) });
    progress?.done();
    // PASS predicts cluster ids: on validation (GT beside the images) the default match is computed
    // and written beside them, as the reference does; on test the validation match is applied
    if (b.manifest.family === 'pass') {
      const gtDir = join(dirname(resolve(o.images)), `${basename(resolve(o.images))}-segmentation`);
      if (o.match) await copyFile(o.match, join(o.out, 'match.json'));
      else if (existsSync(gtDir)) {
        const r = await evaluate({ gtRoot: gtDir, pred: await DirectorySource.open(o.out), masks: names.masks, classes: b.manifest.classes, match: 'auto' });
        await writeFile(join(o.out, 'match.json'), matchToJsonText(r.match!));
        process.stdout.write(`default match computed against ${gtDir} and written to ${join(o.out, 'match.json')}: mIoU ${r.metrics.mIoU.toFixed(2)}\n`);
      } else process.stdout.write(`no ground truth beside the images (${gtDir}): no match written; on test, pass --match with the validation one\n`);
    }
    if (o.zip) await zipDirectory(o.out, o.zip);
    process.stdout.write(`${names.masks.length} images in ${seconds.toFixed(1)} s (${(names.masks.length / seconds).toFixed(1)} img/s, ${b.provider}) → ${o.out}${o.zip ? ` and ${o.zip}` : ''}\n`);
  });

program.command('register')
  .requiredOption('--model <dir>', 'a converted model directory (on the server\'s machine or shared storage)')
  .requiredOption('--benchmark <id>', 'e.g. imagenets50.fully-unsupervised.validation: the test phase of the split and protocol follows (PASS: with the validation match)')
  .option('--server <url>', 'the server (default $ISB_SERVER or http://127.0.0.1:8080)')
  .option('--token <token>', 'an admin token (default $ISB_TOKEN)')
  .option('--wait', 'wait until every baseline row is scored and print its metrics')
  .action(async (o: { model: string; benchmark: string; server?: string; token?: string; wait?: boolean }) => {
    const server = (o.server ?? process.env.ISB_SERVER ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
    const token = o.token ?? process.env.ISB_TOKEN;
    if (!token) { process.stderr.write('error: an admin token is needed (--token or ISB_TOKEN)\n'); process.exitCode = 2; return; }
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const r = await fetch(`${server}/api/admin/baselines`, { method: 'POST', headers, body: JSON.stringify({ model: resolve(o.model), benchmark: o.benchmark }) });
    const body = (await r.json()) as { id?: number; benchmark?: string; then?: { id: number; benchmark: string }[]; error?: string };
    if (!r.ok) { process.stderr.write(`error: ${body.error ?? r.statusText} (${r.status})\n`); process.exitCode = r.status >= 500 ? 1 : 2; return; }
    const runs = [{ id: body.id!, benchmark: body.benchmark! }, ...(body.then ?? [])];
    for (const x of runs) process.stdout.write(`baseline ${x.id} registered on ${x.benchmark}: ${x === runs[0] ? 'running' : 'runs after it'} on the server (${server}/api/admin/baselines/${x.id})\n`);
    if (!o.wait) return;
    for (const x of runs) {
      for (;;) {
        await new Promise((res) => setTimeout(res, 1000));
        const b = (await (await fetch(`${server}/api/admin/baselines/${x.id}`, { headers })).json()) as { status: string; error: string | null; submission: number | null };
        if (b.status === 'failed') { process.stderr.write(`error: the baseline run on ${x.benchmark} failed: ${b.error}\n`); process.exitCode = 1; return; }
        if (b.status !== 'submitted') continue;
        const s = (await (await fetch(`${server}/api/submissions/${b.submission}`, { headers })).json()) as { status: string; error?: string; metrics?: { mIoU: number } };
        if (s.status === 'finished') { process.stdout.write(`${x.benchmark}: submission ${b.submission} scored: mIoU ${s.metrics!.mIoU.toFixed(2)} (${server}/submissions/${b.submission})\n`); break; }
        if (s.status === 'failed' || s.status === 'cancelled') { process.stderr.write(`error: submission ${b.submission} ${s.status}: ${s.error ?? ''}\n`); process.exitCode = 1; return; }
      }
    }
  });

program.parseAsync().catch((e) => { process.stderr.write(`internal error: ${(e as Error).stack ?? e}\n`); process.exitCode = 1; });
