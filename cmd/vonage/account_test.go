package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

const userSecret = "Us3rSecretAbc"

func TestBalance(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	key := s.newAccount(t, userSecret, 1017127500, nil) // 10.17127500 EUR
	env := s.env(key, userSecret)

	r := cliRun(t, env, "balance").want(t, exitOK)
	for _, want := range []string{"Balance:", "10.17127500 EUR", "Auto-reload:", "off"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("balance table lacks %q:\n%s", want, r.stdout)
		}
	}

	r = cliRun(t, env, "balance", "--json").want(t, exitOK)
	var got map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("balance --json: %v\n%s", err, r.stdout)
	}
	if got["value"] != "10.17127500" || got["auto_reload"] != false || len(got) != 2 {
		t.Errorf("balance --json = %v, want value \"10.17127500\" and auto_reload false only", got)
	}
}

func TestSettings(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	_, env := s.newUser(t)

	settings := func(args ...string) map[string]any {
		t.Helper()
		r := cliRun(t, env, append([]string{"settings", "--json"}, args...)...).want(t, exitOK)
		var got map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
			t.Fatalf("settings --json: %v\n%s", err, r.stdout)
		}
		return got
	}

	got := settings()
	if got["mo_callback_url"] != "" || got["dr_callback_url"] != "" || got["max_calls_per_second"] != float64(highLimits.MaxCallsPerSecond) || got["max_outbound_request"] != float64(30) {
		t.Errorf("settings read = %v", got)
	}

	const mo, dr = "https://example.com/mo?a=1&b=2", "https://example.com/dr"
	got = settings("--mo-url", mo, "--dr-url="+dr)
	if got["mo_callback_url"] != mo || got["dr_callback_url"] != dr {
		t.Errorf("settings set = %v", got)
	}

	// The table shows all five settings, and a read changes nothing.
	r := cliRun(t, env, "settings").want(t, exitOK)
	for _, want := range []string{mo, dr, "Max outbound requests:", "Max inbound requests:", "Max calls per second:", "10000"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("settings table lacks %q:\n%s", want, r.stdout)
		}
	}

	// An empty value clears that URL only.
	got = settings("--mo-url", "")
	if got["mo_callback_url"] != "" || got["dr_callback_url"] != dr {
		t.Errorf("settings after clearing mo = %v", got)
	}

	r = cliRun(t, env, "settings", "--dr-url", "ftp://example.com/x").wantErr(t, exitError, "drCallBackUrl")
	if strings.Count(r.all(), "\n") != 1 {
		t.Errorf("an API error prints one line, got:\n%s", r.all())
	}
	if got := settings(); got["dr_callback_url"] != dr {
		t.Errorf("a refused change changed the settings: %v", got)
	}
}

func TestTopUp(t *testing.T) {
	t.Parallel()
	s := startServer(t)

	plain := s.newAccount(t, userSecret, 1000000000, nil)
	cliRun(t, s.env(plain, userSecret), "topup", "0123456789abcdef").wantErr(t, exitError, "not auto-reload enabled")

	reloading := s.newAccount(t, userSecret, 600000000, &account.AutoReload{Threshold: 500000000, Amount: 2000000000})
	env := s.env(reloading, userSecret)
	cliRun(t, env, "topup", "no-such-trx").wantErr(t, exitError, "trx")

	// A charge below the threshold triggers a reload (6 - 2 + 20 = 24 EUR);
	// topping up with its trx adds 20 EUR again.
	res, err := s.svc.Charge(context.Background(), account.MoneyRequest{APIKey: reloading, Amount: 200000000, Reference: "test"})
	if err != nil || res.Reload == nil {
		t.Fatalf("Charge = %+v, %v; want a reload", res, err)
	}
	r := cliRun(t, env, "topup", res.Reload.Trx, "--json").want(t, exitOK)
	var got topupJSON
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || got.Trx != res.Reload.Trx || got.Status != "success" {
		t.Errorf("topup --json = %q (%v)", r.stdout, err)
	}
	r = cliRun(t, env, "balance").want(t, exitOK)
	if !strings.Contains(r.stdout, "44.00000000 EUR") || !strings.Contains(r.stdout, "on") {
		t.Errorf("balance after top-up:\n%s", r.stdout)
	}
}

func TestAuthenticationFailures(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	key := s.newAccount(t, userSecret, 0, nil)
	wrong := s.env(key, "Wr0ngSecretXyz")

	for _, args := range [][]string{
		{"balance"},
		{"settings", "--mo-url", "https://example.com/"},
		{"secrets", "list"},
		{"secrets", "create"},
	} {
		r := invoke(t, wrong, strings.NewReader("An0therSecret\n"), args...).want(t, exitAuth)
		if strings.Count(r.all(), "\n") != 1 || !strings.HasPrefix(r.all(), "vonage: ") {
			t.Errorf("%v: want one error line, got:\n%s", args, r.all())
		}
	}
	cliRun(t, s.env("nosuchkey", userSecret), "balance").want(t, exitAuth)

	// No credentials at all is a usage mistake: nothing is sent.
	env := s.env(key, userSecret)
	delete(env, "VONAGE_API_SECRET")
	cliRun(t, env, "balance").wantErr(t, exitUsage, "VONAGE_API_SECRET")
	delete(env, "VONAGE_API_KEY")
	cliRun(t, env, "secrets", "list").wantErr(t, exitUsage, "VONAGE_API_KEY")

	// Flags win over the environment.
	cliRun(t, wrong, "balance", "--api-secret", userSecret).want(t, exitOK)
	cliRun(t, s.env(key, userSecret), "balance", "--api-key", "otherkey1").want(t, exitAuth)
}

func TestBaseURL(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	_, env := s.newUser(t)
	env["VONAGE_BASE_URL"] = "http://127.0.0.1:1" // nothing listens there
	cliRun(t, env, "balance", "--base-url", s.url).want(t, exitOK)
	cliRun(t, env, "balance").wantErr(t, exitError, "Request failed")
	cliRun(t, env, "balance", "--base-url", "not a url").want(t, exitError)
}

// TestProcessEnvironmentIgnored checks that the CLI reads the environment
// only through run's getenv: a secret in the process environment is not
// used when the injected one has none.
func TestProcessEnvironmentIgnored(t *testing.T) {
	s := startServer(t)
	key := s.newAccount(t, userSecret, 0, nil)
	t.Setenv("VONAGE_API_KEY", key)
	t.Setenv("VONAGE_API_SECRET", userSecret)
	env := s.env(key, userSecret)
	delete(env, "VONAGE_API_SECRET")
	cliRun(t, env, "balance").wantErr(t, exitUsage, "no API secret")
	delete(env, "VONAGE_API_KEY")
	env["VONAGE_API_SECRET"] = userSecret
	cliRun(t, env, "balance").wantErr(t, exitUsage, "no API key")
}
