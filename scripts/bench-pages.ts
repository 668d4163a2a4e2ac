/**
 * Bench section "pages": server-side render time of a 919-class submission page and of a long
 * leaderboard (the page functions alone), the leaderboard page's latency over HTTP under 100
 * concurrent clients (a separate server process), and the JavaScript each page ships. With
 * --screenshots (and Debian's chromium), the two large pages are also saved as PNGs in .bench/.
 */
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { BOOTSTRAP_METRICS, METRICS } from '../evaluator/index.ts';
import { leaderboardPage } from '../leaderboard-ui/pages/leaderboard.ts';
import { submissionPage, type SubmissionPageData } from '../leaderboard-ui/pages/submission.ts';
import type { BoardRow } from '../server/domain/leaderboard.ts';
import { rng } from '../datasets/imagenet-s/synth-image.ts';
import { freePort, startServerProcess } from './server-process.ts';
import { miniSplitWithZip } from './bench-fixtures.ts';

const ROOT = resolve(import.meta.dirname, '..');
const ctx = { viewer: { name: 'user7', admin: false }, csrf: 'x'.repeat(43), path: '/' };

function median(fn: () => unknown, n = 40): number {
  fn();
  const t: number[] = [];
  for (let i = 0; i < n; i++) { const s = performance.now(); fn(); t.push(performance.now() - s); }
  return t.sort((a, b) => a - b)[Math.floor(n / 2)];
}

export function fakeSubmission(classes: number): SubmissionPageData {
  const r = rng(3);
  const cls = Array.from({ length: classes + 1 }, (_, id) => ({ id, wnid: id ? `n${String(1000000 + id * 7).padStart(8, '0')}` : null, name: id ? `class ${id} ${'abcdefgh'.slice(0, 1 + (id % 7))}` : 'other', IoU: r() * 100, BIoU: r() * 60 }));
  const metrics: Record<string, number | null | number[]> = Object.fromEntries(METRICS.map((m) => [m.key, r() * 100]));
  metrics.IoUs = cls.map((c) => c.IoU); metrics.BIoUs = cls.map((c) => c.BIoU);
  return {
    id: 1, benchmark: 'imagenets919.semi-supervised.validation', status: 'finished', progress: { done: 12419, total: 12419 },
    method: 'RF-ConvNeXt-T (rfmerge)', description: 'A 919-class example with random per-class results.', link: null,
    paper: 'https://arxiv.org/abs/2106.03149', code: 'https://github.com/example/rfnext', backbone: 'ConvNeXt-T', pretraining: 'ImageNet-1k, supervised', extra_data: 'none',
    other_phase: { phase: 'test', benchmark: 'imagenets919.semi-supervised.test', submission: 2 },
    private: false, hidden: false, baseline: false, user: 'user7', created_at: new Date().toISOString(), started_at: null, finished_at: new Date().toISOString(),
    metrics, classes: cls, evaluator_version: 'src-000000000000', warnings: [], table: { sort: 'IoU', order: 'desc', q: '' },
  };
}

