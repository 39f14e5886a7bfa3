// Package account is the server's domain: accounts, their secrets, their
// money and the rules that govern them. It knows nothing of HTTP or SQL; the
// storage sits behind the Store interface and the wire format lives in
// internal/httpapi.
package account

import (
	"net/url"
	"strings"
	"time"
)

// Account is one Vonage API account as the server keeps it.
type Account struct {
	APIKey        string
	PrimaryAPIKey string // non-empty for a subaccount
	Balance       Money
	AutoReload    *AutoReload // nil when auto-reload is off
	Limits        Limits
	Settings      Settings
	CreatedAt     time.Time
}

// AutoReload tops an account up with Amount when a charge takes its balance
// below Threshold.
type AutoReload struct {
	Threshold Money
	Amount    Money
}

// Limits are the per-account limits reported by the settings endpoint.
type Limits struct {
	MaxOutboundRequest int
	MaxInboundRequest  int
	MaxCallsPerSecond  int
}

// DefaultLimits are the limits of an account created without any.
var DefaultLimits = Limits{MaxOutboundRequest: 30, MaxInboundRequest: 30, MaxCallsPerSecond: 30}

// Settings are the account's default callback URLs; empty means unset.
type Settings struct {
	MoCallbackURL string
	DrCallbackURL string
}

// SettingsUpdate changes settings: a nil field is left alone, a pointer to
// the empty string clears the setting.
type SettingsUpdate struct {
	MoCallbackURL *string
	DrCallbackURL *string
}

// Empty reports whether the update changes nothing (a read).
func (u SettingsUpdate) Empty() bool { return u.MoCallbackURL == nil && u.DrCallbackURL == nil }

// The request field names the settings endpoint uses; errors name them.
const (
	FieldMoCallbackURL = "moCallBackUrl"
	FieldDrCallbackURL = "drCallBackUrl"
)

// MaxCallbackURLLen is the longest callback URL accepted, in bytes.
const MaxCallbackURLLen = 2048

// Validate checks every URL the update sets.
func (u SettingsUpdate) Validate() error {
	if u.MoCallbackURL != nil {
		if err := ValidateCallbackURL(FieldMoCallbackURL, *u.MoCallbackURL); err != nil {
			return err
		}
	}
	if u.DrCallbackURL != nil {
		if err := ValidateCallbackURL(FieldDrCallbackURL, *u.DrCallbackURL); err != nil {
			return err
		}
	}
	return nil
}

// ValidateCallbackURL accepts the empty string (clear) or an absolute http or
// https URL with a host, of at most MaxCallbackURLLen bytes.
func ValidateCallbackURL(field, raw string) error {
	if raw == "" {
		return nil
	}
	if len(raw) > MaxCallbackURLLen {
		return Invalid(field, "must be at most %d bytes", MaxCallbackURLLen)
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] <= ' ' || raw[i] == 0x7f {
			return Invalid(field, "must not contain spaces or control characters")
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return Invalid(field, "is not a valid URL")
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return Invalid(field, "must be an absolute http or https URL")
	}
	if u.Host == "" || u.Hostname() == "" || u.Opaque != "" {
		return Invalid(field, "must have a host")
	}
	if u.User != nil {
		return Invalid(field, "must not contain user information")
	}
	return nil
}

// NewAccount is what an operator asks for when creating an account. Empty
// APIKey or Secret are generated.
type NewAccount struct {
	APIKey        string
	Secret        string
	PrimaryAPIKey string
	Balance       Money
	AutoReload    *AutoReload
	Limits        *Limits
}

// ValidateAPIKey checks an operator-chosen API key: 8 to 32 characters of
// a-z and 0-9.
func ValidateAPIKey(field, key string) error {
	if len(key) < 8 || len(key) > 32 {
		return Invalid(field, "must be 8 to 32 characters of a-z and 0-9")
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return Invalid(field, "must be 8 to 32 characters of a-z and 0-9")
		}
	}
	return nil
}

// ValidateLimits refuses negative or absurd limits.
func ValidateLimits(l Limits) error {
	check := func(name string, v int) error {
		if v < 0 || v > 1_000_000 {
			return Invalid("limits."+name, "must be an integer from 0 to 1000000")
		}
		return nil
	}
	if err := check("max-outbound-request", l.MaxOutboundRequest); err != nil {
		return err
	}
	if err := check("max-inbound-request", l.MaxInboundRequest); err != nil {
		return err
	}
	return check("max-calls-per-second", l.MaxCallsPerSecond)
}

// ValidateAutoReload requires a positive reload amount.
func ValidateAutoReload(ar *AutoReload) error {
	if ar != nil && ar.Amount <= 0 {
		return Invalid("auto_reload.amount", "must be greater than zero")
	}
	return nil
}

// Transaction kinds, one per way a balance can change.
const (
	KindCredit = "credit"
	KindCharge = "charge"
	KindReload = "reload"
	KindTopUp  = "top-up"
)

// Transaction is one row of an account's ledger. Amount is signed: credits,
// reloads and top-ups are positive, charges negative.
type Transaction struct {
	ID           int64
	APIKey       string
	Kind         string
	Amount       Money
	BalanceAfter Money
	Reference    string
	Trx          string // transaction reference, set on reloads and top-ups
	RelatedTrx   string // for a top-up, the trx of the reload it repeats
	CreatedAt    time.Time
}
