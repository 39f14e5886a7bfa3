package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

func TestAdminCreateGeneratedSecret(t *testing.T) {
	t.Parallel()
	s := startServer(t)

	// Table: the generated secret is printed once, with a warning.
	r := cliRun(t, s.adminEnv(), "admin", "account", "create",
		"--balance", "10.5", "--auto-reload-threshold", "5.00", "--auto-reload-amount", "20.00",
		"--max-calls-per-second", "500").want(t, exitOK)
	m := regexp.MustCompile(`(?m)^API secret:\s+(\S+)$`).FindStringSubmatch(r.stdout)
	k := regexp.MustCompile(`(?m)^API key:\s+([0-9a-f]{8})$`).FindStringSubmatch(r.stdout)
	if m == nil || k == nil {
		t.Fatalf("admin account create shows no key or secret:\n%s", r.stdout)
	}
	key, secret := k[1], m[1]
	if n := strings.Count(r.all(), secret); n != 1 {
		t.Errorf("the generated secret is shown %d times, want once:\n%s", n, r.all())
	}
	if !strings.Contains(r.stderr, "will not show it again") {
		t.Errorf("no warning on stderr: %q", r.stderr)
	}
	for _, want := range []string{"10.50000000 EUR", "below 5.00000000 EUR, add 20.00000000 EUR", "500", "Secrets:"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("admin account create lacks %q:\n%s", want, r.stdout)
		}
	}

	// The printed secret is the account's.
	env := s.env(key, secret)
	r = cliRun(t, env, "balance", "--json").want(t, exitOK)
	if !strings.Contains(r.stdout, `"value": "10.50000000"`) || !strings.Contains(r.stdout, `"auto_reload": true`) {
		t.Errorf("balance of the new account: %s", r.stdout)
	}

	// admin account show never shows a secret, only ids.
	r = invoke(t, map[string]string{"VONAGE_ADMIN_TOKEN": adminToken, "VONAGE_BASE_URL": s.url, "VONAGE_API_SECRET": secret}, nil,
		"admin", "account", "show", key, "--json").want(t, exitOK)
	var acct accountJSON
	if err := json.Unmarshal([]byte(r.stdout), &acct); err != nil {
		t.Fatalf("admin account show --json: %v\n%s", err, r.stdout)
	}
	if acct.APIKey != key || acct.Balance != "10.50000000" || acct.AutoReload == nil || acct.AutoReload.Amount != "20.00000000" ||
		acct.Limits.MaxCallsPerSecond != 500 || acct.Limits.MaxOutboundRequest != 30 || len(acct.Secrets) != 1 || acct.CreatedAt == "" {
		t.Errorf("admin account show --json = %+v", acct)
	}
	for _, k := range []string{`"primary_api_key"`, `"auto_reload"`, `"limits"`, `"max_inbound_request"`, `"settings"`, `"mo_callback_url"`, `"secrets"`, `"created_at"`} {
		if !strings.Contains(r.stdout, k) {
			t.Errorf("admin account show --json lacks %s:\n%s", k, r.stdout)
		}
	}
	r = invoke(t, map[string]string{"VONAGE_ADMIN_TOKEN": adminToken, "VONAGE_BASE_URL": s.url, "VONAGE_API_SECRET": secret}, nil,
		"admin", "account", "show", key).want(t, exitOK)
	if !strings.Contains(r.stdout, acct.Secrets[0].ID) || !strings.Contains(r.stdout, "10.50000000 EUR") {
		t.Errorf("admin account show:\n%s", r.stdout)
	}

	// --json: the secret is in the JSON, once.
	r = cliRun(t, s.adminEnv(), "admin", "account", "create", "--json").want(t, exitOK)
	var created createdJSON
	if err := json.Unmarshal([]byte(r.stdout), &created); err != nil || created.APISecret == "" || created.Account.APIKey != created.APIKey {
		t.Fatalf("admin account create --json = %q (%v)", r.stdout, err)
	}
	if n := strings.Count(r.all(), created.APISecret); n != 1 {
		t.Errorf("the generated secret is shown %d times, want once", n)
	}
	if created.Account.AutoReload != nil || created.Account.Balance != "0.00000000" || created.Account.Secrets == nil {
		t.Errorf("defaults: %+v", created.Account)
	}
}

