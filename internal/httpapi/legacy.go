package httpapi

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// The legacy endpoints E1–E3 (rest.nexmo.com) take their parameters from
// the query string and, on POST, from an application/x-www-form-urlencoded
// body; both are merged by Request.ParseForm.
//
// Duplicate parameters: the first value wins, counting body values before
// query values (the order of Request.Form, so r.FormValue agrees). For E3
// the documented spelling (moCallBackUrl) wins over the alias
// (moCallbackUrl) when both are sent. Multipart bodies are not read; no
// Vonage SDK sends them.

// getBalance implements E1, "Get Account Balance":
// https://developer.vonage.com/en/api/account#getAccountBalance
//
// The value is written from Money.Fixed, never through a float, so the JSON
// number carries exactly the stored amount: {"value":10.17127500,...}.
func (s *server) getBalance(w http.ResponseWriter, r *http.Request) {
	stateOf(r).xmlRoot = xmlRootBalance
	caller, ok := s.legacyAuth(w, r)
	if !ok {
		return
	}
	acct := caller.acct
	s.writeLegacy(w, r, http.StatusOK, balanceBody{value: acct.Balance.Fixed(), autoReload: acct.AutoReload != nil})
}

// balanceBody is E1's answer; value is the balance's exact decimal text.
type balanceBody struct {
	value      string
	autoReload bool
}

// MarshalJSON writes value as a JSON number, digit for digit.
func (b balanceBody) MarshalJSON() ([]byte, error) {
	return []byte(`{"value":` + b.value + `,"autoReload":` + strconv.FormatBool(b.autoReload) + "}"), nil
}

func (b balanceBody) xmlFields() []xmlField {
	return []xmlField{{"value", b.value}, {"autoReload", strconv.FormatBool(b.autoReload)}}
}

// topUp implements E2, "Top Up Account Balance":
// https://developer.vonage.com/en/api/account#topUpAccountBalance
//
// It is also served as GET, trx and credentials in the query string or
// the credentials in a Basic header (contract section 1): a shipped .NET
// SDK sends top-up that way.
func (s *server) topUp(w http.ResponseWriter, r *http.Request) {
	caller, ok := s.legacyAuth(w, r)
	if !ok {
		return
	}
	trx, _ := formValue(r, "trx")
	if _, err := s.svc.TopUp(r.Context(), caller.acct, trx); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeLegacy(w, r, http.StatusOK, legacyError{Code: "200", Label: "success"})
}

// settingsBody is E3's answer: the callback URLs (empty when unset) and the
// account's limits; APISecret only when newSecret replaced the secret, the
// one time it is shown, as the legacy API did.
type settingsBody struct {
	MoCallbackURL string `json:"mo-callback-url"`
	DrCallbackURL string `json:"dr-callback-url"`
	limitsBody
	APISecret string `json:"api-secret,omitempty"`
}

func (b settingsBody) xmlFields() []xmlField {
	f := []xmlField{
		{"mo-callback-url", b.MoCallbackURL},
		{"dr-callback-url", b.DrCallbackURL},
		{"max-outbound-request", strconv.Itoa(b.MaxOutboundRequest)},
		{"max-inbound-request", strconv.Itoa(b.MaxInboundRequest)},
		{"max-calls-per-second", strconv.Itoa(b.MaxCallsPerSecond)},
	}
	if b.APISecret != "" {
		f = append(f, xmlField{"api-secret", b.APISecret})
	}
	return f
}

// limitsBody holds the per-account limits, under the settings' key names.
type limitsBody struct {
	MaxOutboundRequest int `json:"max-outbound-request"`
	MaxInboundRequest  int `json:"max-inbound-request"`
	MaxCallsPerSecond  int `json:"max-calls-per-second"`
}

func newLimitsBody(l account.Limits) limitsBody {
	return limitsBody{MaxOutboundRequest: l.MaxOutboundRequest, MaxInboundRequest: l.MaxInboundRequest, MaxCallsPerSecond: l.MaxCallsPerSecond}
}

