package httpapi

import (
	"log/slog"
	"mime"
	"net/http"
	"net/url"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// Secret management, E4–E7 (api.nexmo.com):
// https://developer.vonage.com/en/api/account#secret-management
//
// A primary account may manage its subaccounts' secrets by naming their key
// in the path. Any other key, known or not, is the same 404 (the domain
// decides), so keys cannot be enumerated.

// halLink and halLinks are the HAL "_links" member.
type halLink struct {
	Href string `json:"href"`
}

type halLinks struct {
	Self halLink `json:"self"`
}

// secretBody is one secret as E5 and E6 return it and E4 embeds it. It has
// no field for the secret's value: no endpoint ever returns it.
type secretBody struct {
	Links     halLinks `json:"_links"`
	ID        string   `json:"id"`
	CreatedAt string   `json:"created_at"`
}

// secretListBody is E4's HAL list.
type secretListBody struct {
	Links    halLinks `json:"_links"`
	Embedded struct {
		Secrets []secretBody `json:"secrets"`
	} `json:"_embedded"`
}

// secretsPath is the path of pathKey's secrets, as the HAL links give it.
func secretsPath(pathKey string) string {
	return "/accounts/" + url.PathEscape(pathKey) + "/secrets"
}

func newSecretBody(pathKey string, sec account.Secret) secretBody {
	return secretBody{
		Links:     halLinks{Self: halLink{Href: secretsPath(pathKey) + "/" + sec.ID}},
		ID:        sec.ID,
		CreatedAt: timestamp(sec.CreatedAt),
	}
}

// listSecrets implements E4, "Retrieve API Secrets":
// https://developer.vonage.com/en/api/account#retrieveAPISecrets
func (s *server) listSecrets(w http.ResponseWriter, r *http.Request) {
	caller, ok := s.basicAuth(w, r)
	if !ok {
		return
	}
	pathKey := r.PathValue("api_key")
	secrets, err := s.svc.ListSecrets(r.Context(), caller, pathKey)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var body secretListBody
	body.Links.Self.Href = secretsPath(pathKey)
	body.Embedded.Secrets = make([]secretBody, 0, len(secrets)) // [] rather than null
	for _, sec := range secrets {
		body.Embedded.Secrets = append(body.Embedded.Secrets, newSecretBody(pathKey, sec))
	}
	s.writeJSON(w, r, http.StatusOK, body)
}

// createSecret implements E5, "Create API Secret":
// https://developer.vonage.com/en/api/account#createAPISecret
//
// The body is JSON {"secret": "..."} or, as some clients send it,
// form-encoded secret=...; any other content type is read as JSON.
func (s *server) createSecret(w http.ResponseWriter, r *http.Request) {
	caller, ok := s.basicAuth(w, r)
	if !ok {
		return
	}
	secret, err := readNewSecret(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	pathKey := r.PathValue("api_key")
	sec, err := s.svc.CreateSecret(r.Context(), caller, pathKey, secret)
	if err == nil {
		s.securityEvent(r, slog.LevelInfo, "secret created", attrString("api_key", pathKey), attrString("secret_id", sec.ID), attrString("by", caller.APIKey))
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	body := newSecretBody(pathKey, sec)
	w.Header().Set("Location", body.Links.Self.Href)
	s.writeJSON(w, r, http.StatusCreated, body)
}

// readNewSecret reads E5's body. Every failure is an EINVALID naming
// "secret" (or "body" when the body as a whole is unusable) whose message
// never quotes the request.
func readNewSecret(r *http.Request) (string, error) {
	data, err := readBody(r)
	if err != nil {
		return "", err
	}
	st := stateOf(r)
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/x-www-form-urlencoded" {
		form, err := url.ParseQuery(string(data))
		for _, v := range form[account.FieldSecret] {
			st.noteSecret(v)
		}
		if err != nil {
			return "", badRequest("body", "is not a valid form-encoded body")
		}
		vs, ok := form[account.FieldSecret]
		if !ok || len(vs) == 0 {
			return "", badRequest(account.FieldSecret, "is required")
		}
		return vs[0], nil
	}
	obj, err := readJSONObject(data)
	if err != nil {
		return "", badRequest("body", `must be one JSON object such as {"secret":"..."}`)
	}
	secret, present, err := jsonString(obj, account.FieldSecret, account.FieldSecret)
	st.noteSecret(secret)
	if err != nil {
		return "", err
	}
	if !present {
		return "", badRequest(account.FieldSecret, "is required")
	}
	if unknownMember(obj, account.FieldSecret) {
		return "", badRequest("body", `must contain only the member "secret"`)
	}
	return secret, nil
}

// getSecret implements E6, "Retrieve one API Secret":
// https://developer.vonage.com/en/api/account#retrieveAPISecret
func (s *server) getSecret(w http.ResponseWriter, r *http.Request) {
	caller, ok := s.basicAuth(w, r)
	if !ok {
		return
	}
	pathKey := r.PathValue("api_key")
	sec, err := s.svc.GetSecret(r.Context(), caller, pathKey, r.PathValue("secret_id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, newSecretBody(pathKey, sec))
}

// revokeSecret implements E7, "Revoke an API Secret":
// https://developer.vonage.com/en/api/account#revokeAPISecret
//
// After the 204 the revoked secret fails at once: Service.Authenticate
// confirms in the store, on every request, that a cached secret still
// exists.
func (s *server) revokeSecret(w http.ResponseWriter, r *http.Request) {
	caller, ok := s.basicAuth(w, r)
	if !ok {
		return
	}
	pathKey, id := r.PathValue("api_key"), r.PathValue("secret_id")
	if err := s.svc.RevokeSecret(r.Context(), caller, pathKey, id); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.securityEvent(r, slog.LevelInfo, "secret revoked", attrString("api_key", pathKey), attrString("secret_id", id), attrString("by", caller.APIKey))
	w.WriteHeader(http.StatusNoContent)
}

// basicAuth authenticates an E4–E7 request from its Authorization: Basic
// header and answers the failure itself when it returns false. Missing,
// malformed (bad base64, no colon) and wrong credentials are all the same
// 401, with the real service's detail (account.MsgBadCredentials).
func (s *server) basicAuth(w http.ResponseWriter, r *http.Request) (account.Account, bool) {
	fail := func(err error) (account.Account, bool) {
		if account.ErrorCode(err) == account.EUNAUTHORIZED {
			w.Header().Set("WWW-Authenticate", `Basic realm="Vonage API"`)
			err = account.Errorf(account.EUNAUTHORIZED, "%s", account.MsgBadCredentials)
		}
		s.writeError(w, r, err)
		return account.Account{}, false
	}
	if r.Header.Get("Authorization") == "" {
		return fail(account.Errorf(account.EUNAUTHORIZED, "missing credentials"))
	}
	key, secret, ok := r.BasicAuth()
	if !ok {
		return fail(account.Errorf(account.EUNAUTHORIZED, "malformed credentials"))
	}
	stateOf(r).noteSecret(secret)
	acct, err := s.authenticate(r, key, secret)
	if err != nil {
		return fail(err)
	}
	return acct, true
}
