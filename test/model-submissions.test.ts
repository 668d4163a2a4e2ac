/**
 * Model submissions through the server (issue 21): a bundle uploaded in the field "model" is checked
 * at upload (coded problems, nothing queued, no quota used), run by the server in a watched child
 * process, and its predictions scored like any upload. The networks come from Debian's PyTorch with
 * random weights (nothing is downloaded); the server's metrics are held to those of the same
 * network's predictions made by PyTorch and uploaded as a zip.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import pino from 'pino';
import { loadConfig } from '../server/config.ts';
import { startServer } from '../server/server.ts';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import request from 'supertest';
import { signedInAgent, testServer, waitFor, type TestServer } from './helpers/server.ts';
import { craftZip } from './helpers/zip.ts';
import { zipDirectory } from '../datasets/imagenet-s/zip-write.ts';
import { checkModel } from '../server/domain/models.ts';
import { TOOLBOX, toolboxSkip } from './helpers/golden.ts';
import { QuotaExceeded } from '../server/domain/errors.ts';

const ROOT = resolve(import.meta.dirname, '..');
const PY = '/usr/bin/python3';
const probe = spawnSync(PY, ['-c', 'import onnx, numpy, torch, torchvision'], { encoding: 'utf8' });
const skip = probe.status === 0 ? false : `${PY} with onnx, numpy, torch and torchvision not found (.ci/run installs python3-onnx, python3-torch, python3-torchvision)`;
const VAL = 'imagenetsmini.semi-supervised.validation';
const TIMEOUT = 4;

const work = mkdtempSync(join(tmpdir(), 'isb-models-'));
let srv: TestServer, alice: string, bob: string;
let images: string, names: string, C: number;

before(async () => {
  if (skip) return;
  srv = await testServer({ MODEL_TIMEOUT_SECONDS: String(TIMEOUT), MODEL_MEMORY_MB: '400', BASELINE_DEVICE: 'cpu', QUOTA_VALIDATION_PER_DAY: '20' });
  alice = srv.user('alice');
  bob = srv.user('bob');
  const b = srv.catalogue.benchmarks.get(VAL)!;
  C = b.classes;
  images = join(b.split.dir, 'validation');
  names = join(work, 'names.txt');
  writeFileSync(names, b.masks.map((m) => `${m.replace(/\.png$/, '.JPEG')} ${m}`).join('\n') + '\n');
  const r = spawnSync(PY, [join(ROOT, 'test/helpers/make_onnx.py'), work, String(C)], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});
after(async () => {
  await srv?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

const api = () => request(srv.server);
function send(token: string, field: 'file' | 'model', path: string, benchmark = VAL) {
  return api().post('/api/submissions').set('Authorization', `Bearer ${token}`).field('benchmark', benchmark).attach(field, path);
}
async function settled(token: string, id: number, ms = 120_000) {
  return waitFor(async () => {
    const r = await api().get(`/api/submissions/${id}`).set('Authorization', `Bearer ${token}`);
    return ['finished', 'failed', 'cancelled'].includes(r.body.status) ? r.body : undefined;
  }, ms, `submission ${id}`);
}
/** The statuses a submission's SSE stream reports until it ends. */
async function events(id: number, token: string): Promise<string[]> {
  const res = await fetch(`${srv.url}/api/submissions/${id}/events`, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  return [...text.matchAll(/"status":"(\w+)"/g)].map((m) => m[1]);
}
/** The sha256 of a file the API serves to `token`'s user (200 expected). */
async function sha256Of(url: string, token: string): Promise<string> {
  const r = await api().get(url).set('Authorization', `Bearer ${token}`).buffer(true).parse((res, cb) => { const c: Buffer[] = []; res.on('data', (d: Buffer) => c.push(d)); res.on('end', () => cb(null, Buffer.concat(c))); }).expect(200);
  return createHash('sha256').update(r.body as Buffer).digest('hex');
}
async function graphBundle(name: string, graph: string): Promise<string> {
  const path = join(work, `${name}.zip`);
  const spec = { version: 1, classes: C, input: { resize_short_side: null, max_long_side: null, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }, output: 'logits' };
  await craftZip(path, (z) => { z.addBuffer(readFileSync(join(work, `${graph}.onnx`)), 'model.onnx'); z.addBuffer(Buffer.from(JSON.stringify(spec)), 'model.json'); });
  return path;
}

test('a stride-1 network exported from PyTorch, submitted as a model: queued → running → scoring → finished, metrics equal to PyTorch\'s own predictions uploaded as a zip; the row says the server ran it', { skip, timeout: 300_000 }, async () => {
  const bundle = join(work, 'stride1.zip'), torchPred = join(work, 'torch-pred');
  const made = spawnSync(PY, [join(ROOT, 'test/helpers/torch_stride1.py'), '--images', images, '--names', names, '--classes', String(C), '--bundle', bundle, '--pred', torchPred], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  const up = await send(alice, 'model', bundle).expect(202);
  assert.equal(up.body.status, 'queued');
  const seen = await events(up.body.id, alice);
  assert.ok(seen.includes('running') && seen.includes('scoring') && seen.at(-1) === 'finished', `states seen: ${seen.join(' ')}`);
  assert.ok(seen.indexOf('running') < seen.indexOf('scoring'));
  const ours = await settled(alice, up.body.id);
  assert.equal(ours.status, 'finished', JSON.stringify(ours.problems ?? ours.error));
  const zip = join(work, 'torch-pred.zip');
  await zipDirectory(torchPred, zip);
  const theirs = await settled(alice, (await send(alice, 'file', zip).expect(202)).body.id);
  assert.equal(theirs.status, 'finished');
  assert.deepEqual(ours.metrics, theirs.metrics);
  assert.ok(ours.metrics.mIoU > 0);
  // what the row says of the model: its hash, the runtime and provider that ran it
  const sha = createHash('sha256').update(readFileSync(bundle)).digest('hex');
  assert.equal(ours.model.sha256, sha);
  assert.equal(ours.model.state, 'ran');
  assert.match(ours.model.run.runtime, /^onnxruntime-node 1\.\d+\.\d+$/);
  assert.equal(ours.model.run.provider, 'cpu');
  assert.equal(ours.model.run.images, 36);
  assert.equal(ours.method, null, 'model.json gave no method, the form none');
  // the bundle: private to its owner until published
  assert.equal(ours.model.download_url, `/api/submissions/${ours.id}/model.zip`);
  assert.equal(await sha256Of(ours.model.download_url, alice), sha);
  // the predictions the run made, as scored (their hash is the score's provenance)
  assert.equal(await sha256Of(ours.model.predictions_url, alice), ours.provenance.predictionsSha256);
  const asBob = await api().get(`/api/submissions/${ours.id}`).set('Authorization', `Bearer ${bob}`).expect(200);
  assert.equal(asBob.body.model.download_url, null);
  assert.equal(asBob.body.model.predictions_url, null);
  await api().get(ours.model.predictions_url).set('Authorization', `Bearer ${bob}`).expect(404);
  await api().get(ours.model.download_url).set('Authorization', `Bearer ${bob}`).expect(404);
  await api().patch(`/api/submissions/${ours.id}`).set('Authorization', `Bearer ${bob}`).send({ model_public: true }).expect(404);
  await api().patch(`/api/submissions/${ours.id}`).set('Authorization', `Bearer ${alice}`).send({ model_public: true }).expect(200);
  await api().get(ours.model.download_url).expect(200);
  // the board row: a model run by the server
  const board = await api().get(`/api/leaderboards/${VAL}?all=1`).expect(200);
  const row = board.body.rows.find((r: { submission: number }) => r.submission === ours.id);
  assert.equal(row.model.sha256, sha);
  assert.equal(row.model.download_url, ours.model.download_url);
  assert.equal(board.body.rows.find((r: { submission: number }) => r.submission === theirs.id).model, null);
  // the CSV export says which rows the server ran, by hash
  const csv = (await api().get(`/api/leaderboards/${VAL}.csv?all=1`).expect(200)).text.split('\r\n');
  assert.deepEqual(csv[0].split(',').slice(-3), ['model_sha256', 'model_runtime', 'model_provider']);
  assert.equal(csv.filter((l) => l.includes(`"${sha}"`)).length, 1);
});

test('LR-ASPP (stride 8) from docs/examples/export_model.py with resize_short_side: the server\'s run agrees with PyTorch\'s within 0.05 pp mIoU', { skip, timeout: 300_000 }, async () => {
  const bundle = join(work, 'lraspp.zip'), torchPred = join(work, 'lraspp-pred');
  const made = spawnSync(PY, [join(ROOT, 'docs/examples/export_model.py'), '--classes', String(C), '--out', bundle, '--resize-short-side', '96',
    '--predict-images', images, '--predict-names', names, '--predict-out', torchPred], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  const ours = await settled(alice, (await send(alice, 'model', bundle).expect(202)).body.id);
  assert.equal(ours.status, 'finished', JSON.stringify(ours.problems ?? ours.error));
  assert.equal(ours.method, 'LR-ASPP MobileNetV3-Large', 'from model.json');
  const zip = join(work, 'lraspp-pred.zip');
  await zipDirectory(torchPred, zip);
  const theirs = await settled(alice, (await send(alice, 'file', zip).expect(202)).body.id);
  assert.ok(Math.abs(ours.metrics.mIoU - theirs.metrics.mIoU) <= 0.05, `${ours.metrics.mIoU} against ${theirs.metrics.mIoU}`);
});

test('refused at upload with named codes, nothing queued and no quota used: external data ../../../../etc/passwd, not ONNX, channels against classes, a custom-domain operator', { skip, timeout: 120_000 }, async () => {
  const before = (await api().get('/api/submissions').set('Authorization', `Bearer ${bob}`)).body.length;
  const cases: [string, string | Buffer, string][] = [
    ['escape', 'external-escape', 'model-external-data'], ['text', Buffer.from('not a model'), 'model-not-onnx'],
    ['wrong', 'wrong-channels', 'model-output'], ['custom', 'custom-domain', 'model-domain'],
  ];
  for (const [name, graph, code] of cases) {
    const path = typeof graph === 'string' ? await graphBundle(name, graph) : join(work, `${name}.zip`);
    if (typeof graph !== 'string') await craftZip(path, (z) => { z.addBuffer(graph, 'model.onnx'); z.addBuffer(Buffer.from(JSON.stringify({ version: 1, classes: C, input: { resize_short_side: null, mean: [0, 0, 0], std: [1, 1, 1] }, output: 'logits' })), 'model.json'); });
    const r = await send(bob, 'model', path).expect(400);
    assert.deepEqual(r.body.problems.map((p: { code: string }) => p.code), [code], name);
    assert.equal(r.body.problems[0].file, 'model.onnx');
    if (name === 'escape') assert.equal(r.body.problems[0].details.location, '../../../../etc/passwd');
  }
  assert.equal((await api().get('/api/submissions').set('Authorization', `Bearer ${bob}`)).body.length, before);
});

test('a model that never ends on the benchmark\'s images fails with model-timeout within MODEL_TIMEOUT_SECONDS plus a few seconds, one that outgrows its memory with model-out-of-memory; the server answers and scores others meanwhile', { skip, timeout: 180_000 }, async () => {
  const loop = (await send(bob, 'model', await graphBundle('loop', 'loop-on-large')).expect(202)).body.id;
  // a zip submitted while the model runs is scored meanwhile (the runner has a lane of its own)
  const zip = join(work, 'torch-pred.zip');
  const other = (await send(alice, 'file', zip).expect(202)).body.id;
  const running = await waitFor(async () => (await api().get(`/api/submissions/${loop}`).set('Authorization', `Bearer ${bob}`)).body.status === 'running' && performance.now(), 30_000, 'the run');
  const scored = await settled(alice, other, 60_000);
  assert.equal(scored.status, 'finished');
  assert.equal((await api().get(`/api/submissions/${loop}`).set('Authorization', `Bearer ${bob}`)).body.status, 'running', 'scored while the model ran');
  const t = performance.now();
  await api().get('/healthz').expect(200);
  assert.ok(performance.now() - t < 1000, 'the server answers at once');
  const failed = await settled(bob, loop, 60_000);
  const seconds = (performance.now() - running) / 1000;
  assert.equal(failed.status, 'failed');
  assert.deepEqual(failed.problems.map((p: { code: string }) => p.code), ['model-timeout']);
  assert.ok(seconds < TIMEOUT + 8, `failed ${seconds.toFixed(1)} s after it started running`);
  const hog = await settled(bob, (await send(bob, 'model', await graphBundle('hog', 'hog-on-large')).expect(202)).body.id, 60_000);
  assert.equal(hog.status, 'failed');
  assert.deepEqual(hog.problems.map((p: { code: string }) => p.code), ['model-out-of-memory']);
  assert.match(hog.error, /memory ceiling of 400 MiB/);
});

test('a cancel stops a model run at once; the daily compute budget refuses a model projected past it', { skip, timeout: 120_000 }, async () => {
  const id = (await send(bob, 'model', await graphBundle('loop2', 'loop-on-large')).expect(202)).body.id;
  await waitFor(async () => (await api().get(`/api/submissions/${id}`).set('Authorization', `Bearer ${bob}`)).body.status === 'running', 30_000, 'the run');
  const t = performance.now();
  await api().delete(`/api/submissions/${id}`).set('Authorization', `Bearer ${bob}`).expect(200);
  assert.equal((await settled(bob, id)).status, 'cancelled');
  // the run's child process is gone: another model runs at once
  const next = await settled(bob, (await send(bob, 'model', await graphBundle('logits', 'logits')).expect(202)).body.id, 60_000);
  assert.equal(next.status, 'finished');
  assert.ok((performance.now() - t) / 1000 < 30);
  // the budget: bob's runs today took at least the timed-out one's MODEL_TIMEOUT_SECONDS; the
  // projection of a model not yet run counts until it runs
  const row = srv.q.submission(next.id)!;
  const used = srv.q.computeUsed(row.user_id, '1970-01-01');
  assert.ok(row.model_projected_seconds! > 0 && used >= TIMEOUT, `used ${used}`);
  const limits = { maxBytes: 64 << 20, timeoutSeconds: TIMEOUT, memoryBytes: 400 << 20 };
  const ctx = (secondsPerDay: number) => ({ q: srv.q, catalogue: srv.catalogue, models: { ...limits, secondsPerDay }, runtime: async () => ({ ok: true }) });
  const bobUser = { id: row.user_id, name: 'bob', isAdmin: false, tokenId: 0 };
  const path = await graphBundle('logits-again', 'logits');
  const upload = { path, bytes: statSync(path).size, sha256: 'x'.repeat(64) };
  const day = { start: '1970-01-01T00:00:00.000Z', next: '2999-01-01T00:00:00.000Z' };
  await assert.rejects(checkModel(ctx(Math.floor(used)), bobUser, srv.catalogue.benchmarks.get(VAL)!, upload, day), (e: Error) => e instanceof QuotaExceeded && /daily compute budget reached/.test(e.message));
  assert.ok((await checkModel(ctx(Math.ceil(used) + 60), bobUser, srv.catalogue.benchmarks.get(VAL)!, upload, day)).insert.model_projected_seconds! > 0);
});

test('fully unsupervised: a model gets the default match on validation and applies it on test, as PASS baselines do; on test first it is refused with model-match-missing', { skip, timeout: 300_000 }, async () => {
  const bundle = join(work, 'stride1.zip'); // the first test's export
  const [val, testB] = ['imagenetsmini.fully-unsupervised.validation', 'imagenetsmini.fully-unsupervised.test'];
  const early = await send(bob, 'model', bundle, testB).expect(400);
  assert.deepEqual(early.body.problems.map((p: { code: string }) => p.code), ['model-match-missing']);
  assert.equal(early.body.problems[0].details.validation, val);
  const v = await settled(bob, (await send(bob, 'model', bundle, val).expect(202)).body.id);
  assert.equal(v.status, 'finished', JSON.stringify(v.problems ?? v.error));
  assert.equal(v.match, 'default matching (computed)');
  const computed = srv.q.submission(v.id)!.computed_match;
  assert.ok(computed);
  const t = await settled(bob, (await send(bob, 'model', bundle, testB).expect(202)).body.id);
  assert.equal(t.status, 'finished', JSON.stringify(t.problems ?? t.error));
  assert.deepEqual(JSON.parse(srv.q.submission(t.id)!.match!), JSON.parse(computed));
});

test('pages: /submit offers "predictions zip" or "model"; a model sent by the form goes to its page; the page and the board show "model run by the server" with the sha256, runtime and provider; its owner publishes it by a form', { skip, timeout: 300_000 }, async () => {
  const agent = await signedInAgent(srv.server, alice);
  const form = await agent.get('/submit').expect(200);
  assert.match(form.text, /name="kind" value="model"/);
  assert.match(form.text, /<input type="file" id="model" name="model"/);
  assert.match(form.text, /runner minutes left today/);
  const csrf = /name="_csrf" value="([^"]+)"|_csrf=([^"&]+)/.exec(form.text)!;
  const token = csrf[1] ?? csrf[2];
  const bundle = join(work, 'stride1.zip');
  const sent = await agent.post(`/submit?_csrf=${token}`).field('benchmark', VAL).field('kind', 'model').field('method', 'Stride-1 net').attach('model', bundle).attach('file', Buffer.alloc(0), { filename: '' });
  assert.equal(sent.status, 303, /Not submitted:<\/strong>[^<]*/.exec(sent.text)?.[0]);
  const id = Number(/\/submissions\/(\d+)$/.exec(sent.headers.location)![1]);
  const done = await settled(alice, id);
  assert.equal(done.status, 'finished');
  const page = (await agent.get(`/submissions/${id}`).expect(200)).text;
  assert.match(page, /model run by the server/);
  assert.ok(page.includes(done.model.sha256));
  assert.match(page, /onnxruntime-node 1\.\d+\.\d+, execution provider <code>cpu<\/code>/);
  assert.match(page, /Predictions zip the server made/);
  assert.match(page, /Publish the model/);
  // the form publishes; anyone then sees the download link on the board
  const pageToken = /name="_csrf" value="([^"]+)"/.exec(page)![1];
  await agent.post(`/submissions/${id}/model`).type('form').send({ _csrf: pageToken, public: 'true' }).expect(303);
  const board = (await api().get(`/leaderboards/${VAL}?all=true`).expect(200)).text;
  assert.match(board, /<span class="badge model"/);
  assert.ok(board.includes(`href="/api/submissions/${id}/model.zip"`));
  // a stranger's view of the page: the link, no publish form
  const publicPage = (await api().get(`/submissions/${id}`).expect(200)).text;
  assert.ok(publicPage.includes(`/api/submissions/${id}/model.zip`));
  assert.doesNotMatch(publicPage, /Make the model private again/);
});

