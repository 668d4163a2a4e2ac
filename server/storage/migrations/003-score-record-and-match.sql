-- Scores become one versioned record (server/domain/score-record.ts): {version, images, metrics}, where
-- metrics holds the official scalar keys and the per-class IoUs and BIoUs.
ALTER TABLE scores ADD COLUMN record TEXT NOT NULL DEFAULT '{}';
UPDATE scores SET record = json_object(
  'version', 1,
  'images', (SELECT s.images FROM submissions s WHERE s.id = scores.submission_id),
  'metrics', json_object(
    'mIoU', json_extract(metrics, '$.mIoU'), 'mBIoU', json_extract(metrics, '$.mBIoU'),
    'Acc', json_extract(metrics, '$.Acc'), 'FMeasure', json_extract(metrics, '$.FMeasure'),
    'S', json_extract(metrics, '$.S'), 'MS', json_extract(metrics, '$.MS'), 'ML', json_extract(metrics, '$.ML'), 'L', json_extract(metrics, '$.L'),
    'BS', json_extract(metrics, '$.BS'), 'BMS', json_extract(metrics, '$.BMS'), 'BML', json_extract(metrics, '$.BML'), 'BL', json_extract(metrics, '$.BL'),
    'IoUs', json(coalesce(json_extract(metrics, '$.IoUs'), '[]')),
    'BIoUs', json(coalesce(json_extract(metrics, '$.BIoUs'), '[]'))));
ALTER TABLE scores DROP COLUMN metrics;

-- The submission's own match.json, as validated at upload (it travels with the submission; scoring
-- does not read it from the zip again). NULL for submissions without one, and for older rows.
ALTER TABLE submissions ADD COLUMN match TEXT;
