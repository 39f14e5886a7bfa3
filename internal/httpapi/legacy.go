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
	acct, ok := s.legacyAuth(w, r)
	if !ok {
		return
	}
	body := `{"value":` + acct.Balance.Fixed() + `,"autoReload":` + strconv.FormatBool(acct.AutoReload != nil) + "}\n"
	writeRaw(w, http.StatusOK, []byte(body))
}

// topUp implements E2, "Top Up Account Balance":
// https://developer.vonage.com/en/api/account#topUpAccountBalance
//
// It is also served as GET, trx and credentials in the query string or
// the credentials in a Basic header (contract section 1): a shipped .NET
// SDK sends top-up that way.
func (s *server) topUp(w http.ResponseWriter, r *http.Request) {
	acct, ok := s.legacyAuth(w, r)
	if !ok {
		return
	}
	trx, _ := formValue(r, "trx")
	if _, err := s.svc.TopUp(r.Context(), acct, trx); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, legacyError{Code: "200", Label: "success"})
}

// settingsBody is E3's answer: the callback URLs (empty when unset) and the
// account's limits.
type settingsBody struct {
	MoCallbackURL string `json:"mo-callback-url"`
	DrCallbackURL string `json:"dr-callback-url"`
	limitsBody
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
// it, and a request with neither field is a read.
func (s *server) changeSettings(w http.ResponseWriter, r *http.Request) {
	acct, ok := s.legacyAuth(w, r)
	if !ok {
		return
	}
	upd := account.SettingsUpdate{
		MoCallbackURL: formPointer(r, account.FieldMoCallbackURL, "moCallbackUrl"),
		DrCallbackURL: formPointer(r, account.FieldDrCallbackURL, "drCallbackUrl"),
	}
	acct, err := s.svc.UpdateSettings(r.Context(), acct, upd)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, settingsBody{
		MoCallbackURL: acct.Settings.MoCallbackURL,
		DrCallbackURL: acct.Settings.DrCallbackURL,
		limitsBody:    newLimitsBody(acct.Limits),
	})
}

// legacyAuth authenticates an E1–E3 request and answers the failure itself
// when it returns false.
//
// Credentials come from an Authorization: Basic header when the request has
// an Authorization header at all (a malformed one is a 401, not a reason to
// look elsewhere), otherwise from the api_key and api_secret parameters of
// the query string or form body. Real clients use all three.
func (s *server) legacyAuth(w http.ResponseWriter, r *http.Request) (account.Account, bool) {
	if err := s.parseLegacyForm(r); err != nil {
		s.writeError(w, r, err)
		return account.Account{}, false
	}
	key, secret, ok := legacyCredentials(r)
	stateOf(r).noteSecret(secret)
	if !ok {
		s.writeError(w, r, account.Errorf(account.EUNAUTHORIZED, "authentication failed"))
		return account.Account{}, false
	}
	acct, err := s.authenticate(r, key, secret)
	if err != nil {
		s.writeError(w, r, err)
		return account.Account{}, false
	}
	return acct, true
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
// seen is noted for log redaction, even when parsing fails half-way. The
// parser's own error text quotes the input, so it is never passed on.
func (s *server) parseLegacyForm(r *http.Request) error {
	err := r.ParseForm()
	st := stateOf(r)
	for _, v := range r.Form["api_secret"] {
		st.noteSecret(v)
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
