-- The first schema, the PostgreSQL twin of internal/sqlite's. Money is
-- BIGINT units of 10^-8 EUR (account.Money); timestamps are timestamptz
-- (microseconds, which is all the service hands in).
--
-- The invariants of account.Store live here, not only in Go, so they hold
-- for every server instance sharing the database and for any other client:
--   * an account holds one or two secrets: slot is 1 or 2 and unique per
--     account, and a trigger refuses to delete the last one, taking the
--     account row lock first so that two concurrent deletes serialize;
--   * the ledger is append-only, each row's balance_after follows from the
--     account's balance (read under the account row lock), and
--     accounts.balance only ever moves to the balance_after of the
--     account's newest ledger row, so the balance always equals the sum of
--     the ledger and never goes below zero.
--
-- Errors raised by the triggers carry their own SQLSTATEs, matched in Go:
--   VN001  the last secret of an account cannot be deleted
--   VN002  a ledger rule (balance_after, append-only, balance moves)
--
-- Every function is created with SET search_path FROM CURRENT: it finds
-- these tables whatever the search_path of the session that fires it.

CREATE TABLE accounts (
    api_key              text        NOT NULL,
    primary_api_key      text        NULL,
    balance              bigint      NOT NULL,
    reload_threshold     bigint      NULL,
    reload_amount        bigint      NULL,
    max_outbound_request integer     NOT NULL,
    max_inbound_request  integer     NOT NULL,
    max_calls_per_second integer     NOT NULL,
    mo_callback_url      text        NOT NULL DEFAULT '',
    dr_callback_url      text        NOT NULL DEFAULT '',
    created_at           timestamptz NOT NULL,
    CONSTRAINT accounts_pkey PRIMARY KEY (api_key),
    CONSTRAINT accounts_primary_fkey FOREIGN KEY (primary_api_key) REFERENCES accounts (api_key),
    CONSTRAINT accounts_not_own_primary CHECK (primary_api_key IS NULL OR primary_api_key <> api_key),
    CONSTRAINT accounts_balance_check CHECK (balance >= 0),
    CONSTRAINT accounts_reload_threshold_check CHECK (reload_threshold >= 0),
    CONSTRAINT accounts_reload_amount_check CHECK (reload_amount > 0),
    -- auto-reload is off (both NULL) or fully configured (both set)
    CONSTRAINT accounts_reload_pair CHECK ((reload_threshold IS NULL) = (reload_amount IS NULL)),
    CONSTRAINT accounts_limits_check CHECK (max_outbound_request >= 0
                                            AND max_inbound_request >= 0
                                            AND max_calls_per_second >= 0)
);

CREATE INDEX accounts_primary ON accounts (primary_api_key) WHERE primary_api_key IS NOT NULL;

CREATE TABLE secrets (
    id         text        NOT NULL,
    -- creation order, which neither created_at nor id gives
    seq        bigint      NOT NULL GENERATED ALWAYS AS IDENTITY,
    api_key    text        NOT NULL,
    slot       smallint    NOT NULL,
    hash       text        NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT secrets_pkey PRIMARY KEY (id),
    CONSTRAINT secrets_account_fkey FOREIGN KEY (api_key) REFERENCES accounts (api_key),
    -- at most two secrets: there are only two slots per account. The
    -- unique index also serves lookups by account.
    CONSTRAINT secrets_slot_check CHECK (slot IN (1, 2)),
    CONSTRAINT secrets_slot_key UNIQUE (api_key, slot)
);

-- At least one secret. The account row lock makes concurrent deletes of an
-- account's secrets take turns, and in READ COMMITTED each turn's count
-- sees the deletes committed before it.
CREATE FUNCTION secrets_keep_last() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    PERFORM 1 FROM accounts WHERE api_key = OLD.api_key FOR NO KEY UPDATE;
    IF (SELECT count(*) FROM secrets WHERE api_key = OLD.api_key) <= 1 THEN
        RAISE EXCEPTION 'last secret: an account must keep at least one secret'
            USING ERRCODE = 'VN001';
    END IF;
    RETURN OLD;
END
$$;

CREATE TRIGGER secrets_keep_last BEFORE DELETE ON secrets
FOR EACH ROW EXECUTE FUNCTION secrets_keep_last();

-- A secret stays with its account: moving it to another would be a delete
-- that the trigger above never sees.
CREATE FUNCTION secrets_fixed_owner() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    RAISE EXCEPTION 'last secret: a secret cannot move to another account'
        USING ERRCODE = 'VN001';
END
$$;

CREATE TRIGGER secrets_fixed_owner BEFORE UPDATE OF api_key ON secrets
FOR EACH ROW WHEN (OLD.api_key IS DISTINCT FROM NEW.api_key)
EXECUTE FUNCTION secrets_fixed_owner();

