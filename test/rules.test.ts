/**
 * A test per input rule: each rule of evaluator/input/rules.ts is produced by an input built for it, and
 * asserted by its code (and details where they carry the facts). The last test fails when a rule is
 * added without a test here.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { crc32 } from 'node:zlib';
import request from 'supertest';
import { writeMiniSplit, type MiniSplitFiles } from '../datasets/imagenet-s/mini.ts';
import { encodeMask } from '../datasets/imagenet-s/png-write.ts';
import {
  CLI_POLICY, DEFAULT_SOURCE_LIMITS, DirectorySource, evaluate, InputError, parseMatch, parseNamesList, RULES, UPLOAD_POLICY,
  validate, ZipSource, type Problem, type RuleCode, type SourceLimits, type ValidateOptions,
} from '../evaluator/index.ts';
import { miniPredictions, testServer, waitFor } from './helpers/server.ts';
import { craftZip, overlappingZip, rawZip } from './helpers/zip.ts';

const ROOT = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'isb-rules-'));
const seen = new Set<RuleCode>();
let mini: MiniSplitFiles;
let masks: string[];
let predDir: string;
before(async () => {
  mini = await writeMiniSplit(join(work, 'mini'), { seed: 1, withPredictions: true });
  masks = mini.subsets.validation.masks;
  predDir = mini.subsets.validation.predictionsDir!;
});
after(() => rmSync(work, { recursive: true, force: true }));

/** Asserts `code` is among the problems (optionally about `file`), records it, and returns it. */
function expectCode(problems: Problem[], code: RuleCode, file?: string): Problem {
  const p = problems.find((x) => x.code === code && (file === undefined || x.file === file));
  assert.ok(p, `expected ${code}${file ? ` on ${file}` : ''}; got ${JSON.stringify(problems.map((x) => [x.code, x.file]))}`);
  assert.equal(p.problem, (RULES[code].message as (d: object) => string)(p.details ?? {}), 'the message is the rule\'s template');
  seen.add(code);
  return p;
}
const pred = (i: number) => readFileSync(join(predDir, masks[i]));
let n = 0;
/** A zip of the predictions with `change` applied (entries replaced, added or removed). */
async function zipWith(change: (files: Map<string, Buffer>) => void, opts: Record<string, { compress?: boolean; mode?: number }> = {}): Promise<string> {
  const files = new Map(masks.map((m, i) => [m, pred(i)]));
  change(files);
  const path = join(work, `z${n++}.zip`);
  await craftZip(path, (z) => { for (const [name, data] of files) z.addBuffer(data, name, opts[name] ?? {}); });
  return path;
}
async function validateZip(path: string, o: Partial<ValidateOptions> = {}, limits: SourceLimits = DEFAULT_SOURCE_LIMITS): Promise<{ problems: Problem[]; warnings: Problem[] }> {
  const source = await ZipSource.open(path, masks, limits);
  try {
    return await validate({ source, masks, depth: 'headers', policy: UPLOAD_POLICY, maxPixels: 40e6, ...o });
  } finally {
    await source.close();
  }
}
async function evaluateProblems(source: Awaited<ReturnType<typeof DirectorySource.open>> | ZipSource, o: { gtRoot?: string; match?: Map<number, number>; maxPixels?: number } = {}): Promise<Problem[]> {
  try {
    await evaluate({ gtRoot: o.gtRoot ?? mini.subsets.validation.masksDir, pred: source, masks, classes: mini.classes, match: o.match, maxPixels: o.maxPixels, workers: 0 });
  } catch (e) {
    if (e instanceof InputError) return e.problems;
    throw e;
  }
  assert.fail('expected problems');
}
/** A PNG with its IHDR bit depth and colour type patched (CRC repaired). */
function patchIhdr(png: Buffer, bitDepth: number, colorType: number): Buffer {
  const b = Buffer.from(png);
  b[24] = bitDepth; b[25] = colorType;
  b.writeUInt32BE(crc32(b.subarray(12, 29)) >>> 0, 29);
  return b;
}

