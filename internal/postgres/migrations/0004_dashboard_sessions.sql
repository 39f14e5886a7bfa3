-- Sessions of the web dashboard (internal/dashboard). Only the SHA-256 of
-- a session's cookie token is kept, so the table opens no session. An
-- account's session names the secret that opened it and ends when that
-- secret is gone (checked on every request); an operator's names a
-- fingerprint of the admin token instead, and no account.

CREATE TABLE dashboard_sessions (
    token_hash text        NOT NULL,
    operator   boolean     NOT NULL,
    api_key    text        NOT NULL,
    secret_id  text        NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    CONSTRAINT dashboard_sessions_pkey PRIMARY KEY (token_hash),
    CONSTRAINT dashboard_sessions_operator_check CHECK (operator = (api_key = '')),
    CONSTRAINT dashboard_sessions_expiry_check CHECK (expires_at > created_at)
);

-- expired sessions are deleted by age
CREATE INDEX dashboard_sessions_expires ON dashboard_sessions (expires_at);
