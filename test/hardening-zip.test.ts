/**
 * Hardening, second pass, finding 1: zip entries whose declared compressed sizes overlap each other
 * (a shared padding block every entry claims) or exceed what their declared size could compress to.
 * Refused at upload by the server and by the browser's pre-check, with coded problems, before any
 * entry is read; an entry read later is bounded by its neighbours too.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import yazl from 'yazl';
import { checkExtents, maxCompressedSize } from '../evaluator/input/zip-extent.ts';
import { readEntryBytes } from '../evaluator/input/zip-entry.ts';
import { ZipSource, DEFAULT_SOURCE_LIMITS } from '../evaluator/index.ts';
import { checkZip } from '../leaderboard-ui/client/zip-check.ts';
import { miniPredictions, testServer, type TestServer } from './helpers/server.ts';
import { overlappingZip } from './helpers/zip.ts';

const VAL = 'imagenetsmini.semi-supervised.validation';
const work = mkdtempSync(join(tmpdir(), 'isb-zip-hard-'));
let srv: TestServer;
let token: string;
let masks: { name: string; data: Buffer }[];
let names: string[];

before(async () => {
  srv = await testServer();
  token = srv.user('mallory');
  const p = await miniPredictions(join(work, 'preds'));
  const v = p.mini.subsets.validation;
  names = v.masks;
  masks = v.masks.map((m) => ({ name: m, data: readFileSync(join(v.predictionsDir!, m)) }));
});
after(async () => {
  await srv.cleanup();
  rmSync(work, { recursive: true, force: true });
});

test('an upload whose entries all claim one shared 8 MB padding block is refused at once, every entry named, nothing kept', async () => {
  const zip = join(work, 'overlap.zip');
  writeFileSync(zip, overlappingZip(masks, 8 * 1024 * 1024));
  const t = performance.now();
  const r = await request(srv.server).post('/api/submissions').set('Authorization', `Bearer ${token}`).field('benchmark', VAL).attach('file', zip).expect(400);
  const ms = performance.now() - t;
  const codes = new Set(r.body.problems.map((p: { code: string }) => p.code));
  assert.ok(codes.has('zip-overlap'), JSON.stringify(r.body.problems.slice(0, 3)));
  // every entry but the last runs into its neighbour; the last, into the central directory only
  // through the pad, which its declared size cannot honestly need
  assert.equal(r.body.problems.filter((p: { code: string }) => p.code === 'zip-overlap').length, masks.length - 1);
  assert.ok(codes.has('zip-compressed-size'));
  assert.ok(ms < 5000, `${ms.toFixed(0)} ms`);
  assert.equal(srv.q.submissionsOf(srv.q.userByName('mallory')!.id).length, 0, 'nothing queued');
});

test('the browser pre-check refuses the same zip with the same codes, before a byte is sent', async () => {
  const bytes = overlappingZip(masks, 1024 * 1024);
  const problems = await checkZip(new File([new Uint8Array(bytes)], 'p.zip'), { benchmark: VAL, subsetName: 'mini validation', maxPixels: 40_000_000, masks: names, sizes: names.map(() => null) }, () => {});
  assert.ok(problems);
  assert.equal(problems.filter((p) => p.code === 'zip-overlap').length, masks.length - 1);
  assert.ok(problems.some((p) => p.code === 'zip-compressed-size'));
});

test('honest zips pass: stored and deflated entries, any order of writing, and zip writers\' own layouts', async () => {
  for (const compress of [true, false]) {
    const z = new yazl.ZipFile();
    for (const m of masks) z.addBuffer(m.data, m.name, { compress });
    z.addBuffer(Buffer.alloc(0), 'empty.txt');
    z.end();
    const chunks: Buffer[] = [];
    await new Promise((res) => z.outputStream.on('data', (c: Buffer) => chunks.push(c)).on('end', res));
    const path = join(work, `honest-${compress}.zip`);
    writeFileSync(path, Buffer.concat(chunks));
    const src = await ZipSource.open(path, names, DEFAULT_SOURCE_LIMITS);
    try {
      assert.deepEqual(src.problems, []);
      assert.deepEqual(await src.read(names[0]), masks[0].data);
    } finally { await src.close(); }
  }
  // incompressible data, deflated: zlib's stored blocks stay within the bound
  const noise = Buffer.alloc(300_000);
  for (let i = 0, s = 7; i < noise.length; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; noise[i] = s >>> 24; }
  const { deflateRawSync } = await import('node:zlib');
  assert.ok(deflateRawSync(noise).length <= maxCompressedSize(8, noise.length));
  assert.equal(maxCompressedSize(0, 1234), 1234, 'stored: exactly its size');
});

test('the bounds themselves: one entry over deflate\'s worst case; entries out of order; a local header longer than the listing', async () => {
  const e = (name: string, offset: number, compressedSize: number, uncompressedSize = 100) => ({ name, offset, nameBytes: name.length, compressedSize, uncompressedSize, method: 8 });
  assert.deepEqual(checkExtents([e('a', 0, 100), e('b', 200, 50)], 400).problems, []);
  // listed in any order: neighbours are by offset
  assert.deepEqual(checkExtents([e('b', 200, 50), e('a', 0, 100)], 400).ends, [400, 200]);
  assert.deepEqual(checkExtents([e('a', 0, 180), e('b', 200, 50)], 400).problems.map((p) => [p.file, p.code]), [['a', 'zip-overlap']]);
  assert.deepEqual(checkExtents([e('a', 0, 5000)], 10_000).problems.map((p) => p.code), ['zip-compressed-size']);
  assert.deepEqual(checkExtents([e('a', 500, 10)], 400).problems.map((p) => p.code), ['zip-overlap'], 'a header past the central directory');
  // read time: the local header can name a longer extra field than the central one; the data then
  // overlaps the next entry even though the listing allowed it, and the read refuses
  const path = join(work, 'local-extra.zip');
  const z = new yazl.ZipFile();
  z.addBuffer(masks[0].data, masks[0].name, { compress: false });
  z.end();
  const chunks: Buffer[] = [];
  await new Promise((res) => z.outputStream.on('data', (c: Buffer) => chunks.push(c)).on('end', res));
  writeFileSync(path, Buffer.concat(chunks));
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const entry = { relativeOffsetOfLocalHeader: 0, compressedSize: masks[0].data.length, uncompressedSize: masks[0].data.length, compressionMethod: 0, crc32: 0 };
    await assert.rejects(readEntryBytes(fh, size, { ...entry, end: 30 + masks[0].name.length + 10 }), /overlaps the next entry/);
  } finally { await fh.close(); }
});