// changeSettings implements E3, "Change Account Settings":
// https://developer.vonage.com/en/api/account#changeAccountSettings
//
// An absent field leaves the setting alone, a present but empty one clears
// it, and a request with neither field is a read. newSecret replaces the
// secret the request was authenticated with (account.Service.ChangeSettings:
// every field is checked before anything changes).
func (s *server) changeSettings(w http.ResponseWriter, r *http.Request) {
	st := stateOf(r)
	st.xmlRoot = xmlRootSettings
	caller, ok := s.legacyAuth(w, r)
	if !ok {
		return
	}
	upd := account.SettingsUpdate{
		MoCallbackURL: formPointer(r, account.FieldMoCallbackURL, "moCallbackUrl"),
		DrCallbackURL: formPointer(r, account.FieldDrCallbackURL, "drCallbackUrl"),
	}
	newSecret := formPointer(r, account.FieldNewSecret)
	acct, err := s.svc.ChangeSettings(r.Context(), caller.acct, caller.secret, upd, newSecret)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	body := settingsBody{
		MoCallbackURL: acct.Settings.MoCallbackURL,
		DrCallbackURL: acct.Settings.DrCallbackURL,
		limitsBody:    newLimitsBody(acct.Limits),
	}
	if newSecret != nil {
		body.APISecret = *newSecret
		w.Header().Set("Cache-Control", "no-store") // the body holds a secret
	}
	s.writeLegacy(w, r, http.StatusOK, body)
}

// legacyCaller is the account an E1–E3 request authenticated as, and the
// secret it sent ("" for a signed request).
type legacyCaller struct {
	acct   account.Account
	secret string
}

// legacyAuth authenticates an E1–E3 request and answers the failure itself
// when it returns false.
//
// Credentials come from an Authorization: Basic header when the request has
// an Authorization header at all (a malformed one is a 401, not a reason to
// look elsewhere), otherwise from the api_key and api_secret parameters of
// the query string or form body. Real clients use all three. Without an
// Authorization header, a request with a sig parameter is a signed request
// (contract section 1): api_key, timestamp and sig, every parameter signed.
func (s *server) legacyAuth(w http.ResponseWriter, r *http.Request) (legacyCaller, bool) {
	if err := s.parseLegacyForm(r); err != nil {
		s.writeError(w, r, err)
		return legacyCaller{}, false
	}
	if _, signed := r.Form["sig"]; signed && r.Header.Get("Authorization") == "" {
		key, _ := formValue(r, "api_key")
		acct, err := s.authenticateSigned(r, key, formParams(r))
		if err != nil {
			s.writeError(w, r, err)
			return legacyCaller{}, false
		}
		return legacyCaller{acct: acct}, true
	}
	key, secret, ok := legacyCredentials(r)
	stateOf(r).noteSecret(secret)
	if !ok {
		s.writeError(w, r, account.Errorf(account.EUNAUTHORIZED, "authentication failed"))
		return legacyCaller{}, false
	}
	acct, err := s.authenticate(r, key, secret)
	if err != nil {
		s.writeError(w, r, err)
		return legacyCaller{}, false
	}
	return legacyCaller{acct: acct, secret: secret}, true
}

// formParams returns every parameter of the parsed query string and form
// body, each value as its own Param.
func formParams(r *http.Request) []account.Param {
	var ps []account.Param
	for name, values := range r.Form {
		for _, v := range values {
			ps = append(ps, account.Param{Name: name, Value: v})
		}
	}
	return ps
}

// legacyCredentials returns the key and secret of an E1–E3 request whose
// form is parsed: from the Basic header when there is an Authorization
// header (ok is false when it is not valid Basic credentials), else from
// the first api_key and api_secret parameters.
func legacyCredentials(r *http.Request) (key, secret string, ok bool) {
	if r.Header.Get("Authorization") != "" {
		return r.BasicAuth()
	}
	key, _ = formValue(r, "api_key")
	secret, _ = formValue(r, "api_secret")
	return key, secret, true
}

// parseLegacyForm parses the query string and form body. Every api_secret
// and newSecret seen is noted for log redaction, even when parsing fails half-way. The
// parser's own error text quotes the input, so it is never passed on.
func (s *server) parseLegacyForm(r *http.Request) error {
	err := r.ParseForm()
	st := stateOf(r)
	for _, name := range []string{"api_secret", account.FieldNewSecret} {
		for _, v := range r.Form[name] {
			st.noteSecret(v)
		}
	}
	if err == nil {
		return nil
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return tooLarge()
	}
	return badRequest("", "the query string or form body is malformed")
}

// formValue returns the first value of parameter name, and whether it was
// sent at all.
func formValue(r *http.Request, name string) (string, bool) {
	vs := r.Form[name]
	if len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

// formPointer returns the first value of the first of names that was sent,
// or nil when none was: the SettingsUpdate convention.
func formPointer(r *http.Request, names ...string) *string {
	for _, name := range names {
		if v, ok := formValue(r, name); ok {
			return &v
		}
	}
	return nil
}
