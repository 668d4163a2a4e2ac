/**
 * The upload form, with a byte-accurate progress bar: the form is sent by XMLHttpRequest (whose
 * upload progress events count the bytes sent); the answer is the same as without script: the
 * submission's page, or this form again with every problem listed.
 */
const form = document.querySelector<HTMLFormElement>('form[data-upload]');
if (form) {
  const box = document.querySelector<HTMLElement>('[data-upload-progress]')!;
  const bar = box.querySelector('progress')!;
  const text = box.querySelector<HTMLElement>('.upload-text')!;
  const button = form.querySelector<HTMLButtonElement>('button[type="submit"]')!;
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const xhr = new XMLHttpRequest();
    xhr.open('POST', form.action);
    xhr.responseType = 'document';
    const started = Date.now();
    box.hidden = false;
    button.disabled = true;
    xhr.upload.addEventListener('progress', (e) => {
      if (!e.lengthComputable) return;
      bar.max = e.total;
      bar.value = e.loaded;
      const mb = (n: number) => (n / 1048576).toFixed(1);
      const rate = e.loaded / Math.max(0.001, (Date.now() - started) / 1000);
      text.textContent = e.loaded < e.total
        ? `uploading ${mb(e.loaded)} / ${mb(e.total)} MB, about ${Math.max(1, Math.round((e.total - e.loaded) / rate))} s left`
        : 'uploaded; checking every mask…';
    });
    xhr.addEventListener('load', () => {
      if (xhr.responseURL && /\/submissions\/\d+$/.test(new URL(xhr.responseURL).pathname)) { location.href = xhr.responseURL; return; }
      const main = xhr.response?.querySelector('main');
      if (main) { document.querySelector('main')!.replaceWith(document.importNode(main, true)); window.scrollTo(0, 0); }
      else text.textContent = `the server answered ${xhr.status}`;
    });
    xhr.addEventListener('error', () => {
      text.textContent = 'the upload was interrupted; nothing was kept, try again';
      button.disabled = false;
    });
    xhr.send(new FormData(form));
  });
}
