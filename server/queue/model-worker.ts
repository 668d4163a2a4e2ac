/**
 * The embedded model thread: one model run at a time (model-job.ts), beside scoring and HTTP. The
 * model itself runs in a child process the thread watches; the main thread owns the database.
 */
import { serveJobs } from '../../util/pool.ts';
import { runModelJob, type ModelJob, type ModelOutcome, type ModelProgress } from './model-job.ts';

serveJobs<ModelJob, ModelOutcome, ModelProgress>((job, ctx) => runModelJob(job, ctx));
