package vonage_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/vonage/vonage-go-sdk"
	"github.com/vonage/vonage-go-sdk/vonagetest"
)

// TestSecretsForKey: a primary account manages its subaccount's secrets on the
// real server through ForKey; every other key is ErrNotFound, whoever asks.
func TestSecretsForKey(t *testing.T) {
	t.Parallel()
	srv := vonagetest.NewServer(t)
	sub := srv.NewSubaccount(t)
	ctx, c := t.Context(), srv.Client
	scoped := c.ForKey(sub.APIKey)

	list, _, err := scoped.ListSecretsContext(ctx)
	if err != nil || len(list.Secrets) != 1 || list.Secrets[0].ID != sub.SecretIDs(t)[0] {
		t.Fatalf("ForKey(sub).ListSecretsContext = %+v, %v", list, err)
	}
	created, _, err := scoped.CreateSecretContext(ctx, "Sub-S3cret-Two")
	if err != nil {
		t.Fatal(err)
	}
	if want := "/accounts/" + sub.APIKey + "/secrets/" + created.ID; created.Href != want {
		t.Errorf("Href = %q, want %q", created.Href, want)
	}
	got, _, err := scoped.GetSecretContext(ctx, created.ID)
	if err != nil || got.ID != created.ID {
		t.Errorf("ForKey(sub).GetSecretContext = %+v, %v", got, err)
	}
	if _, _, err := c.WithCredentials(sub.APIKey, "Sub-S3cret-Two").GetBalanceContext(ctx); err != nil {
		t.Errorf("the subaccount's new secret does not work: %v", err)
	}
	if ok, _, err := scoped.DeleteSecretContext(ctx, created.ID); !ok || err != nil {
		t.Errorf("ForKey(sub).DeleteSecretContext = %v, %v", ok, err)
	}
	if ids := sub.SecretIDs(t); !slices.Equal(ids, []string{list.Secrets[0].ID}) {
		t.Errorf("subaccount secrets = %v", ids)
	}
	// The client itself and the client scoped to its own key agree.
	own, _, err := c.ForKey(srv.APIKey).ListSecretsContext(ctx)
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
		for call, got := range secretCalls(ctx, tc.caller.ForKey(tc.key), sub.SecretIDs(t)[0]) {
			if !errors.Is(got.err, vonage.ErrNotFound) {
				t.Errorf("%s: %s: err = %v, want ErrNotFound", tc.name, call, got.err)
			}
		}
	}
	if n := len(foreign.SecretIDs(t)); n != 1 {
		t.Errorf("foreign account has %d secrets, want 1", n)
	}
}

