/**
 * The upload form. Before any byte is sent, the zip is checked here with the server's own rules
 * (zip-check.ts): every problem is listed at once and nothing is uploaded. Then the form is sent by
 * XMLHttpRequest, whose upload progress events drive a byte-accurate progress bar; the answer is
 * the same as without script: the submission's page, or this form again with every problem listed.
 */
import { checkZip, type BenchmarkMasks } from './zip-check.ts';
import { HINTS, type RuleCode } from '../../evaluator/input/rules.ts';

const form = document.querySelector<HTMLFormElement>('form[data-upload]');
if (form) {
  const box = document.querySelector<HTMLElement>('[data-upload-progress]')!;
  const bar = box.querySelector('progress')!;
  const text = box.querySelector<HTMLElement>('.upload-text')!;
  const button = form.querySelector<HTMLButtonElement>('button[type="submit"]')!;
  const checkBox = document.querySelector<HTMLElement>('[data-precheck]')!;
  const lists = new Map<string, Promise<BenchmarkMasks>>();
  const masksOf = (id: string) => {
    if (!lists.has(id)) lists.set(id, fetch(`/api/benchmarks/${encodeURIComponent(id)}/masks`).then((r) => r.json() as Promise<BenchmarkMasks>));
    return lists.get(id)!;
  };
  const row = (cells: string[]) => {
    const tr = document.createElement('tr');
    for (const c of cells) { const td = document.createElement('td'); td.textContent = c; tr.append(td); }
    return tr;
  };
  // predictions or a model: only the chosen kind's file input shows (without script, both do)
  const kind = () => form.querySelector<HTMLInputElement>('input[data-kind]:checked')?.value ?? 'file';
  const showKind = () => {
    form.querySelectorAll<HTMLElement>('[data-kind-part]').forEach((part) => {
      part.hidden = part.dataset.kindPart !== kind();
      // a hidden input sends nothing (a second file would be refused)
      const input = part.querySelector('input[type="file"]') as HTMLInputElement | null;
      if (input && part.hidden) input.value = '';
    });
  };
  form.querySelectorAll<HTMLInputElement>('input[data-kind]').forEach((r) => r.addEventListener('change', showKind));
  showKind();
  /** True when the upload may be sent (no problem found here, or nothing this page can check: a model is checked by the server). */
  const precheck = async (): Promise<boolean> => {
    if (kind() === 'model') return true;
    const file = form.querySelector<HTMLInputElement>('input[name="file"]')!.files?.[0];
    const benchmark = form.querySelector<HTMLSelectElement>('select[name="benchmark"]')!.value;
    if (!file) return true;
    checkBox.hidden = false;
    checkBox.className = 'notice';
    checkBox.replaceChildren(document.createTextNode('checking the zip in your browser…'));
    // a file the browser cannot even read (moved, unreadable) is refused here, not sent blind
    const problems = await checkZip(file, await masksOf(benchmark), (d, t) => { checkBox.firstChild!.textContent = `checking the zip in your browser: ${d} / ${t} masks`; })
      .catch((e: unknown) => [{ code: 'zip-unreadable', file: 'upload', problem: `not a readable zip archive (${e instanceof Error ? e.message : String(e)})` }]);
    if (problems === null) { checkBox.hidden = true; return true; }
    if (problems.length === 0) { checkBox.replaceChildren(document.createTextNode('every mask is present and looks right; uploading…')); return true; }
    checkBox.className = 'notice error';
    const table = document.createElement('table');
    const caption = table.createCaption();
    caption.textContent = `${problems.length} problem(s) found in your browser; nothing was sent. Fix them and choose the zip again.`;
    const body = table.createTBody();
    const headRow = table.createTHead().insertRow();
    for (const h of ['File', 'Rule', 'Problem']) { const th = document.createElement('th'); th.scope = 'col'; th.textContent = h; headRow.append(th); }
    for (const p of problems.slice(0, 500)) body.append(row([p.file, p.code, p.problem]));
    const wrap = document.createElement('div');
    wrap.className = 'table-wrap';
    wrap.tabIndex = 0;
    wrap.append(table);
    // how to fix each kind of problem, once per rule (the server's page says the same)
    const hints = document.createElement('dl');
    hints.className = 'hints';
    for (const code of new Set(problems.map((p) => p.code))) {
      if (!Object.hasOwn(HINTS, code)) continue;
      const dt = document.createElement('dt'), dd = document.createElement('dd'), c = document.createElement('code');
      c.textContent = code;
      dt.append(c);
      dd.textContent = HINTS[code as RuleCode];
      hints.append(dt, dd);
    }
    checkBox.replaceChildren(wrap, hints);
    checkBox.setAttribute('role', 'alert');
    return false;
  };
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    button.disabled = true;
    if (!(await precheck())) { button.disabled = false; return; }
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
        : kind() === 'model' ? 'uploaded; checking the model and trying it on two images…' : 'uploaded; checking every mask…';
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
