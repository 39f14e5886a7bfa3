package vonage_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/vonage/vonage-go-sdk"
	"github.com/vonage/vonage-go-sdk/vonagetest"
)

// These tests rotate secrets on the real server (vonagetest), breaking each
// step in turn, and check the promise of RotateSecret: the account always
// keeps a secret that works, and the result or the error names it.

const newSecret = "N3w-Rotated-Secret"

// works reports whether apiKey and secret authenticate, on the legacy host.
func works(t *testing.T, c *vonage.AccountClient, apiKey, secret string) bool {
	t.Helper()
	_, _, err := c.WithCredentials(apiKey, secret).GetBalanceContext(t.Context())
	if err != nil && !errors.Is(err, vonage.ErrAuthentication) {
		t.Fatalf("GetBalance: %v", err)
	}
	return err == nil
}

func TestRotateSecret(t *testing.T) {
	t.Parallel()
	srv := vonagetest.NewServer(t)
	oldID := srv.SecretIDs(t)[0]
	var steps []string
	res, err := srv.Client.RotateSecret(t.Context(), newSecret, vonage.OnStep(func(step, detail string) {
		if strings.Contains(detail, newSecret) || strings.Contains(detail, srv.APISecret) {
			t.Errorf("step %s: detail %q shows a secret", step, detail)
		}
		steps = append(steps, step)
	}))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"list", "create", "verify", "revoke"}; !slices.Equal(steps, want) {
		t.Errorf("steps = %v, want %v", steps, want)
	}
	ids := srv.SecretIDs(t)
	if res.NewSecretID == "" || !slices.Equal(ids, []string{res.NewSecretID}) || res.RevokedSecretID != oldID ||
		res.WorkingSecretID != res.NewSecretID || res.APIKey != srv.APIKey {
		t.Errorf("result = %+v; secrets %v, old %s", res, ids, oldID)
	}
	if works(t, srv.Client, srv.APIKey, srv.APISecret) || !works(t, srv.Client, srv.APIKey, newSecret) {
		t.Error("after rotation the old secret should fail and the new one work")
	}
}

func TestRotateSecretTwoSecrets(t *testing.T) {
	t.Parallel()
	const second = "S3cond-Secret"
	setup := func(t *testing.T) (*vonagetest.Server, string, string) {
		srv := vonagetest.NewServer(t)
		created, _, err := srv.Client.CreateSecretContext(t.Context(), second)
		if err != nil {
			t.Fatal(err)
		}
		return srv, srv.SecretIDs(t)[0], created.ID
	}

	t.Run("retire the other", func(t *testing.T) {
		t.Parallel()
		srv, first, other := setup(t)
		var steps []string
		res, err := srv.Client.RotateSecret(t.Context(), newSecret, vonage.RetireSecret(other),
			vonage.OnStep(func(step, _ string) { steps = append(steps, step) }))
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"list", "retire", "create", "verify"}; !slices.Equal(steps, want) {
			t.Errorf("steps = %v, want %v", steps, want)
		}
		if ids := srv.SecretIDs(t); !slices.Equal(ids, []string{first, res.NewSecretID}) || res.RevokedSecretID != other {
			t.Errorf("secrets = %v, result = %+v", ids, res)
		}
		if works(t, srv.Client, srv.APIKey, second) || !works(t, srv.Client, srv.APIKey, newSecret) {
			t.Error("the retired secret should fail and the new one work")
		}
	})
	t.Run("refused without RetireSecret", func(t *testing.T) {
		t.Parallel()
		srv, first, other := setup(t)
		_, err := srv.Client.RotateSecret(t.Context(), newSecret)
		var rerr *vonage.RotationError
		if !errors.As(err, &rerr) || rerr.Step != vonage.StepList || !errors.Is(err, vonage.ErrSecretLimit) || !errors.Is(err, vonage.ErrInvalidRequest) {
			t.Fatalf("err = %v, want a refusal at step list matching ErrSecretLimit", err)
		}
		if ids := srv.SecretIDs(t); !slices.Equal(ids, []string{first, other}) {
			t.Errorf("secrets = %v, want unchanged", ids)
		}
	})
	t.Run("unknown RetireSecret", func(t *testing.T) {
		t.Parallel()
		srv, _, _ := setup(t)
		_, err := srv.Client.RotateSecret(t.Context(), newSecret, vonage.RetireSecret("00000000-0000-4000-8000-000000000000"))
		var rerr *vonage.RotationError
		if !errors.As(err, &rerr) || rerr.Step != vonage.StepList || !errors.Is(err, vonage.ErrInvalidRequest) {
			t.Fatalf("err = %v, want a refusal at step list", err)
		}
	})
	t.Run("retire fails", func(t *testing.T) {
		t.Parallel()
		srv, first, other := setup(t)
		srv.FailNextMatching("DELETE", "/accounts/", 1, vonagetest.Status(403, 0))
		res, err := srv.Client.RotateSecret(t.Context(), newSecret, vonage.RetireSecret(other))
		var rerr *vonage.RotationError
		if !errors.As(err, &rerr) || rerr.Step != vonage.StepRetire || !errors.Is(err, vonage.ErrLastSecret) {
			t.Fatalf("err = %v, want a failure at step retire", err)
		}
		if res.WorkingSecretID != first || rerr.WorkingSecretID != first || !works(t, srv.Client, srv.APIKey, srv.APISecret) {
			t.Errorf("result = %+v: the first secret should be named and work", res)
		}
	})
}

