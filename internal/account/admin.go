package account

import (
	"context"
	"io"
	"log/slog"
)

// The operator's account work beyond create and show (contract section 6):
// listing accounts page by page and resetting an account's secrets.

// Page sizes of ListAccounts.
const (
	DefaultAccountPage = 100
	MaxAccountPage     = 1000
)

// ListAccounts returns one page of accounts, ordered by key: up to q.Limit
// (DefaultAccountPage when 0, at most MaxAccountPage) matching q. next is the
// After of the following page, and empty when this page is the last.
func (s *Service) ListAccounts(ctx context.Context, q AccountQuery) (accts []Account, next string, err error) {
	switch {
	case q.Limit == 0:
		q.Limit = DefaultAccountPage
	case q.Limit < 0 || q.Limit > MaxAccountPage:
		return nil, "", Invalid("page_size", "must be an integer from 1 to %d", MaxAccountPage)
	}
	// Keys are at most 32 characters (ValidateAPIKey; 64 for the looser
	// paths), so a longer filter matches nothing and need not reach the
	// database.
	if len(q.Prefix) > 64 || len(q.PrimaryAPIKey) > 64 || len(q.After) > 64 {
		return []Account{}, "", nil
	}
	limit := q.Limit
	q.Limit++ // one more says whether another page follows
	accts, err = s.store.ListAccounts(ctx, q)
	if err != nil {
		return nil, "", err
	}
	if len(accts) > limit {
		accts = accts[:limit]
		next = accts[limit-1].APIKey
	}
	return accts, next, nil
}

// AccountPage is one page of the operator's listing: the accounts, each
// account's secrets (ids and creation times, no hashes) by API key, and
// the After of the following page (empty when this page is the last).
type AccountPage struct {
	Accounts []Account
	Secrets  map[string][]Secret
	Next     string
}

// ListAccountsWithSecrets is ListAccounts with each account's secrets, as
// GET /admin/accounts shows them: two store reads for the whole page, not
// one more per account. The two reads are not one snapshot; accounts are
// never removed and always hold a secret, so each listed account has its
// secrets as they were at the second read.
func (s *Service) ListAccountsWithSecrets(ctx context.Context, q AccountQuery) (AccountPage, error) {
	accts, next, err := s.ListAccounts(ctx, q)
	if err != nil {
		return AccountPage{}, err
	}
	if len(accts) == 0 {
		return AccountPage{Accounts: accts, Secrets: map[string][]Secret{}}, nil
	}
	keys := make([]string, len(accts))
	for i, a := range accts {
		keys[i] = a.APIKey
	}
	secrets, err := s.store.SecretIDs(ctx, keys)
	if err != nil {
		return AccountPage{}, err
	}
	for _, list := range secrets {
		for i := range list {
			list[i].Hash = "" // the store leaves it out; a listing never carries one
		}
	}
	return AccountPage{Accounts: accts, Secrets: secrets, Next: next}, nil
}

// ResetSecrets replaces every secret of the account apiKey by one new
// secret, in one database transaction: secret when given (it must satisfy
// ValidateSecret), otherwise a generated one, returned as generated (the one
// time it is shown). Every old secret stops working at once, on every
// instance: a cached verification is confirmed against the stored secret
// ids on each request, and the old ids are gone. The reset is logged at
// Info with the key and the new secret's id, never the secret.
func (s *Service) ResetSecrets(ctx context.Context, apiKey, secret string) (sec Secret, generated string, err error) {
	if apiKey == "" || len(apiKey) > 64 { // no stored key is longer
		return Secret{}, "", KeyNotFound(apiKey)
	}
	if secret == "" {
		secret = newSecret()
		generated = secret
	} else if err := ValidateSecret(secret); err != nil {
		return Secret{}, "", err
	}
	// Refuse an unknown key before paying for a hash; the secrets read
	// is what the metrics count as revoked.
	old, err := s.store.Secrets(ctx, apiKey)
	if err != nil {
		return Secret{}, "", err
	}
	hash, err := s.hash(ctx, secret)
	if err != nil {
		return Secret{}, "", err
	}
	sec = Secret{ID: NewID(), APIKey: apiKey, Hash: hash, CreatedAt: s.timestamp()}
	if err := s.store.ResetSecrets(ctx, sec); err != nil {
		return Secret{}, "", err
	}
	s.obs.SecretsChanged(1, len(old))
	s.log.LogAttrs(ctx, slog.LevelInfo, "secrets reset by an operator",
		slog.String("api_key", apiKey), slog.String("secret_id", sec.ID))
	return sec, generated, nil
}

// PrefixEnd returns the least string above every string that starts with
// prefix, in byte order (SQLite's and PostgreSQL's "C" order, which agree
// with any collation on keys of a-z and 0-9): with prefix, the key range
// [prefix, PrefixEnd(prefix)) that a store's index can seek. It is "" when
// there is no such bound (an empty prefix, or one of 0xff bytes only).
func PrefixEnd(prefix string) string {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return ""
}

// Secrets returns an account's secrets, oldest first, for operators.
func (s *Service) Secrets(ctx context.Context, apiKey string) ([]Secret, error) {
	return s.store.Secrets(ctx, apiKey)
}

// Backuper is a Store that can write a consistent copy of its live
// database (internal/sqlite's).
type Backuper interface {
	Backup(ctx context.Context, w io.Writer) error
}

// Backup writes a consistent copy of the live database to w, while writes
// go on. A store that cannot (PostgreSQL) is ENOTSUPPORTED. The copy is as
// long as the database, so only ctx bounds it, not the per-call deadline.
func (s *Service) Backup(ctx context.Context, w io.Writer) error {
	store := s.store
	if d, ok := store.(deadlineStore); ok {
		store = d.inner
	}
	b, ok := store.(Backuper)
	if !ok {
		return Errorf(ENOTSUPPORTED, "online backup is built in for SQLite only; back PostgreSQL up with pg_dump (see the README, Operating it)")
	}
	return b.Backup(ctx, w)
}
