-- Browser sign-in: a password (scrypt, per-user salt; NULL = token sign-in only) and sessions
-- (the cookie holds a random token; only its SHA-256 is stored, as for API tokens).
ALTER TABLE users ADD COLUMN password_hash TEXT;
CREATE TABLE sessions (
  id          INTEGER PRIMARY KEY,
  user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  hash        TEXT NOT NULL UNIQUE,
  created_at  TEXT NOT NULL,
  expires_at  TEXT NOT NULL
);
CREATE INDEX sessions_expiry ON sessions(expires_at);
