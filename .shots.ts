import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { chromium } from 'playwright-core';
import { testServer, waitFor, miniPredictions } from './test/helpers/server.ts';

const srv = await testServer({ BASELINE_DEVICE: 'cpu' });
const alice = srv.user('alice');
const VAL = 'imagenetsmini.semi-supervised.validation';
const b = srv.catalogue.benchmarks.get(VAL)!;
const work = '/tmp/shots/work'; mkdirSync(work, { recursive: true });
const names = join(work, 'names.txt');
writeFileSync(names, b.masks.map((m) => `${m.replace(/\.png$/, '.JPEG')} ${m}`).join('\n') + '\n');
const r = spawnSync('/usr/bin/python3', ['docs/examples/export_model.py', '--classes', String(b.classes), '--out', join(work, 'm.zip'), '--resize-short-side', '96'], { encoding: 'utf8' });
if (r.status) throw new Error(r.stderr);
const api = () => request(srv.server);
const up = await api().post('/api/submissions').set('Authorization', `Bearer ${alice}`).field('benchmark', VAL).attach('model', join(work, 'm.zip'));
const id = up.body.id;
const { zips } = await miniPredictions(join(work, 'p'));
for (const u of ['bob', 'carol']) { const t = srv.user(u); await api().post('/api/submissions').set('Authorization', `Bearer ${t}`).field('benchmark', VAL).field('method', `${u}'s method`).attach('file', zips.validation); }
await waitFor(async () => (await api().get(`/api/submissions/${id}`).set('Authorization', `Bearer ${alice}`)).body.status === 'finished', 120_000);
await api().patch(`/api/submissions/${id}`).set('Authorization', `Bearer ${alice}`).send({ model_public: true });
await new Promise((r) => setTimeout(r, 3000));
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
const ctx = await browser.newContext({ viewport: { width: 1300, height: 900 } });
const page = await ctx.newPage();
await page.goto(`${srv.url}/login`);
await page.fill('input[name="token"]', alice);
await page.locator('form:has(input[name="token"]) button').click(); await page.waitForLoadState();
for (const [n, url, w] of [['submit', '/submit', 1000], ['sub', `/submissions/${id}`, 1300], ['board', `/leaderboards/${VAL}?all=true`, 1300], ['board-narrow', `/leaderboards/${VAL}?all=true`, 400]] as const) {
  await page.setViewportSize({ width: w, height: 900 });
  await page.goto(`${srv.url}${url}`);
  await page.screenshot({ path: `/tmp/shots/${n}.png`, fullPage: true });
}
// a running model's page
const slow = await api().post('/api/submissions').set('Authorization', `Bearer ${alice}`).field('benchmark', VAL).attach('model', join(work, 'm.zip'));
await waitFor(async () => (await api().get(`/api/submissions/${slow.body.id}`).set('Authorization', `Bearer ${alice}`)).body.status === 'running', 60_000);
await page.setViewportSize({ width: 1000, height: 700 });
await page.goto(`${srv.url}/submissions/${slow.body.id}`);
await new Promise((r) => setTimeout(r, 1500));
await page.screenshot({ path: `/tmp/shots/running.png` });
await browser.close();
await srv.cleanup();
console.log('done');
