/** Page routes that need no browser: sign-up (only where the host opens it), CSRF on it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { testServer } from './helpers/server.ts';

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
