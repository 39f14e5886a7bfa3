package vonagetest_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"testing"

	"github.com/vonage/vonage-go-sdk"
	"github.com/vonage/vonage-go-sdk/vonagetest"
)

func TestNewServer(t *testing.T) {
	t.Parallel()
	srv := vonagetest.NewServer(t, vonagetest.WithCredentials("mykey123", "My-S3cret-Value"), vonagetest.WithBalance("10.50"))
	if srv.APIKey != "mykey123" || srv.APISecret != "My-S3cret-Value" || srv.Client.APIKey() != "mykey123" {
		t.Fatalf("account = %s / %s / %v", srv.APIKey, srv.APISecret, srv.Client)
	}
	b, _, err := srv.Client.GetBalanceContext(t.Context())
	if err != nil || b.ValueDecimal != "10.50000000" || b.AutoReload {
		t.Errorf("GetBalance = %+v, %v", b, err)
	}
	if ids := srv.SecretIDs(t); len(ids) != 1 {
		t.Errorf("secrets = %v", ids)
	}

	generated := vonagetest.NewServer(t)
	if len(generated.APIKey) != 8 || generated.APISecret == "" || generated.URL == srv.URL {
		t.Errorf("generated account %q / %q at %s", generated.APIKey, generated.APISecret, generated.URL)
	}
	if _, _, err := generated.Client.ListSecretsContext(t.Context()); err != nil {
		t.Errorf("the generated secret does not work: %v", err)
	}
}

func TestStartRefusesBadOptions(t *testing.T) {
	t.Parallel()
	for name, opt := range map[string]vonagetest.Option{
		"key":     vonagetest.WithCredentials("Bad Key", "My-S3cret-Value"),
		"secret":  vonagetest.WithCredentials("mykey123", "weak"),
		"balance": vonagetest.WithBalance("-1"),
		"reload":  vonagetest.WithAutoReload("5", "0"),
	} {
		if srv, err := vonagetest.Start(opt); err == nil {
			srv.Close()
			t.Errorf("%s: Start succeeded", name)
		}
	}
}

func TestCloseTwice(t *testing.T) {
	t.Parallel()
	srv, err := vonagetest.Start()
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
	srv.Close()
	if _, _, err := srv.Client.GetBalanceContext(t.Context()); !errors.Is(err, vonage.ErrTransport) {
		t.Errorf("after Close: err = %v, want ErrTransport", err)
	}
}

func TestMoneyHelpers(t *testing.T) {
	t.Parallel()
	srv := vonagetest.NewServer(t, vonagetest.WithBalance("3"))
	srv.SetBalance(t, "12.50")
	srv.SetBalance(t, "12.50") // no difference, no movement
	if got := srv.Balance(t); got != "12.50" {
		t.Errorf("balance = %s, want 12.50", got)
	}
	srv.Credit(t, "0.00000001")
	if trx := srv.Charge(t, "2.00000001"); trx != "" {
		t.Errorf("Charge without auto-reload returned trx %q", trx)
	}
	if got := srv.Balance(t); got != "10.50" {
		t.Errorf("balance = %s, want 10.50", got)
	}

	srv.EnableAutoReload(t, "5.00", "20.00")
	srv.SetBalance(t, "1.25") // below the threshold, but no reload
	b, _, err := srv.Client.GetBalanceContext(t.Context())
	if err != nil || b.ValueDecimal != "1.25000000" || !b.AutoReload {
		t.Fatalf("GetBalance = %+v, %v; want 1.25 with auto-reload still on", b, err)
	}
	trx := srv.Charge(t, "0.25")
	if trx == "" || srv.Balance(t) != "21.00" {
		t.Fatalf("Charge = %q, balance %s; want a reload to 21.00", trx, srv.Balance(t))
	}
	if res, _, err := srv.Client.TopUpContext(t.Context(), trx); err != nil || res.ErrorCode != "200" {
		t.Fatalf("TopUp = %+v, %v", res, err)
	}
	if got := srv.Balance(t); got != "41.00" {
		t.Errorf("balance after top-up = %s, want 41.00", got)
	}
	srv.DisableAutoReload(t)
	if _, _, err := srv.Client.TopUpContext(t.Context(), trx); !errors.Is(err, vonage.ErrAutoReloadDisabled) {
		t.Errorf("TopUp without auto-reload: err = %v", err)
	}
}

func TestAccounts(t *testing.T) {
	t.Parallel()
	srv := vonagetest.NewServer(t)
	sub := srv.NewSubaccount(t, vonagetest.WithBalance("1"))
	other := srv.NewAccount(t, vonagetest.WithAutoReload("1", "2"))
	if sub.Balance(t) != "1.00" || srv.Balance(t) != "0.00" {
		t.Errorf("balances: sub %s, primary %s", sub.Balance(t), srv.Balance(t))
	}
	b, _, err := other.Client.GetBalanceContext(t.Context())
	if err != nil || !b.AutoReload {
		t.Errorf("other account: %+v, %v", b, err)
	}
	list, _, err := srv.Client.ForKey(sub.APIKey).ListSecretsContext(t.Context())
	if err != nil || len(list.Secrets) != 1 || list.Secrets[0].ID != sub.SecretIDs(t)[0] {
		t.Errorf("primary lists the subaccount's secrets: %+v, %v", list, err)
	}
	if _, _, err := srv.Client.ForKey(other.APIKey).ListSecretsContext(t.Context()); !errors.Is(err, vonage.ErrNotFound) {
		t.Errorf("primary lists another account's secrets: err = %v", err)
	}
}

// TestAdminAPI: the admin API is on, with the token the server exposes.
func TestAdminAPI(t *testing.T) {
	t.Parallel()
	srv := vonagetest.NewServer(t)
	get := func(token string) *http.Response {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.URL+"/admin/accounts/"+srv.APIKey, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	resp := get(srv.AdminToken)
	var body struct {
		APIKey  string `json:"api_key"`
		Secrets []struct {
			ID string `json:"id"`
		} `json:"secrets"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != 200 || body.APIKey != srv.APIKey {
		t.Fatalf("GET /admin/accounts: %d %+v %v", resp.StatusCode, body, err)
	}
	if len(body.Secrets) != 1 || !slices.Equal([]string{body.Secrets[0].ID}, srv.SecretIDs(t)) {
		t.Errorf("secrets = %+v", body.Secrets)
	}
	if resp := get("wrong"); resp.StatusCode != 401 {
		t.Errorf("wrong token: %d", resp.StatusCode)
	}
}
