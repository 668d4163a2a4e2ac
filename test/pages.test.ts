/** Page routes that need no browser: sign-up (only where the host opens it), CSRF on it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { get } from 'node:http';
import { writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { miniPredictions, testServer } from './helpers/server.ts';

/** The CSRF cookie and the token a page's form carries. */
async function formToken(agent: ReturnType<typeof request.agent>, path: string): Promise<string> {
  const r = await agent.get(path).expect(200);
  const m = /name="_csrf" value="([^"]+)"/.exec(r.text);
  assert.ok(m, `a form with a CSRF token on ${path}`);
  return m[1];
}

test('sign-up: absent unless OPEN_SIGNUP; makes an account, signs it in, checks names and passwords', async () => {
  const closed = await testServer();
  try {
    await request(closed.server).get('/signup').expect(404);
    assert.doesNotMatch((await request(closed.server).get('/login').expect(200)).text, /href="\/signup"/);
  } finally {
    await closed.cleanup();
  }
  const open = await testServer({ OPEN_SIGNUP: 'true' });
  try {
    const agent = request.agent(open.server);
    assert.match((await agent.get('/login').expect(200)).text, /href="\/signup"/);
    const csrf = await formToken(agent, '/signup');
    const short = await agent.post('/signup').type('form').send({ _csrf: csrf, username: 'dana', password: 'short' }).expect(200);
    assert.match(short.text, /at least 10 characters/);
    const bad = await agent.post('/signup').type('form').send({ _csrf: csrf, username: '<b>x</b>', password: 'long enough password' }).expect(200);
    assert.match(bad.text, /a user name is 1–64 letters/);
    await agent.post('/signup').type('form').send({ _csrf: csrf, username: 'dana', password: 'long enough password' }).expect(303).expect('location', '/me');
    const me = await agent.get('/me').expect(200);
    assert.match(me.text, /<h1>dana<\/h1>/);
    const again = await request(open.server).post('/signup').type('form').send({ username: 'eve', password: 'long enough password' });
    assert.equal(again.status, 403, 'no CSRF token, no account');
    // the CSRF token is renewed at sign-up: the one a page showed before no longer works
    await agent.post('/signup').type('form').send({ _csrf: csrf, username: 'fred', password: 'long enough password' }).expect(403);
    const taken = await agent.post('/signup').type('form').send({ _csrf: await formToken(agent, '/signup'), username: 'dana', password: 'long enough password' }).expect(200);
    assert.match(taken.text, /user &quot;dana&quot; exists/);
  } finally {
    await open.cleanup();
  }
});

/** The raw bytes of an answer as they crossed the wire, and its headers. */
function raw(url: string, headers: Record<string, string>): Promise<{ status: number; headers: import('node:http').IncomingHttpHeaders; bytes: Buffer }> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, bytes: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

test('pages and JSON are sent compressed to clients that accept it, with their ETags; server-sent events are not', async () => {
  const srv = await testServer();
  try {
    const token = srv.user('zed');
    for (const path of ['/', '/leaderboards/imagenetsmini.semi-supervised.validation', '/api/benchmarks', '/api/splits/imagenetsmini/classes']) {
      const plain = await raw(`${srv.url}${path}`, {});
      const zipped = await raw(`${srv.url}${path}`, { 'accept-encoding': 'gzip' });
      assert.equal(plain.status, 200, path);
      assert.equal(plain.headers['content-encoding'], undefined, `${path}: plain unless asked`);
      if (plain.bytes.length < 1024) continue; // below the threshold: not worth it
      assert.equal(zipped.headers['content-encoding'], 'gzip', path);
      assert.deepEqual(gunzipSync(zipped.bytes), plain.bytes, `${path}: the same bytes`);
      assert.ok(zipped.bytes.length < plain.bytes.length / 2, `${path}: ${plain.bytes.length} → ${zipped.bytes.length}`);
    }
    const page = await raw(`${srv.url}/`, { 'accept-encoding': 'gzip' });
    assert.ok(page.headers.etag, 'the ETag is kept');
    // progress events stay uncompressed (each must leave at once)
    const { zips } = await miniPredictions(join(srv.dataDir, 'p'));
    const sub = await request(srv.server).post('/api/submissions').set('Authorization', `Bearer ${token}`).field('benchmark', 'imagenetsmini.semi-supervised.validation').attach('file', zips.validation).expect(202);
    const events = await new Promise<import('node:http').IncomingHttpHeaders>((resolve, reject) => {
      const r = get(`${srv.url}/api/submissions/${sub.body.id}/events`, { headers: { 'accept-encoding': 'gzip', authorization: `Bearer ${token}` } }, (res) => { resolve(res.headers); res.destroy(); });
      r.on('error', reject);
    });
    assert.equal(events['content-type'], 'text/event-stream');
    assert.equal(events['content-encoding'], undefined);
  } finally {
    await srv.cleanup();
  }
});

