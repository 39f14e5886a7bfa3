package httpapi

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/adminapi"
)

// listAccounts implements GET /admin/accounts?page_size=100&cursor=…
// &prefix=…&primary_api_key=…: accounts ordered by key, each as GET
// /admin/accounts/{api_key} shows it. Accounts are never removed, so
// walking the cursors visits every account that existed at the first page
// exactly once; one created meanwhile is seen when its key sorts after the
// page being read.
func (s *server) listAccounts(w http.ResponseWriter, r *http.Request) {
	q, err := readAccountQuery(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	page, err := s.svc.ListAccountsWithSecrets(r.Context(), q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	body := adminapi.AccountsPage{Accounts: make([]adminapi.Account, 0, len(page.Accounts))}
	for _, acct := range page.Accounts {
		body.Accounts = append(body.Accounts, newAdminAccount(acct, page.Secrets[acct.APIKey]))
	}
	if page.Next != "" {
		body.NextCursor = encodeAccountCursor(page.Next)
	}
	s.writeJSON(w, r, http.StatusOK, body)
}

// readAccountQuery reads the query of GET /admin/accounts. Unknown
// parameters are refused (a misspelt filter must not list everything); of
// repeated ones the first wins, as everywhere.
func readAccountQuery(r *http.Request) (account.AccountQuery, error) {
	var q account.AccountQuery
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return q, badRequest("query", "is malformed")
	}
	for name := range v {
		switch name {
		case "page_size", "cursor", "prefix", "primary_api_key":
		default:
			return q, badRequest("query", "has an unknown parameter; allowed: page_size, cursor, prefix, primary_api_key")
		}
	}
	if _, ok := v["page_size"]; ok {
		n, ok := positiveInt(v.Get("page_size"))
		if !ok || n > account.MaxAccountPage {
			return q, badRequest("page_size", "must be an integer from 1 to "+strconv.Itoa(account.MaxAccountPage))
		}
		q.Limit = int(n)
	}
	if _, ok := v["cursor"]; ok {
		after, ok := decodeAccountCursor(v.Get("cursor"))
		if !ok {
			return q, badRequest("cursor", "must be a next_cursor from a previous page")
		}
		q.After = after
	}
	q.Prefix, q.PrimaryAPIKey = v.Get("prefix"), v.Get("primary_api_key")
	return q, nil
}

// accountCursorTag starts every account cursor, so that a cursor of
// another listing (or a bare key) is refused rather than misread.
const accountCursorTag = "acct:"

// encodeAccountCursor makes the cursor that resumes a listing after key:
// opaque to clients, who only send back what they were given.
func encodeAccountCursor(key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(accountCursorTag + key))
}

// decodeAccountCursor returns the key a cursor resumes after.
func decodeAccountCursor(c string) (string, bool) {
	data, err := base64.RawURLEncoding.DecodeString(c)
	key, ok := strings.CutPrefix(string(data), accountCursorTag)
	if err != nil || !ok || key == "" || account.ValidateAPIKey("cursor", key) != nil {
		return "", false
	}
	return key, true
}

// resetSecret implements POST /admin/accounts/{api_key}/reset-secret with
// the body {} (or none) or {"secret":"..."}: every secret of the account
// is replaced by one new secret, in one database transaction; a generated
// one is returned once as api_secret.
func (s *server) resetSecret(w http.ResponseWriter, r *http.Request) {
	secret, err := readResetSecret(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	sec, generated, err := s.svc.ResetSecrets(r.Context(), r.PathValue("api_key"), secret)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	stateOf(r).noteSecret(generated)
	w.Header().Set("Cache-Control", "no-store") // the body may hold a secret
	s.writeJSON(w, r, http.StatusOK, adminapi.SecretReset{APIKey: sec.APIKey, SecretID: sec.ID, APISecret: generated})
}

// readResetSecret reads the body of reset-secret: the secret to set, or ""
// to have one generated. An empty body is {}.
func readResetSecret(r *http.Request) (string, error) {
	data, err := readBody(r)
	if err != nil {
		return "", err
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return "", nil
	}
	obj, err := readJSONObject(data)
	if err != nil {
		return "", badRequest("body", "must be one JSON object")
	}
	secret, _, err := jsonString(obj, account.FieldSecret, account.FieldSecret)
	stateOf(r).noteSecret(secret)
	if err != nil {
		return "", err
	}
	if unknownMember(obj, account.FieldSecret) {
		return "", badRequest("body", "has an unknown member; allowed: secret")
	}
	return secret, nil
}