func TestAdminCreateChosenSecret(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	const chosen = "Ch0senSecretXyz"

	r := invoke(t, s.adminEnv(), strings.NewReader(chosen+"\r\n"),
		"admin", "account", "create", "--api-key", "chosen01", "--secret-stdin", "--json").want(t, exitOK)
	var created createdJSON
	if err := json.Unmarshal([]byte(r.stdout), &created); err != nil || created.APIKey != "chosen01" {
		t.Fatalf("admin account create --json = %q (%v)", r.stdout, err)
	}
	if created.APISecret != "" || strings.Contains(r.stdout, "api_secret") || strings.Contains(r.stderr, "Warning") {
		t.Errorf("a chosen secret is not shown:\n%s", r.all())
	}
	cliRun(t, s.env("chosen01", chosen), "balance").want(t, exitOK)

	// A subaccount of it, typed at a "terminal".
	tty := &fakeTerminal{entries: []string{"SubSecret123", "SubSecret123"}}
	r = invoke(t, s.adminEnv(), tty, "admin", "account", "create", "--api-key", "sub00001", "--primary-api-key", "chosen01", "--secret-stdin").want(t, exitOK)
	if !strings.Contains(r.stdout, "chosen01") || strings.Contains(r.stdout, "API secret") {
		t.Errorf("subaccount:\n%s", r.all())
	}

	// The key is taken now; the server says so.
	r = invoke(t, s.adminEnv(), strings.NewReader(chosen+"\n"), "admin", "account", "create", "--api-key", "chosen01", "--secret-stdin")
	if r.code == exitOK || r.err == nil {
		t.Errorf("creating a taken key succeeded:\n%s", r.all())
	}

	// Input refused before anything is sent.
	invoke(t, s.adminEnv(), strings.NewReader(""), "admin", "account", "create", "--secret-stdin").wantErr(t, exitError, "no secret given")
	invoke(t, s.adminEnv(), &fakeTerminal{entries: []string{"SubSecret123", "SubSecret124"}}, "admin", "account", "create", "--secret-stdin").wantErr(t, exitError, "differ")
	// And a secret the server refuses: the rule, not the secret.
	invoke(t, s.adminEnv(), strings.NewReader("weak\n"), "admin", "account", "create", "--secret-stdin").wantErr(t, exitError, "Bad Request", "secret")
}

func TestAdminErrors(t *testing.T) {
	t.Parallel()
	s := startServer(t)

	cliRun(t, s.adminEnv(), "admin", "account", "show", "nosuchkey").wantErr(t, exitNotFound, "Invalid API Key")
	cliRun(t, s.adminEnv(), "admin", "account", "create", "--balance", "1e5").wantErr(t, exitError, "Bad Request", "balance")
	cliRun(t, s.adminEnv(), "admin", "account", "create", "--api-key", "UPPER").wantErr(t, exitError, "api_key")
	cliRun(t, s.adminEnv(), "admin", "account", "create", "--max-inbound-request", "-1").wantErr(t, exitError, "max-inbound-request")
	cliRun(t, s.adminEnv(), "admin", "account", "create", "--auto-reload-threshold", "5.00").wantErr(t, exitUsage, "--auto-reload-amount")

	wrong := map[string]string{"VONAGE_ADMIN_TOKEN": "wr0ng-admin-token", "VONAGE_BASE_URL": s.url}
	r := cliRun(t, wrong, "admin", "account", "show", "nosuchkey").want(t, exitAuth)
	if strings.Count(r.all(), "\n") != 1 {
		t.Errorf("want one error line:\n%s", r.all())
	}
	cliRun(t, wrong, "admin", "account", "create").want(t, exitAuth)

	cliRun(t, map[string]string{"VONAGE_BASE_URL": s.url}, "admin", "account", "show", "abc").wantErr(t, exitUsage, "VONAGE_ADMIN_TOKEN")
	cliRun(t, map[string]string{"VONAGE_ADMIN_TOKEN": adminToken}, "admin", "account", "show", "abc").wantErr(t, exitUsage, "VONAGE_BASE_URL")
	cliRun(t, s.adminEnv(), "admin", "account", "show", "abc", "--base-url", "ftp://x").want(t, exitUsage)
	cliRun(t, s.adminEnv(), "admin", "account", "show", "abc", "--base-url", "http://127.0.0.1:1").wantErr(t, exitError, "Request failed")
}