// TestRotateSecretFailures breaks each step once. secrets maps each secret id
// to its value, so the working secret the result names can be tried.
func TestRotateSecretFailures(t *testing.T) {
	t.Parallel()
	type injector func(srv *vonagetest.Server) vonage.RotateOption
	// at injects failure f into the next request matching method when step
	// starts, so earlier requests of the same kind are spared.
	at := func(step, method string, f vonagetest.Failure) injector {
		return func(srv *vonagetest.Server) vonage.RotateOption {
			return vonage.OnStep(func(s, _ string) {
				if s == step {
					srv.FailNextMatching(method, "/accounts/", 1, f)
				}
			})
		}
	}
	tests := []struct {
		name      string
		secret    string
		inject    []injector
		step      string
		match     error
		remaining string // "old", "both" or "new": which secrets the account keeps
		working   string // "old" or "new": which one the result names ("" for none known)
	}{
		{"list fails", newSecret, []injector{at("list", "GET", vonagetest.Status(500, 0))}, "list", vonage.ErrServer, "old", ""},
		{"create: secret rejected", "weak", nil, "create", vonage.ErrInvalidRequest, "old", "old"},
		{"create fails", newSecret, []injector{at("create", "POST", vonagetest.Status(503, 0))}, "create", vonage.ErrServer, "old", "old"},
		{"create: connection dropped", newSecret, []injector{at("create", "POST", vonagetest.DropConnection())}, "create", vonage.ErrTransport, "old", "old"},
		{"verify fails", newSecret, []injector{at("verify", "GET", vonagetest.Status(401, 0))}, "verify", vonage.ErrAuthentication, "old", "old"},
		{"rollback fails", newSecret, []injector{at("verify", "GET", vonagetest.Status(401, 0)), at("rollback", "DELETE", vonagetest.Status(500, 0))},
			"rollback", vonage.ErrServer, "both", "old"},
		{"revoke refused", newSecret, []injector{at("revoke", "DELETE", vonagetest.Status(403, 0))}, "revoke", vonage.ErrLastSecret, "both", "new"},
		{"revoke: connection dropped", newSecret, []injector{at("revoke", "DELETE", vonagetest.DropConnection())}, "revoke", vonage.ErrTransport, "both", "new"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := vonagetest.NewServer(t)
			c := srv.NewClient(vonage.WithRetries(0))
			oldID := srv.SecretIDs(t)[0]
			var opts []vonage.RotateOption
			for _, inj := range tc.inject {
				opts = append(opts, inj(srv))
			}
			res, err := c.RotateSecret(t.Context(), tc.secret, opts...)
			var rerr *vonage.RotationError
			if !errors.As(err, &rerr) || rerr.Step != tc.step || !errors.Is(err, tc.match) {
				t.Fatalf("err = %v, want a *RotationError at step %s matching %v", err, tc.step, tc.match)
			}
			var apiErr *vonage.APIError
			if !errors.As(err, &apiErr) {
				t.Errorf("err = %v does not unwrap to an *APIError", err)
			}
			if strings.Contains(err.Error(), tc.secret) || strings.Contains(err.Error(), srv.APISecret) {
				t.Errorf("error text shows a secret: %v", err)
			}
			if srv.PendingFailures() != 0 {
				t.Errorf("%d injected failures were not used", srv.PendingFailures())
			}

			ids := srv.SecretIDs(t)
			newID := rerr.NewSecretID
			value := map[string]string{oldID: srv.APISecret, newID: tc.secret}
			want := map[string][]string{"old": {oldID}, "both": {oldID, newID}}[tc.remaining]
			if !slices.Equal(ids, want) {
				t.Errorf("secrets = %v, want %v (old %s, new %q)", ids, want, oldID, newID)
			}
			wantWorking := map[string]string{"old": oldID, "new": newID}[tc.working]
			if res.WorkingSecretID != wantWorking || rerr.WorkingSecretID != wantWorking {
				t.Errorf("working secret = %q / %q, want %q", res.WorkingSecretID, rerr.WorkingSecretID, wantWorking)
			}
			if named := value[wantWorking]; tc.working != "" && !works(t, c, srv.APIKey, named) {
				t.Errorf("the secret the result names (%s) does not work", wantWorking)
			}
			if !works(t, c, srv.APIKey, srv.APISecret) {
				t.Error("the old secret should still work")
			}
			if tc.remaining == "both" && (res.NewSecretID != newID || newID == "") {
				t.Errorf("result.NewSecretID = %q, want %q (it still exists)", res.NewSecretID, newID)
			}
			if tc.remaining == "old" && res.NewSecretID != "" {
				t.Errorf("result.NewSecretID = %q, want none", res.NewSecretID)
			}
		})
	}
}

