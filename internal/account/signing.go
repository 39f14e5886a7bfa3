package account

import (
	"context"
	"crypto/sha512"
	"strings"
)

// The service side of signed requests (signature.go has the algorithm):
// operators set an account's signature through the admin API, and E1–E3
// accept requests signed with it.

// PrepareSignature checks a signature an operator sets on apiKey and seals
// its secret under the data key, before anything is stored: the caller
// then stores it with SetSignature. Without a data key it is refused with
// an EINVALID that says how to configure one.
func (s *Service) PrepareSignature(apiKey, secret, method string) (*Signature, error) {
	if s.dataKey == nil {
		return nil, Invalid(FieldSignature, "cannot be stored: this server has no data key to encrypt it with; "+
			"start it with VONAGE_DATA_KEY (32 random bytes in standard base64, as `openssl rand -base64 32` prints) or --data-key-file")
	}
	if !validSignatureMethod(method) {
		return nil, Invalid(FieldSignature+".method", "must be one of %s", strings.Join(SignatureMethods, ", "))
	}
	if err := validateSignatureSecret(secret); err != nil {
		return nil, err
	}
	return &Signature{Method: method, Sealed: s.dataKey.seal(apiKey, []byte(secret))}, nil
}

// SetSignature stores sig (from PrepareSignature) as apiKey's signature;
// nil removes it.
func (s *Service) SetSignature(ctx context.Context, apiKey string, sig *Signature) error {
	return s.store.SetSignature(ctx, apiKey, sig)
}

// SignatureMethod returns apiKey's signature method, "" when it has none.
func (s *Service) SignatureMethod(ctx context.Context, apiKey string) (string, error) {
	sig, found, err := s.store.Signature(ctx, apiKey)
	if err != nil || !found {
		return "", err
	}
	return sig.Method, nil
}

// AuthenticateSigned returns the account whose signed request this is, or
// EUNAUTHORIZED: params are all the request's parameters (sig and
// timestamp among them), and the signature must match one of the two
// strings SDKs sign (signatureMatches) with a timestamp within
// SignatureWindow of the server's clock. A failure counts in the same
// failure limits as a wrong secret, and the account's call rate applies,
// as for Authenticate.
func (s *Service) AuthenticateSigned(ctx context.Context, apiKey string, params []Param, clientAddr string) (Account, error) {
	return s.authenticateWith(apiKey, clientAddr, func(attempt) (Account, error) {
		return s.verifySigned(ctx, apiKey, params)
	})
}

func (s *Service) verifySigned(ctx context.Context, apiKey string, params []Param) (Account, error) {
	sig, _ := firstParam(params, "sig")
	ts, _ := firstParam(params, "timestamp")
	if apiKey == "" || len(apiKey) > 64 || sig == "" || len(sig) > 2*sha512.Size || !timestampFresh(ts, s.now()) {
		return Account{}, errUnauthorized
	}
	stored, found, err := s.store.Signature(ctx, apiKey)
	if err != nil {
		return Account{}, err
	}
	if !found {
		return Account{}, errUnauthorized
	}
	var secret []byte
	if s.dataKey != nil {
		secret, err = s.dataKey.open(apiKey, stored.Sealed)
	}
	if s.dataKey == nil || err != nil {
		s.sealWarn.Do(func() {
			s.log.Warn("an account's signature secret cannot be opened: the server has no data key (VONAGE_DATA_KEY) or another one than sealed it; its signed requests fail",
				"api_key", apiKey)
		})
		return Account{}, errUnauthorized
	}
	if !signatureMatches(stored.Method, string(secret), sig, params) {
		return Account{}, errUnauthorized
	}
	return s.accountOrUnauthorized(ctx, apiKey)
}
