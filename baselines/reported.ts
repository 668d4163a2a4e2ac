/**
 * Numbers the methods' authors report (mIoU, %), shown beside what the server measured and never as
 * its own. Keyed by converter arch and class count.
 */
export const REPORTED: Record<string, { validation: number; test: number; source: string }> = {
  'pass-r18/50': { validation: 29.2, test: 29.3, source: 'PASS README, fully unsupervised' },
  'pass-r50/300': { validation: 18.0, test: 18.1, source: 'PASS README, fully unsupervised' },
  'pass-r50/919': { validation: 11.5, test: 11.0, source: 'PASS README, fully unsupervised' },
  'r50-d32/919': { validation: 21.0, test: 20.3, source: 'ImageNetSegModel MODEL_ZOO, PASS pretraining + fine-tuning' },
  'r50-d16/919': { validation: 21.6, test: 20.8, source: 'ImageNetSegModel MODEL_ZOO, PASS pretraining + fine-tuning' },
};

export function reportedFor(arch: string, classes: number): (typeof REPORTED)[string] | undefined {
  return REPORTED[`${arch}/${classes}`];
}
