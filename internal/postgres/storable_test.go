package postgres

import (
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// TestUnstorableKeysNotFound: a key PostgreSQL cannot hold in a text
// column (a NUL byte, invalid UTF-8) is an unknown key to the reads a
// client's key reaches before authentication, as it is on SQLite, not a
// server error.
func TestUnstorableKeysNotFound(t *testing.T) {
	t.Parallel()
	s, _ := open(t)
	ctx := t.Context()
	sec := seed(t, s, "storable", 0)
	for _, key := range []string{"stor\x00ble", "stor\xffble"} {
		if _, err := s.Account(ctx, key); account.ErrorCode(err) != account.ENOTFOUND {
			t.Errorf("Account(%q): %v, want %s", key, err, account.ENOTFOUND)
		}
		if _, err := s.Secrets(ctx, key); account.ErrorCode(err) != account.ENOTFOUND {
			t.Errorf("Secrets(%q): %v, want %s", key, err, account.ENOTFOUND)
		}
		if _, err := s.Transactions(ctx, key, 0, 10); account.ErrorCode(err) != account.ENOTFOUND {
			t.Errorf("Transactions(%q): %v, want %s", key, err, account.ENOTFOUND)
		}
		if _, found, err := s.Signature(ctx, key); found || err != nil {
			t.Errorf("Signature(%q) = %v, %v; want not found", key, found, err)
		}
		if _, found, err := s.AccountWithSecret(ctx, key, sec.ID); found || err != nil {
			t.Errorf("AccountWithSecret(%q) = %v, %v; want not found", key, found, err)
		}
	}
	if _, found, err := s.AccountWithSecret(ctx, "storable", "id\x00"); found || err != nil {
		t.Errorf("AccountWithSecret with an unstorable id = %v, %v; want not found", found, err)
	}
}
