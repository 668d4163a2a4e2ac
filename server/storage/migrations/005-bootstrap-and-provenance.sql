-- How sure is a score (evaluator/statistics/bootstrap.ts) and what it was computed from (evaluator/provenance.ts).
-- The uploaded zip's sha256, computed while it was received (NULL for older rows).
ALTER TABLE submissions ADD COLUMN file_sha256 TEXT;
-- The B resampled values of every bootstrap metric of a score: float64, metric-major in
-- BOOTSTRAP_METRICS order, resamples seeded by `seed` (the names list's).
CREATE TABLE score_samples (
  score_id INTEGER PRIMARY KEY REFERENCES scores(id) ON DELETE CASCADE,
  seed     TEXT NOT NULL,
  b        INTEGER NOT NULL,
  samples  BLOB NOT NULL
);
-- Per image (names-list order), for public-GT phases only: mean IoU over the image's classes and
-- its F-measure, float32, percent. Test phases never store it.
CREATE TABLE score_images (
  score_id INTEGER PRIMARY KEY REFERENCES scores(id) ON DELETE CASCADE,
  miou     BLOB NOT NULL,
  fmeasure BLOB NOT NULL
);
