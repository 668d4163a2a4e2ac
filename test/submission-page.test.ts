/** Pages as functions of data: the submission page leads with what matters (a 919-class table stays short until asked); a board charts progress from two entries. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { submissionPage } from '../leaderboard-ui/pages/submission.ts';
import { niceTicks } from '../leaderboard-ui/charts.ts';
import { fakeBoard, fakeSubmission } from '../scripts/bench-pages.ts';
import { leaderboardPage } from '../leaderboard-ui/pages/leaderboard.ts';

const ctx = { viewer: null, csrf: 'x'.repeat(43), path: '/submissions/1' };
const rows = (html: string) => (/<table class="classes">[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(html)![1].match(/<tr[ >]/g) ?? []).length;

test('919 classes: the worst and best 25 by the chosen order, a link to all of them; all on demand; a search shows every match', () => {
  const d = { ...fakeSubmission(919), analysis: { confusion: [{ gt: { id: 1, name: 'a' }, predicted: { id: 2, name: 'b' }, pixels: 10 }], worst: [] } };
  const short = submissionPage(ctx, { ...d, table: { sort: 'IoU', order: 'desc', q: '' } }).value;
  assert.equal(rows(short), 25 + 1 + 25, 'two ends and the gap row');
  assert.match(short, /show all 920 classes<\/a>/);
  assert.match(short, /the first and last 25 of 920 classes/);
  // the ends are the best and the worst by IoU
  const ious = d.classes!.map((c) => c.IoU).sort((a, b) => b - a);
  const shownIoUs = [...short.matchAll(/<tr><td class="num">\d+<\/td><td>[^<]*<\/td><td class="hide-narrow"><code>[^<]*<\/code><\/td><td class="num">([\d.–]+)<\/td>/g)].map((m) => m[1]);
  assert.equal(shownIoUs.length, 50);
  assert.equal(shownIoUs[0], (Math.round(ious[0] * 100) / 100).toFixed(2));
  assert.equal(shownIoUs.at(-1), (Math.round(ious.at(-1)! * 100) / 100).toFixed(2));
  const all = submissionPage(ctx, { ...d, table: { sort: 'IoU', order: 'desc', q: '', all: true } }).value;
  assert.equal(rows(all), 920);
  const found = submissionPage(ctx, { ...d, table: { sort: 'id', order: 'asc', q: '1', all: false } }).value;
  assert.equal(rows(found), d.classes!.filter((c) => c.name.toLowerCase().includes('1') || (c.wnid ?? '').includes('1') || String(c.id) === '1').length);
  // what matters first: results, then where it went wrong and what it was scored against, then per class
  const at = (s: string) => short.indexOf(s);
  assert.ok(at('<h2>Results</h2>') < at('id="analysis"') && at('id="analysis"') < at('id="classes"'), 'analysis before the per-class table');
  assert.ok(short.length < all.length / 2, `${short.length} vs ${all.length} bytes`);
});

test('a board draws its progress chart only from the second entry on', () => {
  const board = (n: number) => leaderboardPage(ctx, {
    benchmark: { id: 'imagenets50.semi-supervised.validation', split: 'imagenets50', splitName: 'ImageNetS50', protocol: 'semi-supervised', phase: 'validation', classes: 50, images: 752, gtPrivate: false },
    rows: fakeBoard(n), history: fakeBoard(n), sort: 'mIoU', order: 'desc', all: true,
  }).value;
  assert.doesNotMatch(board(1), /over time; 1 submissions/);
  assert.match(board(1), /appears with the second entry/);
  assert.match(board(2), /aria-label="Best mIoU over time; 2 submissions, \d records?"/);
  // round ticks; the records labelled with their method; no NaN anywhere, whatever the values
  const page = board(40);
  const ticks = [...page.matchAll(/<text x="\d+(?:\.\d)?" y="[\d.]+" text-anchor="end">([\d.]+)<\/text>/g)].map((m) => Number(m[1]));
  assert.ok(ticks.length >= 3 && ticks.every((t) => Number.isInteger(t / 0.5)), `ticks ${ticks}`);
  assert.match(page, /<text class="record"[^>]*>Method \d+ \d+\.\d<\/text>/);
  assert.doesNotMatch(page, /NaN/);
});

test('round chart ticks: 1, 2, 2.5 or 5 × 10^k, 3–6 of them, covering the values', () => {
  for (let i = 0; i < 2000; i++) {
    const lo = (i * 7.31) % 97, hi = lo + ((i * 3.7) % (100 - lo)) + 1e-3;
    const t = niceTicks(lo, hi, 6);
    assert.ok(t.length >= 2 && t.length <= 6 && t[0] <= lo + 1e-6 && t.at(-1)! >= hi - 1e-6, `${lo}–${hi}: ${t}`);
    const step = t[1] - t[0], mag = 10 ** Math.floor(Math.log10(step) + 1e-9);
    assert.ok([1, 2, 2.5, 5].some((m) => Math.abs(step / mag - m) < 1e-6), `${lo}–${hi}: step ${step}`);
  }
});

test('a class with no ground truth in the set reads "no GT", never 0.00; the table shows each class\'s GT images', () => {
  const base = fakeSubmission(919);
  const classes = base.classes!.map((c) => ({ ...c, gt_images: c.id % 100 === 7 ? 0 : 1 + (c.id % 13), gt_pixels: c.id % 100 === 7 ? 0 : 1000 }));
  const html = submissionPage(ctx, { ...base, classes, table: { sort: 'id', order: 'asc', q: '', all: true } }).value;
  const row = (id: number) => new RegExp(`<tr><td class="num">${id}</td>.*?</tr>`).exec(html)![0];
  assert.match(row(7), /<td class="num hide-narrow">0<\/td><td class="num"><span class="muted"[^>]*>no GT<\/span><\/td><td class="num"><span class="muted"[^>]*>no GT<\/span>/);
  assert.doesNotMatch(row(8), /no GT/);
  assert.match(row(8), /<td class="num hide-narrow">9<\/td>/);
  assert.match(html, /<th scope="col" class="num hide-narrow">GT images<\/th>/);
});