export function fakeBoard(n: number): BoardRow[] {
  const r = rng(5);
  const t0 = Date.now() - 90 * 86_400_000;
  const rows = Array.from({ length: n }, (_, i) => ({
    rank: i + 1, submission: i + 1, user: `user${i % 40}`, method: `Method ${i}`, description: i % 3 ? null : 'Self-supervised pretraining, then pixel-level fine-tuning.', link: null,
    paper: i % 4 ? null : `https://arxiv.org/abs/2301.${String(10000 + i)}`, code: i % 5 ? null : `https://github.com/example/method-${i}`,
    backbone: ['ResNet-50', 'ViT-S/16', 'ViT-B/16', 'ConvNeXt-T'][i % 4], pretraining: i % 2 ? 'ImageNet-1k, self-supervised (DINO)' : null, extra_data: i % 7 ? null : 'none',
    other_phase: i % 3 ? null : { phase: 'test', benchmark: 'imagenets919.semi-supervised.test', submission: 1000 + i },
    baseline: i % 50 === 0, private: false, submitted_at: new Date(t0 + r() * 90 * 86_400_000).toISOString(),
    metrics: Object.fromEntries(METRICS.map((m) => [m.key, 20 + r() * 50])) as Record<string, number>,
    ci: null as BoardRow['ci'], rank_ci: null as BoardRow['rank_ci'], tied_with_leader: null as BoardRow['tied_with_leader'],
    run: i % 50 === 0 ? { provenance: `/baselines/${i + 1}/manifest.json`, reported: { mIoU: 29.2, source: 'PASS README (LUSSeg/PASS), fully unsupervised', recipe: 'pass' } } : null,
    model: i % 7 === 3 ? { sha256: createHash('sha256').update(String(i)).digest('hex'), runtime: 'onnxruntime-node 1.30.0', provider: i % 2 ? 'cuda' : 'cpu', download_url: i % 3 ? `/api/submissions/${i + 1}/model.zip` : null } : null,
  }));
  rows.sort((a, b) => b.metrics.mIoU - a.metrics.mIoU).forEach((row, i) => {
    row.rank = i + 1;
    // intervals of a plausible width (±0.3–0.6 points on 12,419 images); ranks within ~0.4 points blur together
    row.ci = Object.fromEntries(BOOTSTRAP_METRICS.map((k) => { const v = row.metrics[k], w = 0.3 + r() * 0.3; return [k, [v - w, v + w * 1.1]]; })) as BoardRow['ci'];
    const near = (x: number) => rows.filter((o) => Math.abs(o.metrics.mIoU - x) < 0.4).length;
    row.rank_ci = [Math.max(1, i + 1 - near(row.metrics.mIoU) + 1), i + near(row.metrics.mIoU)];
    row.tied_with_leader = i === 0 ? null : row.rank_ci[0] === 1;
  });
  return rows;
}

