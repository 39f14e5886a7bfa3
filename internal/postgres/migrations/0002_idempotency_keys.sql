-- Idempotency keys of money-moving requests (contract section 6). A key is
-- scoped to its account and recorded in the same transaction as the
-- movement it protects, under the account's row lock, so a repeat either
-- finds it (and replays the outcome) or runs as the first attempt: never
-- both, never twice.
--
-- outcome 'ok' points at the movement's ledger rows (the charge or credit,
-- and the reload a charge triggered); 'insufficient_funds' is a refused
-- charge, recorded alone so that its repeat is refused the same way without
-- looking at the balance again.

CREATE TABLE idempotency_keys (
    api_key        text        NOT NULL,
    key            text        NOT NULL,
    fingerprint    text        NOT NULL,
    outcome        text        NOT NULL,
    transaction_id bigint      NULL,
    reload_id      bigint      NULL,
    created_at     timestamptz NOT NULL,
    CONSTRAINT idempotency_keys_pkey PRIMARY KEY (api_key, key),
    CONSTRAINT idempotency_keys_account_fkey FOREIGN KEY (api_key) REFERENCES accounts (api_key),
    CONSTRAINT idempotency_keys_transaction_fkey FOREIGN KEY (transaction_id) REFERENCES transactions (id),
    CONSTRAINT idempotency_keys_reload_fkey FOREIGN KEY (reload_id) REFERENCES transactions (id),
    CONSTRAINT idempotency_keys_outcome_check CHECK (outcome IN ('ok', 'insufficient_funds')),
    -- an accepted movement has its row; a refused one has none
    CONSTRAINT idempotency_keys_row_check CHECK ((outcome = 'ok') = (transaction_id IS NOT NULL)),
    CONSTRAINT idempotency_keys_reload_check CHECK (reload_id IS NULL OR outcome = 'ok')
);

-- pruning removes keys by age
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