test('signed out, /admin and /me lead to the sign-in form and back; a signed-in non-admin is told /admin is for admins', async () => {
  const srv = await testServer();
  try {
    for (const path of ['/admin', '/me']) await request(srv.server).get(path).expect(303).expect('location', `/login?next=${encodeURIComponent(path)}`);
    const agent = request.agent(srv.server);
    const csrf = await formToken(agent, '/login');
    await agent.post('/login').type('form').send({ _csrf: csrf, next: '/admin', token: srv.user('nobody') }).expect(303).expect('location', '/admin');
    assert.match((await agent.get('/admin').expect(403)).text, /admins only/);
  } finally {
    await srv.cleanup();
  }
});

test('a refused upload shows the form again with what was typed (escaped), the benchmark still chosen', async () => {
  const srv = await testServer();
  try {
    const agent = request.agent(srv.server);
    const csrf = await formToken(agent, '/login');
    await agent.post('/login').type('form').send({ _csrf: csrf, next: '/submit', token: srv.user('typist') }).expect(303);
    const token = await formToken(agent, '/submit');
    const notZip = join(srv.dataDir, 'notes.zip');
    writeFileSync(notZip, 'not a zip at all');
    const r = await agent.post(`/submit?_csrf=${token}`).field('benchmark', 'imagenetsmini.free.validation').field('method', 'My "net" <v2>')
      .field('description', 'two\nlines').field('link', 'https://example.org/p').field('private', 'true').attach('file', notZip).expect(200);
    assert.match(r.text, /zip-unreadable/);
    assert.match(r.text, /<h3>How to fix<\/h3><dl class="hints"><dt><code>zip-unreadable<\/code><\/dt><dd>Upload a \.zip made with a standard tool/);
    assert.match(r.text, /<option value="imagenetsmini\.free\.validation" selected>/);
    assert.match(r.text, /name="method" maxlength="200" value="My &quot;net&quot; &lt;v2&gt;"/);
    assert.match(r.text, /rows="3" cols="60">two\nlines<\/textarea>/);
    assert.match(r.text, /value="https:\/\/example\.org\/p"/);
    assert.match(r.text, /name="private" value="true" checked>/);
  } finally {
    await srv.cleanup();
  }
});

test('a board links its names list (downloadable, the list the API serves) and a submit form with the benchmark chosen; a split page links every subset\'s list', async () => {
  const srv = await testServer();
  try {
    const B = 'imagenetsmini.semi-supervised.validation';
    const board = (await request(srv.server).get(`/leaderboards/${B}`).expect(200)).text;
    const list = /href="(\/api\/splits\/[^"]+\/list)" download/.exec(board)![1];
    const names = (await request(srv.server).get(list).expect(200)).text.trim().split('\n');
    assert.equal(names.length, srv.catalogue.benchmarks.get(B)!.masks.length);
    assert.match(board, new RegExp(`href="/submit\\?benchmark=${B.replace(/\./g, '\\.')}">Submit to this benchmark`));
    const agent = request.agent(srv.server);
    const csrf = await formToken(agent, '/login');
    await agent.post('/login').type('form').send({ _csrf: csrf, next: '/', token: srv.user('sub') }).expect(303);
    assert.match((await agent.get(`/submit?benchmark=${B}`).expect(200)).text, new RegExp(`<option value="${B.replace(/\./g, '\\.')}" selected>`));
    const split = (await request(srv.server).get('/datasets/imagenetsmini').expect(200)).text;
    for (const subset of ['validation', 'test']) {
      assert.match(split, new RegExp(`href="/api/splits/imagenetsmini/${subset}/list" download`));
      await request(srv.server).get(`/api/splits/imagenetsmini/${subset}/list`).expect(200);
    }
  } finally {
    await srv.cleanup();
  }
});
