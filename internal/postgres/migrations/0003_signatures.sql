-- Signature secrets of signed requests (contract section 1). The secret is
-- kept only sealed (AES-256-GCM under the server's data key, with the API
-- key as additional data, account.DataKey): version byte, nonce,
-- ciphertext and tag. An account has at most one signature.

CREATE TABLE account_signatures (
    api_key text  NOT NULL,
    method  text  NOT NULL,
    sealed  bytea NOT NULL,
    CONSTRAINT account_signatures_pkey PRIMARY KEY (api_key),
    CONSTRAINT account_signatures_account_fkey FOREIGN KEY (api_key) REFERENCES accounts (api_key),
    CONSTRAINT account_signatures_method_check CHECK (method IN ('md5hash', 'md5', 'sha1', 'sha256', 'sha512')),
    CONSTRAINT account_signatures_sealed_check CHECK (length(sealed) > 29)
);
