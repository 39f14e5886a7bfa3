package sqlite

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"sync"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// The view: this process's copy of its hot accounts (the account row and
// its secrets), so that an authenticated request whose verification is
// cached costs no database call. It is correct only because this process
// owns the file (lockOwner): no one else writes it.
//
// Every write method of the Store states, through the change list of its
// write transaction (txChanges), what it did to which account; write
// applies the list to the view after the commit and before it returns, in
// commit order (writes take turns, s.wturn), so the next read sees the
// write. A write whose outcome is unknown forgets the accounts it named.
// storetest.WritesVisible fails for a Store write method that it does not
// know, and for one whose write the next read does not see.

// viewSize bounds the view: the verification cache's default size
// (account.NewService) and room to spare.
const viewSize = 50_000

// view maps API keys to entries. An entry is never changed once stored: a
// change stores a new one, so a reader may keep what it got.
type view struct {
	mu      sync.RWMutex
	entries map[string]*viewEntry
	// gen counts the changes a fill in flight cannot see in the map: an
	// entry removed, or a write to an account the view does not hold. A
	// fill stores its entry only if gen has not moved since its read
	// began and the account is still absent, so a fill never stores what
	// a commit after its read changed.
	gen uint64
}

type viewEntry struct {
	acct    account.Account
	secrets []account.Secret // oldest first, as Secrets returns them
}

func newView() *view { return &view{entries: map[string]*viewEntry{}} }

// get returns the entry of apiKey and, when there is none, the generation
// a fill must present to store one.
func (v *view) get(apiKey string) (*viewEntry, uint64) {
	if v == nil {
		return nil, 0
	}
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.entries[apiKey], v.gen
}

// fill stores e, read from the database after get returned gen, unless
// something changed since.
func (v *view) fill(e *viewEntry, gen uint64) {
	if v == nil {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.gen != gen || v.entries[e.acct.APIKey] != nil {
		return
	}
	if len(v.entries) >= viewSize {
		for k := range v.entries { // an arbitrary entry: Go's map order
			delete(v.entries, k)
			break
		}
		v.gen++
	}
	v.entries[e.acct.APIKey] = e
}

// txChanges is what a write transaction did to the accounts, in order,
// for the view once it commits.
type txChanges struct {
	list []viewChange
}

// viewChange is one change: fn gives the new entry from the old one (nil
// to drop the account); with fn nil the account is forgotten.
type viewChange struct {
	apiKey string
	fn     func(viewEntry) *viewEntry
}

// forget records that apiKey changed in a way the view does not follow
// (created, imported): it is read from the database next time.
func (c *txChanges) forget(apiKey string) {
	if c != nil {
		c.list = append(c.list, viewChange{apiKey: apiKey})
	}
}

// setAccount records the account's row as it is after the write.
func (c *txChanges) setAccount(a account.Account) {
	c.change(a.APIKey, func(e viewEntry) *viewEntry { e.acct = a; return &e })
}

// setBalance records the account's balance after a ledger row.
func (c *txChanges) setBalance(apiKey string, balance account.Money) {
	c.change(apiKey, func(e viewEntry) *viewEntry { e.acct.Balance = balance; return &e })
}

// addSecret records a new secret, the newest.
func (c *txChanges) addSecret(sec account.Secret) {
	c.change(sec.APIKey, func(e viewEntry) *viewEntry {
		e.secrets = append(slices.Clip(e.secrets), sec)
		return &e
	})
}

// dropSecret records a revoked secret.
func (c *txChanges) dropSecret(apiKey, id string) {
	c.change(apiKey, func(e viewEntry) *viewEntry {
		e.secrets = slices.DeleteFunc(slices.Clone(e.secrets), func(s account.Secret) bool { return s.ID == id })
		return &e
	})
}

func (c *txChanges) change(apiKey string, fn func(viewEntry) *viewEntry) {
	if c != nil {
		c.list = append(c.list, viewChange{apiKey: apiKey, fn: fn})
	}
}

// apply applies a committed transaction's changes; with committed false
// (the outcome is unknown) it forgets every account they name.
func (v *view) apply(c *txChanges, committed bool) {
	if v == nil || c == nil || len(c.list) == 0 {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, ch := range c.list {
		old := v.entries[ch.apiKey]
		if old == nil {
			v.gen++ // a fill in flight may have read the account before
			continue
		}
		if !committed || ch.fn == nil {
			delete(v.entries, ch.apiKey)
			v.gen++
			continue
		}
		if e := ch.fn(*old); e != nil {
			v.entries[ch.apiKey] = e
		} else {
			delete(v.entries, ch.apiKey)
			v.gen++
		}
	}
}

// viewQuery reads what the view keeps of an account: its row and its
// secrets, in one statement, so from one snapshot; an account without
// secrets (which the schema forbids) comes back as one row with NULLs.
var viewQuery = `SELECT ` + qualified("a", accountColumns) + `, s.id, s.hash, s.created_at
	FROM accounts a LEFT JOIN secrets s ON s.api_key = a.api_key
	WHERE a.api_key = ?
	ORDER BY s.seq`

// entry returns the view's entry of apiKey, reading it from the database
// (and keeping it) when the view does not hold it; nil for an unknown
// account.
func (s *Store) entry(ctx context.Context, apiKey string) (*viewEntry, error) {
	e, gen := s.view.get(apiKey)
	if e != nil {
		return e, nil
	}
	rows, err := s.q.view.QueryContext(ctx, apiKey)
	if err != nil {
		return nil, err
	}
	_, err = eachRow(rows, func(row *sql.Rows) error {
		var (
			id, hash sql.NullString
			created  sql.NullInt64
		)
		a, err := scanAccount(row, &id, &hash, &created)
		if err != nil {
			return err
		}
		if e == nil {
			e = &viewEntry{acct: a}
		}
		if id.Valid {
			e.secrets = append(e.secrets, account.Secret{ID: id.String, APIKey: apiKey, Hash: hash.String, CreatedAt: fromDB(created.Int64)})
		}
		return nil
	})
	if err != nil || e == nil {
		return nil, err
	}
	s.view.fill(e, gen)
	return e, nil
}

// hasSecret reports whether e holds the secret with that id.
func (e *viewEntry) hasSecret(id string) bool {
	return slices.ContainsFunc(e.secrets, func(s account.Secret) bool { return s.ID == id })
}

// qualified prefixes each of the comma-separated columns with table".".
func qualified(table, columns string) string {
	parts := strings.Split(columns, ",")
	for i, c := range parts {
		parts[i] = table + "." + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}
