/**
 * The scoring thread: runs one evaluation at a time with its own pool of decode workers, so that
 * scoring never competes with HTTP traffic for the main event loop. It is a one-thread WorkerPool
 * (util/pool.ts): a job in, progress out, an outcome back; the main thread owns the database.
 */
import { serveJobs } from '../../util/pool.ts';
import { runScoreJob, type ScoreJob, type ScoreOutcome, type ScoreProgress } from './score-job.ts';

serveJobs<ScoreJob, ScoreOutcome, ScoreProgress>((job, ctx) => runScoreJob(job, ctx));