CREATE FUNCTION secrets_no_truncate() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    RAISE EXCEPTION 'last secret: secrets cannot be truncated'
        USING ERRCODE = 'VN001';
END
$$;

CREATE TRIGGER secrets_no_truncate BEFORE TRUNCATE ON secrets
FOR EACH STATEMENT EXECUTE FUNCTION secrets_no_truncate();

CREATE TABLE transactions (
    id            bigint      NOT NULL GENERATED ALWAYS AS IDENTITY,
    api_key       text        NOT NULL,
    kind          text        NOT NULL,
    amount        bigint      NOT NULL,
    balance_after bigint      NOT NULL,
    reference     text        NOT NULL DEFAULT '',
    trx           text        NULL,
    related_trx   text        NULL,
    created_at    timestamptz NOT NULL,
    CONSTRAINT transactions_pkey PRIMARY KEY (id),
    CONSTRAINT transactions_account_fkey FOREIGN KEY (api_key) REFERENCES accounts (api_key),
    CONSTRAINT transactions_trx_key UNIQUE (trx),
    CONSTRAINT transactions_related_fkey FOREIGN KEY (related_trx) REFERENCES transactions (trx),
    CONSTRAINT transactions_kind_check CHECK (kind IN ('credit', 'charge', 'reload', 'top-up')),
    CONSTRAINT transactions_amount_check CHECK (amount <> 0),
    CONSTRAINT transactions_balance_after_check CHECK (balance_after >= 0),
    -- charges take money, everything else adds it
    CONSTRAINT transactions_sign_check CHECK ((kind = 'charge') = (amount < 0)),
    -- reloads and top-ups carry a reference; only a top-up points at another
    CONSTRAINT transactions_trx_check CHECK (kind NOT IN ('reload', 'top-up') OR trx IS NOT NULL),
    CONSTRAINT transactions_related_check CHECK ((kind = 'top-up') = (related_trx IS NOT NULL))
);

-- one account's ledger, newest first; also the newest row's balance_after
CREATE INDEX transactions_account ON transactions (api_key, id);

-- related_trx's foreign key, so that the checks it makes are cheap
CREATE INDEX transactions_related ON transactions (related_trx) WHERE related_trx IS NOT NULL;

-- Each row starts from the account's balance, read under the account row
-- lock, so two concurrent writers cannot both start from the same balance.
CREATE FUNCTION transactions_follow_balance() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    current bigint;
BEGIN
    SELECT balance INTO current FROM accounts WHERE api_key = NEW.api_key FOR NO KEY UPDATE;
    IF FOUND AND NEW.balance_after IS DISTINCT FROM current + NEW.amount THEN
        RAISE EXCEPTION 'ledger: balance_after must be the balance plus the amount'
            USING ERRCODE = 'VN002';
    END IF;
    RETURN NEW; -- an unknown account is the foreign key's to refuse
END
$$;

CREATE TRIGGER transactions_follow_balance BEFORE INSERT ON transactions
FOR EACH ROW EXECUTE FUNCTION transactions_follow_balance();

CREATE FUNCTION transactions_move_balance() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    UPDATE accounts SET balance = NEW.balance_after WHERE api_key = NEW.api_key;
    RETURN NULL;
END
$$;

CREATE TRIGGER transactions_move_balance AFTER INSERT ON transactions
FOR EACH ROW EXECUTE FUNCTION transactions_move_balance();

CREATE FUNCTION transactions_append_only() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    RAISE EXCEPTION 'ledger: rows are append-only' USING ERRCODE = 'VN002';
END
$$;

CREATE TRIGGER transactions_no_change BEFORE UPDATE OR DELETE ON transactions
FOR EACH ROW EXECUTE FUNCTION transactions_append_only();

CREATE TRIGGER transactions_no_truncate BEFORE TRUNCATE ON transactions
FOR EACH STATEMENT EXECUTE FUNCTION transactions_append_only();

-- An account starts empty; money arrives only through the ledger.
CREATE FUNCTION accounts_open_empty() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    RAISE EXCEPTION 'ledger: an account opens with a zero balance' USING ERRCODE = 'VN002';
END
$$;

CREATE TRIGGER accounts_open_empty BEFORE INSERT ON accounts
FOR EACH ROW WHEN (NEW.balance <> 0) EXECUTE FUNCTION accounts_open_empty();

CREATE FUNCTION accounts_balance_from_ledger() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF NEW.balance IS DISTINCT FROM (SELECT balance_after FROM transactions
                                     WHERE api_key = NEW.api_key
                                     ORDER BY id DESC LIMIT 1) THEN
        RAISE EXCEPTION 'ledger: the balance moves only with a ledger row' USING ERRCODE = 'VN002';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER accounts_balance_from_ledger BEFORE UPDATE OF balance ON accounts
FOR EACH ROW EXECUTE FUNCTION accounts_balance_from_ledger();
