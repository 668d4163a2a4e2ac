/**
 * Numbers the methods' authors report (mIoU, %), shown beside what the server measured and never as
 * its own. One architecture can carry several published recipes (ViT-B/16: MAE or TEC pretraining,
 * self-supervised only or with supervised ImageNet fine-tuning); a converted model names its recipe
 * (`convert --recipe`), and an architecture with one recipe needs none.
 */
export interface Recipe {
  /** Shown after the architecture in the method name ('' when the architecture says it all). */
  label: string;
  validation: number | null;
  test: number | null;
  source: string;
}

const PASS = 'PASS README (LUSSeg/PASS), fully unsupervised';
const ZOO = 'ImageNetSegModel MODEL_ZOO.md';
const TEC = 'TEC (sail-sg/TEC) thesis Table 6.5, validation only; no TEC ImageNet-S checkpoint is published, so this one was fine-tuned or supplied by the host';

/** By converter arch (RF-ConvNeXt: arch:variant) and class count; then by recipe name. */
export const RECIPES: Record<string, Record<string, Recipe>> = {
  'pass-r18/50': { pass: { label: '', validation: 29.2, test: 29.3, source: PASS } },
  'pass-r50/300': { pass: { label: '', validation: 18.0, test: 18.1, source: PASS } },
  'pass-r50/919': { pass: { label: '', validation: 11.5, test: 11.0, source: PASS } },
  'r50-d32/919': { 'pass-ssl': { label: '(PASS SSL)', validation: 21.0, test: 20.3, source: `${ZOO}, PASS pretraining + fine-tuning` } },
  'r50-d16/919': { 'pass-ssl': { label: '(PASS SSL)', validation: 21.6, test: 20.8, source: `${ZOO}, PASS pretraining + fine-tuning` } },
  'convnext-t/919': { sup: { label: '', validation: 48.7, test: 48.8, source: `${ZOO}, supervised ImageNet-1k pretraining + fine-tuning` } },
  'rf-convnext-t:rfsingle/919': { sup: { label: '', validation: 50.7, test: 50.5, source: `${ZOO}, RF-Next rfsingle` } },
  'rf-convnext-t:rfmultiple/919': { sup: { label: '', validation: 50.8, test: 50.5, source: `${ZOO}, RF-Next rfmultiple` } },
  'rf-convnext-t:rfmerge/919': { sup: { label: '', validation: 51.3, test: 51.1, source: `${ZOO}, RF-Next rfmerge` } },
  'vit-s16/919': {
    'sere-ssl': { label: '(SERE SSL)', validation: 41.0, test: 40.2, source: `${ZOO}, SERE 100 epochs, self-supervised pretraining + fine-tuning` },
    'sere-ssl+sup': { label: '(SERE SSL+Sup)', validation: 58.9, test: 57.8, source: `${ZOO}, SERE 100 epochs + supervised ImageNet fine-tuning, then fine-tuning` },
  },
  'vit-b16/919': {
    'mae-ssl': { label: '(MAE SSL)', validation: 38.3, test: 37.0, source: `${ZOO}, MAE 1600 epochs, self-supervised pretraining + fine-tuning` },
    'mae-ssl+sup': { label: '(MAE SSL+Sup)', validation: 61.0, test: 60.2, source: `${ZOO}, MAE 1600 epochs + supervised ImageNet fine-tuning, then fine-tuning` },
    'tec-mae-ssl': { label: '(TEC_MAE SSL)', validation: 42.9, test: null, source: TEC },
    'tec-mae-ssl+sup': { label: '(TEC_MAE SSL+Sup)', validation: 62.0, test: null, source: TEC },
  },
};

/** The manifest fields the lookup reads. */
export interface ModelKey { arch: string; classes: number; rf?: { variant: string }; recipe?: string }

export function recipesOf(m: ModelKey): Record<string, Recipe> {
  return RECIPES[`${m.arch}${m.rf ? `:${m.rf.variant}` : ''}/${m.classes}`] ?? {};
}

/** The model's recipe: the one named, or the only one its architecture has. */
export function recipeOf(m: ModelKey): (Recipe & { name: string }) | undefined {
  const all = Object.entries(recipesOf(m));
  const hit = m.recipe ? all.find(([name]) => name === m.recipe) : all.length === 1 ? all[0] : undefined;
  return hit && { name: hit[0], ...hit[1] };
}

/** The reported mIoU for a phase, or null when the authors give none (or the recipe is unknown). */
export function reportedFor(m: ModelKey, phase: 'validation' | 'test'): { mIoU: number; source: string; recipe: string } | null {
  const r = recipeOf(m);
  const v = r?.[phase];
  return r && typeof v === 'number' ? { mIoU: v, source: r.source, recipe: r.name } : null;
}
