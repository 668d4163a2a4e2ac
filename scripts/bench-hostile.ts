/**
 * Bench section "hostile": the server (a separate process) receives the uploads that once crashed,
 * exhausted or froze it, then the clients that once slowed or starved everyone else (overlay
 * floods, a big board, sign-in floods, slow bodies). Reported: the server's RSS and its longest
 * event-loop stall during each (goal: under 100 ms for uploads, 250 ms for the rest), from its own
 * admin metrics.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join, resolve } from 'node:path';
import yazl from 'yazl';
import { writeMiniSplit } from '../datasets/imagenet-s/mini.ts';
import { overlappingZip, rawZip, withPaddingChunk } from '../test/helpers/zip.ts';
import { fillBoard } from '../test/helpers/board.ts';
import { dbFile, openDb } from '../server/storage/db.ts';
import { freePort, startServerProcess, type ServerProcess } from './server-process.ts';

const ROOT = resolve(import.meta.dirname, '..');
const VAL = 'imagenetsmini.semi-supervised.validation';
const UNSUP = 'imagenetsmini.fully-unsupervised.validation';

function zipOf(entries: { name: string; data: Buffer; store?: boolean }[]): Promise<Buffer> {
  const z = new yazl.ZipFile();
  for (const e of entries) z.addBuffer(e.data, e.name, { compress: !e.store });
  z.end();
  const chunks: Buffer[] = [];
  return new Promise((res, rej) => z.outputStream.on('data', (c: Buffer) => chunks.push(c)).on('end', () => res(Buffer.concat(chunks))).on('error', rej));
}

/**
 * The server's own longest event-loop delay while `work` runs (its admin metrics, measured with
 * perf_hooks in the server: the client sending 130 MB would otherwise count its own stalls).
 */
async function longestStall(sp: ServerProcess, admin: string, work: () => Promise<unknown>): Promise<number> {
  const headers = { authorization: `Bearer ${admin}` };
  await fetch(`${sp.base}/api/admin/metrics/reset`, { method: 'POST', headers });
  await work();
  await new Promise((r) => setTimeout(r, 50));
  return ((await (await fetch(`${sp.base}/api/admin/metrics`, { headers })).json()) as { eventLoop: { maxMs: number } }).eventLoop.maxMs;
}

