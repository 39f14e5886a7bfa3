-- Signature secrets of signed requests (contract section 1). The secret is
-- kept only sealed (AES-256-GCM under the server's data key, with the API
-- key as additional data, account.DataKey): version byte, nonce,
-- ciphertext and tag. An account has at most one signature.

CREATE TABLE account_signatures (
    api_key TEXT NOT NULL PRIMARY KEY REFERENCES accounts (api_key),
    method  TEXT NOT NULL CHECK (method IN ('md5hash', 'md5', 'sha1', 'sha256', 'sha512')),
    sealed  BLOB NOT NULL CHECK (length(sealed) > 29)
) STRICT;
