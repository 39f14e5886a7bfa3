-- The first schema. Money is INTEGER units of 10^-8 EUR (account.Money);
-- timestamps are INTEGER nanoseconds since the Unix epoch, UTC.
--
-- The invariants of account.Store live here, not only in Go, so they hold
-- for any client of the file:
--   * an account holds one or two secrets: slot is 1 or 2 and unique per
--     account, and a trigger refuses to delete the last one;
--   * the ledger is append-only, each row's balance_after follows from the
--     account's balance, and accounts.balance only ever moves to the
--     balance_after of the account's newest ledger row, so the balance
--     always equals the sum of the ledger and never goes below zero.

CREATE TABLE accounts (
    api_key              TEXT    NOT NULL PRIMARY KEY,
    primary_api_key      TEXT    NULL REFERENCES accounts (api_key),
    balance              INTEGER NOT NULL CHECK (balance >= 0),
    reload_threshold     INTEGER NULL CHECK (reload_threshold >= 0),
    reload_amount        INTEGER NULL CHECK (reload_amount > 0),
    max_outbound_request INTEGER NOT NULL CHECK (max_outbound_request >= 0),
    max_inbound_request  INTEGER NOT NULL CHECK (max_inbound_request >= 0),
    max_calls_per_second INTEGER NOT NULL CHECK (max_calls_per_second >= 0),
    mo_callback_url      TEXT    NOT NULL DEFAULT '',
    dr_callback_url      TEXT    NOT NULL DEFAULT '',
    created_at           INTEGER NOT NULL,
    -- auto-reload is off (both NULL) or fully configured (both set)
    CHECK ((reload_threshold IS NULL) = (reload_amount IS NULL)),
    CHECK (primary_api_key IS NULL OR primary_api_key <> api_key)
) STRICT;

CREATE INDEX accounts_primary ON accounts (primary_api_key) WHERE primary_api_key IS NOT NULL;

CREATE TABLE secrets (
    seq        INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, -- creation order
    id         TEXT    NOT NULL UNIQUE,
    api_key    TEXT    NOT NULL REFERENCES accounts (api_key),
    -- at most two secrets: there are only two slots per account
    slot       INTEGER NOT NULL CHECK (slot IN (1, 2)),
    hash       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (api_key, slot)
) STRICT;

-- at least one secret. The message is matched in Go (see lastSecretMsg).
CREATE TRIGGER secrets_keep_last BEFORE DELETE ON secrets
WHEN (SELECT count(*) FROM secrets WHERE api_key = OLD.api_key) <= 1
BEGIN
    SELECT RAISE(ABORT, 'last secret: an account must keep at least one secret');
END;

CREATE TABLE transactions (
    id            INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    api_key       TEXT    NOT NULL REFERENCES accounts (api_key),
    kind          TEXT    NOT NULL CHECK (kind IN ('credit', 'charge', 'reload', 'top-up')),
    amount        INTEGER NOT NULL CHECK (amount <> 0),
    balance_after INTEGER NOT NULL CHECK (balance_after >= 0),
    reference     TEXT    NOT NULL DEFAULT '',
    trx           TEXT    NULL UNIQUE,
    related_trx   TEXT    NULL REFERENCES transactions (trx),
    created_at    INTEGER NOT NULL,
    -- charges take money, everything else adds it
    CHECK ((kind = 'charge') = (amount < 0)),
    -- reloads and top-ups carry a reference; only a top-up points at another
    CHECK (kind NOT IN ('reload', 'top-up') OR trx IS NOT NULL),
    CHECK ((kind = 'top-up') = (related_trx IS NOT NULL))
) STRICT;

CREATE INDEX transactions_account ON transactions (api_key, id);

CREATE TRIGGER transactions_follow_balance BEFORE INSERT ON transactions
WHEN NEW.balance_after IS NOT
     (SELECT balance FROM accounts WHERE api_key = NEW.api_key) + NEW.amount
BEGIN
    SELECT RAISE(ABORT, 'ledger: balance_after must be the balance plus the amount');
END;

CREATE TRIGGER transactions_move_balance AFTER INSERT ON transactions
BEGIN
    UPDATE accounts SET balance = NEW.balance_after WHERE api_key = NEW.api_key;
END;

CREATE TRIGGER transactions_no_update BEFORE UPDATE ON transactions
BEGIN
    SELECT RAISE(ABORT, 'ledger: rows are append-only');
END;

CREATE TRIGGER transactions_no_delete BEFORE DELETE ON transactions
BEGIN
    SELECT RAISE(ABORT, 'ledger: rows are append-only');
END;

-- An account starts empty; money arrives only through the ledger.
CREATE TRIGGER accounts_open_empty BEFORE INSERT ON accounts
WHEN NEW.balance <> 0
BEGIN
    SELECT RAISE(ABORT, 'ledger: an account opens with a zero balance');
END;

CREATE TRIGGER accounts_balance_from_ledger BEFORE UPDATE OF balance ON accounts
WHEN NEW.balance IS NOT (SELECT balance_after FROM transactions
                         WHERE api_key = NEW.api_key ORDER BY id DESC LIMIT 1)
BEGIN
    SELECT RAISE(ABORT, 'ledger: the balance moves only with a ledger row');
END;
