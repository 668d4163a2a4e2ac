/**
 * What a host operates the server by: liveness and readiness, Prometheus metrics that move with
 * what happens, the metrics token, and a server on a platform where ONNX Runtime does not load.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { miniPredictions, signedInAgent, testServer, waitFor, type TestServer } from './helpers/server.ts';

const VAL = 'imagenetsmini.semi-supervised.validation';
const TOKEN = 'metrics-secret-0123456789';
const work = mkdtempSync(join(tmpdir(), 'isb-ops-test-'));
let srv: TestServer;
let alice: string;
let preds: Awaited<ReturnType<typeof miniPredictions>>;

before(async () => {
  srv = await testServer({ METRICS_TOKEN: TOKEN });
  alice = srv.user('alice');
  preds = await miniPredictions(join(work, 'preds'));
});
after(async () => {
  await srv.cleanup();
  rmSync(work, { recursive: true, force: true });
});

/** Prometheus text exposition: every sample line is `name{labels} value`; returns samples by series. */
function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const types = new Set<string>();
  for (const line of text.split('\n')) {
    if (!line) continue;
    const t = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (t) { types.add(t[1]); continue; }
    if (line.startsWith('# HELP ')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/.exec(line);
    assert.ok(m, `not a Prometheus sample line: ${JSON.stringify(line)}`);
    const family = m[1].replace(/_(bucket|sum|count)$/, '');
    assert.ok(types.has(m[1]) || types.has(family), `sample without a TYPE: ${line}`);
    samples.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
  }
  return samples;
}

const scrape = async () => parsePrometheus((await request(srv.server).get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200).expect('content-type', /text\/plain/)).text);

test('liveness and readiness: /healthz answers; /readyz names each check and is ready with a writable database and open benchmarks', async () => {
  assert.deepEqual((await request(srv.server).get('/healthz').expect(200)).body, { ok: true });
  const r = (await request(srv.server).get('/readyz').expect(200)).body;
  assert.equal(r.ready, true);
  const byName = Object.fromEntries(r.checks.map((c: { name: string; ok: boolean }) => [c.name, c.ok]));
  assert.deepEqual({ database: byName.database, datasets: byName.datasets, scoring: byName.scoring }, { database: true, datasets: true, scoring: true });
  // a database another connection holds the write lock of is not writable: not ready, and says so
  const Database = (await import('better-sqlite3')).default;
  const other = new Database(join(srv.dataDir, 'imagenet-s-bench.sqlite'));
  other.pragma('busy_timeout = 0');
  other.exec('BEGIN IMMEDIATE');
  srv.db.pragma('busy_timeout = 0');
  try {
    const down = await request(srv.server).get('/readyz').expect(503);
    assert.deepEqual(down.body.not_ready, ['database']);
    assert.match(down.body.checks.find((c: { name: string }) => c.name === 'database').detail, /not writable/);
  } finally {
    other.exec('ROLLBACK');
    other.close();
    srv.db.pragma('busy_timeout = 5000');
  }
  await request(srv.server).get('/readyz').expect(200);
});