test('the file list: missing-file, extra-file and unexpected-file (warnings in the CLI, errors for uploads)', async () => {
  const z = await zipWith((f) => { f.delete(masks[0]); f.set('n90000001/not-listed.png', pred(1)); f.set('notes.docx', Buffer.from('x')); });
  const up = await validateZip(z, { subsetName: 'ImageNetSmini validation' });
  expectCode(up.problems, 'missing-file', masks[0]);
  assert.equal(expectCode(up.problems, 'extra-file', 'n90000001/not-listed.png').details!.split, 'ImageNetSmini validation');
  expectCode(up.problems, 'unexpected-file', 'notes.docx');
  const cli = await validateZip(z, { policy: CLI_POLICY });
  assert.deepEqual(cli.warnings.map((p) => p.code).sort(), ['extra-file', 'unexpected-file']);
  assert.deepEqual(cli.problems.map((p) => p.code), ['missing-file']);
});

test('one mask: sizes, encodings, pixel limits and entry sizes', async () => {
  const gtSizes = new Map(masks.map((m, i) => { const b = pred(i); return [m, [b.readUInt32BE(16), b.readUInt32BE(20)] as [number, number]]; }));
  const z = await zipWith((f) => {
    f.set(masks[1], encodeMask(new Uint16Array(12), 4, 3));
    const [w, h] = gtSizes.get(masks[2])!;
    f.set(masks[2], encodeMask(new Uint16Array(w * h), h, w));
    f.set(masks[3], Buffer.from('GIF89a, not a PNG at all'));
    f.set(masks[4], pred(4).subarray(0, 20));
    f.set(masks[5], encodeMask(new Uint16Array(4), 2, 2, { encoding: 'palette' }));
    f.set(masks[6], encodeMask(new Uint16Array(4), 2, 2, { encoding: 'rgb16' }));
    f.set(masks[7], patchIhdr(encodeMask(new Uint16Array(4), 2, 2, { encoding: 'gray8' }), 4, 0));
    const corrupt = Buffer.from(pred(8)); corrupt[30] ^= 0xff; f.set(masks[8], corrupt);
  });
  const v = await validateZip(z, { gtSizes });
  assert.deepEqual(expectCode(v.problems, 'size-mismatch', masks[1]).details, { width: 4, height: 3, gtWidth: gtSizes.get(masks[1])![0], gtHeight: gtSizes.get(masks[1])![1] });
  expectCode(v.problems, 'transposed', masks[2]);
  expectCode(v.problems, 'not-png', masks[3]);
  expectCode(v.problems, 'truncated-png', masks[4]);
  expectCode(v.problems, 'palette-png', masks[5]);
  expectCode(v.problems, 'rgb16-png', masks[6]);
  assert.equal(expectCode(v.problems, 'unsupported-png', masks[7]).details!.encoding, '4-bit grayscale');
  expectCode(v.problems, 'corrupt-png', masks[8]);
  const small = await validateZip(z, { maxPixels: 100 });
  expectCode(small.problems, 'too-many-pixels', masks[9]);
  const bounded = await validateZip(z, { gtSizes, maxMaskBytes: () => 10 });
  assert.equal(expectCode(bounded.problems, 'mask-too-large', masks[9]).details!.limit, 10);
});

