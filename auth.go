package vonage

import (
	"fmt"
	"io"
	"os"
	"strconv"
)

// Environment variables the SDK falls back to when code does not say otherwise.
const (
	envAPIKey    = "VONAGE_API_KEY"
	envAPISecret = "VONAGE_API_SECRET"
	envBaseURL   = "VONAGE_BASE_URL"
)

// Auth supplies the credentials a client signs its requests with.
type Auth interface {
	// GetCreds returns the API key and the API secret, in that order.
	GetCreds() []string
}

// KeySecretAuth is an API key and secret pair. Printing it with the fmt package
// shows the key but never the secret.
type KeySecretAuth struct {
	apiKey    string
	apiSecret string
}

// CreateAuthFromKeySecret returns credentials for the given API key and secret,
// as shown on the Vonage dashboard.
func CreateAuthFromKeySecret(apiKey, apiSecret string) *KeySecretAuth {
	return &KeySecretAuth{apiKey: apiKey, apiSecret: apiSecret}
}

// CreateAuthFromEnv returns credentials read from VONAGE_API_KEY and
// VONAGE_API_SECRET at the time of the call.
func CreateAuthFromEnv() *KeySecretAuth {
	return CreateAuthFromKeySecret(os.Getenv(envAPIKey), os.Getenv(envAPISecret))
}

// GetCreds returns the API key and the API secret. It is safe on a nil receiver.
func (a *KeySecretAuth) GetCreds() []string {
	if a == nil {
		return []string{"", ""}
	}
	return []string{a.apiKey, a.apiSecret}
}

// String shows the key and hides the secret. The print methods use value
// receivers so that a copied KeySecretAuth is hidden too.
func (a KeySecretAuth) String() string {
	return "KeySecretAuth{apiKey: " + a.apiKey + ", apiSecret: " + hidden(a.apiSecret) + "}"
}

// GoString is what %#v prints: the key, and the secret replaced by REDACTED.
func (a KeySecretAuth) GoString() string {
	return "vonage.KeySecretAuth{apiKey: " + strconv.Quote(a.apiKey) + ", apiSecret: " + strconv.Quote(hidden(a.apiSecret)) + "}"
}

// Format makes every verb (%v, %+v, %s, %q, %x, ...) print the redacted form, so
// no format string can reach the secret.
func (a KeySecretAuth) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		_, _ = io.WriteString(f, a.GoString())
	case verb == 'q':
		_, _ = io.WriteString(f, strconv.Quote(a.String()))
	default:
		_, _ = io.WriteString(f, a.String())
	}
}

// hidden says whether a secret is set without saying anything else about it.
func hidden(secret string) string {
	if secret == "" {
		return "<empty>"
	}
	return redacted
}