func TestRotateSecretForKey(t *testing.T) {
	t.Parallel()
	srv := vonagetest.NewServer(t)
	sub := srv.NewSubaccount(t)
	oldID := sub.SecretIDs(t)[0]
	scoped := srv.Client.ForKey(sub.APIKey)
	res, err := scoped.RotateSecret(t.Context(), newSecret)
	if err != nil {
		t.Fatal(err)
	}
	if res.APIKey != sub.APIKey || res.RevokedSecretID != oldID || !slices.Equal(sub.SecretIDs(t), []string{res.NewSecretID}) {
		t.Errorf("result = %+v, subaccount secrets %v", res, sub.SecretIDs(t))
	}
	if works(t, srv.Client, sub.APIKey, sub.APISecret) || !works(t, srv.Client, sub.APIKey, newSecret) {
		t.Error("the subaccount's old secret should fail and its new one work")
	}
	if !works(t, srv.Client, srv.APIKey, srv.APISecret) {
		t.Error("the primary's secret should be untouched")
	}
	// The documented way to sign with the new secret names the subaccount.
	if _, _, err := scoped.WithCredentials(scoped.APIKey(), newSecret).GetBalanceContext(t.Context()); err != nil {
		t.Errorf("scoped.WithCredentials(scoped.APIKey(), new secret): %v", err)
	}

	foreign := srv.NewAccount(t)
	for _, key := range []string{foreign.APIKey, "nosuchkey1"} {
		_, err = srv.Client.ForKey(key).RotateSecret(t.Context(), newSecret)
		var rerr *vonage.RotationError
		if !errors.As(err, &rerr) || rerr.Step != vonage.StepList || !errors.Is(err, vonage.ErrNotFound) {
			t.Errorf("key %s: err = %v, want ErrNotFound at step list", key, err)
		}
	}
	if _, err = srv.Client.ForKey("").RotateSecret(t.Context(), newSecret); !errors.Is(err, vonage.ErrInvalidRequest) {
		t.Errorf("empty key: err = %v, want ErrInvalidRequest", err)
	}
}

