package vonage

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// AccountSecret is one of the account's API secrets. The secret itself is never
// returned by the API, only its id and creation time
// (https://developer.vonage.com/en/api/account#retrieveAPISecret).
type AccountSecret struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"created_at"`
	Href      string    `json:"-"` // _links.self.href
}

// AccountSecretCollection is the account's secrets, oldest first.
type AccountSecretCollection struct {
	Secrets []AccountSecret
	Href    string // _links.self.href
}

// wireLinks is the HAL _links object.
type wireLinks struct {
	Self struct {
		Href string `json:"href"`
	} `json:"self"`
}

type wireSecret struct {
	Links     wireLinks `json:"_links"`
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"created_at"`
}

func (w wireSecret) secret() AccountSecret {
	return AccountSecret{ID: w.ID, CreatedAt: w.CreatedAt, Href: w.Links.Self.Href}
}

var errNoSecretID = errors.New(`response has no secret "id"`)

// ListSecrets returns the account's API secrets (on a client from ForKey,
// those of the key given there).
func (c *AccountClient) ListSecrets() (AccountSecretCollection, ErrorResponse, error) {
	return c.ListSecretsContext(context.Background())
}

// ListSecretsContext is ListSecrets with a context.
func (c *AccountClient) ListSecretsContext(ctx context.Context) (AccountSecretCollection, ErrorResponse, error) {
	var w struct {
		Links    *wireLinks `json:"_links"`
		Embedded *struct {
			Secrets []wireSecret `json:"secrets"`
		} `json:"_embedded"`
	}
	var res apiResponse
	r, e := c.secretsRequest(http.MethodGet)
	if e == nil {
		res, e = c.do(ctx, r, &w)
	}
	if e == nil && w.Links == nil && w.Embedded == nil {
		e = c.decodeError(r, res, errors.New("response is not a list of secrets"))
	}
	if e != nil {
		return AccountSecretCollection{}, e.Response(), e
	}
	out := AccountSecretCollection{Secrets: []AccountSecret{}}
	if w.Links != nil {
		out.Href = w.Links.Self.Href
	}
	if w.Embedded != nil {
		for _, s := range w.Embedded.Secrets {
			if s.ID == "" {
				e = c.decodeError(r, res, errNoSecretID)
				return AccountSecretCollection{}, e.Response(), e
			}
			out.Secrets = append(out.Secrets, s.secret())
		}
	}
	return out, ErrorResponse{}, nil
}

// GetSecret returns one of the account's API secrets by id.
func (c *AccountClient) GetSecret(id string) (AccountSecret, ErrorResponse, error) {
	return c.GetSecretContext(context.Background(), id)
}

// GetSecretContext is GetSecret with a context.
func (c *AccountClient) GetSecretContext(ctx context.Context, id string) (AccountSecret, ErrorResponse, error) {
	r, e := c.secretRequest(http.MethodGet, id)
	return c.secretCall(ctx, r, e)
}

// CreateSecret adds an API secret to the account (at most two are allowed; see
// ErrSecretLimit). The new secret is sent in the body, never in a URL, and kept
// out of error texts. A primary account rotates a subaccount's secrets without
// knowing them through ForKey.
func (c *AccountClient) CreateSecret(secret string) (AccountSecret, ErrorResponse, error) {
	return c.CreateSecretContext(context.Background(), secret)
}

// CreateSecretContext is CreateSecret with a context.
func (c *AccountClient) CreateSecretContext(ctx context.Context, secret string) (AccountSecret, ErrorResponse, error) {
	r, e := c.secretsRequest(http.MethodPost)
	r.secrets = []string{secret}
	if e != nil {
		return AccountSecret{}, e.Response(), e
	}
	r.jsonBody = struct {
		Secret string `json:"secret"`
	}{secret}
	return c.secretCall(ctx, r, nil)
}

// DeleteSecret revokes one of the account's API secrets and reports whether it
// was revoked. The last secret cannot be revoked (see ErrLastSecret).
func (c *AccountClient) DeleteSecret(id string) (bool, ErrorResponse, error) {
	return c.DeleteSecretContext(context.Background(), id)
}

// DeleteSecretContext is DeleteSecret with a context.
func (c *AccountClient) DeleteSecretContext(ctx context.Context, id string) (bool, ErrorResponse, error) {
	r, e := c.secretRequest(http.MethodDelete, id)
	if e == nil {
		_, e = c.do(ctx, r, nil)
	}
	if e != nil {
		return false, e.Response(), e
	}
	return true, ErrorResponse{}, nil
}

// secretCall sends r (unless building it failed with e) and decodes one
// secret object.
func (c *AccountClient) secretCall(ctx context.Context, r *apiRequest, e *APIError) (AccountSecret, ErrorResponse, error) {
	var w wireSecret
	var res apiResponse
	if e == nil {
		res, e = c.do(ctx, r, &w)
	}
	if e == nil && w.ID == "" {
		e = c.decodeError(r, res, errNoSecretID)
	}
	if e != nil {
		return AccountSecret{}, e.Response(), e
	}
	return w.secret(), ErrorResponse{}, nil
}

// secretsRequest builds a request on /accounts/{api_key}/secrets for the key
// the client acts on. The client's own key, when empty, means missing
// credentials. A key given to ForKey must be usable in a path: never build
// /accounts//secrets, which a server might route somewhere else.
func (c *AccountClient) secretsRequest(method string) (*apiRequest, *APIError) {
	r := &apiRequest{method: method, baseURL: c.apiBase(), basicAuth: true}
	apiKey := c.APIKey()
	switch {
	case c.own() && apiKey == "":
		return r, c.checkCreds(r)
	case !usableInPath(apiKey):
		r.url = redactURL(strings.TrimRight(r.baseURL, "/")) + "/accounts/{api_key}/secrets"
		return r, localError(r, ErrInvalidRequest, fmt.Errorf("API key %q is not usable in a URL path", apiKey))
	}
	r.path = "/accounts/" + url.PathEscape(apiKey) + "/secrets"
	return r, nil
}

// secretRequest builds a request on /accounts/{api_key}/secrets/{id}. It refuses
// an empty id, and "." or "..", which a server would resolve to another path.
func (c *AccountClient) secretRequest(method, id string) (*apiRequest, *APIError) {
	r, e := c.secretsRequest(method)
	if e != nil {
		return r, e
	}
	if !usableInPath(id) {
		r.url = redactURL(strings.TrimRight(r.baseURL, "/")+r.path) + "/{secret_id}"
		return r, localError(r, ErrInvalidRequest, fmt.Errorf("secret id %q is not usable in a URL path", id))
	}
	r.path += "/" + url.PathEscape(id)
	return r, nil
}

// usableInPath reports whether s can be one path segment: PathEscape handles
// every character, but "", "." and ".." would change which path is meant.
func usableInPath(s string) bool {
	return s != "" && s != "." && s != ".."
}
