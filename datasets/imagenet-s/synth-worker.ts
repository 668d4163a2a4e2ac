import { parentPort } from 'node:worker_threads';
import { runSynthJob, type SynthJob } from './synth-job.ts';

parentPort!.on('message', (job: SynthJob) => {
  runSynthJob(job).then(
    () => parentPort!.postMessage({}),
    (e) => parentPort!.postMessage({ error: (e as Error).stack ?? String(e) }),
  );
});
