-- Model submissions (server/domain/models.ts): the bundle a researcher uploaded, run by the server
-- before its predictions are scored. A model run is a step before scoring, with its own state beside
-- the submission's status (which stays 'queued' until the predictions exist):
--   model_state  pending → running → ran | failed   (NULL: a zip of predictions)
-- `file` is where the predictions zip is written once the model ran; `model_attempts` numbers the
-- runs, so a result of a run that was cancelled, restarted or handed to another worker is refused.
ALTER TABLE submissions ADD COLUMN model_file TEXT;
ALTER TABLE submissions ADD COLUMN model_sha256 TEXT;
ALTER TABLE submissions ADD COLUMN model_bytes INTEGER;
ALTER TABLE submissions ADD COLUMN model_json TEXT;
ALTER TABLE submissions ADD COLUMN model_state TEXT CHECK (model_state IN ('pending', 'running', 'ran', 'failed'));
ALTER TABLE submissions ADD COLUMN model_attempts INTEGER NOT NULL DEFAULT 0;
-- the trial's projection (seconds for the phase), counted against the daily compute budget until the run ends
ALTER TABLE submissions ADD COLUMN model_projected_seconds REAL;
-- the run as it happened: {"runtime","provider","device","images","seconds"} (JSON)
ALTER TABLE submissions ADD COLUMN model_run TEXT;
-- the owner lets anyone download the bundle (a board row's link); private to owner and admins otherwise
ALTER TABLE submissions ADD COLUMN model_public INTEGER NOT NULL DEFAULT 0;
CREATE INDEX submissions_models ON submissions(model_state, status) WHERE model_state IS NOT NULL;

-- a published (or withdrawn) model changes what a board row shows
DROP TRIGGER board_on_update;
CREATE TRIGGER board_on_update AFTER UPDATE OF status, method, description, link, hidden, private, baseline, user_id, benchmark, model_public ON submissions BEGIN
  INSERT INTO board_versions (benchmark, version) VALUES (NEW.benchmark, 1)
    ON CONFLICT (benchmark) DO UPDATE SET version = version + 1;
  INSERT INTO board_versions (benchmark, version) VALUES (OLD.benchmark, 1)
    ON CONFLICT (benchmark) DO UPDATE SET version = version + 1;
END;
