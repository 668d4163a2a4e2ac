/** The worker thread of a model run's stages (stage-job.ts); a prepared image's input moves back, not copied. */
import { serveJobs } from '../../util/pool.ts';
import { runStage, type StageJob, type StageResult } from './stage-job.ts';

serveJobs<StageJob, StageResult>(runStage, (r) => ('x' in r ? [r.x.buffer as ArrayBuffer] : []));
