/**
 * Numbers the methods' authors report (mIoU, %), shown beside what the server measured and never as
 * its own. Keyed by converter arch and class count.
 */
export const REPORTED: Record<string, { validation: number; test: number; source: string }> = {
  'pass-r18/50': { validation: 29.2, test: 29.3, source: 'PASS README, fully unsupervised' },
  'pass-r50/300': { validation: 18.0, test: 18.1, source: 'PASS README, fully unsupervised' },
  'pass-r50/919': { validation: 11.5, test: 11.0, source: 'PASS README, fully unsupervised' },
};

export function reportedFor(arch: string, classes: number): (typeof REPORTED)[string] | undefined {
  return REPORTED[`${arch}/${classes}`];
}
