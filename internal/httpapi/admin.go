package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/adminapi"
)

// The admin API is our own, not Vonage's (contract section 6): JSON in and
// out, errors as RFC 7807 problem details, bearer-token authentication.
// Bodies are strict: unknown members, wrong types and trailing data are
// 400s, so an operator's typo never silently does something else.

// newAdminAccount is an account as the admin API shows it. Money is a
// decimal string ("10.50"), never a JSON number, so no client parses it
// into a float.
func newAdminAccount(acct account.Account, secrets []account.Secret) adminapi.Account {
	body := adminapi.Account{
		APIKey:        acct.APIKey,
		PrimaryAPIKey: acct.PrimaryAPIKey,
		Balance:       acct.Balance.String(),
		Limits:        adminapi.Limits(newLimitsBody(acct.Limits)),
		Settings:      adminapi.Settings{MoCallbackURL: acct.Settings.MoCallbackURL, DrCallbackURL: acct.Settings.DrCallbackURL},
		Secrets:       make([]adminapi.SecretID, 0, len(secrets)),
		CreatedAt:     timestamp(acct.CreatedAt),
		// a new account's; showAccount reads the stored one
		WebhookMethod: account.DefaultWebhookMethod,
	}
	if ar := acct.AutoReload; ar != nil {
		body.AutoReload = &adminapi.AutoReload{Threshold: ar.Threshold.String(), Amount: ar.Amount.String()}
	}
	for _, sec := range secrets {
		body.Secrets = append(body.Secrets, adminapi.SecretID{ID: sec.ID, CreatedAt: timestamp(sec.CreatedAt)})
	}
	return body
}

