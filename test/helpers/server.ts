/** A real server (real SQLite file, real worker pool) on a temporary DATA_DIR, for integration tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig, type Config } from '../../server/config.ts';
import { startServer, type Running } from '../../server/server.ts';
import { createUserWithToken } from '../../server/domain/auth.ts';
import { writeMiniSplit } from '../../datasets/imagenet-s/mini.ts';
import { zipDirectory } from '../../datasets/imagenet-s/zip-write.ts';
import { evaluate } from '../../evaluator/run/evaluate.ts';
import { DirectorySource } from '../../evaluator/input/sources.ts';

export interface TestServer extends Running {
  dataDir: string;
  user(name: string, admin?: boolean): string;
  cleanup(): Promise<void>;
}

/** `overrides` set what no environment value can (a fraction of a second, say). */
export async function testServer(env: Record<string, string> = {}, overrides: Partial<Config> = {}, log: pino.Logger = pino({ level: 'silent' })): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'isb-server-'));
  const config = loadConfig({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', SCORING_WORKERS: '1', LOG_LEVEL: 'silent', ...env });
  Object.assign(config, overrides);
  const running = await startServer(config, log);
  return Object.assign(running, {
    dataDir,
    user: (name: string, admin = false) => createUserWithToken(running.q, name, admin).token,
    async cleanup() {
      await running.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

/** A logger whose lines (parsed) are kept for a test to read. */
export function capturedLog(level: pino.Level = 'info'): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return { lines, log: pino({ level }, { write: (s: string) => { lines.push(JSON.parse(s)); } }) };
}

/** Prediction zips for the server's mini split (same seed, so the same file names). */
export async function miniPredictions(dir: string, opts: { predictionSeed?: number; permuted?: boolean } = {}) {
  const m = await writeMiniSplit(dir, { seed: 1, withPredictions: true, permuted: opts.permuted, predictionSeed: opts.predictionSeed });
  const zips: Record<'validation' | 'test', string> = { validation: join(dir, 'validation.zip'), test: join(dir, 'test.zip') };
  for (const subset of ['validation', 'test'] as const) await zipDirectory(m.subsets[subset].predictionsDir!, zips[subset]);
  return { mini: m, zips };
}

export async function waitFor<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, ms = 30_000, what = 'condition'): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The evaluator's own result for a directory of predictions against a hosted benchmark: what the server must agree with. */
export async function evaluatorResult(srv: Running, benchmark: string, predDir: string) {
  const b = srv.catalogue.benchmarks.get(benchmark)!;
  const pred = await DirectorySource.open(predDir);
  return evaluate({ gtRoot: b.gtDir, pred, masks: b.masks, classes: b.classes, workers: 0 });
}

/** A browser-like agent signed in by pasting an API token at /login (session cookie, CSRF form). */
export async function signedInAgent(server: import('node:http').Server, token: string) {
  const { default: request } = await import('supertest');
  const agent = request.agent(server);
  const form = await agent.get('/login').expect(200);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)![1];
  await agent.post('/login').type('form').send({ _csrf: csrf, next: '/', token }).expect(303);
  return agent;
}