test('at start, work folders of model runs a crash left behind are removed (all of them without a queue), and a folder in submissions/ does not stop the start', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'isb-stale-'));
  mkdirSync(join(dir, 'model-runs', 'run-7-abc', 'pred'), { recursive: true });
  writeFileSync(join(dir, 'model-runs', 'run-7-abc', 'pred', 'x.png'), 'x');
  mkdirSync(join(dir, 'submissions', 'not-a-submission'), { recursive: true });
  const config = loadConfig({ DATA_DIR: dir, PORT: '0', HOST: '127.0.0.1', SCORING_WORKERS: '1', LOG_LEVEL: 'silent' });
  const s = await startServer(config, pino({ level: 'silent' }));
  try {
    assert.deepEqual(readdirSync(join(dir, 'model-runs')), []);
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('acceptance on a 50-class validation benchmark (synth --like ImageNetS50, a tenth of the images): a stride-1 network\'s model submission scores exactly as PyTorch\'s own predictions uploaded as a zip', { skip: skip || toolboxSkip, timeout: 300_000 }, async () => {
  const root = join(work, 's50');
  const made = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/dataset.ts'), 'synth', '--out', root, '--like', 'ImageNetS50', '--toolbox', TOOLBOX, '--scale', '0.1', '--seed', '5'], { encoding: 'utf8', cwd: ROOT });
  assert.equal(made.status, 0, made.stderr);
  const s50 = await testServer({ IMAGENETS_ROOT: root, BASELINE_DEVICE: 'cpu' });
  try {
    const B = 'imagenets50.semi-supervised.validation';
    const b = s50.catalogue.benchmarks.get(B)!;
    assert.equal(b.classes, 50);
    const list = join(work, 's50-names.txt');
    writeFileSync(list, b.masks.map((m) => `${m.replace(/\.png$/, '.JPEG')} ${m}`).join('\n') + '\n');
    const bundle = join(work, 's50-stride1.zip'), torchPred = join(work, 's50-torch');
    const exp = spawnSync(PY, [join(ROOT, 'test/helpers/torch_stride1.py'), '--images', join(b.split.dir, 'validation'), '--names', list, '--classes', '50', '--bundle', bundle, '--pred', torchPred], { encoding: 'utf8' });
    assert.equal(exp.status, 0, exp.stderr);
    const token = s50.user('researcher');
    const post = async (field: 'file' | 'model', path: string) => { const r = await request(s50.server).post('/api/submissions').set('Authorization', `Bearer ${token}`).field('benchmark', B).attach(field, path); assert.equal(r.status, 202, JSON.stringify(r.body)); return r; };
    const wait = (id: number) => waitFor(async () => { const r = await request(s50.server).get(`/api/submissions/${id}`).set('Authorization', `Bearer ${token}`); return ['finished', 'failed'].includes(r.body.status) ? r.body : undefined; }, 200_000, `submission ${id}`);
    const ours = await wait((await post('model', bundle)).body.id);
    assert.equal(ours.status, 'finished', JSON.stringify(ours.problems ?? ours.error));
    const zip = join(work, 's50-torch.zip');
    await zipDirectory(torchPred, zip);
    const theirs = await wait((await post('file', zip)).body.id);
    assert.equal(theirs.status, 'finished');
    assert.deepEqual(ours.metrics, theirs.metrics);
    assert.equal(ours.model.run.images, b.masks.length);
  } finally {
    await s50.cleanup();
  }
});