// createAccount implements POST /admin/accounts.
func (s *server) createAccount(w http.ResponseWriter, r *http.Request) {
	na, err := readNewAccount(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	acct, generated, err := s.svc.CreateAccount(r.Context(), na)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	stateOf(r).noteSecret(generated)
	// Read the account back so the answer equals GET's. If that fails the
	// account exists all the same and a generated secret would be lost
	// with a 500, so answer 201 with what CreateAccount returned.
	var secrets []account.Secret
	if stored, storedSecrets, err := s.svc.AccountDetails(r.Context(), acct.APIKey); err == nil {
		acct, secrets = stored, storedSecrets
	} else {
		st := stateOf(r)
		s.log.LogAttrs(r.Context(), slogError, "reading back a created account",
			attrRequestID(st.id), attrString("error", st.redact(err.Error())))
	}
	w.Header().Set("Location", "/admin/accounts/"+url.PathEscape(acct.APIKey))
	w.Header().Set("Cache-Control", "no-store") // the body may hold a secret
	// APISecret is set only when the server generated the secret: this is
	// the one time it is shown.
	s.writeJSON(w, r, http.StatusCreated, adminapi.CreatedAccount{
		APIKey:    acct.APIKey,
		APISecret: generated,
		Account:   newAdminAccount(acct, secrets),
	})
}

// showAccount implements GET /admin/accounts/{api_key}.
func (s *server) showAccount(w http.ResponseWriter, r *http.Request) {
	acct, secrets, err := s.svc.AccountDetails(r.Context(), r.PathValue("api_key"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	method, err := s.svc.SignatureMethod(r.Context(), acct.APIKey)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	body := newAdminAccount(acct, secrets)
	if method != "" {
		body.Signature = &adminapi.SignatureInfo{Method: method}
	}
	if body.WebhookMethod, err = s.svc.WebhookMethod(r.Context(), acct.APIKey); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, body)
}

// readNewAccount reads the body of POST /admin/accounts. Errors are
// EINVALIDs naming the member at fault and never quote the request.
func readNewAccount(r *http.Request) (account.NewAccount, error) {
	var na account.NewAccount
	obj, err := readBodyObject(r)
	if err != nil {
		return na, err
	}
	st := stateOf(r)
	secret, _, err := jsonString(obj, "secret", "secret")
	st.noteSecret(secret)
	if err != nil {
		return na, err
	}
	na.Secret = secret
	if unknownMember(obj, "api_key", "secret", "primary_api_key", "balance", "auto_reload", "limits") {
		return na, badRequest("body", "has an unknown member; allowed: api_key, secret, primary_api_key, balance, auto_reload, limits")
	}
	err = readAccountMembers(obj, &na)
	return na, err
}

// readAccountMembers reads the members that a new account and an import
// line share: api_key, primary_api_key, balance, auto_reload and limits
// (applied over account.DefaultLimits).
func readAccountMembers(obj map[string]json.RawMessage, na *account.NewAccount) error {
	var err error
	if na.APIKey, _, err = jsonString(obj, "api_key", "api_key"); err != nil {
		return err
	}
	if na.PrimaryAPIKey, _, err = jsonString(obj, "primary_api_key", "primary_api_key"); err != nil {
		return err
	}
	if bal, present, err := jsonString(obj, "balance", "balance"); err != nil {
		return err
	} else if present {
		if na.Balance, err = account.ParseMoney("balance", bal); err != nil {
			return err
		}
	}
	if na.AutoReload, err = readAutoReload(obj["auto_reload"]); err != nil {
		return err
	}
	limits, err := readLimits(obj["limits"])
	if err != nil {
		return err
	}
	if limits != nil {
		l := limits.apply(account.DefaultLimits)
		na.Limits = &l
	}
	return nil
}

// readAutoReload reads {"threshold":"5.00","amount":"20.00"}; absent or
// null means auto-reload off.
func readAutoReload(raw json.RawMessage) (*account.AutoReload, error) {
	if raw == nil || isNull(raw) {
		return nil, nil
	}
	obj, err := readJSONObject(raw)
	if err != nil || unknownMember(obj, "threshold", "amount") {
		return nil, badRequest("auto_reload", `must be null or an object {"threshold":"5.00","amount":"20.00"}`)
	}
	var ar account.AutoReload
	for _, m := range []struct {
		key string
		dst *account.Money
	}{{"threshold", &ar.Threshold}, {"amount", &ar.Amount}} {
		field := "auto_reload." + m.key
		v, present, err := jsonString(obj, m.key, field)
		if err != nil {
			return nil, err
		}
		if !present {
			return nil, badRequest(field, "is required")
		}
		if *m.dst, err = account.ParseMoney(field, v); err != nil {
			return nil, err
		}
	}
	return &ar, nil
}

// limitsPatch is a limits object as sent: the limits it names. A new
// account applies it over account.DefaultLimits, a PATCH over the
// account's current limits.
type limitsPatch struct {
	outbound, inbound, perSecond *int
}

func (p *limitsPatch) apply(l account.Limits) account.Limits {
	for _, m := range []struct {
		v   *int
		dst *int
	}{{p.outbound, &l.MaxOutboundRequest}, {p.inbound, &l.MaxInboundRequest}, {p.perSecond, &l.MaxCallsPerSecond}} {
		if m.v != nil {
			*m.dst = *m.v
		}
	}
	return l
}

// readLimits reads the limits object; absent or null is nil. Each value
// must be a JSON integer (its range is the domain's to check).
func readLimits(raw json.RawMessage) (*limitsPatch, error) {
	if raw == nil || isNull(raw) {
		return nil, nil
	}
	obj, err := readJSONObject(raw)
	if err != nil || unknownMember(obj, "max-outbound-request", "max-inbound-request", "max-calls-per-second") {
		return nil, badRequest("limits", "must be an object with only max-outbound-request, max-inbound-request and max-calls-per-second")
	}
	var p limitsPatch
	for _, m := range []struct {
		key string
		dst **int
	}{
		{"max-outbound-request", &p.outbound},
		{"max-inbound-request", &p.inbound},
		{"max-calls-per-second", &p.perSecond},
	} {
		v, ok := obj[m.key]
		if !ok {
			continue
		}
		n, err := strconv.Atoi(string(bytes.TrimSpace(v)))
		if err != nil {
			return nil, badRequest("limits."+m.key, "must be an integer from 0 to 1000000")
		}
		*m.dst = &n
	}
	return &p, nil
}

func isNull(raw json.RawMessage) bool {
	return string(bytes.TrimSpace(raw)) == "null"
}

// signatureMember is the "signature" member of a PATCH: a secret and
// method to set, or null to remove them.
type signatureMember struct {
	secret, method string
	remove         bool
}

// readSignature reads {"secret":"…","method":"…"} or null.
func readSignature(st *requestState, raw json.RawMessage) (*signatureMember, error) {
	if isNull(raw) {
		return &signatureMember{remove: true}, nil
	}
	obj, err := readJSONObject(raw)
	if err != nil || unknownMember(obj, "secret", "method") {
		return nil, badRequest("signature", `must be null or an object {"secret":"...","method":"md5hash"}`)
	}
	var m signatureMember
	for _, f := range []struct {
		key string
		dst *string
	}{{"secret", &m.secret}, {"method", &m.method}} {
		v, present, err := jsonString(obj, f.key, "signature."+f.key)
		if f.key == "secret" {
			st.noteSecret(v)
		}
		if err != nil {
			return nil, err
		}
		if !present {
			return nil, badRequest("signature."+f.key, "is required")
		}
		*f.dst = v
	}
	return &m, nil
}
