-- Callback deliveries (issue 18): the durable queue of inbound SMS and
-- delivery receipts to send to accounts' callback URLs, and each attempt.
-- A delivery is pending until its endpoint answers 2xx (delivered) or its
-- retry window ends (failed). claim counts the claims made on it: a worker
-- ends its claim only while claim is still the number it took, and
-- lease_until is when a claim, if the worker holding it died, runs out.
-- params is the payload, a JSON array of [name, value] pairs.

ALTER TABLE accounts ADD COLUMN webhook_method TEXT NOT NULL DEFAULT 'POST-JSON'
    CHECK (webhook_method IN ('GET', 'POST', 'POST-JSON'));

CREATE TABLE webhook_deliveries (
    id              INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    api_key         TEXT    NOT NULL REFERENCES accounts (api_key),
    kind            TEXT    NOT NULL CHECK (kind IN ('inbound-sms', 'delivery-receipt')),
    message_id      TEXT    NOT NULL,
    url             TEXT    NOT NULL,
    method          TEXT    NOT NULL CHECK (method IN ('GET', 'POST', 'POST-JSON')),
    params          TEXT    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    created_at      INTEGER NOT NULL,
    next_attempt_at INTEGER NULL,
    lease_until     INTEGER NULL,
    claim           INTEGER NOT NULL DEFAULT 0,
    -- only a pending delivery is due
    CHECK ((state = 'pending') = (next_attempt_at IS NOT NULL))
) STRICT;

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_account ON webhook_deliveries (api_key, id);

CREATE TABLE webhook_attempts (
    delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries (id),
    n           INTEGER NOT NULL CHECK (n > 0),
    started_at  INTEGER NOT NULL,
    duration_ns INTEGER NOT NULL CHECK (duration_ns >= 0),
    status_code INTEGER NOT NULL CHECK (status_code >= 0),
    error       TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (delivery_id, n)
) STRICT;
