-- Accounts, API tokens (hashed), submissions, scores.
CREATE TABLE users (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  is_admin    INTEGER NOT NULL DEFAULT 0,
  created_at  TEXT NOT NULL
);

CREATE TABLE tokens (
  id          INTEGER PRIMARY KEY,
  user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  -- sha256 of the token; the token itself is shown once and never stored
  hash        TEXT NOT NULL UNIQUE,
  -- the first characters, so a user can tell tokens apart in a list
  prefix      TEXT NOT NULL,
  label       TEXT,
  created_at  TEXT NOT NULL,
  last_used_at TEXT,
  revoked_at  TEXT
);

CREATE TABLE submissions (
  id            INTEGER PRIMARY KEY,
  user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  benchmark     TEXT NOT NULL,
  -- queued → scoring → finished | failed | cancelled
  status        TEXT NOT NULL CHECK (status IN ('queued', 'scoring', 'finished', 'failed', 'cancelled')),
  method        TEXT,
  description   TEXT,
  link          TEXT,
  file          TEXT NOT NULL,
  file_bytes    INTEGER NOT NULL,
  images        INTEGER NOT NULL,
  has_match     INTEGER NOT NULL DEFAULT 0,
  progress_done INTEGER NOT NULL DEFAULT 0,
  attempts      INTEGER NOT NULL DEFAULT 0,
  error         TEXT,
  problems      TEXT,
  warnings      TEXT,
  computed_match TEXT,
  hidden        INTEGER NOT NULL DEFAULT 0,
  private       INTEGER NOT NULL DEFAULT 0,
  baseline      INTEGER NOT NULL DEFAULT 0,
  created_at    TEXT NOT NULL,
  started_at    TEXT,
  finished_at   TEXT
);
CREATE INDEX submissions_queue ON submissions(status, created_at);
CREATE INDEX submissions_board ON submissions(benchmark, status);
CREATE INDEX submissions_user_day ON submissions(user_id, benchmark, created_at);

-- Every scoring of a submission; re-scoring with a new evaluator version adds a row, old ones stay.
CREATE TABLE scores (
  id                INTEGER PRIMARY KEY,
  submission_id     INTEGER NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,
  evaluator_version TEXT NOT NULL,
  metrics           TEXT NOT NULL,
  created_at        TEXT NOT NULL
);
CREATE INDEX scores_submission ON scores(submission_id, id);
