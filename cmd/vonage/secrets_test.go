package main

import (
	"encoding/json"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"
)

// secretsJSON runs "secrets list --json" and returns the list.
func secretsJSON(t *testing.T, env map[string]string) []secretJSON {
	t.Helper()
	r := cliRun(t, env, "secrets", "list", "--json").want(t, exitOK)
	var got []secretJSON
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("secrets list --json: %v\n%s", err, r.stdout)
	}
	return got
}

func TestSecretsLifecycle(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	key, env := s.newUser(t)

	list := secretsJSON(t, env)
	if len(list) != 1 {
		t.Fatalf("a new account has %d secrets, want 1", len(list))
	}
	first := list[0]
	if _, err := time.Parse(time.RFC3339, first.CreatedAt); err != nil || !strings.HasSuffix(first.CreatedAt, "Z") {
		t.Errorf("created_at %q is not RFC 3339 UTC", first.CreatedAt)
	}
	r := cliRun(t, env, "secrets", "list").want(t, exitOK)
	if !regexp.MustCompile(`(?m)^ID\s+CREATED\n` + first.ID + `\s+` + first.CreatedAt + `\n$`).MatchString(r.stdout) {
		t.Errorf("secrets list table:\n%s", r.stdout)
	}

	// Flags may follow the id.
	r = cliRun(t, env, "secrets", "get", first.ID, "--json").want(t, exitOK)
	var got secretJSON
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || got != first {
		t.Errorf("secrets get --json = %q, want %+v (%v)", r.stdout, first, err)
	}
	r = cliRun(t, env, "secrets", "get", first.ID).want(t, exitOK)
	if !strings.Contains(r.stdout, first.ID) || !strings.Contains(r.stdout, first.CreatedAt) {
		t.Errorf("secrets get table:\n%s", r.stdout)
	}

	// The new secret comes from stdin's first line, without its CRLF; the
	// rest of stdin is ignored.
	const newSecret = "N3wSecretFromPipe"
	r = invoke(t, env, strings.NewReader(newSecret+"\r\nignored line\n"), "secrets", "create", "--json").want(t, exitOK)
	var created secretJSON
	if err := json.Unmarshal([]byte(r.stdout), &created); err != nil || created.ID == "" || created.ID == first.ID || created.CreatedAt == "" {
		t.Fatalf("secrets create --json = %q (%v)", r.stdout, err)
	}
	newEnv := s.env(key, newSecret)
	if list := secretsJSON(t, newEnv); len(list) != 2 || list[1] != created {
		t.Errorf("after create, list = %+v, want the new secret second", list)
	}

	// A third secret is refused by the server.
	invoke(t, env, strings.NewReader("Th1rdSecretXyz\n"), "secrets", "create").
		wantErr(t, exitError, "Secret Addition Forbidden")

	// Revoke the first with the new secret; the old one then fails with 3.
	r = cliRun(t, newEnv, "secrets", "revoke", first.ID).want(t, exitOK)
	if !strings.Contains(r.stdout, first.ID) {
		t.Errorf("secrets revoke output:\n%s", r.stdout)
	}
	cliRun(t, env, "secrets", "list").want(t, exitAuth)
	cliRun(t, newEnv, "secrets", "get", first.ID).wantErr(t, exitNotFound, "Invalid ID")
	cliRun(t, newEnv, "secrets", "revoke", first.ID).want(t, exitNotFound)
	cliRun(t, newEnv, "secrets", "get", "00000000-0000-4000-8000-000000000000").want(t, exitNotFound)

	// The last secret cannot be revoked.
	cliRun(t, newEnv, "secrets", "revoke", created.ID, "--json").wantErr(t, exitError, "Secret Deletion Forbidden")
	if list := secretsJSON(t, newEnv); len(list) != 1 {
		t.Errorf("after refusing to revoke the last secret, list = %+v", list)
	}
}

