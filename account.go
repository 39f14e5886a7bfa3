package vonage

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
)

// AccountBalanceResponse is the account's balance
// (https://developer.vonage.com/en/api/account#getAccountBalance).
type AccountBalanceResponse struct {
	Value      float64 `json:"value"` // EUR
	AutoReload bool    `json:"autoReload"`
	// ValueDecimal is "value" exactly as the server wrote it, e.g. "10.17127500":
	// use it where a float64 could round (display, accounting).
	ValueDecimal string `json:"-"`
}

// UnmarshalJSON keeps the literal text of "value" in ValueDecimal.
func (b *AccountBalanceResponse) UnmarshalJSON(data []byte) error {
	var w struct {
		Value      json.Number `json:"value"`
		AutoReload bool        `json:"autoReload"`
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*b = AccountBalanceResponse{AutoReload: w.AutoReload, ValueDecimal: string(w.Value)}
	if w.Value == "" {
		return nil
	}
	v, err := strconv.ParseFloat(string(w.Value), 64)
	if err != nil {
		return err
	}
	b.Value = v
	return nil
}

// MarshalJSON writes "value" from ValueDecimal when it still matches Value, so a
// balance passed through is not rounded.
func (b AccountBalanceResponse) MarshalJSON() ([]byte, error) {
	value := json.Number(strconv.FormatFloat(b.Value, 'f', -1, 64))
	if v, err := strconv.ParseFloat(b.ValueDecimal, 64); err == nil && v == b.Value && json.Valid([]byte(b.ValueDecimal)) {
		value = json.Number(b.ValueDecimal)
	}
	return json.Marshal(struct {
		Value      json.Number `json:"value"`
		AutoReload bool        `json:"autoReload"`
	}{value, b.AutoReload})
}

// AccountConfigSettings sets the account's default webhook URLs. An empty field
// is left as it is; use AccountConfigUpdate to clear one.
type AccountConfigSettings struct {
	MoCallbackUrl string // inbound SMS
	DrCallbackUrl string // delivery receipts
}

// AccountConfigUpdate changes the account's default webhook URLs: a nil field is
// left as it is, a pointer to "" clears the URL.
type AccountConfigUpdate struct {
	MoCallbackUrl *string
	DrCallbackUrl *string
}

// AccountConfigResponse is the account's settings after a change
// (https://developer.vonage.com/en/api/account#changeAccountSettings).
type AccountConfigResponse struct {
	MoCallbackUrl      string `json:"mo-callback-url"`
	DrCallbackUrl      string `json:"dr-callback-url"`
	MaxOutboundRequest int    `json:"max-outbound-request"`
	MaxInboundRequest  int    `json:"max-inbound-request"`
	MaxCallsPerSecond  int    `json:"max-calls-per-second"`
}

// TopUpResponse is the answer to a successful top-up: error-code "200".
type TopUpResponse struct {
	ErrorCode      string `json:"error-code"`
	ErrorCodeLabel string `json:"error-code-label"`
}

// GetBalance returns the account's balance.
func (c *AccountClient) GetBalance() (AccountBalanceResponse, ErrorResponse, error) {
	return c.GetBalanceContext(context.Background())
}

// GetBalanceContext returns the account's balance. The real service takes the
// credentials of this endpoint in the query string, so they go there.
func (c *AccountClient) GetBalanceContext(ctx context.Context) (AccountBalanceResponse, ErrorResponse, error) {
	r := &apiRequest{method: http.MethodGet, baseURL: c.restBase(), path: "/account/get-balance", query: c.legacyCreds()}
	var out AccountBalanceResponse
	res, e := c.do(ctx, r, &out)
	if e == nil && out.ValueDecimal == "" {
		e = c.decodeError(r, res, errors.New(`response has no "value"`))
	}
	if e != nil {
		return AccountBalanceResponse{}, e.Response(), e
	}
	return out, ErrorResponse{}, nil
}

// SetConfig changes the account's default webhook URLs, leaving empty fields
// alone, and returns the resulting settings.
func (c *AccountClient) SetConfig(opts AccountConfigSettings) (AccountConfigResponse, ErrorResponse, error) {
	return c.SetConfigContext(context.Background(), opts)
}

// SetConfigContext is SetConfig with a context.
func (c *AccountClient) SetConfigContext(ctx context.Context, opts AccountConfigSettings) (AccountConfigResponse, ErrorResponse, error) {
	var upd AccountConfigUpdate
	if opts.MoCallbackUrl != "" {
		upd.MoCallbackUrl = &opts.MoCallbackUrl
	}
	if opts.DrCallbackUrl != "" {
		upd.DrCallbackUrl = &opts.DrCallbackUrl
	}
	return c.UpdateConfigContext(ctx, upd)
}

// GetConfig returns the account's settings without changing them.
func (c *AccountClient) GetConfig() (AccountConfigResponse, ErrorResponse, error) {
	return c.GetConfigContext(context.Background())
}

// GetConfigContext returns the account's settings: the API has no read
// endpoint, and a settings POST without fields changes nothing.
func (c *AccountClient) GetConfigContext(ctx context.Context) (AccountConfigResponse, ErrorResponse, error) {
	return c.UpdateConfigContext(ctx, AccountConfigUpdate{})
}

// UpdateConfig changes the fields of upd that are not nil, clearing those that
// point to "", and returns the resulting settings.
func (c *AccountClient) UpdateConfig(upd AccountConfigUpdate) (AccountConfigResponse, ErrorResponse, error) {
	return c.UpdateConfigContext(context.Background(), upd)
}

// UpdateConfigContext is UpdateConfig with a context.
func (c *AccountClient) UpdateConfigContext(ctx context.Context, upd AccountConfigUpdate) (AccountConfigResponse, ErrorResponse, error) {
	form := c.legacyCreds()
	if upd.MoCallbackUrl != nil {
		form.Set("moCallBackUrl", *upd.MoCallbackUrl)
	}
	if upd.DrCallbackUrl != nil {
		form.Set("drCallBackUrl", *upd.DrCallbackUrl)
	}
	r := &apiRequest{method: http.MethodPost, baseURL: c.restBase(), path: "/account/settings", form: form}
	var out AccountConfigResponse
	if _, e := c.do(ctx, r, &out); e != nil {
		return AccountConfigResponse{}, e.Response(), e
	}
	return out, ErrorResponse{}, nil
}

// TopUp adds credit again as the auto-reload payment trx did
// (https://developer.vonage.com/en/api/account#topUpAccountBalance). Accounts
// without auto-reload get ErrAutoReloadDisabled.
func (c *AccountClient) TopUp(trx string) (TopUpResponse, ErrorResponse, error) {
	return c.TopUpContext(context.Background(), trx)
}

// TopUpContext is TopUp with a context.
func (c *AccountClient) TopUpContext(ctx context.Context, trx string) (TopUpResponse, ErrorResponse, error) {
	form := c.legacyCreds()
	form.Set("trx", trx)
	r := &apiRequest{method: http.MethodPost, baseURL: c.restBase(), path: "/account/top-up", form: form}
	var w wireError
	res, e := c.do(ctx, r, &w)
	switch {
	case e != nil:
	case w.Code == "":
		e = c.decodeError(r, res, errors.New(`response has no "error-code"`))
	case w.Code != "200":
		e = c.wireError(r, res, w) // a legacy error inside a 2xx answer
	}
	if e != nil {
		return TopUpResponse{}, e.Response(), e
	}
	return TopUpResponse{ErrorCode: string(w.Code), ErrorCodeLabel: w.Label}, ErrorResponse{}, nil
}

// legacyCreds returns api_key and api_secret for the query or form of E1-E3.
func (c *AccountClient) legacyCreds() url.Values {
	return url.Values{"api_key": {c.authKey()}, "api_secret": {c.secret()}}
}
