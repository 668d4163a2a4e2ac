/**
 * One access policy per resource (server/domain/access.ts): the API and the pages answer the same
 * for the same viewer and submission, whoever asks.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { miniPredictions, signedInAgent, testServer, waitFor, type TestServer } from './helpers/server.ts';

const VAL = 'imagenetsmini.semi-supervised.validation', TEST = 'imagenetsmini.semi-supervised.test';
const work = mkdtempSync(join(tmpdir(), 'isb-access-'));
let srv: TestServer;
let alice: string, bob: string;
let zips: { validation: string; test: string };
before(async () => {
  srv = await testServer();
  alice = srv.user('alice');
  bob = srv.user('bob');
  ({ zips } = await miniPredictions(join(work, 'p')));
});
after(async () => { await srv.cleanup(); rmSync(work, { recursive: true, force: true }); });

async function scored(benchmark: string, zip: string): Promise<number> {
  const r = await request(srv.server).post('/api/submissions').set('Authorization', `Bearer ${alice}`).field('benchmark', benchmark).attach('file', zip).expect(202);
  await waitFor(() => srv.q.submission(r.body.id)?.status === 'finished', 30_000, 'scored');
  return r.body.id;
}

/** What the API and the page each answer one viewer (null: anonymous) for one submission. */
async function both(viewer: string | null, id: number, path = '') {
  const api = request(srv.server).get(`/api/submissions/${id}${path}`);
  if (viewer) api.set('Authorization', `Bearer ${viewer}`);
  const page = viewer ? (await signedInAgent(srv.server, viewer)).get(`/submissions/${id}${path}`) : request(srv.server).get(`/submissions/${id}${path}`);
  const [a, p] = await Promise.all([api, page]);
  return { api: a, page: p };
}

test('a board entry: the same answer from the API and the page for its owner, another user and an anonymous visitor', async () => {
  const id = await scored(VAL, zips.validation);
  for (const viewer of [alice, bob, null]) {
    const { api, page } = await both(viewer, id);
    assert.equal(api.status, 200);
    assert.equal(page.status, 200);
    assert.equal(api.body.owner, viewer === alice);
    assert.ok(api.body.classes?.length > 0, 'per-class results of a public-GT phase are public');
    const r = await both(viewer, id, '/result.json');
    assert.equal(r.api.status, 200);
    assert.equal(r.page.status, 200);
  }
  // changing it is its owner's alone, from either side
  await request(srv.server).patch(`/api/submissions/${id}`).set('Authorization', `Bearer ${bob}`).send({ method: 'mine now' }).expect(404);
  const bobPage = await signedInAgent(srv.server, bob);
  const form = await bobPage.get('/me').expect(200);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)![1];
  await bobPage.post(`/submissions/${id}/edit`).type('form').send({ _csrf: csrf, method: 'mine now' }).expect(404);
  await request(srv.server).post(`/api/admin/submissions/${id}/hide`).set('Authorization', `Bearer ${bob}`).send({ value: true }).expect(403);
  assert.equal(srv.q.submission(id)!.method, null);

  // private: its owner sees it; for everyone else it does not exist, on either side
  await request(srv.server).patch(`/api/submissions/${id}`).set('Authorization', `Bearer ${alice}`).send({ private: true }).expect(200);
  for (const viewer of [bob, null]) {
    const { api, page } = await both(viewer, id);
    assert.deepEqual([api.status, page.status], [404, 404]);
    const r = await both(viewer, id, '/result.json');
    assert.deepEqual([r.api.status, r.page.status], [404, 404]);
  }
  const own = await both(alice, id);
  assert.deepEqual([own.api.status, own.page.status], [200, 200]);
});

test('a private-GT phase: per-class results for the owner only (TEST_DETAIL=owner), no result.json for anyone, on both sides', async () => {
  const id = await scored(TEST, zips.test);
  const other = await both(bob, id);
  assert.deepEqual([other.api.status, other.page.status], [200, 200]);
  assert.equal(other.api.body.classes, undefined);
  assert.match(other.page.text, /Per-class results of a test submission are shown to its owner only/);
  const own = await both(alice, id);
  assert.ok(own.api.body.classes.length > 0);
  assert.doesNotMatch(own.page.text, /shown to its owner only/);
  for (const viewer of [alice, bob, null]) {
    const r = await both(viewer, id, '/result.json');
    assert.deepEqual([r.api.status, r.page.status], [404, 404]);
  }
});
