-- Baselines the server ran itself (server/domain/baselines.ts): a converted model registered by an admin
-- for one benchmark; the run's provenance; the submission it produced (a baseline row).
CREATE TABLE baselines (
  id            INTEGER PRIMARY KEY,
  benchmark     TEXT NOT NULL,
  arch          TEXT NOT NULL,
  model_dir     TEXT NOT NULL,
  manifest      TEXT NOT NULL,
  status        TEXT NOT NULL CHECK (status IN ('running', 'submitted', 'failed')),
  error         TEXT,
  submission_id INTEGER REFERENCES submissions(id) ON DELETE SET NULL,
  images        INTEGER,
  seconds       REAL,
  provider      TEXT,
  runtime       TEXT,
  created_by    INTEGER NOT NULL REFERENCES users(id),
  created_at    TEXT NOT NULL,
  finished_at   TEXT
);