test('reading: unreadable-prediction (a damaged entry), gt-unreadable and gt-invalid (the host\'s GT)', async () => {
  const z = await zipWith(() => {}, {});
  const bytes = readFileSync(z);
  // damage the first entry's data (stored after its local header): its CRC no longer matches
  const nameLen = bytes.readUInt16LE(26), extraLen = bytes.readUInt16LE(28);
  bytes[30 + nameLen + extraLen + 5] ^= 0xff;
  writeFileSync(z, bytes);
  const src = await ZipSource.open(z, masks, DEFAULT_SOURCE_LIMITS);
  try {
    const first = [...masks].sort()[0];
    expectCode(await evaluateProblems(src), 'unreadable-prediction', first);
  } finally {
    await src.close();
  }
  const gt = join(work, 'gt-bad');
  mkdirSync(join(gt, masks[0].split('/')[0]), { recursive: true });
  writeFileSync(join(gt, masks[0]), 'not a png');
  const ps = await evaluateProblems(await DirectorySource.open(predDir), { gtRoot: gt });
  expectCode(ps, 'gt-invalid', `GT ${masks[0]}`);
  expectCode(ps, 'gt-unreadable', `GT ${masks[1]}`);
});

test('the zip itself: unreadable, corrupt, too many entries, long fields, unsafe and oversized entries, duplicates', async () => {
  const notZip = join(work, 'not.zip');
  writeFileSync(notZip, 'plain text');
  expectCode((await validateZip(notZip)).problems, 'zip-unreadable');
  const good = rawZip([{ name: 'a.png', data: Buffer.from('x') }, { name: 'b.png', data: Buffer.from('y') }]);
  const broken = Buffer.from(good);
  broken.writeUInt32LE(0x12345678, broken.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), 0) + 0 + 46 + 5 + 0); // the second central entry's signature
  const cd = join(work, 'cd.zip');
  writeFileSync(cd, broken);
  expectCode((await validateZip(cd)).problems, 'zip-corrupt');
  const many = join(work, 'many.zip');
  writeFileSync(many, good);
  expectCode((await validateZip(many, {}, { ...DEFAULT_SOURCE_LIMITS, maxEntries: 1 })).problems, 'zip-too-many-entries');
  const long = join(work, 'long.zip');
  writeFileSync(long, rawZip([{ name: 'a.png', data: Buffer.from('x'), extra: Buffer.alloc(300) }]));
  expectCode((await validateZip(long)).problems, 'zip-entry-fields');

  const unsafe = join(work, 'unsafe.zip');
  await craftZip(unsafe, (z) => {
    z.addBuffer(Buffer.from('x'), 'aa/aa/etc/evil.png');
    z.addBuffer(Buffer.from('x'), 'nul_name.png');
    z.addBuffer(Buffer.from('/etc/passwd'), 'n90000001/link.png', { mode: 0o120777 });
    z.addBuffer(Buffer.alloc(200_000), 'n90000001/bomb.png');
    z.addBuffer(Buffer.alloc(5000, 1), 'n90000001/big.png', { compress: false });
    z.addBuffer(Buffer.from('x'), 'n90000001/twice.png');
    z.addBuffer(Buffer.from('y'), 'n90000001/twice.png');
  }, [['aa/aa/etc/evil.png', '../../etc/evil.png'], ['nul_name.png', 'nul\0name.png']]);
  const ps = (await validateZip(unsafe, {}, { ...DEFAULT_SOURCE_LIMITS, maxEntryBytes: 4096 })).problems;
  expectCode(ps, 'zip-slip', '../../etc/evil.png');
  expectCode(ps, 'zip-nul-name');
  expectCode(ps, 'zip-symlink', 'n90000001/link.png');
  expectCode(ps, 'zip-entry-size', 'n90000001/big.png');
  expectCode(ps, 'zip-duplicate', 'n90000001/twice.png');
  expectCode((await validateZip(unsafe)).problems, 'zip-ratio', 'n90000001/bomb.png');

  // flags and methods no writer sets on request: patched in the central directory
  const flagged = Buffer.from(rawZip([{ name: 'e.png', data: Buffer.from('x') }, { name: 'm.png', data: Buffer.from('y') }]));
  const first = flagged.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  flagged.writeUInt16LE(0x801, first + 8); // bit 0: encrypted
  flagged.writeUInt16LE(8, first + 10); // (deflated, so that yauzl's stored-size check does not fire first)
  const second = flagged.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), first + 4);
  flagged.writeUInt16LE(12, second + 10); // bzip2
  const fz = join(work, 'flags.zip');
  writeFileSync(fz, flagged);
  const fp = (await validateZip(fz)).problems;
  expectCode(fp, 'zip-encrypted', 'e.png');
  expectCode(fp, 'zip-method', 'm.png');
});