test('/metrics: Prometheus text behind METRICS_TOKEN; its counters move when a submission is scored and when one is rejected', async () => {
  await request(srv.server).get('/metrics').expect(401);
  await request(srv.server).get('/metrics').set('Authorization', 'Bearer wrong-token-wrong-token').expect(401);
  const before = await scrape();
  for (const name of ['isb_queue_submissions{state="queued"}', 'isb_upload_bytes_in_progress', 'isb_gt_cache_bytes', 'isb_baseline_runs_total{outcome="started"}', 'process_resident_memory_bytes{process="server"}']) {
    assert.ok(before.has(name), `${name} is exported`);
  }
  assert.equal(before.get('isb_submissions_total{outcome="finished"}'), 0);

  const up = await request(srv.server).post('/api/submissions').set('Authorization', `Bearer ${alice}`).field('benchmark', VAL).attach('file', preds.zips.validation).expect(202);
  await waitFor(async () => (await request(srv.server).get(`/api/submissions/${up.body.id}`).set('Authorization', `Bearer ${alice}`)).body.status === 'finished', 60_000, 'the scoring');
  const notZip = join(work, 'not.zip');
  writeFileSync(notZip, 'not a zip at all');
  await request(srv.server).post('/api/submissions').set('Authorization', `Bearer ${alice}`).field('benchmark', VAL).attach('file', notZip).expect(400);

  const after = await scrape();
  assert.equal(after.get('isb_submissions_total{outcome="accepted"}'), 1);
  assert.equal(after.get('isb_submissions_total{outcome="finished"}'), 1);
  assert.equal(after.get('isb_submissions_total{outcome="rejected"}'), 1);
  assert.equal(after.get('isb_upload_problems_total{code="zip-unreadable"}'), 1);
  assert.equal(after.get('isb_scoring_duration_seconds_count{outcome="result"}'), 1);
  assert.equal(after.get('isb_scoring_images_per_second_count'), 1);
  assert.equal(after.get('isb_gt_cache_lookups_total{result="miss"}'), 1, 'the first scoring decodes the GT');
  assert.ok(after.get('isb_gt_cache_bytes')! > 0);
  // latency by route pattern, never one series per submission id
  const routes = [...after.keys()].filter((k) => k.startsWith('isb_http_request_duration_seconds_count'));
  assert.ok(routes.some((k) => k.includes('route="/api/submissions/:id"')), routes.join('\n'));
  assert.ok(!routes.some((k) => new RegExp(`route="/api/submissions/${up.body.id}"`).test(k)), routes.join('\n'));
});

test('a host where ONNX Runtime does not load serves everything but baselines, and says why in the log and on the admin page', async () => {
  const lines: string[] = [];
  const pino = (await import('pino')).default;
  const log = pino({ level: 'info' }, { write: (l: string) => { lines.push(l); } });
  const { loadConfig } = await import('../server/config.ts');
  const { startServer } = await import('../server/server.ts');
  const dataDir = mkdtempSync(join(tmpdir(), 'isb-noort-'));
  const s = await startServer(loadConfig({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', SCORING_WORKERS: '1' }), log,
    { probeRuntime: async () => ({ ok: false, reason: 'libonnxruntime.so.1: cannot open shared object file' }) });
  try {
    const { createUserWithToken } = await import('../server/domain/auth.ts');
    const root = createUserWithToken(s.q, 'root', true).token;
    await request(s.server).get('/').expect(200);
    await request(s.server).get(`/leaderboards/${VAL}`).expect(200);
    await waitFor(() => lines.some((l) => /baselines are unavailable/.test(l) && /cannot open shared object/.test(l)), 10_000, 'the log line');
    const page = await (await signedInAgent(s.server, root)).get('/admin').expect(200);
    assert.match(page.text, /unavailable: ONNX Runtime does not load here \(libonnxruntime\.so\.1: cannot open shared object file\)/);
    const r = await request(s.server).post('/api/admin/baselines').set('Authorization', `Bearer ${root}`).send({ model: '/nowhere', benchmark: VAL }).expect(503);
    assert.match(r.body.error, /baselines are unavailable on this server: ONNX Runtime does not load here/);
    const ready = (await request(s.server).get('/readyz').expect(200)).body;
    assert.match(ready.warnings.join('\n'), /^baselines: unavailable/m);
  } finally {
    await s.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('the real probe: ONNX Runtime loads here, in a child process, and the admin page names its version', async () => {
  const { probeOnnxRuntime } = await import('../server/domain/baselines.ts');
  const r = await probeOnnxRuntime();
  assert.ok(r.ok, JSON.stringify(r));
  assert.match(r.version, /^\d+\.\d+\.\d+/);
});
