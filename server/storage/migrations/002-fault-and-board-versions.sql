-- Who a failure is due to: 'submission' (it counts against a private-GT phase's quota) or 'server'.
ALTER TABLE submissions ADD COLUMN fault TEXT CHECK (fault IN ('submission', 'server'));

-- A counter per benchmark, bumped by triggers on every change a leaderboard can show, whoever
-- makes it (the server, the scoring loop, the admin CLI in another process): cached boards compare
-- it and can never miss a state change.
CREATE TABLE board_versions (
  benchmark TEXT PRIMARY KEY,
  version   INTEGER NOT NULL
);
CREATE TRIGGER board_on_insert AFTER INSERT ON submissions BEGIN
  INSERT INTO board_versions (benchmark, version) VALUES (NEW.benchmark, 1)
    ON CONFLICT (benchmark) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER board_on_update AFTER UPDATE OF status, method, description, link, hidden, private, baseline, user_id, benchmark ON submissions BEGIN
  INSERT INTO board_versions (benchmark, version) VALUES (NEW.benchmark, 1)
    ON CONFLICT (benchmark) DO UPDATE SET version = version + 1;
  INSERT INTO board_versions (benchmark, version) VALUES (OLD.benchmark, 1)
    ON CONFLICT (benchmark) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER board_on_delete AFTER DELETE ON submissions BEGIN
  INSERT INTO board_versions (benchmark, version) VALUES (OLD.benchmark, 1)
    ON CONFLICT (benchmark) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER board_on_score AFTER INSERT ON scores BEGIN
  INSERT INTO board_versions (benchmark, version)
    SELECT benchmark, 1 FROM submissions WHERE id = NEW.submission_id
    ON CONFLICT (benchmark) DO UPDATE SET version = version + 1;
END;
-- user names are shown on boards
CREATE TRIGGER board_on_user AFTER UPDATE OF name ON users BEGIN
  UPDATE board_versions SET version = version + 1;
END;