test('match.json: parse rules, coverage, not allowed, required; metadata size and readability; method.txt', async () => {
  expectCode(parseMatch('{', 6).problems, 'match-not-json');
  expectCode(parseMatch('[1]', 6).problems, 'match-not-object');
  expectCode(parseMatch('{"x": 1}', 6).problems, 'match-bad-keys');
  assert.deepEqual(expectCode(parseMatch('{"1": 99}', 6).problems, 'match-bad-values').details, { values: ['1 → 99'], classes: 6 });
  const missing = await evaluateProblems(await DirectorySource.open(predDir), { match: new Map([[0, 0]]) });
  const p = expectCode(missing, 'match-missing-id', 'match.json');
  assert.ok((p.details!.total as number) >= 1);

  const withMatch = await zipWith((f) => { f.set('match.json', Buffer.from('{"0": 0}')); });
  expectCode((await validateZip(withMatch, { matchFile: { use: 'forbidden', classes: 6, protocol: 'free' } })).problems, 'match-not-allowed', 'match.json');
  const without = await zipWith(() => {});
  expectCode((await validateZip(without, { matchFile: { use: 'required', classes: 6, protocol: 'fully-unsupervised' } })).problems, 'match-required', 'match.json');
  const big = await zipWith((f) => { f.set('match.json', Buffer.alloc(300_000, 32)); }, { 'match.json': { compress: false } });
  assert.deepEqual(expectCode((await validateZip(big, { matchFile: { use: 'optional', classes: 6, protocol: 'fully-unsupervised' } })).problems, 'metadata-too-large', 'match.json').details, { bytes: 300_000, limit: 262_144 });

  const badUtf8 = await zipWith((f) => { f.set('method.txt', Buffer.from([0x4d, 0x3a, 0x20, 0xff, 0xfe])); });
  expectCode((await validateZip(badUtf8, { methodFile: true })).problems, 'method-not-utf8', 'method.txt');
  // a damaged method.txt entry (stored, its bytes flipped after the CRC was written)
  const damaged = await zipWith((f) => { f.set('method.txt', Buffer.from('Method name: X\n')); }, { 'method.txt': { compress: false } });
  const b = readFileSync(damaged);
  const at = b.indexOf(Buffer.from('Method name: X'));
  b[at] ^= 0x20;
  writeFileSync(damaged, b);
  expectCode((await validateZip(damaged, { methodFile: true })).problems, 'metadata-unreadable', 'method.txt');
});

test('the names list and the command line: names-empty, names-no-mask-column, names-bad-path, file-unreadable', async () => {
  expectCode(parseNamesList('').problems, 'names-empty');
  expectCode(parseNamesList('onecolumn').problems, 'names-no-mask-column', 'names list:1');
  expectCode(parseNamesList('x /etc/passwd').problems, 'names-bad-path', 'names list:1');
  const out = join(work, 'cli.json');
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/evaluate.ts'), '--gt', work, '--pred', predDir, '--names', join(work, 'no-such-list.txt'), '--classes', '6', '--json', out], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  expectCode(JSON.parse(readFileSync(out, 'utf8')).problems, 'file-unreadable', join(work, 'no-such-list.txt'));
});

test('requests: invalid-field for a form or body field that is not valid', async () => {
  const srv = await testServer();
  try {
    const token = srv.user('u');
    const r = await request(srv.server).post('/api/submissions').set('Authorization', `Bearer ${token}`)
      .field('benchmark', 'imagenetsmini.free.validation').field('link', 'javascript:alert(1)').attach('file', Buffer.from('x'), 'p.zip').expect(400);
    expectCode(r.body.problems, 'invalid-field', 'link');
  } finally {
    await srv.cleanup();
  }
});

