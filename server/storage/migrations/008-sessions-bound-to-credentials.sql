-- A browser session knows what it was made from (NULL: a password; else the API token pasted at
-- /login, whose revocation ends it), where and with what it was made, and when it was last seen, so
-- that its owner can list and end it.
ALTER TABLE sessions ADD COLUMN token_id INTEGER REFERENCES tokens(id) ON DELETE CASCADE;
ALTER TABLE sessions ADD COLUMN address TEXT;
ALTER TABLE sessions ADD COLUMN agent TEXT;
ALTER TABLE sessions ADD COLUMN last_seen_at TEXT;
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_token ON sessions(token_id);
