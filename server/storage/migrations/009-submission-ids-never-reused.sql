-- A deleted submission's id is never given to another: SQLite reuses the largest rowid once its row
-- is gone, so a bookmark, an API client or a result still in flight for a deleted submission could
-- meet a different one under the same id. The highest id ever used is kept here (a deletion records
-- its id), and a new submission takes the next one (queries.ts).
CREATE TABLE id_high_water (
  name TEXT PRIMARY KEY,
  last INTEGER NOT NULL
);
INSERT INTO id_high_water (name, last) VALUES ('submissions', COALESCE((SELECT MAX(id) FROM submissions), 0));
CREATE TRIGGER submissions_high_water_on_delete AFTER DELETE ON submissions
BEGIN
  UPDATE id_high_water SET last = MAX(last, OLD.id) WHERE name = 'submissions';
END;
