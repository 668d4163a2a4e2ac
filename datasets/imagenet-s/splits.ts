/**
 * The ImageNet-S split model: ImageNet-S-50/300/919, their classes (class id = index in the sorted
 * wnid list + 1; 0 = "other"; 1000 = ignore), display names, and per subset the image lists.
 *
 * The lists come from the official toolbox's `data/` folder, which the host supplies (they are not
 * part of this project). Without a toolbox, class names fall back to wnids and lists come from the
 * dataset directory itself (see dataset-index.ts).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { splitLines } from '../../evaluator/index.ts';

export const SPLIT_NAMES = ['ImageNetS50', 'ImageNetS300', 'ImageNetS919'] as const;
export type SplitName = (typeof SPLIT_NAMES)[number];

export const SPLIT_CLASSES: Record<SplitName, number> = { ImageNetS50: 50, ImageNetS300: 300, ImageNetS919: 919 };
const TAG: Record<SplitName, string> = { ImageNetS50: 'im50', ImageNetS300: 'im300', ImageNetS919: 'im919' };

/** The subsets of a split as the official preparation scripts lay them out. */
export const SUBSETS = ['train', 'train-semi', 'validation', 'test'] as const;
export type Subset = (typeof SUBSETS)[number];

/**
 * ImageNet-S-919 folds five ImageNet classes into others (key merged into value): their images
 * carry the value's class. Listed in the official toolbox's documentation.
 */
export const MERGED_919: Readonly<Record<string, string>> = {
  n04356056: 'n04355933',
  n04493381: 'n02808440',
  n03642806: 'n03832673',
  n04008634: 'n03773504',
  n03887697: 'n15075141',
};

export interface ClassInfo {
  /** 1..C */
  id: number;
  wnid: string;
  name: string;
}

export interface SplitLists {
  split: SplitName;
  classes: ClassInfo[];
  /** Validation masks, `wnid/name.png`, in the official names-list order. */
  validation: string[];
  /** Test masks, `wnid/name.png`, from the official test mapping (ImageNet-S side). */
  test: string[];
  /** Pixel-annotated training images (train-semi), `wnid/name.png`. */
  trainSemi: string[];
  /** Original ImageNet validation path → ImageNet-S path (`.JPEG`), for validation and test. */
  mapping: { validation: [string, string][]; test: [string, string][] };
}

/** Accepts the toolbox root (with `data/`) or its `data/` folder itself. */
export function toolboxDataDir(dir: string): string {
  return existsSync(join(dir, 'data', 'categories')) ? join(dir, 'data') : dir;
}

async function lines(path: string): Promise<string[]> {
  return splitLines(await readFile(path, 'utf8')).filter((l) => l.trim() !== '');
}

const maskOf = (jpeg: string): string => jpeg.replace(/\.JPEG$/i, '.png');

/** Reads one split's lists from the official toolbox. */
export async function readToolboxSplit(toolbox: string, split: SplitName): Promise<SplitLists> {
  const data = toolboxDataDir(toolbox);
  const tag = TAG[split];
  const wnids = await lines(join(data, 'categories', `ImageNetS_categories_${tag}.txt`));
  const namesPath = join(data, 'class-names', `ImageNetS_class_names_${tag}.txt`);
  const names = existsSync(namesPath) ? await lines(namesPath) : wnids;
  if (wnids.length !== SPLIT_CLASSES[split]) throw new Error(`${split}: the toolbox lists ${wnids.length} categories, expected ${SPLIT_CLASSES[split]}`);
  const sorted = [...wnids].sort();
  if (sorted.some((w, i) => w !== wnids[i])) throw new Error(`${split}: the toolbox categories are not sorted; class ids would be ambiguous`);
  const classes = wnids.map((wnid, i) => ({ id: i + 1, wnid, name: names[i] ?? wnid }));
  const second = (l: string): string => l.split(' ')[1];
  const pairs = (ls: string[]): [string, string][] => ls.map((l) => [l.split(' ')[0], second(l)] as [string, string]);
  const mapVal = pairs(await lines(join(data, 'mapping', `ImageNetS_${tag}_mapping_validation.txt`)));
  const mapTest = pairs(await lines(join(data, 'mapping', `ImageNetS_${tag}_mapping_test.txt`)));
  return {
    split,
    classes,
    validation: (await lines(join(data, 'names', `ImageNetS_${tag}_validation.txt`))).map(second),
    test: mapTest.map(([, s]) => maskOf(s)),
    trainSemi: (await lines(join(data, 'names', `ImageNetSemi_${tag}_train.txt`))).map(second),
    mapping: { validation: mapVal, test: mapTest },
  };
}

/** The names-list text (official format) for a list of masks. */
export function namesListText(masks: string[]): string {
  return masks.map((m) => `${m.replace(/\.png$/, '.JPEG')} ${m}`).join('\n');
}