export async function hostileUploads(benchDir: string): Promise<void> {
  const root = join(benchDir, 'hostile-root');
  const mini = await writeMiniSplit(root, { seed: 1, withPredictions: true });
  const v = mini.subsets.validation;
  const masks = v.masks.map((m) => ({ name: m, data: readFileSync(join(v.predictionsDir!, m)) }));
  const dataDir = join(benchDir, 'hostile-data');
  const env = { DATA_DIR: dataDir, IMAGENETS_ROOT: root, LOG_LEVEL: 'warn', UPLOAD_IDLE_SECONDS: '2', MAX_UPLOADS_PER_USER: '64', MAX_UPLOADS_IN_PROGRESS: '64' };
  spawnSync('rm', ['-rf', dataDir]);
  const token = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/admin.ts'), 'create-user', 'mallory'], { env: { ...process.env, ...env }, encoding: 'utf8' }).stdout.trim();
  const admin = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/admin.ts'), 'create-user', 'host', '--admin'], { env: { ...process.env, ...env }, encoding: 'utf8' }).stdout.trim();
  const sp = await startServerProcess(env, await freePort());
  const send = async (benchmark: string, zip: Buffer): Promise<{ status: number; body: { error?: string; problems?: { problem: string }[]; id?: number } }> => {
    const form = new FormData();
    form.set('benchmark', benchmark);
    form.set('file', new Blob([new Uint8Array(zip)]), 'p.zip');
    const r = await fetch(`${sp.base}/api/submissions`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
    return { status: r.status, body: await r.json() as never };
  };
  const report = (label: string, r: { status: number; body: { problems?: { problem: string }[] } }, stall: number): void => {
    const why = r.body.problems?.[0]?.problem ?? '';
    console.log(`  ${label.padEnd(58)} HTTP ${r.status}, longest stall ${stall.toFixed(0).padStart(4)} ms${why ? `  (${why.slice(0, 70)})` : ''}`);
  };
  try {
    console.log(`  server RSS after start: ${sp.peakRssMB().toFixed(0)} MB`);
    let r!: Awaited<ReturnType<typeof send>>;

    // 1. large deflated entries: every mask padded to ~100 KB (once crashed the process)
    const padded = await zipOf(masks.map((m, i) => ({ name: m.name, data: withPaddingChunk(m.data, 100_000, i + 1) })));
    let stall = await longestStall(sp, admin, async () => { r = await send(VAL, padded); });
    report(`masks with 100 KB deflated entries (${(padded.length / 1e6).toFixed(1)} MB zip)`, r, stall);

    // 2. a ~130 MB central directory of 16 million empty extra fields, within the entry count
    // (once took the heap past V8's limit)
    const extra = rawZip(Array.from({ length: 1000 }, (_, i) => ({ name: `n9000000${1 + (i % 6)}/x${i}.png`, data: Buffer.alloc(0), extra: Buffer.alloc(65_535, 0), comment: Buffer.alloc(65_535, 32) })));
    stall = await longestStall(sp, admin, async () => { r = await send(VAL, extra); });
    report(`1,000 entries × 64 KiB extra fields + comments (${(extra.length / 1e6).toFixed(0)} MB)`, r, stall);

    // 3. the most entries a zip without zip64 holds, all empty
    const many = rawZip(Array.from({ length: 65_535 }, (_, i) => ({ name: `f/${i}`, data: Buffer.alloc(0) })));
    stall = await longestStall(sp, admin, async () => { r = await send(VAL, many); });
    report(`65,535 empty entries (${(many.length / 1e6).toFixed(0)} MB zip)`, r, stall);

    // 4. a 65 MB match.json, stored (once parsed on the main thread for 11 s)
    const bigMatch = await zipOf([...masks, { name: 'match.json', data: Buffer.from(`{"0": 0${', "1": 1'.repeat(8_100_000)}}`), store: true }]);
    stall = await longestStall(sp, admin, async () => { r = await send(UNSUP, bigMatch); });
    report(`65 MB match.json (${(bigMatch.length / 1e6).toFixed(0)} MB zip)`, r, stall);

    // 5. overlapping entries: honest deflated masks, then a 48 MB pad every entry's declared
    // compressed size runs to (second pass, finding 1: once 38-298 s of scoring and +1 GB RSS)
    const plainStart = performance.now();
    stall = await longestStall(sp, admin, async () => { r = await send(VAL, await zipOf(masks)); });
    const plainMs = performance.now() - plainStart;
    const overlap = overlappingZip(masks, 48 * 1024 * 1024);
    const rssBefore = sp.rssMB();
    const overlapStart = performance.now();
    stall = await longestStall(sp, admin, async () => { r = await send(VAL, overlap); });
    report(`overlapping entries over a 48 MB pad (${(overlap.length / 1e6).toFixed(0)} MB zip)`, r, stall);
    console.log(`  ${''.padEnd(58)} answered in ${(performance.now() - overlapStart).toFixed(0)} ms (a plain zip's upload: ${plainMs.toFixed(0)} ms); RSS ${rssBefore.toFixed(0)} → ${sp.rssMB().toFixed(0)} MB`);

    // 6. 200 uploads aborted mid-body, 50 at a time (each once kept its file and descriptor)
    const url = new URL(sp.base);
    stall = await longestStall(sp, admin, async () => {
      for (let round = 0; round < 4; round++) {
        const reqs = Array.from({ length: 50 }, () => {
          const req = httpRequest({ host: url.hostname, port: url.port, method: 'POST', path: '/api/submissions', headers: { authorization: `Bearer ${token}`, 'content-type': 'multipart/form-data; boundary=b', 'content-length': '10000000' } });
          req.on('error', () => {});
          req.write(`--b\r\nContent-Disposition: form-data; name="file"; filename="p.zip"\r\n\r\n`);
          req.write(Buffer.alloc(100_000));
          return req;
        });
        await new Promise((res) => setTimeout(res, 200));
        for (const req of reqs) req.destroy();
      }
    });
    await new Promise((res) => setTimeout(res, 500));
    const fds = spawnSync('ls', [`/proc/${sp.proc.pid}/fd`], { encoding: 'utf8' }).stdout.trim().split('\n').length;
    let left = 0;
    try { left = spawnSync('ls', [join(dataDir, 'uploads')], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean).length; } catch { /* none */ }
    console.log(`  ${'200 uploads aborted mid-body'.padEnd(58)} ${left} temporary files left, ${fds} descriptors open, longest stall ${stall.toFixed(0)} ms`);

    const health = await fetch(`${sp.base}/api/health`);
    console.log(`  server alive afterwards: ${health.ok}; peak RSS over the whole section ${sp.peakRssMB().toFixed(0)} MB (goal < 600 MB)`);
  } finally {
    await sp.kill('SIGTERM');
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const timed = async <T>(f: () => Promise<T>): Promise<[T, number]> => { const t = performance.now(); const v = await f(); return [v, performance.now() - t]; };

/** Hardening, second pass: one client (or none signed in) against everyone else. */
export async function hostileClients(benchDir: string): Promise<void> {
  const root = join(benchDir, 'hostile-root');
  const mini = await writeMiniSplit(root, { seed: 1, withPredictions: true });
  const v = mini.subsets.validation;
  const dataDir = join(benchDir, 'hostile-clients-data');
  const env = { DATA_DIR: dataDir, IMAGENETS_ROOT: root, LOG_LEVEL: 'error', UPLOAD_IDLE_SECONDS: '2', AUTH_FAILURES_PER_MINUTE: '0' };
  spawnSync('rm', ['-rf', dataDir]);
  const createUser = (name: string, adminFlag = false) => spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/admin.ts'), 'create-user', name, ...(adminFlag ? ['--admin'] : [])], { env: { ...process.env, ...env }, encoding: 'utf8' }).stdout.trim();
  const admin = createUser('host', true);
  const token = createUser('mallory');
  const viewers = ['v1', 'v2', 'v3', 'v4'].map((n) => createUser(n));
  const sp = await startServerProcess(env, await freePort());
  const zip = await zipOf(v.masks.map((m) => ({ name: m, data: readFileSync(join(v.predictionsDir!, m)) })));
  const line = (label: string, what: string, stall: number) =>
    console.log(`  ${label.padEnd(52)} ${what}; longest stall ${stall.toFixed(0)} ms; RSS ${sp.rssMB().toFixed(0)} MB`);
  try {
    const form = new FormData();
    form.set('benchmark', VAL);
    form.set('file', new Blob([new Uint8Array(zip)]), 'p.zip');
    const { id } = await (await fetch(`${sp.base}/api/submissions`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form })).json() as { id: number };
    let body: { status: string; analysis?: { worst: { prediction_overlay: string }[] } } = { status: 'queued' };
    while (body.status !== 'finished') {
      await new Promise((res) => setTimeout(res, 100));
      body = await (await fetch(`${sp.base}/api/submissions/${id}`, { headers: { authorization: `Bearer ${token}` } })).json() as typeof body;
    }

    // 1. overlays: every picture of the submission, twelve times each, anonymously, all at once
    const n = v.masks.length;
    let statuses: (number | null)[] = [];
    let ms = 0;
    let stall = await longestStall(sp, admin, async () => {
      [statuses, ms] = await timed(() => Promise.all(Array.from({ length: 12 * n }, (_, i) => fetch(`${sp.base}/submissions/${id}/prediction/${v.masks[i % n].replace(/\.png$/, '.webp')}`).then(async (r) => { await r.arrayBuffer(); return r.status; }))));
    });
    line(`${12 * n} anonymous overlay requests at once`, `${statuses.filter((x) => x === 200).length} drawn or cached, ${statuses.filter((x) => x === 503).length} told to retry, in ${ms.toFixed(0)} ms`, stall);

    // 2. a 300-entry board viewed by four signed-in users, 20 views each
    const db = openDb(dbFile(dataDir));
    fillBoard(db, id, 300);
    db.close();
    const views: number[] = [];
    stall = await longestStall(sp, admin, async () => {
      await Promise.all(viewers.map(async (t) => {
        for (let i = 0; i < 20; i++) {
          const [, took] = await timed(async () => (await fetch(`${sp.base}/api/leaderboards/${VAL}`, { headers: { authorization: `Bearer ${t}` } })).json());
          views.push(took);
        }
      }));
    });
    line('300-entry board, 4 signed-in viewers × 20 views', `median view ${median(views).toFixed(0)} ms, slowest ${Math.max(...views).toFixed(0)} ms`, stall);

    // 3. 80 sign-ins at once (wrong passwords, 80 names), a static file fetched meanwhile
    const page = await fetch(`${sp.base}/login`);
    const cookie = (page.headers.getSetCookie?.() ?? []).map((c) => c.split(';')[0]).join('; ');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1];
    let fileMs = 0;
    stall = await longestStall(sp, admin, async () => {
      const flood = timed(() => Promise.all(Array.from({ length: 80 }, (_, i) => fetch(`${sp.base}/login`, {
        method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: csrf, next: '/', username: `guess${i}`, password: 'a wrong password' }), redirect: 'manual',
      }).then(async (r) => { await r.text(); return r.status; }))));
      await new Promise((res) => setTimeout(res, 50));
      [, fileMs] = await timed(async () => (await fetch(`${sp.base}/static/style.css`)).text());
      [statuses, ms] = await flood;
    });
    line('80 sign-ins at once', `${statuses.filter((x) => x === 200).length} checked, ${statuses.filter((x) => x === 503).length} told to retry, in ${ms.toFixed(0)} ms; a static file meanwhile ${fileMs.toFixed(0)} ms`, stall);

    // 4. 200 sign-in forms trickling a byte a second (anonymous), answered at BODY_TIMEOUT_SECONDS
    const url = new URL(sp.base);
    const trickle = (path: string, headers: Record<string, string>, head: string) => new Promise<number | null>((resolve) => {
      const req = httpRequest({ host: url.hostname, port: url.port, method: 'POST', path, headers: { ...headers, 'content-length': '100000' } });
      const timer = setInterval(() => req.write('x'), 1000);
      req.on('response', (res) => { res.resume(); clearInterval(timer); resolve(res.statusCode ?? null); });
      req.on('error', () => { clearInterval(timer); resolve(null); });
      setTimeout(() => { clearInterval(timer); req.destroy(); resolve(null); }, 30_000).unref();
      req.write(head);
    });
    let homeMs = 0;
    stall = await longestStall(sp, admin, async () => {
      const slow = timed(() => Promise.all(Array.from({ length: 200 }, () => trickle('/login', { 'content-type': 'application/x-www-form-urlencoded' }, 'username=a&password='))));
      await new Promise((res) => setTimeout(res, 500));
      [, homeMs] = await timed(async () => (await fetch(`${sp.base}/`)).text());
      [statuses, ms] = await slow;
    });
    const fds = spawnSync('ls', [`/proc/${sp.proc.pid}/fd`], { encoding: 'utf8' }).stdout.trim().split('\n').length;
    line('200 sign-in forms trickling 1 byte/s', `${statuses.filter((x) => x === 408).length} answered 408 after ${(ms / 1000).toFixed(1)} s; home page meanwhile ${homeMs.toFixed(0)} ms; ${fds} descriptors after`, stall);

    // 5. 16 accounts × 2 uploads trickling 100 bytes a second: under the rate floor, dropped at
    // UPLOAD_IDLE_SECONDS (2 s here), and the slots free for an honest upload
    const tricklers = Array.from({ length: 16 }, (_, i) => createUser(`trickle${i}`));
    const boundary = 'b';
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="benchmark"\r\n\r\n${VAL}\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="p.zip"\r\n\r\n`;
    let honest = 0;
    stall = await longestStall(sp, admin, async () => {
      const slow = timed(() => Promise.all(tricklers.flatMap((t) => [0, 1].map(() => trickle('/api/submissions', { authorization: `Bearer ${t}`, 'content-type': `multipart/form-data; boundary=${boundary}` }, head)))));
      [statuses, ms] = await slow;
      const f = new FormData();
      f.set('benchmark', VAL);
      f.set('file', new Blob([new Uint8Array(zip)]), 'p.zip');
      honest = (await fetch(`${sp.base}/api/submissions`, { method: 'POST', headers: { authorization: `Bearer ${viewers[0]}` }, body: f })).status;
    });
    line('32 uploads trickling 100 bytes/s (16 accounts)', `${statuses.filter((x) => x === 408).length} dropped with 408 after ${(ms / 1000).toFixed(1)} s; an honest upload then: HTTP ${honest}`, stall);

    const health = await fetch(`${sp.base}/api/health`);
    console.log(`  server alive afterwards: ${health.ok}; peak RSS over these ${sp.peakRssMB().toFixed(0)} MB`);
  } finally {
    await sp.kill('SIGTERM');
  }
}
