package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// secretIDsQuery reads the ids and creation times (never the hashes) of
// the secrets of a set of accounts, given as one text array: one round
// trip whatever the number of keys, each key one seek of the
// secrets_slot_key (api_key, slot) index.
const secretIDsQuery = `SELECT api_key, id, created_at FROM secrets
	WHERE api_key = ANY($1::text[])
	ORDER BY api_key, seq`

// SecretIDs returns the secrets of the accounts apiKeys, without hashes,
// in one statement.
func (s *Store) SecretIDs(ctx context.Context, apiKeys []string) (map[string][]account.Secret, error) {
	out := make(map[string][]account.Secret, len(apiKeys))
	if len(apiKeys) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, secretIDsQuery, apiKeys)
	if err != nil {
		return nil, wrap("secret ids", err)
	}
	var (
		key, id string
		created time.Time
	)
	_, err = pgx.ForEachRow(rows, []any{&key, &id, &created}, func() error {
		out[key] = append(out[key], account.Secret{ID: id, APIKey: key, CreatedAt: fromDB(created)})
		return nil
	})
	if err != nil {
		return nil, wrap("secret ids", err)
	}
	return out, nil
}
