/** The official lists, read from ../shared/imagenet-s-toolbox (never committed to the project). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readToolboxSplit, MERGED_919, type SplitName } from '../datasets/imagenet-s/splits.ts';
import { TOOLBOX, toolboxSkip } from './helpers/golden.ts';

const EXPECTED: Record<SplitName, { classes: number; validation: number; test: number; trainSemi: number; tag: string }> = {
  ImageNetS50: { classes: 50, validation: 752, test: 1682, trainSemi: 500, tag: 'im50' },
  ImageNetS300: { classes: 300, validation: 4097, test: 9088, trainSemi: 3000, tag: 'im300' },
  ImageNetS919: { classes: 919, validation: 12419, test: 27423, trainSemi: 9190, tag: 'im919' },
};

for (const [split, e] of Object.entries(EXPECTED) as [SplitName, (typeof EXPECTED)[SplitName]][]) {
  test(`${split}: ${e.classes} classes, ${e.validation} validation, ${e.test} test and ${e.trainSemi} train-semi names`, { skip: toolboxSkip }, async () => {
    const lists = await readToolboxSplit(TOOLBOX, split);
    assert.equal(lists.classes.length, e.classes);
    assert.equal(lists.validation.length, e.validation);
    assert.equal(lists.test.length, e.test);
    assert.equal(lists.trainSemi.length, e.trainSemi);
    assert.equal(new Set(lists.test).size, e.test, 'test names are distinct');
    for (const rel of [...lists.validation, ...lists.test]) assert.match(rel, /^n\d{8}\/ILSVRC2012_val_\d{8}\.png$/);
    // display names in class-id order: id k is line k of the class-names file, wnids sorted
    const names = readFileSync(join(TOOLBOX, 'data/class-names', `ImageNetS_class_names_${e.tag}.txt`), 'utf8').split('\n').filter(Boolean);
    const wnids = lists.classes.map((c) => c.wnid);
    assert.deepEqual(wnids, [...wnids].sort());
    lists.classes.forEach((c, i) => { assert.equal(c.id, i + 1); assert.equal(c.name, names[i]); });
    // every listed mask sits in a class folder of the split
    const known = new Set(wnids);
    for (const rel of [...lists.validation, ...lists.test, ...lists.trainSemi]) assert.ok(known.has(rel.split('/')[0]), rel);
  });
}

test('known display names: goldfish is class 1 of ImageNet-S-50; "crane" is twice in ImageNet-S-919', { skip: toolboxSkip }, async () => {
  const im50 = await readToolboxSplit(TOOLBOX, 'ImageNetS50');
  assert.deepEqual(im50.classes[0], { id: 1, wnid: 'n01443537', name: 'goldfish' });
  const im919 = await readToolboxSplit(TOOLBOX, 'ImageNetS919');
  assert.equal(im919.classes.filter((c) => c.name === 'crane').length, 2);
  // the five merged classes are folded: none of them is an ImageNet-S-919 class
  for (const [merged, into] of Object.entries(MERGED_919)) {
    assert.ok(!im919.classes.some((c) => c.wnid === merged), merged);
    assert.ok(im919.classes.some((c) => c.wnid === into), into);
  }
});
