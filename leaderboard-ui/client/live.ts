/**
 * The submission page, live: follows /api/submissions/:id/events (server-sent events, same-origin
 * session cookie) and updates the state line, the progress bar and the ETA; warns when no progress
 * arrives for a while; reloads the page when the submission ends, so its results appear.
 */
const root = document.querySelector<HTMLElement>('[data-live]');
if (root) {
  const id = root.dataset.live!;
  const status = document.getElementById('status')!;
  const bar = root.querySelector<HTMLProgressElement>('progress')!;
  const text = root.querySelector<HTMLElement>('.live-text')!;
  const stall = root.querySelector<HTMLElement>('.live-stall')!;
  const started = Date.now();
  let last = Date.now();
  let firstDone: { t: number; done: number; status: string } | null = null;
  const source = new EventSource(`/api/submissions/${id}/events`);
  source.addEventListener('progress', (ev) => {
    const e = JSON.parse((ev as MessageEvent<string>).data) as { status: string; done: number; total: number; position?: number };
    last = Date.now();
    stall.hidden = true;
    status.textContent = e.status;
    status.className = `status ${e.status}`;
    if (e.position) {
      // queued, or handed to the queue and waiting for a worker: still its place in line
      text.textContent = `queued, position ${e.position} in the queue`;
    } else if (e.status === 'scoring' || e.status === 'running') {
      // a model submission runs its model over the images, then scores them: each has its own rate
      bar.max = e.total;
      bar.value = e.done;
      if (firstDone?.status !== e.status) firstDone = null;
      if (!firstDone && e.done > 0) firstDone = { t: Date.now(), done: e.done, status: e.status };
      let eta = '';
      if (firstDone && e.done > firstDone.done) {
        const rate = (e.done - firstDone.done) / ((Date.now() - firstDone.t) / 1000);
        eta = `, about ${Math.max(1, Math.round((e.total - e.done) / rate))} s left`;
      }
      status.textContent = e.status === 'running' ? 'running the model' : e.status;
      text.textContent = `${e.status === 'running' ? 'running the model on' : 'scoring'} ${e.done} / ${e.total} images${eta}`;
    } else if (e.status === 'queued') {
      text.textContent = 'queued: next for the scorer';
    } else {
      source.close();
      text.textContent = `${e.status}; loading the results…`;
      location.reload();
    }
  });
  setInterval(() => {
    if (Date.now() - last > 30_000 && Date.now() - started > 30_000) {
      stall.hidden = false;
      stall.textContent = `No progress for ${Math.round((Date.now() - last) / 1000)} s. The submission is safe (it is on disk and queued); the server may be busy with another one.`;
    }
  }, 5000);
}
