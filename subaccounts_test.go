package vonage_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/vonage/vonage-go-sdk"
	"github.com/vonage/vonage-go-sdk/vonagetest"
)

// TestSecretsForKey: a primary account manages its subaccount's secrets on the
// real server; every other key is ErrNotFound, whoever asks.
func TestSecretsForKey(t *testing.T) {
	t.Parallel()
	srv := vonagetest.NewServer(t)
	sub := srv.NewSubaccount(t)
	ctx, c := t.Context(), srv.Client

	list, _, err := c.ListSecretsForKey(ctx, sub.APIKey)
	if err != nil || len(list.Secrets) != 1 || list.Secrets[0].ID != sub.SecretIDs(t)[0] {
		t.Fatalf("ListSecretsForKey = %+v, %v", list, err)
	}
	created, _, err := c.CreateSecretForKey(ctx, sub.APIKey, "Sub-S3cret-Two")
	if err != nil {
		t.Fatal(err)
	}
	if want := "/accounts/" + sub.APIKey + "/secrets/" + created.ID; created.Href != want {
		t.Errorf("Href = %q, want %q", created.Href, want)
	}
	got, _, err := c.GetSecretForKey(ctx, sub.APIKey, created.ID)
	if err != nil || got.ID != created.ID {
		t.Errorf("GetSecretForKey = %+v, %v", got, err)
	}
	if _, _, err := c.WithCredentials(sub.APIKey, "Sub-S3cret-Two").GetBalanceContext(ctx); err != nil {
		t.Errorf("the subaccount's new secret does not work: %v", err)
	}
	if ok, _, err := c.DeleteSecretForKey(ctx, sub.APIKey, created.ID); !ok || err != nil {
		t.Errorf("DeleteSecretForKey = %v, %v", ok, err)
	}
	if ids := sub.SecretIDs(t); !slices.Equal(ids, []string{list.Secrets[0].ID}) {
		t.Errorf("subaccount secrets = %v", ids)
	}
	// The own-key forms and the ForKey forms with the own key agree.
	own, _, err := c.ListSecretsForKey(ctx, srv.APIKey)
	mine, _, err2 := c.ListSecretsContext(ctx)
	if err != nil || err2 != nil || !slices.Equal(own.Secrets, mine.Secrets) {
		t.Errorf("own key: %+v, %v; %+v, %v", own, err, mine, err2)
	}

	foreign := srv.NewAccount(t)
	tests := []struct {
		name   string
		caller *vonage.AccountClient
		key    string
	}{
		{"another account's key", c, foreign.APIKey},
		{"an unknown key", c, "nosuchkey1"},
		{"subaccount asks for its primary", sub.Client, srv.APIKey},
	}
	for _, tc := range tests {
		secretID := sub.SecretIDs(t)[0]
		errs := map[string]error{}
		_, _, errs["list"] = tc.caller.ListSecretsForKey(ctx, tc.key)
		_, _, errs["get"] = tc.caller.GetSecretForKey(ctx, tc.key, secretID)
		_, _, errs["create"] = tc.caller.CreateSecretForKey(ctx, tc.key, "Forb1dden-Secret")
		_, _, errs["delete"] = tc.caller.DeleteSecretForKey(ctx, tc.key, secretID)
		for call, err := range errs {
			if !errors.Is(err, vonage.ErrNotFound) {
				t.Errorf("%s: %s: err = %v, want ErrNotFound", tc.name, call, err)
			}
		}
	}
	if n := len(foreign.SecretIDs(t)); n != 1 {
		t.Errorf("foreign account has %d secrets, want 1", n)
	}
}

// TestSecretsForKeyRefusesEmptyKey: an empty key would build
// /accounts//secrets, so it is refused before any request.
func TestSecretsForKeyRefusesEmptyKey(t *testing.T) {
	t.Parallel()
	srv := vonagetest.NewServer(t)
	srv.FailNext(1, vonagetest.Status(500, 0)) // a request reaching the server would use it
	ctx, c := t.Context(), srv.Client
	for _, key := range []string{"", ".", ".."} {
		errs := map[string]error{}
		_, _, errs["list"] = c.ListSecretsForKey(ctx, key)
		_, _, errs["get"] = c.GetSecretForKey(ctx, key, "01234567-aaaa-bbbb-cccc-defdefdefdef")
		_, _, errs["create"] = c.CreateSecretForKey(ctx, key, "Abcdefg1")
		_, errResp, err := c.DeleteSecretForKey(ctx, key, "01234567-aaaa-bbbb-cccc-defdefdefdef")
		errs["delete"] = err
		for call, err := range errs {
			var apiErr *vonage.APIError
			if !errors.Is(err, vonage.ErrInvalidRequest) || !errors.As(err, &apiErr) || apiErr.StatusCode != 0 {
				t.Errorf("key %q: %s: err = %v, want a local ErrInvalidRequest", key, call, err)
			}
		}
		if errResp.Title != "Invalid request" {
			t.Errorf("key %q: ErrorResponse = %+v", key, errResp)
		}
	}
	if srv.PendingFailures() != 1 {
		t.Error("a request reached the server")
	}
}

// TestWithCredentials: the copy signs with the new credentials and keeps the
// rest; the original is unchanged.
func TestWithCredentials(t *testing.T) {
	t.Parallel()
	srv := vonagetest.NewServer(t)
	bad := srv.Client.WithCredentials(srv.APIKey, "Wr0ng-Secret")
	if bad.APIKey() != srv.APIKey || bad == srv.Client {
		t.Fatalf("copy = %v", bad)
	}
	if _, _, err := bad.GetBalanceContext(t.Context()); !errors.Is(err, vonage.ErrAuthentication) {
		t.Errorf("copy with a wrong secret: err = %v, want ErrAuthentication", err)
	}
	if _, _, err := srv.Client.GetBalanceContext(t.Context()); err != nil {
		t.Errorf("original: %v", err)
	}
	var nilClient *vonage.AccountClient
	if c := nilClient.WithCredentials("k", "s"); c == nil || c.APIKey() != "k" {
		t.Errorf("nil.WithCredentials = %v", c)
	}
}
