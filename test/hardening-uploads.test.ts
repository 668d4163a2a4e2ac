/**
 * Uploads that once took the server down or held its resources: large deflated entries, hostile
 * central directories, oversized metadata, aborted and stalled uploads. Each test failed before
 * the fix it guards (the first one crashed the test process).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { ZipSource, DEFAULT_SOURCE_LIMITS } from '../evaluator/index.ts';
import { maxMaskBytes } from '../server/domain/upload-check.ts';
import { miniPredictions, testServer, waitFor, type TestServer } from './helpers/server.ts';
import { craftZip, rawZip, withPaddingChunk } from './helpers/zip.ts';

const work = mkdtempSync(join(tmpdir(), 'isb-hard-up-'));
let srv: TestServer;
let alice: string;
let preds: Awaited<ReturnType<typeof miniPredictions>>;
const VAL = 'imagenetsmini.semi-supervised.validation';

before(async () => {
  srv = await testServer({ UPLOAD_IDLE_SECONDS: '1', MAX_UPLOADS_PER_USER: '40', MAX_UPLOADS_IN_PROGRESS: '60' });
  alice = srv.user('alice');
  preds = await miniPredictions(join(work, 'preds'));
});
after(async () => {
  await srv.cleanup();
  rmSync(work, { recursive: true, force: true });
});

const api = () => request(srv.server);
const upload = (token: string, benchmark: string, file: string) =>
  api().post('/api/submissions').set('Authorization', `Bearer ${token}`).field('benchmark', benchmark).attach('file', file);
async function finished(token: string, id: number) {
  return waitFor(async () => {
    const r = await api().get(`/api/submissions/${id}`).set('Authorization', `Bearer ${token}`);
    return ['finished', 'failed', 'cancelled'].includes(r.body.status) ? r.body : undefined;
  }, 60_000, `submission ${id}`);
}
const uploadsDir = () => join(srv.dataDir, 'uploads');
const leftovers = () => (existsSync(uploadsDir()) ? readdirSync(uploadsDir()) : []);
/** Descriptors of this process (the server runs in it) open on files under the uploads folder. */
function openUploadFds(): string[] {
  const out: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try { const t = readlinkSync(`/proc/self/fd/${fd}`); if (t.startsWith(uploadsDir())) out.push(t); } catch { /* closed meanwhile */ }
  }
  return out;
}

test('masks whose deflated entries exceed 64 KiB are checked and scored (the header check once crashed the server)', async () => {
  const v = preds.mini.subsets.validation;
  const padded = join(work, 'padded.zip');
  // every mask carries 100 KB of incompressible ancillary data: each entry is a large deflated one
  await craftZip(padded, (z) => v.masks.forEach((m, i) => z.addBuffer(withPaddingChunk(readFileSync(join(v.predictionsDir!, m)), 100_000, i + 1), m)));
  const plain = await upload(alice, VAL, preds.zips.validation).expect(202);
  const big = await upload(alice, VAL, padded).expect(202);
  const [a, b] = [await finished(alice, plain.body.id), await finished(alice, big.body.id)];
  assert.equal(b.status, 'finished', JSON.stringify(b));
  assert.deepEqual(b.metrics, a.metrics, 'ancillary chunks change nothing');
  await api().get('/api/health').expect(200);
});

test('a central directory with oversized extra fields is refused at its first such entry, before it is read further', async () => {
  const v = preds.mini.subsets.validation;
  const zip = join(work, 'extra.zip');
  const entries = v.masks.map((m) => ({ name: m, data: readFileSync(join(v.predictionsDir!, m)), extra: Buffer.alloc(60_000, 0) }));
  // 60,000 zero bytes are 15,000 empty extra fields per entry
  writeFileSync(zip, rawZip(entries));
  const src = await ZipSource.open(zip, v.masks, DEFAULT_SOURCE_LIMITS);
  await src.close();
  assert.deepEqual(src.problems.map((p) => p.problem), ['central directory entry 1 has an extra field of 60000 bytes (limit 256); the zip was not read further']);
  assert.deepEqual(src.files(), []);
  const r = await upload(alice, VAL, zip).expect(400);
  assert.deepEqual(r.body.problems, [{ code: 'zip-entry-fields', file: 'upload', problem: 'central directory entry 1 has an extra field of 60000 bytes (limit 256); the zip was not read further', details: { entry: 1, field: 'extra', bytes: 60000, limit: 256 } }]);

  const named = join(work, 'name.zip');
  writeFileSync(named, rawZip([{ name: `${'a'.repeat(600)}.png`, data: Buffer.from('x') }]));
  assert.match((await upload(alice, VAL, named).expect(400)).body.problems[0].problem, /a name of 604 bytes \(limit 512\)/);
  const commented = join(work, 'comment.zip');
  writeFileSync(commented, rawZip([{ name: 'a.png', data: Buffer.from('x'), comment: Buffer.alloc(5000, 65) }]));
  assert.match((await upload(alice, VAL, commented).expect(400)).body.problems[0].problem, /a comment of 5000 bytes \(limit 1024\)/);
});

test('an upload may hold at most its benchmark\'s masks + 1,024 entries; the count is checked before any entry is listed', async () => {
  const many = join(work, 'many.zip');
  const n = preds.mini.subsets.validation.masks.length + 1025;
  writeFileSync(many, rawZip(Array.from({ length: n }, (_, i) => ({ name: `x/${i}.txt`, data: Buffer.alloc(0) }))));
  const r = await upload(alice, VAL, many).expect(400);
  assert.deepEqual(r.body.problems, [{ code: 'zip-too-many-entries', file: 'upload', problem: `the zip holds ${n} entries; the limit is ${n - 1}`, details: { entries: n, limit: n - 1 } }]);
});

