-- Sessions of the web dashboard (internal/dashboard). Only the SHA-256 of
-- a session's cookie token is kept, so the table opens no session. An
-- account's session names the secret that opened it and ends when that
-- secret is gone (checked on every request); an operator's names a
-- fingerprint of the admin token instead, and no account.

CREATE TABLE dashboard_sessions (
    token_hash TEXT    NOT NULL PRIMARY KEY,
    operator   INTEGER NOT NULL CHECK (operator IN (0, 1)),
    api_key    TEXT    NOT NULL,
    secret_id  TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    CHECK ((operator = 1) = (api_key = '')),
    CHECK (expires_at > created_at)
) STRICT;

-- expired sessions are deleted by age
CREATE INDEX dashboard_sessions_expires ON dashboard_sessions (expires_at);