func TestRotateSecretRefusesUselessSecrets(t *testing.T) {
	t.Parallel()
	srv := vonagetest.NewServer(t)
	before := srv.SecretIDs(t)
	for _, secret := range []string{"", srv.APISecret} {
		res, err := srv.Client.RotateSecret(t.Context(), secret)
		var rerr *vonage.RotationError
		if !errors.As(err, &rerr) || rerr.Step != vonage.StepCreate || !errors.Is(err, vonage.ErrInvalidRequest) {
			t.Errorf("secret %q: err = %v, want a refusal at step create", secret, err)
		}
		if res.WorkingSecretID != before[0] {
			t.Errorf("working secret = %q, want %q", res.WorkingSecretID, before[0])
		}
	}
	if after := srv.SecretIDs(t); !slices.Equal(after, before) {
		t.Errorf("secrets = %v, want unchanged %v", after, before)
	}
}

// TestRotateSecretRetriesVerify: a 503 while verifying is retried like any
// GET, so a passing hiccup does not undo the rotation.
func TestRotateSecretRetriesVerify(t *testing.T) {
	t.Parallel()
	srv := vonagetest.NewServer(t)
	res, err := srv.Client.RotateSecret(t.Context(), newSecret, vonage.OnStep(func(step, _ string) {
		if step == vonage.StepVerify {
			srv.FailNextMatching("GET", "/accounts/", 1, vonagetest.Status(503, 0))
		}
	}))
	if err != nil || res.WorkingSecretID != res.NewSecretID {
		t.Fatalf("RotateSecret = %+v, %v", res, err)
	}
	if srv.PendingFailures() != 0 {
		t.Error("the injected 503 was not used")
	}
}

// TestRotateSecretRollsBackAfterCancel: the caller's context ending during
// verification must not leave an unverified secret behind.
func TestRotateSecretRollsBackAfterCancel(t *testing.T) {
	t.Parallel()
	srv := vonagetest.NewServer(t)
	before := srv.SecretIDs(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	_, err := srv.Client.RotateSecret(ctx, newSecret, vonage.OnStep(func(step, _ string) {
		if step == vonage.StepVerify {
			cancel()
		}
	}))
	var rerr *vonage.RotationError
	if !errors.As(err, &rerr) || rerr.Step != vonage.StepVerify || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want a cancelled verify", err)
	}
	if after := srv.SecretIDs(t); !slices.Equal(after, before) {
		t.Errorf("secrets = %v, want %v: the new secret should be rolled back", after, before)
	}
}

// balanceAPI is the one call lowBalance needs: callers declare the interface
// they use, and *vonage.AccountClient satisfies it.
type balanceAPI interface {
	GetBalanceContext(ctx context.Context) (vonage.AccountBalanceResponse, vonage.ErrorResponse, error)
}

// stubAPI shows such an interface at work: code written against it is tested
// without HTTP.
type stubAPI struct {
	value float64
}

func (s stubAPI) GetBalanceContext(context.Context) (vonage.AccountBalanceResponse, vonage.ErrorResponse, error) {
	return vonage.AccountBalanceResponse{Value: s.value}, vonage.ErrorResponse{}, nil
}

func lowBalance(ctx context.Context, api balanceAPI) (bool, error) {
	b, _, err := api.GetBalanceContext(ctx)
	return b.Value < 1, err
}

func TestBalanceAPIStub(t *testing.T) {
	t.Parallel()
	if low, err := lowBalance(t.Context(), stubAPI{value: 0.5}); !low || err != nil {
		t.Errorf("lowBalance(stub) = %v, %v", low, err)
	}
	srv := vonagetest.NewServer(t, vonagetest.WithBalance("3"))
	if low, err := lowBalance(t.Context(), srv.Client); low || err != nil {
		t.Errorf("lowBalance(client) = %v, %v", low, err)
	}
}