test('declared extents: zip-compressed-size and zip-overlap (entries sharing one padding block)', async () => {
  const entries = masks.slice(0, 3).map((m, i) => ({ name: m, data: pred(i) }));
  const path = join(work, 'overlap.zip');
  writeFileSync(path, overlappingZip(entries, 256 * 1024));
  const ps = (await validateZip(path)).problems;
  const o = expectCode(ps, 'zip-overlap', masks[0]);
  assert.equal(o.details?.into, masks[1], 'the first entry runs into the second');
  expectCode(ps, 'zip-compressed-size');
});

test('scoring: scoring-timeout stops a scoring past its limit, fails it with the reason, and the scorer goes on', async () => {
  // a limit of 1 ms per 1,000 images: no scoring, however small, finishes within it
  const srv = await testServer({}, { scoringTimeoutSeconds: 0.001 });
  try {
    const token = srv.user('slow');
    const { zips } = await miniPredictions(join(work, 'timeout'));
    const ids: number[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await request(srv.server).post('/api/submissions').set('Authorization', `Bearer ${token}`)
        .field('benchmark', 'imagenetsmini.semi-supervised.validation').attach('file', zips.validation).expect(202);
      ids.push(r.body.id);
    }
    for (const id of ids) {
      const s = await waitFor(async () => {
        const r = await request(srv.server).get(`/api/submissions/${id}`).set('Authorization', `Bearer ${token}`).expect(200);
        return r.body.status === 'failed' && r.body;
      }, 30_000, `submission ${id} failed`);
      const p = expectCode(s.problems, 'scoring-timeout', 'upload');
      assert.equal(p.details?.seconds, 0.001);
      assert.match(s.error, /SCORING_TIMEOUT_SECONDS/);
    }
  } finally {
    await srv.cleanup();
  }
});

test('run-wide warnings: blue-channel, out-of-range-ids and extra-files, with their counts', async () => {
  const dir = join(work, 'warn');
  mkdirSync(dir, { recursive: true });
  const { cpSync } = await import('node:fs');
  cpSync(predDir, dir, { recursive: true });
  const [w, h] = [pred(0).readUInt32BE(16), pred(0).readUInt32BE(20)];
  const ids = new Uint16Array(w * h).fill(4000);
  writeFileSync(join(dir, masks[0]), encodeMask(ids, w, h, { blue: 9 }));
  writeFileSync(join(dir, 'n90000001', 'not-listed.png'), pred(1));
  const r = await evaluate({ gtRoot: mini.subsets.validation.masksDir, pred: await DirectorySource.open(dir), masks, classes: mini.classes, workers: 0 });
  const byCode = new Map(r.warnings.map((x) => [x.code, x]));
  for (const code of ['blue-channel', 'out-of-range-ids', 'extra-files'] as const) {
    const x = byCode.get(code);
    assert.ok(x, `warning ${code}`);
    assert.equal(x.files, 1);
    seen.add(code);
  }
  assert.equal(byCode.get('out-of-range-ids')!.message, RULES['out-of-range-ids'].message({ files: 1, pixels: byCode.get('out-of-range-ids')!.pixels!, ids: [4000], classes: 6 }));
  assert.ok(byCode.get('out-of-range-ids')!.pixels! > 0);
});

test('every rule of the input policy has a test above (a model bundle\'s, in test/model-bundle.test.ts or test/model-submissions.test.ts)', () => {
  const bundleTests = ['model-bundle.test.ts', 'model-submissions.test.ts'].map((f) => readFileSync(join(import.meta.dirname, f), 'utf8')).join('\n');
  const asserted = (c: string) => c.startsWith('model-') && new RegExp(`\\[[^\\]]*'${c}'[^\\]]*\\]`).test(bundleTests);
  assert.deepEqual([...Object.keys(RULES)].filter((c) => !seen.has(c as RuleCode) && !asserted(c)), []);
});
