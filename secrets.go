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

// ListSecrets returns the account's API secrets.
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
	r, e := c.secretsRequest(http.MethodGet)
	var res apiResponse
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
	if e != nil {
		return AccountSecret{}, e.Response(), e
	}
	return c.secretCall(ctx, r)
}

// CreateSecret adds an API secret to the account (at most two are allowed; see
// ErrSecretLimit). The new secret is sent in the body, never in a URL, and kept
// out of error texts.
func (c *AccountClient) CreateSecret(secret string) (AccountSecret, ErrorResponse, error) {
	return c.CreateSecretContext(context.Background(), secret)
}

// CreateSecretContext is CreateSecret with a context.
func (c *AccountClient) CreateSecretContext(ctx context.Context, secret string) (AccountSecret, ErrorResponse, error) {
	r, e := c.secretsRequest(http.MethodPost)
	if e != nil {
		return AccountSecret{}, e.Response(), e
	}
	r.jsonBody = struct {
		Secret string `json:"secret"`
	}{secret}
	r.secrets = []string{secret}
	return c.secretCall(ctx, r)
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

// secretCall sends r and decodes one secret object.
func (c *AccountClient) secretCall(ctx context.Context, r *apiRequest) (AccountSecret, ErrorResponse, error) {
	var w wireSecret
	res, e := c.do(ctx, r, &w)
	if e == nil && w.ID == "" {
		e = c.decodeError(r, res, errNoSecretID)
	}
	if e != nil {
		return AccountSecret{}, e.Response(), e
	}
	return w.secret(), ErrorResponse{}, nil
}

// secretsRequest builds a request on /accounts/{api_key}/secrets, with the
// client's own key.
func (c *AccountClient) secretsRequest(method string) (*apiRequest, *APIError) {
	r := &apiRequest{method: method, baseURL: c.apiBase(), basicAuth: true}
	if c.APIKey() == "" {
		return r, c.checkCreds(r)
	}
	r.path = "/accounts/" + url.PathEscape(c.APIKey()) + "/secrets"
	return r, nil
}

// secretRequest builds a request on /accounts/{api_key}/secrets/{id}. It refuses
// an empty id, and "." or "..", which a server would resolve to another path.
func (c *AccountClient) secretRequest(method, id string) (*apiRequest, *APIError) {
	r, e := c.secretsRequest(method)
	if e != nil {
		return r, e
	}
	if id == "" || id == "." || id == ".." {
		r.url = redactURL(strings.TrimRight(r.baseURL, "/")+r.path) + "/{secret_id}"
		return r, localError(r, ErrInvalidRequest, fmt.Errorf("secret id %q is not usable in a URL path", id))
	}
	r.path += "/" + url.PathEscape(id)
	return r, nil
}