export async function pagesBench(benchDir: string, screenshots: boolean): Promise<void> {
  const sub = fakeSubmission(919);
  const subHtml = submissionPage(ctx, sub).value;
  console.log(`  919-class submission page, server-side render: ${median(() => submissionPage(ctx, sub)).toFixed(1)} ms (goal < 30 ms), ${(subHtml.length / 1024).toFixed(0)} KB of HTML`);
  const rows = fakeBoard(500);
  const board = { benchmark: { id: 'imagenets919.semi-supervised.validation', split: 'imagenets919', splitName: 'ImageNetS919', protocol: 'semi-supervised', phase: 'validation', classes: 919, images: 12419, gtPrivate: false }, rows, history: rows, sort: 'mIoU' as const, order: 'desc' as const, all: true };
  const boardHtml = leaderboardPage(ctx, board).value;
  console.log(`  500-entry leaderboard page, server-side render: ${median(() => leaderboardPage(ctx, board)).toFixed(1)} ms, ${(boardHtml.length / 1024).toFixed(0)} KB of HTML`);
  const js = join(ROOT, 'leaderboard-ui', 'static', 'js');
  if (existsSync(js)) console.log(`  JavaScript shipped: ${readdirSync(js).map((f) => `${f} ${(statSync(join(js, f)).size / 1024).toFixed(1)} KB`).join(', ')} (live.js on a queued or scoring submission's page, upload.js on the upload page; goal < 30 KB a page)`);

  // the leaderboard page over HTTP, 100 concurrent clients
  const { root, zip } = await miniSplitWithZip(benchDir, 'pages', 400);
  const dataDir = join(benchDir, 'pages-data');
  spawnSync('rm', ['-rf', dataDir]);
  const env = { DATA_DIR: dataDir, IMAGENETS_ROOT: root, LOG_LEVEL: 'warn', QUOTA_VALIDATION_PER_DAY: '0' };
  const tokens = ['p1', 'p2'].map((u) => spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/admin.ts'), 'create-user', u], { env: { ...process.env, ...env }, encoding: 'utf8' }).stdout.trim());
  const sp = await startServerProcess(env, await freePort());
  const B = 'imagenetsmini.semi-supervised.validation';
  const post = async (token: string) => {
    const form = new FormData();
    form.set('benchmark', B);
    form.set('file', new Blob([new Uint8Array((await import('node:fs')).readFileSync(zip))]), 'p.zip');
    const r = await fetch(`${sp.base}/api/submissions`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
    return ((await r.json()) as { id: number }).id;
  };
  const done = async (token: string, id: number) => {
    for (;;) {
      const s = ((await (await fetch(`${sp.base}/api/submissions/${id}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { status: string }).status;
      if (s === 'finished' || s === 'failed') return;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  try {
    await done(tokens[0], await post(tokens[0]));
    const load = async (until: () => boolean): Promise<number[]> => {
      const lat: number[] = [];
      await Promise.all(Array.from({ length: 100 }, async () => {
        while (!until()) {
          const t = performance.now();
          await (await fetch(`${sp.base}/leaderboards/${B}`)).arrayBuffer();
          lat.push(performance.now() - t);
        }
      }));
      return lat.sort((a, b) => a - b);
    };
    const p = (l: number[], q: number) => l[Math.min(l.length - 1, Math.floor(q * l.length))].toFixed(1);
    const warm = performance.now() + 1500;
    await load(() => performance.now() > warm); // JIT and connection warm-up, not counted
    const end = performance.now() + 4000;
    const idle = await load(() => performance.now() > end);
    console.log(`  leaderboard page (HTML), 100 concurrent clients, idle: ${idle.length} pages in 4 s, p50 ${p(idle, 0.5)} ms, p99 ${p(idle, 0.99)} ms`);
    // the same with wrk (Debian's, when installed): a client that does not share the server's CPU
    // as heavily as Node's fetch does; the JSON API under the same load as the baseline
    const wrk = (url: string): string | null => {
      const r = spawnSync('wrk', ['-t1', '-c100', '-d5s', '--latency', '-H', `Cookie: isb_csrf=${'a'.repeat(43)}`, url], { encoding: 'utf8' });
      if (r.status !== 0) return null;
      const q = (label: string) => new RegExp(`${label}\\s+([\\d.]+\\w+)`).exec(r.stdout)?.[1] ?? '?';
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1] ?? '?';
      return `${Math.round(Number(rps))} req/s, p50 ${q('50%')}, p90 ${q('90%')}, p99 ${q('99%')}`;
    };
    const page = wrk(`${sp.base}/leaderboards/${B}`);
    if (page) console.log(`  with wrk, 100 connections, idle: leaderboard page ${page}; JSON API (baseline) ${wrk(`${sp.base}/api/leaderboards/${B}`)}`);
    else console.log('  (wrk not installed: the wrk measurement is skipped; apt-get install wrk)');
    let scoring = true;
    const id = await post(tokens[1]);
    void done(tokens[1], id).then(() => { scoring = false; });
    const busy = await load(() => !scoring);
    console.log(`  leaderboard page (HTML), 100 concurrent clients, while a 400-image submission scores: ${busy.length} pages, p50 ${p(busy, 0.5)} ms, p99 ${p(busy, 0.99)} ms (goal p99 < 50 ms)`);
  } finally {
    await sp.kill('SIGTERM');
  }

  if (screenshots && existsSync('/usr/bin/chromium')) {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
    try {
      for (const [name, body, width] of [['submission-919', subHtml, 1280], ['leaderboard-500', boardHtml, 1280], ['leaderboard-500-narrow', boardHtml, 390]] as const) {
        const file = join(benchDir, `${name}.html`);
        writeFileSync(file, body.replace('/static/style.css', join(ROOT, 'leaderboard-ui', 'static', 'style.css')));
        const page = await browser.newPage({ viewport: { width, height: 900 } });
        await page.goto(`file://${file}`);
        await page.screenshot({ path: join(benchDir, `${name}.png`), fullPage: true });
        await page.close();
      }
      console.log(`  screenshots: ${join(benchDir, 'submission-919.png')}, leaderboard-500.png, leaderboard-500-narrow.png`);
    } finally {
      await browser.close();
    }
  }
}
