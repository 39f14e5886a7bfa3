package account

import (
	"context"
	"time"
)

// Web sessions of the dashboard (internal/dashboard). The dashboard signs
// people in through the same verification and limits as the API; what it
// keeps afterwards is a Session, in the database so that every instance
// sharing it knows it and sign-out ends it everywhere.

// Session is a signed-in dashboard user. The cookie holds a random token;
// the store holds only its SHA-256 (TokenHash), so a copy of the database
// opens no session.
type Session struct {
	TokenHash string // hex SHA-256 of the cookie's token
	Operator  bool   // signed in with the admin token
	// APIKey is the account signed in; empty for an operator.
	APIKey string
	// SecretID is the secret that opened an account's session: the
	// session ends when it is revoked. For an operator, a fingerprint of
	// the admin token, so that changing the token ends operator sessions.
	SecretID  string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// SessionStore keeps dashboard sessions. internal/sqlite and
// internal/postgres implement it beside Store; internal/storetest checks
// both.
type SessionStore interface {
	// CreateSession stores s, first deleting every session that expired
	// before s.CreatedAt. ECONFLICT if its TokenHash exists.
	CreateSession(ctx context.Context, s Session) error
	// Session returns the session with that token hash, or ENOTFOUND;
	// expired sessions are returned too (the caller compares ExpiresAt).
	Session(ctx context.Context, tokenHash string) (Session, error)
	// DeleteSession deletes the session if it exists.
	DeleteSession(ctx context.Context, tokenHash string) error
}

// SignIn authenticates apiKey and secret exactly as Authenticate does (the
// same failure limits, rate limit and cache) and also returns the id of
// the secret that matched, which a web session remembers so that it ends
// when that secret is revoked.
func (s *Service) SignIn(ctx context.Context, apiKey, secret, clientAddr string) (Account, string, error) {
	acct, err := s.Authenticate(ctx, apiKey, secret, clientAddr)
	if err != nil {
		return Account{}, "", err
	}
	if id, ok := s.cache.getMAC(s.cache.mac(apiKey, secret)); ok {
		return acct, id, nil
	}
	// The cache is off, or already forgot the pair: find the secret again.
	// The caller has just proved it holds it, so this costs no guess.
	secrets, err := s.store.Secrets(ctx, apiKey)
	if err != nil {
		return Account{}, "", err
	}
	if err := s.acquireHash(ctx, ""); err != nil {
		return Account{}, "", err
	}
	defer s.gate.release()
	id, ok := s.matchSecret(apiKey, secret, secrets)
	if !ok { // revoked in between
		return Account{}, "", errUnauthorized
	}
	return acct, id, nil
}

// AccountHoldingSecret returns the account with that key if it still holds
// the secret with that id: the check a web session makes on every request.
// found is false when either is gone.
func (s *Service) AccountHoldingSecret(ctx context.Context, apiKey, secretID string) (acct Account, found bool, err error) {
	return s.store.AccountWithSecret(ctx, apiKey, secretID)
}
