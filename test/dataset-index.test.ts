/**
 * synth --like ImageNetS50 → info: complete and problem-free with the official counts; then the
 * same copy damaged: every damage reported, exit status 2. Through the `dataset` CLI (the contract).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { encodeMask } from '../datasets/imagenet-s/png-write.ts';
import { readToolboxSplit } from '../datasets/imagenet-s/splits.ts';
import { readImageSize } from '../datasets/imagenet-s/image-header.ts';
import { TOOLBOX, toolboxSkip } from './helpers/golden.ts';

const ROOT = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'isb-ds-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const cache = join(dir, 'cache.json');

function dataset(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/dataset.ts'), ...args], { cwd: ROOT, encoding: 'utf8' });
}
function info(root: string, toolbox = true) {
  const json = join(dir, `info-${Math.random().toString(36).slice(2)}.json`);
  const r = dataset(['info', '--root', root, ...(toolbox ? ['--toolbox', TOOLBOX] : []), '--json', json, '--cache', cache]);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, json: JSON.parse(readFileSync(json, 'utf8')) };
}

test('synth --like ImageNetS50, then info: complete, problem-free, official counts; damage is reported file by file', { skip: toolboxSkip, timeout: 600_000 }, async () => {
  const out = join(dir, 'like50');
  const g = dataset(['synth', '--out', out, '--like', 'ImageNetS50', '--toolbox', TOOLBOX, '--seed', '3']);
  assert.equal(g.status, 0, g.stderr);

  const ok = info(out);
  assert.equal(ok.status, 0, ok.stdout);
  assert.equal(ok.json.splits.length, 1);
  const s = ok.json.splits[0];
  assert.equal(s.name, 'ImageNetS50');
  assert.equal(s.classes, 50);
  assert.deepEqual(s.subsets.validation, { images: 752, masks: 752 });
  assert.deepEqual(s.subsets.test, { images: 1682, masks: 1682 });
  assert.deepEqual(s.subsets['train-semi'], { images: 500, masks: 500 });
  assert.equal(s.subsets.train.images, 50);
  assert.deepEqual(s.problems, []);

  // without the toolbox: class ids from the folders, lists from the files; still complete
  const noToolbox = info(out, false);
  assert.equal(noToolbox.status, 0);
  assert.equal(noToolbox.json.splits[0].listsFrom, 'directory');
  assert.equal(noToolbox.json.splits[0].classes, 50);

  // damage: a missing mask, a mask of the wrong size, a corrupt PNG, an id out of range, a stray file
  const lists = await readToolboxSplit(TOOLBOX, 'ImageNetS50');
  const seg = join(out, 'ImageNetS50', 'validation-segmentation');
  const [missing, wrongSize, corrupt, outOfRange] = lists.validation;
  unlinkSync(join(seg, missing));
  writeFileSync(join(seg, wrongSize), encodeMask(new Uint16Array(10 * 7), 10, 7));
  writeFileSync(join(seg, corrupt), readFileSync(join(seg, corrupt)).subarray(0, 60));
  // same size as its image, so only the ids are wrong
  const { width, height } = (await readImageSize(join(out, 'ImageNetS50', 'validation', outOfRange.replace('.png', '.JPEG'))))!;
  const ids = new Uint16Array(width * height).fill(1);
  ids[0] = 51; ids[1] = 999;
  writeFileSync(join(seg, outOfRange), encodeMask(ids, width, height));
  writeFileSync(join(seg, lists.validation[5].split('/')[0], 'stray.png'), encodeMask(new Uint16Array(16), 4, 4));

  // the first run filled the cache: the changed files must be re-read, not taken from it
  const bad = info(out);
  assert.equal(bad.status, 2, 'problems that make scores wrong → exit 2');
  const problems: { file: string; problem: string; severity: string }[] = bad.json.splits[0].problems;
  const find = (rel: string) => problems.filter((p) => p.file === `ImageNetS50/validation-segmentation/${rel}`).map((p) => `${p.severity}: ${p.problem}`);
  assert.deepEqual(find(missing), ['error: mask missing']);
  assert.match(find(wrongSize).join(), /error: mask is 10×7 but its image is \d+×\d+/);
  assert.match(find(corrupt).join(), /error: unreadable mask: truncated PNG/);
  assert.deepEqual(find(outOfRange), ['error: ids outside 0..50 and 1000: 51, 999']);
  assert.ok(problems.some((p) => p.file.endsWith('/stray.png') && p.severity === 'warning' && /stray file/.test(p.problem)));
  assert.ok(problems.some((p) => p.file === 'ImageNetS50/validation-segmentation' && /751 of 752 listed masks present/.test(p.problem)));
  assert.match(bad.stdout, /would make scores wrong/);
});
