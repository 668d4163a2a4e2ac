/**
 * A method as papers report it: its links (paper, code), backbone, pretraining and extra data, and its
 * row in the other phase; the same fragments on the board, the submission page and both forms.
 */
import { html, safeUrl, type Html } from './html.ts';
import type { OtherPhase } from './views.ts';

export interface MethodFacts {
  link: string | null; paper: string | null; code: string | null;
  backbone: string | null; pretraining: string | null; extra_data: string | null;
  other_phase?: OtherPhase | null;
}

/** Links as a reader scans them: paper ↗ · code ↗ (the older "paper or code" link where neither is given) · the other phase's row. */
export function methodLinks(m: MethodFacts): Html[] {
  const paper = safeUrl(m.paper), code = safeUrl(m.code), link = !paper && !code ? safeUrl(m.link) : null;
  return [
    ...(paper ? [html`<a href="${paper}" rel="nofollow noopener">paper ↗</a>`] : []),
    ...(code ? [html`<a href="${code}" rel="nofollow noopener">code ↗</a>`] : []),
    ...(link ? [html`<a href="${link}" rel="nofollow noopener">paper / code ↗</a>`] : []),
    ...(m.other_phase ? [html`<a href="/submissions/${m.other_phase.submission}" title="${`The same method's submission on the ${m.other_phase.phase} board (${m.other_phase.benchmark})`}">${m.other_phase.phase} row →</a>`] : []),
  ];
}

/** Backbone · pretraining · extra data, as far as given. */
export function methodSetup(m: MethodFacts): string[] {
  return [
    ...(m.backbone ? [m.backbone] : []),
    ...(m.pretraining ? [`pretrained: ${m.pretraining}`] : []),
    ...(m.extra_data ? [`extra data: ${m.extra_data}`] : []),
  ];
}

export type MethodFormValues = Partial<Record<'link' | 'paper' | 'code' | 'backbone' | 'pretraining' | 'extra_data', string | null>>;

/** The form inputs for the fields beside the name and description (upload and edit forms). */
export function methodInputs(v: MethodFormValues): Html {
  const field = (name: keyof MethodFormValues, label: string, max: number, placeholder: string): Html =>
    html`<label for="${name}">${label} <span class="muted">(optional)</span></label>
  <input type="text" id="${name}" name="${name}" maxlength="${max}" placeholder="${placeholder}" value="${v[name] ?? ''}">`;
  return html`<div class="two-col">
  <div>${field('paper', 'Paper', 500, 'https://arxiv.org/abs/…')}</div>
  <div>${field('code', 'Code', 500, 'https://github.com/…')}</div>
  <div>${field('backbone', 'Backbone', 100, 'e.g. ResNet-50, ViT-B/16')}</div>
  <div>${field('pretraining', 'Pretraining', 300, 'e.g. ImageNet-1k, self-supervised (MAE)')}</div>
  <div>${field('extra_data', 'Extra data', 300, 'none, or what beyond ImageNet-S')}</div>
  ${v.link ? html`<div>${field('link', 'Other link', 500, 'https://…')}</div>` : ''}
</div>`;
}
