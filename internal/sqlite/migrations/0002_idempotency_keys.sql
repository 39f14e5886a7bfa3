-- Idempotency keys of money-moving requests (contract section 6). A key is
-- scoped to its account and recorded in the same transaction as the
-- movement it protects, so a repeat either finds it (and replays the
-- outcome) or runs as the first attempt: never both, never twice.
--
-- outcome 'ok' points at the movement's ledger rows (the charge or credit,
-- and the reload a charge triggered); 'insufficient_funds' is a refused
-- charge, recorded alone so that its repeat is refused the same way without
-- looking at the balance again.

CREATE TABLE idempotency_keys (
    api_key        TEXT    NOT NULL REFERENCES accounts (api_key),
    key            TEXT    NOT NULL,
    fingerprint    TEXT    NOT NULL,
    outcome        TEXT    NOT NULL CHECK (outcome IN ('ok', 'insufficient_funds')),
    transaction_id INTEGER NULL REFERENCES transactions (id),
    reload_id      INTEGER NULL REFERENCES transactions (id),
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (api_key, key),
    -- an accepted movement has its row; a refused one has none
    CHECK ((outcome = 'ok') = (transaction_id IS NOT NULL)),
    CHECK (reload_id IS NULL OR outcome = 'ok')
) STRICT;

-- pruning removes keys by age
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
