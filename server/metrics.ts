/**
 * Prometheus metrics (prom-client), one registry per server or worker process (tests run several
 * servers in one process, so nothing is registered globally). The domain reports what happened
 * through `ServerMetrics`' methods; gauges that mirror state (queue depth, uploads in progress) are
 * read when scraped, so they cannot drift from the database.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Seconds: from a tiny mini-split scoring to a 27,423-image S-919 test run on few cores. */
const SCORING_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];
const RATE_BUCKETS = [10, 25, 50, 100, 250, 500, 1000, 2500, 5000];
const HTTP_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];

/** What a scoring process (server in its embedded mode, or a queue worker) reports. */
export class ScoringMetrics {
  readonly registry = new Registry();
  readonly scoringSeconds = new Histogram({ name: 'isb_scoring_duration_seconds', help: 'Time to score one submission, by outcome.', labelNames: ['outcome'], buckets: SCORING_BUCKETS, registers: [this.registry] });
  readonly imagesPerSecond = new Histogram({ name: 'isb_scoring_images_per_second', help: 'Images scored a second, per scored submission.', buckets: RATE_BUCKETS, registers: [this.registry] });
  readonly gtCacheBytes = new Gauge({ name: 'isb_gt_cache_bytes', help: 'Decoded ground truth kept by the scorer, bytes.', registers: [this.registry] });
  readonly gtCacheLookups = new Counter({ name: 'isb_gt_cache_lookups_total', help: 'Scorings that found their ground truth decoded (hit) or decoded it (miss).', labelNames: ['result'], registers: [this.registry] });

  constructor(prefix: 'server' | 'worker') {
    collectDefaultMetrics({ register: this.registry, labels: { process: prefix } });
    this.gtCacheLookups.inc({ result: 'hit' }, 0);
    this.gtCacheLookups.inc({ result: 'miss' }, 0);
  }

  /** One scoring ended: its time, its rate when it produced a result, its GT cache use. */
  scored(outcome: 'result' | 'rejected' | 'error', seconds: number, images: number, gtCache?: { hit: boolean; bytes: number }): void {
    this.scoringSeconds.observe({ outcome }, seconds);
    if (outcome === 'result' && seconds > 0) this.imagesPerSecond.observe(images / seconds);
    if (gtCache) {
      this.gtCacheLookups.inc({ result: gtCache.hit ? 'hit' : 'miss' });
      this.gtCacheBytes.set(gtCache.bytes);
    }
  }

  text(): Promise<string> { return this.registry.metrics(); }
  get contentType(): string { return this.registry.contentType; }
}

export const OUTCOMES = ['accepted', 'rejected', 'finished', 'failed', 'cancelled'] as const;

/** The API server's metrics: the scoring ones and those of requests, uploads and the queue. */
export class ServerMetrics extends ScoringMetrics {
  readonly submissions = new Counter({ name: 'isb_submissions_total', help: 'Submissions by outcome: accepted (queued), rejected at upload, finished, failed, cancelled.', labelNames: ['outcome'], registers: [this.registry] });
  readonly rejections = new Counter({ name: 'isb_upload_problems_total', help: 'Problems found in rejected uploads, by problem code.', labelNames: ['code'], registers: [this.registry] });
  readonly http = new Histogram({ name: 'isb_http_request_duration_seconds', help: 'HTTP request latency by route (the route pattern, not the URL) and status.', labelNames: ['method', 'route', 'status'], buckets: HTTP_BUCKETS, registers: [this.registry] });
  readonly baselineRuns = new Counter({ name: 'isb_baseline_runs_total', help: 'Baseline runs by outcome (started, submitted, failed).', labelNames: ['outcome'], registers: [this.registry] });
  readonly modelRuns = new Counter({ name: 'isb_model_runs_total', help: 'Runs of submitted models by outcome (ran, or the problem code that failed them: model-timeout, model-out-of-memory, model-crashed).', labelNames: ['outcome'], registers: [this.registry] });

  constructor(sources: { queue: () => Record<string, number>; uploadBytes: () => number; uploads: () => number }) {
    super('server');
    for (const o of OUTCOMES) this.submissions.inc({ outcome: o }, 0);
    for (const o of ['started', 'submitted', 'failed']) this.baselineRuns.inc({ outcome: o }, 0);
    for (const o of ['ran', 'model-timeout', 'model-out-of-memory', 'model-crashed']) this.modelRuns.inc({ outcome: o }, 0);
    new Gauge({
      name: 'isb_queue_submissions', help: 'Submissions waiting or being scored, by state (waiting_for_worker: handed to the queue, no worker has taken it yet).', labelNames: ['state'], registers: [this.registry],
      collect() { for (const [state, n] of Object.entries(sources.queue())) this.set({ state }, n); },
    });
    new Gauge({ name: 'isb_upload_bytes_in_progress', help: 'Bytes received so far by uploads in progress.', registers: [this.registry], collect() { this.set(sources.uploadBytes()); } });
    new Gauge({ name: 'isb_uploads_in_progress', help: 'Uploads in progress.', registers: [this.registry], collect() { this.set(sources.uploads()); } });
  }
}
