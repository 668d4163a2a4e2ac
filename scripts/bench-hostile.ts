/**
 * Bench section "hostile": the server (a separate process) receives the uploads that once crashed,
 * exhausted or froze it. Reported: the server's peak RSS (goal: under 600 MB) and its longest
 * event-loop stall during each upload (goal: under 100 ms), from its own admin metrics.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join, resolve } from 'node:path';
import yazl from 'yazl';
import { writeMiniSplit } from '../datasets/imagenet-s/mini.ts';
import { rawZip, withPaddingChunk } from '../test/helpers/zip.ts';
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

    // 5. 200 uploads aborted mid-body, 50 at a time (each once kept its file and descriptor)
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
