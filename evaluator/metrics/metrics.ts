/**
 * The metric table: every scalar metric the project reports, once. The accumulator's result, the
 * bootstrap's metric list, the score record's schema, the result JSON, the CSV columns, the text
 * summary and the pages' column groups are all made from it.
 *
 * Adding a metric: a row here and its value in `OfficialAccumulator.result()` (the compiler then
 * asks for it in the bootstrap's `metricsInto`, the only other place that computes one). The row
 * order is the order resamples are stored in (`packSamples`): append, never reorder.
 */
export type MetricGroup = 'main' | 'size' | 'boundary-size';

export interface MetricRow {
  /** Our key: the API's, the CSV's and the score record's. */
  readonly key: string;
  /** The official code's key for it in its `log` dict (ImageNet-S evaluator). */
  readonly official: string;
  /** Its place in the official JSON (the result JSON keeps that order: a contract). */
  readonly officialAt: number;
  readonly label: string;
  /** Within its group (the column heading under a group heading). */
  readonly short: string;
  readonly group: MetricGroup;
  /** Computed on boundary pixels (boundary width 3 % of the image diagonal). */
  readonly boundary: boolean;
  readonly higherIsBetter: boolean;
  /** Null when no image has an object of its kind (the size groups). */
  readonly nullable: boolean;
  readonly unit: '%';
  readonly description: string;
}

export const METRIC_TABLE = [
  { key: 'mIoU', official: 'mIoU', officialAt: 1, label: 'mIoU', short: 'mIoU', group: 'main', boundary: false, higherIsBetter: true, nullable: false, unit: '%', description: 'mean IoU over all C+1 classes, "other" (0) included' },
  { key: 'mBIoU', official: 'mBIoU', officialAt: 2, label: 'b-mIoU', short: 'b-mIoU', group: 'main', boundary: true, higherIsBetter: true, nullable: false, unit: '%', description: 'mean boundary IoU (boundary width 3% of the image diagonal)' },
  { key: 'Acc', official: 'Acc', officialAt: 0, label: 'Img-Acc', short: 'Img-Acc', group: 'main', boundary: false, higherIsBetter: true, nullable: false, unit: '%', description: 'image-level accuracy of the most-predicted class' },
  { key: 'FMeasure', official: 'FMeasure', officialAt: 11, label: 'F-measure', short: 'F-measure', group: 'main', boundary: false, higherIsBetter: true, nullable: false, unit: '%', description: 'per-image foreground F-measure (β² = 0.3), averaged' },
  { key: 'S', official: 'S', officialAt: 3, label: 'mIoU S', short: 'S', group: 'size', boundary: false, higherIsBetter: true, nullable: true, unit: '%', description: 'mIoU of objects covering ≤ 5% of the image' },
  { key: 'MS', official: 'MS', officialAt: 4, label: 'mIoU MS', short: 'MS', group: 'size', boundary: false, higherIsBetter: true, nullable: true, unit: '%', description: 'mIoU of objects covering 5–25%' },
  { key: 'ML', official: 'ML', officialAt: 5, label: 'mIoU ML', short: 'ML', group: 'size', boundary: false, higherIsBetter: true, nullable: true, unit: '%', description: 'mIoU of objects covering 25–50%' },
  { key: 'L', official: 'L', officialAt: 6, label: 'mIoU L', short: 'L', group: 'size', boundary: false, higherIsBetter: true, nullable: true, unit: '%', description: 'mIoU of objects covering > 50%' },
  { key: 'BS', official: 'BS', officialAt: 7, label: 'b-mIoU S', short: 'S', group: 'boundary-size', boundary: true, higherIsBetter: true, nullable: true, unit: '%', description: 'boundary mIoU, small objects' },
  { key: 'BMS', official: 'BMS', officialAt: 8, label: 'b-mIoU MS', short: 'MS', group: 'boundary-size', boundary: true, higherIsBetter: true, nullable: true, unit: '%', description: 'boundary mIoU, medium-small objects' },
  { key: 'BML', official: 'BML', officialAt: 9, label: 'b-mIoU ML', short: 'ML', group: 'boundary-size', boundary: true, higherIsBetter: true, nullable: true, unit: '%', description: 'boundary mIoU, medium-large objects' },
  { key: 'BL', official: 'BL', officialAt: 10, label: 'b-mIoU L', short: 'L', group: 'boundary-size', boundary: true, higherIsBetter: true, nullable: true, unit: '%', description: 'boundary mIoU, large objects' },
] as const satisfies readonly MetricRow[];

type Row = (typeof METRIC_TABLE)[number];
export type MetricKey = Row['key'];
/** A metric's row, typed by its key. */
export type MetricInfo = MetricRow & { key: MetricKey };

/** Every scalar metric by key: a number, or null where the row is nullable. */
export type ScalarMetrics = { [K in MetricKey]: Extract<Row, { key: K }>['nullable'] extends true ? number | null : number };

export const METRICS: readonly MetricInfo[] = METRIC_TABLE;
export const METRIC_KEYS = METRIC_TABLE.map((m) => m.key) as readonly MetricKey[] as readonly [MetricKey, ...MetricKey[]];

/** The rows of a group, in table order. */
export function metricsOf(group: MetricGroup): readonly MetricInfo[] {
  return METRICS.filter((m) => m.group === group);
}

export const METRIC_GROUPS: readonly { group: MetricGroup; label: string }[] = [
  { group: 'main', label: 'Main' },
  { group: 'size', label: 'mIoU by object size' },
  { group: 'boundary-size', label: 'b-mIoU by object size' },
];

export function metricInfo(key: MetricKey): MetricInfo {
  return METRICS.find((m) => m.key === key)!;
}

/** The keys in the official JSON's order. */
export const OFFICIAL_ORDER: readonly MetricKey[] = [...METRICS].sort((a, b) => a.officialAt - b.officialAt).map((m) => m.key);

/** The scalar metrics of any object that holds them (a result, a record), in the official JSON's order. */
export function pickScalars(m: ScalarMetrics): ScalarMetrics {
  return Object.fromEntries(OFFICIAL_ORDER.map((k) => [k, m[k]])) as ScalarMetrics;
}