test('match.json, method.txt and masks are refused by their declared size, before they are read', async () => {
  const v = preds.mini.subsets.validation;
  const zip = join(work, 'meta.zip');
  const gt0 = srv.catalogue.benchmarks.get(VAL)!.sizes.get(v.masks[0])!;
  await craftZip(zip, (z) => {
    v.masks.slice(1).forEach((m) => z.addFile(join(v.predictionsDir!, m), m));
    // a mask far larger than any PNG of its size can be (stored, so the ratio guard does not fire)
    z.addBuffer(withPaddingChunk(readFileSync(join(v.predictionsDir!, v.masks[0])), 8 * gt0[0] * gt0[1] + 2_000_000), v.masks[0], { compress: false });
    z.addBuffer(Buffer.from(`{"0": 0${', "1": 1'.repeat(40_000)}}`), 'match.json', { compress: false });
    z.addBuffer(Buffer.from(`Method name: x\n${'Description: y\n'.repeat(2000)}`), 'method.txt', { compress: false });
  });
  const r = await api().post('/api/submissions').set('Authorization', `Bearer ${alice}`)
    .field('benchmark', 'imagenetsmini.fully-unsupervised.validation').attach('file', zip).expect(400);
  const byFile = Object.fromEntries(r.body.problems.map((p: { file: string; code: string; details: { limit: number } }) => [p.file, [p.code, p.details.limit]]));
  assert.deepEqual(byFile[v.masks[0]], ['mask-too-large', maxMaskBytes(gt0[0], gt0[1])]);
  assert.deepEqual(byFile['match.json'], ['metadata-too-large', 262144]);
  assert.deepEqual(byFile['method.txt'], ['metadata-too-large', 16384]);
  assert.equal(r.body.problems.length, 3);
});

/** Starts a multipart upload declaring `total` bytes, sends `sent` of them, and returns the request. */
function partialUpload(total: number, sent: number): Promise<{ req: ReturnType<typeof httpRequest>; status: Promise<number | null> }> {
  const url = new URL(srv.url);
  const boundary = 'hardening-boundary';
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="benchmark"\r\n\r\n${VAL}\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="p.zip"\r\nContent-Type: application/zip\r\n\r\n`);
  const req = httpRequest({ host: url.hostname, port: url.port, method: 'POST', path: '/api/submissions', headers: {
    authorization: `Bearer ${alice}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(head.length + total),
  } });
  const status = new Promise<number | null>((resolve) => {
    req.on('response', (res) => { res.resume(); resolve(res.statusCode ?? null); });
    req.on('error', () => resolve(null));
  });
  req.write(head);
  req.write(Buffer.alloc(sent, 1));
  return new Promise((resolve) => setTimeout(() => resolve({ req, status }), 50));
}

test('dozens of uploads aborted mid-body leave no file and no open descriptor', async () => {
  const reqs = await Promise.all(Array.from({ length: 30 }, () => partialUpload(2_000_000, 200_000)));
  await waitFor(() => leftovers().length === 30 || undefined, 10_000, 'uploads to reach the disk');
  assert.equal(openUploadFds().length, 30, 'each upload in progress holds one descriptor');
  for (const { req } of reqs) req.destroy();
  await waitFor(() => (leftovers().length === 0 && openUploadFds().length === 0) || undefined, 10_000, 'aborted uploads to be released');
  await api().get('/api/health').expect(200);
  await upload(alice, VAL, preds.zips.validation).expect(202);
});

test('a stalled upload is dropped after the idle timeout, its file and descriptor released', async () => {
  const { req, status } = await partialUpload(2_000_000, 100_000);
  await waitFor(() => leftovers().length === 1 || undefined, 5_000, 'the upload to reach the disk');
  // UPLOAD_IDLE_SECONDS=1 in this server
  await waitFor(() => (leftovers().length === 0 && openUploadFds().length === 0) || undefined, 5_000, 'the stalled upload to be released');
  assert.equal(await status, 408, 'answered 408, then closed');
  req.destroy();
});

test('uploads in progress are bounded per user: one more is refused with 429 and Retry-After', async () => {
  const limited = await testServer({ MAX_UPLOADS_PER_USER: '2' });
  try {
    const token = limited.user('slow');
    const url = new URL(limited.url);
    const open = Array.from({ length: 2 }, () => {
      const req = httpRequest({ host: url.hostname, port: url.port, method: 'POST', path: '/api/submissions', headers: { authorization: `Bearer ${token}`, 'content-type': 'multipart/form-data; boundary=b', 'content-length': '100000' } });
      req.on('error', () => {});
      req.write('--b\r\n');
      return req;
    });
    await new Promise((r) => setTimeout(r, 200));
    const r = await request(limited.server).post('/api/submissions').set('Authorization', `Bearer ${token}`).field('benchmark', VAL).attach('file', preds.zips.validation).expect(429);
    assert.match(r.body.error, /too many uploads in progress/);
    assert.equal(r.headers['retry-after'], '30');
    for (const req of open) req.destroy();
    await waitFor(async () => (await request(limited.server).post('/api/submissions').set('Authorization', `Bearer ${token}`).field('benchmark', VAL).attach('file', preds.zips.validation)).status === 202 || undefined, 5_000, 'the slots to free');
  } finally {
    await limited.cleanup();
  }
});
