/**
 * Metric metadata in one place: the CLI, the server and the UI read names, units and sort
 * direction from here. Keys are the official `log` keys.
 */
export interface MetricInfo {
  key: 'Acc' | 'mIoU' | 'mBIoU' | 'S' | 'MS' | 'ML' | 'L' | 'BS' | 'BMS' | 'BML' | 'BL' | 'FMeasure';
  label: string;
  description: string;
  higherIsBetter: true;
  unit: '%';
}

export const METRICS: readonly MetricInfo[] = [
  { key: 'mIoU', label: 'mIoU', description: 'mean IoU over all C+1 classes, "other" (0) included', higherIsBetter: true, unit: '%' },
  { key: 'mBIoU', label: 'b-mIoU', description: 'mean boundary IoU (boundary width 3% of the image diagonal)', higherIsBetter: true, unit: '%' },
  { key: 'Acc', label: 'Img-Acc', description: 'image-level accuracy of the most-predicted class', higherIsBetter: true, unit: '%' },
  { key: 'FMeasure', label: 'F-measure', description: 'per-image foreground F-measure (β² = 0.3), averaged', higherIsBetter: true, unit: '%' },
  { key: 'S', label: 'mIoU S', description: 'mIoU of objects covering ≤ 5% of the image', higherIsBetter: true, unit: '%' },
  { key: 'MS', label: 'mIoU MS', description: 'mIoU of objects covering 5–25%', higherIsBetter: true, unit: '%' },
  { key: 'ML', label: 'mIoU ML', description: 'mIoU of objects covering 25–50%', higherIsBetter: true, unit: '%' },
  { key: 'L', label: 'mIoU L', description: 'mIoU of objects covering > 50%', higherIsBetter: true, unit: '%' },
  { key: 'BS', label: 'b-mIoU S', description: 'boundary mIoU, small objects', higherIsBetter: true, unit: '%' },
  { key: 'BMS', label: 'b-mIoU MS', description: 'boundary mIoU, medium-small objects', higherIsBetter: true, unit: '%' },
  { key: 'BML', label: 'b-mIoU ML', description: 'boundary mIoU, medium-large objects', higherIsBetter: true, unit: '%' },
  { key: 'BL', label: 'b-mIoU L', description: 'boundary mIoU, large objects', higherIsBetter: true, unit: '%' },
];
