package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// The dashboard's sessions (account.SessionStore), which every store keeps
// beside its accounts.
var sessionTests = []test{
	{"RoundTrip", testSessionRoundTrip},
	{"Delete", testSessionDelete},
	{"Duplicate", testSessionDuplicate},
	{"ExpiredPruned", testSessionExpiredPruned},
}

// sessions returns s as a SessionStore; every store must be one.
func sessions(t *testing.T, s account.Store) account.SessionStore {
	t.Helper()
	ss, ok := s.(account.SessionStore)
	if !ok {
		t.Fatalf("%T does not implement account.SessionStore", s)
	}
	return ss
}

// session returns a session opened at t0 plus n seconds, for an hour.
func session(hash string, n int) account.Session {
	return account.Session{TokenHash: hash, APIKey: "sesskey1", SecretID: account.NewID(),
		CreatedAt: at(n), ExpiresAt: at(n).Add(time.Hour)}
}

func testSessionRoundTrip(t *testing.T, s account.Store) {
	ss := sessions(t, s)
	ctx := t.Context()
	acct := session("hash-account", 0)
	op := account.Session{TokenHash: "hash-operator", Operator: true, SecretID: "fingerprint", CreatedAt: at(1), ExpiresAt: at(7201)}
	for _, want := range []account.Session{acct, op} {
		if err := ss.CreateSession(ctx, want); err != nil {
			t.Fatalf("CreateSession(%s): %v", want.TokenHash, err)
		}
		got, err := ss.Session(ctx, want.TokenHash)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("Session(%s) = %+v, %v; want %+v", want.TokenHash, got, err, want)
		}
	}
	_, err := ss.Session(ctx, "hash-unknown")
	wantCode(t, "Session(unknown)", err, account.ENOTFOUND)
}

func testSessionDelete(t *testing.T, s account.Store) {
	ss := sessions(t, s)
	ctx := t.Context()
	for _, h := range []string{"hash-a", "hash-b"} {
		if err := ss.CreateSession(ctx, session(h, 0)); err != nil {
			t.Fatal(err)
		}
	}
	if err := ss.DeleteSession(ctx, "hash-a"); err != nil {
		t.Fatal(err)
	}
	_, err := ss.Session(ctx, "hash-a")
	wantCode(t, "Session(deleted)", err, account.ENOTFOUND)
	if _, err := ss.Session(ctx, "hash-b"); err != nil {
		t.Fatalf("Session(other) after a delete: %v", err)
	}
	if err := ss.DeleteSession(ctx, "hash-a"); err != nil {
		t.Fatalf("DeleteSession(gone) = %v, want nil", err)
	}
}

func testSessionDuplicate(t *testing.T, s account.Store) {
	ss := sessions(t, s)
	first := session("hash-dup", 0)
	if err := ss.CreateSession(t.Context(), first); err != nil {
		t.Fatal(err)
	}
	second := session("hash-dup", 1)
	second.APIKey = "other"
	wantCode(t, "CreateSession(same hash)", ss.CreateSession(t.Context(), second), account.ECONFLICT)
	got, err := ss.Session(t.Context(), "hash-dup")
	if err != nil || got.APIKey != first.APIKey {
		t.Fatalf("Session after a refused duplicate = %+v, %v; want the first", got, err)
	}
}

// testSessionExpiredPruned checks that opening a session deletes those
// expired by then, and only those.
func testSessionExpiredPruned(t *testing.T, s account.Store) {
	ss := sessions(t, s)
	ctx := t.Context()
	for _, sess := range []account.Session{session("hash-old", 0), session("hash-live", 1800)} {
		if err := ss.CreateSession(ctx, sess); err != nil {
			t.Fatal(err)
		}
	}
	if err := ss.CreateSession(ctx, session("hash-new", 3601)); err != nil { // hash-old expired at 3600
		t.Fatal(err)
	}
	_, err := ss.Session(ctx, "hash-old")
	wantCode(t, "Session(expired before the next sign-in)", err, account.ENOTFOUND)
	for _, h := range []string{"hash-live", "hash-new"} {
		if _, err := ss.Session(ctx, h); err != nil {
			t.Fatalf("Session(%s): %v", h, err)
		}
	}
}
