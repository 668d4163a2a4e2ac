/**
 * Hardening, second pass, finding 6: slow bodies. A body other than an upload must arrive within
 * BODY_TIMEOUT_SECONDS; a stalled upload is answered 408; an upload slower than the rate floor is
 * dropped and its slot freed; an aborted body is one warn line. Each test replays the attack.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { capturedLog, miniPredictions, testServer, waitFor, type TestServer } from './helpers/server.ts';

const VAL = 'imagenetsmini.semi-supervised.validation';
const work = mkdtempSync(join(tmpdir(), 'isb-bodies-'));
const { log, lines } = capturedLog('info');
let srv: TestServer;
let token: string;
let zips: { validation: string; test: string };

before(async () => {
  // a second's idle window, a floor of 20 kB/s in it, two uploads a user
  srv = await testServer({ BODY_TIMEOUT_SECONDS: '1', UPLOAD_IDLE_SECONDS: '1', UPLOAD_MIN_BYTES_PER_SECOND: '20000', MAX_UPLOADS_PER_USER: '2' }, {}, log);
  token = srv.user('tess');
  ({ zips } = await miniPredictions(join(work, 'preds')));
});
after(async () => {
  await srv.cleanup();
  rmSync(work, { recursive: true, force: true });
});

interface Trickle { req: ClientRequest; answer: Promise<{ status: number; body: string; at: number; closed: boolean } | null>; stop(): void }
/** Sends `head`, then `chunk` every `everyMs` until stopped, of a body declared `total` bytes long. */
function trickle(path: string, headers: Record<string, string>, head: Buffer, total: number, chunk: Buffer, everyMs: number): Trickle {
  const url = new URL(srv.url);
  const t0 = performance.now();
  const req = httpRequest({ host: url.hostname, port: url.port, method: 'POST', path, headers: { ...headers, 'content-length': String(total) } });
  let timer: NodeJS.Timeout | undefined;
  const answer = new Promise<{ status: number; body: string; at: number; closed: boolean } | null>((resolve) => {
    req.on('response', (res: IncomingMessage) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => {
        const at = performance.now() - t0;
        // the server closes the connection: the socket ends without our closing it
        const socket = req.socket!;
        const closed = socket.destroyed ? Promise.resolve(true) : new Promise<boolean>((r) => { socket.once('close', () => r(true)); setTimeout(() => r(false), 2_000); });
        void closed.then((c) => { clearInterval(timer); resolve({ status: res.statusCode!, body, at, closed: c }); });
      });
    });
    req.on('error', () => { clearInterval(timer); resolve(null); });
    // no answer in 10 s (the old hour-long bound): none
    setTimeout(() => { clearInterval(timer); resolve(null); }, 10_000).unref();
  });
  req.write(head);
  timer = setInterval(() => req.write(chunk), everyMs);
  return { req, answer, stop: () => { clearInterval(timer); req.destroy(); } };
}

test('a sign-in form trickling one byte every 300 ms is answered 408 within the body timeout and its connection closed; no error logged', async () => {
  const errorsBefore = lines.filter((l) => (l.level as number) >= 50).length;
  const t = trickle('/login', { 'content-type': 'application/x-www-form-urlencoded' }, Buffer.from('username=a&password='), 500, Buffer.from('x'), 300);
  const a = await t.answer;
  t.stop();
  assert.ok(a, 'an answer, not a reset');
  assert.equal(a.status, 408);
  assert.match(a.body, /did not arrive within 1 s/);
  assert.ok(a.at < 3_000, `answered after ${a.at.toFixed(0)} ms`);
  assert.ok(a.closed, 'the connection closed');
  const warn = lines.filter((l) => l.msg === 'request body not received within 1 s; answered 408 and closed');
  assert.equal(warn.length, 1);
  assert.equal(warn[0].level, 40);
  assert.equal(lines.filter((l) => (l.level as number) >= 50).length, errorsBefore);
});

test('a JSON body trickling to the API: 408 as well', async () => {
  const t = trickle('/api/me/tokens', { 'content-type': 'application/json', authorization: `Bearer ${token}` }, Buffer.from('{"label": "'), 300, Buffer.from('x'), 300);
  const a = await t.answer;
  t.stop();
  assert.equal(a?.status, 408);
  assert.equal(JSON.parse(a.body).code, 'body-timeout');
});

test('a form body aborted by its client: one warn line, without a stack, and no error', async () => {
  const before = lines.length;
  const errorsBefore = lines.filter((l) => (l.level as number) >= 50).length;
  const t = trickle('/login', { 'content-type': 'application/x-www-form-urlencoded' }, Buffer.from('username=a&pass'), 500, Buffer.from('x'), 10_000);
  await new Promise((r) => setTimeout(r, 200));
  t.stop();
  const line = await waitFor(() => lines.slice(before).find((l) => l.msg === 'request body aborted by the client'), 5_000, 'the warn line');
  assert.equal(line.level, 40);
  assert.equal(line.url, '/login');
  assert.equal(line.err, undefined, 'no error object, no stack');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(lines.filter((l) => (l.level as number) >= 50).length, errorsBefore, JSON.stringify(lines.slice(before)));
  assert.equal(lines.slice(before).filter((l) => l.msg === 'request body aborted by the client').length, 1);
});

const boundary = 'slow-boundary';
const uploadHead = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="benchmark"\r\n\r\n${VAL}\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="p.zip"\r\nContent-Type: application/zip\r\n\r\n`);
const uploadHeaders = () => ({ authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}` });

test('a stalled upload is answered 408 (then closed), not reset', async () => {
  const t = trickle('/api/submissions', uploadHeaders(), Buffer.concat([uploadHead, Buffer.alloc(50_000, 1)]), 2_000_000, Buffer.alloc(0), 60_000);
  const a = await t.answer;
  t.stop();
  assert.ok(a, 'an answer, not a reset');
  assert.equal(a.status, 408);
  assert.match(JSON.parse(a.body).error, /sent nothing for 1 s/);
  assert.ok(a.closed);
});

test('uploads trickling under the rate floor are dropped (408) and free their slots: the same user uploads at once', async () => {
  // two uploads a user: both held by trickles of 100 bytes every 50 ms (2 kB/s, under the 20 kB/s floor)
  const slow = [0, 1].map(() => trickle('/api/submissions', uploadHeaders(), uploadHead, 10_000_000, Buffer.alloc(100, 1), 50));
  await new Promise((r) => setTimeout(r, 200));
  const refused = await request(srv.server).post('/api/submissions').set('Authorization', `Bearer ${token}`).field('benchmark', VAL).attach('file', zips.validation);
  assert.equal(refused.status, 429, 'both slots are held');
  const answers = await Promise.all(slow.map((s) => s.answer));
  for (const s of slow) s.stop();
  for (const a of answers) {
    assert.equal(a?.status, 408);
    assert.match(JSON.parse(a!.body).error, /under the floor of 20000 bytes\/s/);
    assert.ok(a!.at < 4_000, `dropped after ${a!.at.toFixed(0)} ms`);
  }
  await request(srv.server).post('/api/submissions').set('Authorization', `Bearer ${token}`).field('benchmark', VAL).attach('file', zips.validation).expect(202);
});
