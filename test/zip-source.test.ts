import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { evaluate } from '../evaluator/run/evaluate.ts';
import { DirectorySource, openPredictionSource, ZipSource } from '../evaluator/input/sources.ts';
import { zipDirectory } from '../datasets/imagenet-s/zip-write.ts';
import { writeMiniSplit } from '../datasets/imagenet-s/mini.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { craftZip } from './helpers/zip.ts';

const dir = mkdtempSync(join(tmpdir(), 'isb-zip-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const mini = await writeMiniSplit(dir, { withPredictions: true, validation: 20, test: 2 });
const v = mini.subsets.validation;

async function scoreWith(source: Awaited<ReturnType<typeof openPredictionSource>>) {
  try { return await evaluate({ gtRoot: v.masksDir, pred: source, masks: v.masks, classes: mini.classes, workers: 2 }); } finally { await source.close(); }
}

test('a zip with masks at the root or under one top folder scores exactly like the directory', async () => {
  const fromDir = await scoreWith(await DirectorySource.open(v.predictionsDir!));
  const rootZip = join(dir, 'root.zip'), topZip = join(dir, 'top.zip');
  await zipDirectory(v.predictionsDir!, rootZip, '', { 'method.txt': 'Method name: test\n' });
  await zipDirectory(v.predictionsDir!, topZip, 'my-submission/');
  for (const z of [rootZip, topZip]) {
    const src = await openPredictionSource(z, v.masks);
    assert.ok(src instanceof ZipSource);
    assert.deepEqual(src.problems, []);
    const r = await scoreWith(src);
    assert.deepEqual(r.metrics, fromDir.metrics, z);
    assert.deepEqual(r.warnings, []);
  }
});

test('unsafe zip entries are reported, never read: zip-slip paths, symlinks, bombs', async () => {
  const bad = join(dir, 'bad.zip');
  await craftZip(bad, (z) => {
    z.addBuffer(Buffer.from('x'), 'aa/aa/etc/evil.png');
    z.addBuffer(Buffer.from('/etc/passwd'), 'n90000001/link.png', { mode: 0o120777 });
    z.addBuffer(Buffer.alloc(5_000_000), 'n90000001/bomb.png', { compress: true });
  }, [['aa/aa/etc/evil.png', '../../etc/evil.png']]);
  const src = await openPredictionSource(bad, v.masks);
  const byFile = Object.fromEntries(src.problems.map((p) => [p.file, p.code]));
  assert.deepEqual(byFile, { '../../etc/evil.png': 'zip-slip', 'n90000001/link.png': 'zip-symlink', 'n90000001/bomb.png': 'zip-ratio' });
  assert.deepEqual(src.files(), []);
  await src.close();
});

test('a file that is not a zip is a clear problem', async () => {
  const src = await openPredictionSource(join(v.masksDir, v.masks[0]), v.masks);
  assert.equal(src.problems[0].code, 'zip-unreadable');
});
