package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// secretIDsQuery reads the ids and creation times (never the hashes) of
// the secrets of a set of accounts, given as one JSON array, so that any
// number of keys is one statement: the IN list seeks the secrets'
// (api_key, slot) index once per key.
const secretIDsQuery = `SELECT api_key, id, created_at FROM secrets
	WHERE api_key IN (SELECT value FROM json_each(?1))
	ORDER BY api_key, seq`

// SecretIDs returns the secrets of the accounts apiKeys, without hashes.
// An account the view holds is answered from it; the others, in one
// query. The accounts read from the database are not added to the view: a
// walk through every account by an operator must not push out the hot
// accounts that authenticated requests are served from.
func (s *Store) SecretIDs(ctx context.Context, apiKeys []string) (map[string][]account.Secret, error) {
	out := make(map[string][]account.Secret, len(apiKeys))
	var missing []string // a key repeated here is harmless: IN matches once
	for _, k := range apiKeys {
		if _, done := out[k]; done {
			continue
		}
		if e, _ := s.view.get(k); e != nil {
			out[k] = withoutHashes(e.secrets)
			continue
		}
		missing = append(missing, k)
	}
	if len(missing) == 0 {
		return out, nil
	}
	keys, err := json.Marshal(missing)
	if err != nil {
		return nil, wrap("secret ids", err)
	}
	rows, err := s.r.QueryContext(ctx, secretIDsQuery, string(keys))
	if err != nil {
		return nil, wrap("secret ids", err)
	}
	_, err = eachRow(rows, func(row *sql.Rows) error {
		var (
			sec     account.Secret
			created int64
		)
		if err := row.Scan(&sec.APIKey, &sec.ID, &created); err != nil {
			return err
		}
		sec.CreatedAt = fromDB(created)
		out[sec.APIKey] = append(out[sec.APIKey], sec)
		return nil
	})
	if err != nil {
		return nil, wrap("secret ids", err)
	}
	return out, nil
}

// withoutHashes copies secrets with Hash left empty.
func withoutHashes(secrets []account.Secret) []account.Secret {
	out := make([]account.Secret, len(secrets))
	for i, sec := range secrets {
		sec.Hash = ""
		out[i] = sec
	}
	return out
}
