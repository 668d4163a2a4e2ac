import { serveJobs } from '../../util/pool.ts';
import { runSynthJob, type SynthJob } from './synth-job.ts';

serveJobs<SynthJob, void>((job) => runSynthJob(job));