func TestSecretsCreateInput(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	key, env := s.newUser(t)

	// Nothing to read, or an empty first line: refused before any request.
	for _, in := range []string{"", "\n", "\r\n", "\nS3condLineSecret\n"} {
		invoke(t, env, strings.NewReader(in), "secrets", "create").wantErr(t, exitError, "no secret given")
	}
	// A secret the server refuses: its rule, never the secret.
	invoke(t, env, strings.NewReader("short\n"), "secrets", "create").wantErr(t, exitError, "Bad Request", "secret")

	// At a terminal the secret is typed twice; two different entries are
	// refused, and so is an empty one.
	tty := &fakeTerminal{entries: []string{"Typ3dSecretOne", "Typ3dSecretTwo"}}
	r := invoke(t, env, tty, "secrets", "create").wantErr(t, exitError, "differ")
	if tty.reads != 2 || !strings.Contains(r.stderr, "New secret: ") || !strings.Contains(r.stderr, "Repeat the secret: ") {
		t.Errorf("prompted %d times; stderr:\n%s", tty.reads, r.stderr)
	}
	invoke(t, env, &fakeTerminal{entries: []string{""}}, "secrets", "create").wantErr(t, exitError, "no secret given")
	if list := secretsJSON(t, env); len(list) != 1 {
		t.Fatalf("refused input created a secret: %+v", list)
	}

	tty = &fakeTerminal{entries: []string{"Typ3dSecretOne", "Typ3dSecretOne"}}
	r = invoke(t, env, tty, "secrets", "create", "--json").want(t, exitOK)
	var created secretJSON
	if err := json.Unmarshal([]byte(r.stdout), &created); err != nil {
		t.Fatalf("secrets create --json: %v\n%s", err, r.stdout)
	}
	cliRun(t, s.env(key, "Typ3dSecretOne"), "secrets", "get", created.ID).want(t, exitOK)

	// There is no way to give the secret as an argument or a flag.
	// Nor is a mistaken attempt echoed.
	for _, args := range [][]string{
		{"secrets", "create", "Arg5ecretXyz"},
		{"secrets", "create", "--secret", "Arg5ecretXyz"},
		{"secrets", "create", "--secret=Arg5ecretXyz"},
	} {
		r := invoke(t, env, strings.NewReader("Fl4gSecretXyz\n"), args...).want(t, exitUsage)
		if strings.Contains(r.all(), "Arg5ecretXyz") {
			t.Errorf("vonage %q echoes its argument:\n%s", args, r.all())
		}
	}
}

func TestSecretsForKey(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	primary, env := s.newUser(t)
	const subSecret = "Sub5ecretAbc1"
	sub := s.newSubaccount(t, primary, subSecret)
	subEnv := s.env(sub, subSecret)

	// The primary lists, gets, adds and revokes the subaccount's secrets.
	subOld := secretsJSON(t, subEnv)[0]
	r := cliRun(t, env, "secrets", "list", "--key", sub).want(t, exitOK)
	if !strings.Contains(r.stdout, subOld.ID) || strings.Contains(r.stdout, secretsJSON(t, env)[0].ID) {
		t.Errorf("secrets list --key %s:\n%s", sub, r.stdout)
	}
	cliRun(t, env, "secrets", "get", "--key", sub, subOld.ID).want(t, exitOK)
	const subNew = "SubN3wSecretXyz"
	r = invoke(t, env, strings.NewReader(subNew+"\n"), "secrets", "create", "--key", sub, "--json").want(t, exitOK)
	var created secretJSON
	if err := json.Unmarshal([]byte(r.stdout), &created); err != nil {
		t.Fatalf("secrets create --key --json: %v\n%s", err, r.stdout)
	}
	cliRun(t, s.env(sub, subNew), "secrets", "get", created.ID).want(t, exitOK)
	cliRun(t, env, "secrets", "revoke", subOld.ID, "--key", sub).want(t, exitOK)
	cliRun(t, subEnv, "balance").want(t, exitAuth)
	if got := secretsJSON(t, env); len(got) != 1 {
		t.Errorf("the primary's own secrets changed: %+v", got)
	}

	// A key that is neither the caller's nor its subaccount's is not found.
	other := s.newAccount(t, "0therSecretAbc", 0, nil)
	otherID := secretsJSON(t, s.env(other, "0therSecretAbc"))[0].ID
	for _, args := range [][]string{
		{"secrets", "list", "--key", other},
		{"secrets", "get", otherID, "--key", other},
		{"secrets", "revoke", otherID, "--key", other},
		{"secrets", "list", "--key", "nosuchkey"},
		{"secrets", "list", "--key", primary, "--api-key", sub, "--api-secret", subNew}, // not upwards either
	} {
		cliRun(t, env, args...).wantErr(t, exitNotFound, "Invalid API Key")
	}
	invoke(t, env, strings.NewReader("Fore1gnSecretXyz\n"), "secrets", "create", "--key", other).want(t, exitNotFound)
	if got := secretsJSON(t, s.env(other, "0therSecretAbc")); len(got) != 1 || got[0].ID != otherID {
		t.Errorf("another account's secrets changed: %+v", got)
	}
}

