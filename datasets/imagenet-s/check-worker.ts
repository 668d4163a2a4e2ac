import { parentPort } from 'node:worker_threads';
import { checkItem, type CheckItem } from './check-job.ts';

parentPort!.on('message', (job: { items: CheckItem[]; classes: number; maxPixels: number }) => {
  parentPort!.postMessage(job.items.map((it) => checkItem(it, job.classes, job.maxPixels)));
});
