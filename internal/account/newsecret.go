package account

import "context"

// FieldNewSecret is E3's legacy parameter that replaces the secret the
// request was authenticated with (contract section 1).
const FieldNewSecret = "newSecret"

// ValidateNewSecret applies the secret rules (ValidateSecret) to E3's
// newSecret, naming that field.
func ValidateNewSecret(secret string) error {
	if err := ValidateSecret(secret); err != nil {
		return Invalid(FieldNewSecret, "%s", AsError(err).Message)
	}
	return nil
}

// ChangeSettings is E3: it applies upd to the caller's settings and, when
// newSecret is set, replaces the secret the request was authenticated
// with (current, as sent; "" for a signed request) by newSecret.
//
// Everything is checked before anything changes: both URLs, the new
// secret's rules, and which secret it replaces (a signed request names
// none, so it may replace the account's only secret, and is refused when
// there are two). Then the settings are written, then the secret is
// replaced in one store transaction (ReplaceSecret): the settings first,
// because writing them again is harmless, while a client told of a
// failure after its secret changed would retry with one that no longer
// works.
func (s *Service) ChangeSettings(ctx context.Context, caller Account, current string, upd SettingsUpdate, newSecret *string) (Account, error) {
	if err := upd.Validate(); err != nil {
		return Account{}, err
	}
	if newSecret == nil {
		return s.UpdateSettings(ctx, caller, upd)
	}
	if err := ValidateNewSecret(*newSecret); err != nil {
		return Account{}, err
	}
	oldID, err := s.secretToReplace(ctx, caller.APIKey, current)
	if err != nil {
		return Account{}, err
	}
	acct, err := s.UpdateSettings(ctx, caller, upd)
	if err != nil {
		return Account{}, err
	}
	hash, err := s.hash(ctx, *newSecret)
	if err != nil {
		return Account{}, err
	}
	sec := Secret{ID: NewID(), APIKey: caller.APIKey, Hash: hash, CreatedAt: s.timestamp()}
	err = s.store.ReplaceSecret(ctx, oldID, sec)
	if ErrorCode(err) == ESECRETNOTFOUND {
		// Revoked or replaced by a request that raced this one: the
		// credentials of this request no longer exist.
		return Account{}, errUnauthorized
	}
	if err != nil {
		return Account{}, err
	}
	if current != "" {
		s.cache.forgetMAC(s.cache.mac(caller.APIKey, current))
	}
	return acct, nil
}

// secretToReplace returns the id of the secret current is, among apiKey's
// secrets: from the verification cache when it remembers it, else by
// hashing. A signed request (current "") replaces the account's only
// secret, and cannot choose between two.
func (s *Service) secretToReplace(ctx context.Context, apiKey, current string) (string, error) {
	secrets, err := s.store.Secrets(ctx, apiKey)
	if err != nil {
		return "", err
	}
	if current == "" {
		if len(secrets) != 1 {
			return "", Invalid(FieldNewSecret, "cannot be set by a signed request while the account has %d secrets: send api_secret to say which one to replace", len(secrets))
		}
		return secrets[0].ID, nil
	}
	if id, ok := s.cache.getMAC(s.cache.mac(apiKey, current)); ok {
		for _, sec := range secrets {
			if sec.ID == id {
				return id, nil
			}
		}
	}
	if err := s.gate.acquire(ctx, ""); err != nil {
		return "", err
	}
	defer s.gate.release()
	id, ok := s.matchSecret(apiKey, current, secrets)
	if !ok {
		return "", errUnauthorized
	}
	return id, nil
}