// TestSecretsForKeyRefusesEmptyKey: ForKey("") would build /accounts//secrets
// (and "." or ".." another path), so it is refused before any request, never
// taken to mean the signing account.
func TestSecretsForKeyRefusesEmptyKey(t *testing.T) {
	t.Parallel()
	srv := vonagetest.NewServer(t)
	srv.FailNext(1, vonagetest.Status(500, 0)) // a request reaching the server would use it
	ctx, c := t.Context(), srv.Client
	for _, key := range []string{"", ".", ".."} {
		for call, got := range secretCalls(ctx, c.ForKey(key), "01234567-aaaa-bbbb-cccc-defdefdefdef") {
			var apiErr *vonage.APIError
			if !errors.Is(got.err, vonage.ErrInvalidRequest) || !errors.As(got.err, &apiErr) || apiErr.StatusCode != 0 {
				t.Errorf("key %q: %s: err = %v, want a local ErrInvalidRequest", key, call, got.err)
			}
			if got.resp.Title != "Invalid request" {
				t.Errorf("key %q: %s: ErrorResponse = %+v", key, call, got.resp)
			}
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

// TestForKeyScope: a scoped client acts on the subaccount's secrets and
// nothing else; APIKey names the key it acts on; WithCredentials gives the
// client of the account whose credentials it holds, without the scope.
func TestForKeyScope(t *testing.T) {
	t.Parallel()
	srv := vonagetest.NewServer(t, vonagetest.WithBalance("5"))
	sub := srv.NewSubaccount(t, vonagetest.WithBalance("1"))
	ctx, c := t.Context(), srv.Client
	scoped := c.ForKey(sub.APIKey)

	if scoped == c || scoped.APIKey() != sub.APIKey || c.APIKey() != srv.APIKey {
		t.Fatalf("ForKey: copy %v (APIKey %q), original %v (APIKey %q)", scoped, scoped.APIKey(), c, c.APIKey())
	}
	if s := fmt.Sprint(scoped); !strings.Contains(s, "apiKey: "+sub.APIKey) || !strings.Contains(s, "signedBy: "+srv.APIKey) ||
		strings.Contains(s, srv.APISecret) || strings.Contains(s, sub.APISecret) {
		t.Errorf("scoped client prints as %q", s)
	}
	// Balance and settings have no per-key form: they stay the signing account's.
	if b, _, err := scoped.GetBalanceContext(ctx); err != nil || b.Value != 5 {
		t.Errorf("scoped GetBalance = %+v, %v; want the primary's 5", b, err)
	}
	// The original client still acts on its own secrets.
	if list, _, err := c.ListSecretsContext(ctx); err != nil || !slices.Equal(ids(list), srv.SecretIDs(t)) {
		t.Errorf("original after ForKey: %+v, %v", list, err)
	}

	// WithCredentials on a scoped client: the copy is the account it signs as.
	asSub := scoped.WithCredentials(sub.APIKey, sub.APISecret)
	if asSub.APIKey() != sub.APIKey {
		t.Errorf("WithCredentials(sub).APIKey() = %q", asSub.APIKey())
	}
	if b, _, err := asSub.GetBalanceContext(ctx); err != nil || b.Value != 1 {
		t.Errorf("signed as the subaccount: balance %+v, %v; want 1", b, err)
	}
	if list, _, err := asSub.ListSecretsContext(ctx); err != nil || !slices.Equal(ids(list), sub.SecretIDs(t)) {
		t.Errorf("signed as the subaccount: secrets %+v, %v", list, err)
	}
	asPrimary := scoped.WithCredentials(srv.APIKey, srv.APISecret)
	if list, _, err := asPrimary.ListSecretsContext(ctx); asPrimary.APIKey() != srv.APIKey || err != nil || !slices.Equal(ids(list), srv.SecretIDs(t)) {
		t.Errorf("WithCredentials drops the scope: APIKey %q, secrets %+v, %v", asPrimary.APIKey(), list, err)
	}
	if list, _, err := asPrimary.ForKey(sub.APIKey).ListSecretsContext(ctx); err != nil || !slices.Equal(ids(list), sub.SecretIDs(t)) {
		t.Errorf("ForKey after WithCredentials: %+v, %v", list, err)
	}

	// A subaccount cannot scope itself to its primary, nor a scope be nested.
	if _, _, err := sub.Client.ForKey(srv.APIKey).ListSecretsContext(ctx); !errors.Is(err, vonage.ErrNotFound) {
		t.Errorf("subaccount scoped to its primary: err = %v, want ErrNotFound", err)
	}
	if got := scoped.ForKey("nosuchkey1").APIKey(); got != "nosuchkey1" {
		t.Errorf("ForKey on a scoped client: APIKey() = %q, want the last key", got)
	}

	var nilClient *vonage.AccountClient
	if s := nilClient.ForKey("k"); s == nil || s.APIKey() != "k" {
		t.Errorf("nil.ForKey = %v", s)
	} else if _, _, err := s.ListSecretsContext(ctx); !errors.Is(err, vonage.ErrAuthentication) {
		t.Errorf("nil.ForKey: err = %v, want ErrAuthentication (no credentials)", err)
	}
}

// callResult is what one call returned besides its value.
type callResult struct {
	resp vonage.ErrorResponse
	err  error
}

// secretCalls makes each of the four secret calls on c (get and delete on
// secretID) and returns what each returned, by name: the tests of a key
// scope expect the same refusal from all of them.
func secretCalls(ctx context.Context, c *vonage.AccountClient, secretID string) map[string]callResult {
	var list, get, create, del callResult
	_, list.resp, list.err = c.ListSecretsContext(ctx)
	_, get.resp, get.err = c.GetSecretContext(ctx, secretID)
	_, create.resp, create.err = c.CreateSecretContext(ctx, "Forb1dden-Secret")
	_, del.resp, del.err = c.DeleteSecretContext(ctx, secretID)
	return map[string]callResult{"list": list, "get": get, "create": create, "delete": del}
}

func ids(list vonage.AccountSecretCollection) []string {
	out := []string{}
	for _, s := range list.Secrets {
		out = append(out, s.ID)
	}
	return out
}
