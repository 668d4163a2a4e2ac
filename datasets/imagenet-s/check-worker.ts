import { serveJobs } from '../../util/pool.ts';
import { checkItem, type CheckBatch, type CheckResult } from './check-job.ts';

serveJobs<CheckBatch, CheckResult[]>((job) => job.items.map((it) => checkItem(it, job.classes, job.maxPixels)));