func TestUsage(t *testing.T) {
	t.Parallel()
	env := map[string]string{"VONAGE_API_KEY": "abcdef12", "VONAGE_API_SECRET": "Unus3dSecret", "VONAGE_BASE_URL": "http://127.0.0.1:1"}
	// A mistake prints the usage on stderr only and exits 2; help prints it
	// on stdout only and exits 0.
	for _, tc := range []struct {
		code  int
		where string // the usage goes there only: the other stream stays empty
		runs  [][]string
	}{
		{code: exitUsage, where: "stderr", runs: [][]string{
			{},
			{"balance", "extra"},
			{"balance", "--nosuchflag"},
			{"settings", "--mo-url"},
			{"topup"},
			{"topup", "a", "b"},
			{"topup", ""},
			{"secrets"},
			{"secrets", "get"},
			{"secrets", "revoke"},
			{"secrets", "list", "--json=maybe"},
			{"admin"},
			{"admin", "account"},
			{"admin", "account", "show"},
			{"admin", "account", "update"},
			{"admin", "credit", "abc"},
			{"admin", "charge"},
			{"admin", "transactions"},
			{"admin", "transactions", "a", "b"},
			{"admin", "verify-ledger", "x"},
			{"secrets", "rotate", "extra"},
			{"serve", "--nosuchflag"},
		}},
		{code: exitOK, where: "stdout", runs: [][]string{
			{"help"},
			{"-h"},
			{"--help"},
			{"help", "balance"},
			{"help", "secrets", "create"},
			{"balance", "-h"},
			{"settings", "--help"},
			{"topup", "-h"},
			{"secrets", "-h"},
			{"secrets", "help"},
			{"secrets", "list", "-h"},
			{"secrets", "get", "-h"},
			{"secrets", "create", "-h"},
			{"secrets", "rotate", "-h"},
			{"secrets", "revoke", "-h"},
			{"admin", "-h"},
			{"admin", "account", "-h"},
			{"admin", "account", "create", "-h"},
			{"admin", "account", "show", "-h"},
			{"admin", "account", "update", "-h"},
			{"admin", "credit", "-h"},
			{"admin", "charge", "-h"},
			{"admin", "transactions", "-h"},
			{"admin", "verify-ledger", "-h"},
			{"help", "admin", "credit"},
		}},
	} {
		for _, args := range tc.runs {
			r := cliRun(t, env, args...).want(t, tc.code)
			shown, other := r.stdout, r.stderr
			if tc.where == "stderr" {
				shown, other = other, shown
			}
			if !strings.Contains(shown, "usage: vonage") || other != "" {
				t.Errorf("vonage %q: want the usage on %s only, got stdout %q, stderr %q", args, tc.where, r.stdout, r.stderr)
			}
		}
	}
	// serve's help too goes to stdout, and says where each flag's
	// environment variable is.
	if r := cliRun(t, env, "serve", "-h").want(t, exitOK); !strings.Contains(r.stdout, "usage: vonage serve") || !strings.Contains(r.stdout, "(VONAGE_DB)") || r.stderr != "" {
		t.Errorf("serve -h: stdout %q, stderr %q", r.stdout, r.stderr)
	}

	// An unknown command is one line naming the nearest command, not the
	// whole usage.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"balanc"}, `did you mean "balance"?`},
		{[]string{"secrets", "lst"}, `did you mean "secrets list"?`},
		{[]string{"admin", "acount", "show"}, `did you mean "admin account"?`},
		{[]string{"admin", "account", "shw", "k"}, `did you mean "admin account show"?`},
		{[]string{"nosuchcommand"}, `run "vonage help" for the commands`},
		{[]string{"admin", "account", "delete"}, `run "vonage help admin account"`},
	} {
		r := cliRun(t, env, tc.args...).wantErr(t, exitUsage, tc.want)
		if r.stdout != "" || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("vonage %q: want one line on stderr, got stdout %q, stderr %q", tc.args, r.stdout, r.stderr)
		}
	}

	// -h never shows a credential from the environment as a default.
	r := cliRun(t, env, "secrets", "create", "-h")
	if strings.Contains(r.stdout, env["VONAGE_API_KEY"]) {
		t.Errorf("secrets create -h shows the key from the environment:\n%s", r.stdout)
	}
	for _, want := range []string{"-api-key", "-api-secret", "-base-url", "-json", "shell history"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("secrets create -h lacks %q:\n%s", want, r.stdout)
		}
	}
}

var _ io.Reader = (*fakeTerminal)(nil)
