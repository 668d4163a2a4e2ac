/**
 * `npm run bench -- --sections intervals`: do the 95 % intervals hold the truth 95 % of the time at
 * ImageNet-S's sizes? Synthetic populations whose metrics are known (test/helpers/interval-study.ts);
 * test sets drawn from them as ImageNet-S's are (a fixed number of images per class) and, for
 * comparison, at random; per scenario the share of sets whose interval holds the population's value,
 * for the method the project reports (stratified rescaled resamples, studentized interval) beside the former
 * one (resamples of the whole set, plain percentiles). Then the paired interval of a difference, and
 * boards of 8 entries of exactly equal quality (false "better than" calls against the leader).
 * Seeded: the same table every run on any machine. `--quick` halves the sets.
 */
import { availableParallelism } from 'node:os';
import { boardStudy, coverageStudy, pairedStudy, STUDY_METRICS, studyPopulation, type Scenario } from '../test/helpers/interval-study.ts';

const LABEL: Record<string, string> = { mIoU: 'mIoU', mBIoU: 'b-mIoU', Acc: 'Img-Acc', FMeasure: 'F-measure' };

export const SCENARIOS: Scenario[] = [
  { label: '10 classes, 300 images (30 a class)', classes: 10, freq: 'balanced', n: 300, sampling: 'per-class' },
  { label: '50 classes, 500 images (10 a class)', classes: 50, freq: 'balanced', n: 500, sampling: 'per-class' },
  { label: '50 classes, 500 images drawn at random', classes: 50, freq: 'balanced', n: 500, sampling: 'random' },
  { label: '50 classes, 1,000 images (20 a class)', classes: 50, freq: 'balanced', n: 1000, sampling: 'per-class' },
  { label: '50 classes, 2,000 images (40 a class)', classes: 50, freq: 'balanced', n: 2000, sampling: 'per-class' },
  { label: '50 Zipf(1) classes, 300 images (1–67 a class)', classes: 50, freq: 'zipf', n: 300, sampling: 'per-class' },
  { label: '50 Zipf(1) classes, 500 images (2–112 a class)', classes: 50, freq: 'zipf', n: 500, sampling: 'per-class' },
  { label: '200 classes, 2,700 images (13–14 a class, as S-919 validation)', classes: 200, freq: 'balanced', n: 2700, sampling: 'per-class' },
];

const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;

export async function intervalsBench(opts: { quick?: boolean; parts?: string[] }): Promise<void> {
  const part = (p: string): boolean => !opts.parts || opts.parts.includes(p);
  const sets = opts.quick ? 200 : 400, B = opts.quick ? 400 : 1000;
  const pops = new Map<string, ReturnType<typeof studyPopulation>>();
  const popOf = (s: Scenario, predictions = 2) => {
    const key = `${s.classes} ${s.freq} ${predictions}`;
    if (!pops.has(key)) pops.set(key, studyPopulation(s.classes, s.freq, 40, predictions));
    return pops.get(key)!;
  };
  const t0 = Date.now();
  console.log(`\n## intervals: coverage of the 95 % intervals on known populations (${sets} test sets a row, ${B} resamples each; ${availableParallelism()} cores)\n`);
  if (part('coverage')) {
    console.log('Each cell: share of test sets whose interval holds the population value. "now": resamples within class folders, rescaled, studentized interval (what the project reports); "before": resamples of the whole set, plain percentiles (the former sampling and interval, with today\'s class-set rule). Goal: ≥ 93 % at 10 images a class and above.\n');
    console.log(`| population, test set | ${STUDY_METRICS.map((k) => `${LABEL[k]} now | before`).join(' | ')} | bias of the estimate (SD) mIoU / b-mIoU |`);
    console.log(`|---|${STUDY_METRICS.map(() => '---|---').join('|')}|---|`);
    for (const s of SCENARIOS) {
      const rows = coverageStudy(s, popOf(s), { sets, B, designs: ['rescaled', 'iid'], methods: ['studentized', 'percentile'] });
      const now = rows.find((r) => r.design === 'rescaled' && r.method === 'studentized')!, before = rows.find((r) => r.design === 'iid' && r.method === 'percentile')!;
      console.log(`| ${s.label} | ${STUDY_METRICS.map((k) => `${pct(now.covered[k])} | ${pct(before.covered[k])}`).join(' | ')} | ${now.bias.mIoU.toFixed(2)} / ${now.bias.mBIoU.toFixed(2)} |`);
    }
  }
  if (part('paired')) {
    console.log('\n### the paired interval of a difference (two predictions of every image): coverage of the population difference\n');
    console.log(`| population, test set | ${STUDY_METRICS.map((k) => LABEL[k]).join(' | ')} |`);
    console.log(`|---|${STUDY_METRICS.map(() => '---').join('|')}|`);
    for (const s of [SCENARIOS[1], SCENARIOS[3], SCENARIOS[7]]) {
      const p = pairedStudy(s, popOf(s), { sets, B });
      console.log(`| ${s.label} | ${STUDY_METRICS.map((k) => `${pct(p.covered[k])} (b − a = ${p.truth[k].toFixed(2)})`).join(' | ')} |`);
    }
  }
  if (part('boards')) {
    console.log('\n### boards of 8 entries of exactly equal population quality (mIoU)\n');
    console.log('| population, test set | boards | "leader better" calls (goal ≤ 5 %) | boards with all 8 "≈ #1" | "≈ #1" rows whose rank interval leaves out 1 |');
    console.log('|---|---|---|---|---|');
    for (const s of [SCENARIOS[1], SCENARIOS[3]]) {
      const b = boardStudy(s, popOf(s, 8), 8, { sets: Math.round(sets / 2), B });
      console.log(`| ${s.label} | ${b.boards} | ${pct(b.falsePositives)} | ${pct(b.allTied)} | ${b.contradictions} |`);
    }
  }
  console.log(`\n(${((Date.now() - t0) / 1000).toFixed(0)} s in all)`);
}
