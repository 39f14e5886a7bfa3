-- Callback deliveries (issue 18): the durable queue of inbound SMS and
-- delivery receipts to send to accounts' callback URLs, and each attempt.
-- A delivery is pending until its endpoint answers 2xx (delivered) or its
-- retry window ends (failed). Instances claim due deliveries with
-- FOR UPDATE SKIP LOCKED; claim counts the claims made on one, and a
-- worker ends its claim only while claim is still the number it took;
-- lease_until is when a claim, if the instance holding it died, runs out
-- and another instance may take the delivery. params is the payload, a
-- JSON array of [name, value] pairs.

ALTER TABLE accounts ADD COLUMN webhook_method text NOT NULL DEFAULT 'POST-JSON',
    ADD CONSTRAINT accounts_webhook_method_check CHECK (webhook_method IN ('GET', 'POST', 'POST-JSON'));

CREATE TABLE webhook_deliveries (
    id              bigint      GENERATED ALWAYS AS IDENTITY,
    api_key         text        NOT NULL,
    kind            text        NOT NULL,
    message_id      text        NOT NULL,
    url             text        NOT NULL,
    method          text        NOT NULL,
    params          text        NOT NULL,
    state           text        NOT NULL,
    created_at      timestamptz NOT NULL,
    next_attempt_at timestamptz NULL,
    lease_until     timestamptz NULL,
    claim           bigint      NOT NULL DEFAULT 0,
    CONSTRAINT webhook_deliveries_pkey PRIMARY KEY (id),
    CONSTRAINT webhook_deliveries_account_fkey FOREIGN KEY (api_key) REFERENCES accounts (api_key),
    CONSTRAINT webhook_deliveries_kind_check CHECK (kind IN ('inbound-sms', 'delivery-receipt')),
    CONSTRAINT webhook_deliveries_method_check CHECK (method IN ('GET', 'POST', 'POST-JSON')),
    CONSTRAINT webhook_deliveries_state_check CHECK (state IN ('pending', 'delivered', 'failed')),
    -- only a pending delivery is due
    CONSTRAINT webhook_deliveries_due_check CHECK ((state = 'pending') = (next_attempt_at IS NOT NULL))
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_account ON webhook_deliveries (api_key, id);

CREATE TABLE webhook_attempts (
    delivery_id bigint      NOT NULL,
    n           integer     NOT NULL,
    started_at  timestamptz NOT NULL,
    duration_ns bigint      NOT NULL,
    status_code integer     NOT NULL,
    error       text        NOT NULL DEFAULT '',
    CONSTRAINT webhook_attempts_pkey PRIMARY KEY (delivery_id, n),
    CONSTRAINT webhook_attempts_delivery_fkey FOREIGN KEY (delivery_id) REFERENCES webhook_deliveries (id),
    CONSTRAINT webhook_attempts_n_check CHECK (n > 0),
    CONSTRAINT webhook_attempts_duration_check CHECK (duration_ns >= 0),
    CONSTRAINT webhook_attempts_status_check CHECK (status_code >= 0)
);
