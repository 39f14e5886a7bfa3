package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// stepsRE matches the progress lines of a rotation, in order.
func stepsRE(steps ...string) *regexp.Regexp {
	re := `\A`
	for i, s := range steps {
		re += `\[` + string(rune('1'+i)) + `/` + string(rune('0'+len(steps))) + `\] ` + s + `: [^\n]+\n`
	}
	return regexp.MustCompile(re + `\z`)
}

func TestSecretsRotate(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	key, env := s.newUser(t)
	old := secretsJSON(t, env)[0]

	const rotated = "R0tatedSecretXyz"
	r := invoke(t, env, strings.NewReader(rotated+"\n"), "secrets", "rotate").want(t, exitOK)
	if !stepsRE("list", "create", "verify", "revoke").MatchString(r.stderr) || !strings.Contains(r.stderr, "revoking the old secret "+old.ID) {
		t.Errorf("rotation steps on stderr:\n%s", r.stderr)
	}
	newEnv := s.env(key, rotated)
	list := secretsJSON(t, newEnv)
	if len(list) != 1 || list[0].ID == old.ID {
		t.Fatalf("after rotation, list = %+v, want one new secret", list)
	}
	for _, re := range []string{`(?m)^New secret:\s+` + list[0].ID + `$`, `(?m)^Revoked secret:\s+` + old.ID + `$`} {
		if !regexp.MustCompile(re).MatchString(r.stdout) {
			t.Errorf("rotate output lacks %s:\n%s", re, r.stdout)
		}
	}
	want := "Update VONAGE_API_SECRET (and every place that holds the old secret) to the new secret now; secret " + old.ID + " was revoked.\n"
	if !strings.HasSuffix(r.stdout, want) {
		t.Errorf("rotate output does not end with the instructions %q:\n%s", want, r.stdout)
	}
	// The old secret is refused (exit 3), the new one works.
	cliRun(t, env, "balance").want(t, exitAuth)
	cliRun(t, newEnv, "balance").want(t, exitOK)

	// --json: the RotationResult on stdout, steps and instructions on stderr.
	const again = "Ag4inRotatedXyz"
	r = invoke(t, newEnv, strings.NewReader(again+"\n"), "secrets", "rotate", "--json").want(t, exitOK)
	var got rotateJSON
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("secrets rotate --json: %v\n%s", err, r.stdout)
	}
	if got.APIKey != key || got.RevokedSecretID != list[0].ID || got.NewSecretID == "" || got.WorkingSecretID != got.NewSecretID || got.FailedStep != "" {
		t.Errorf("secrets rotate --json = %+v", got)
	}
	if !strings.Contains(r.stderr, "[4/4] revoke") || !strings.Contains(r.stderr, "Update VONAGE_API_SECRET") {
		t.Errorf("rotate --json stderr:\n%s", r.stderr)
	}
	cliRun(t, s.env(key, again), "secrets", "get", got.NewSecretID).want(t, exitOK)
}

func TestSecretsRotateTwoSecrets(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	key, env := s.newUser(t)
	const second = "Sec0ndSecretXyz"
	invoke(t, env, strings.NewReader(second+"\n"), "secrets", "create").want(t, exitOK)
	both := secretsJSON(t, env)

	// Which of two to replace is for the caller to say.
	invoke(t, env, strings.NewReader("Th1rdSecretXyz\n"), "secrets", "rotate").wantErr(t, exitError, "2 secrets", "--retire", both[0].ID, both[1].ID)
	invoke(t, env, strings.NewReader("Th1rdSecretXyz\n"), "secrets", "rotate", "--retire", "00000000-0000-4000-8000-000000000000").wantErr(t, exitNotFound, "--retire")
	if got := secretsJSON(t, env); len(got) != 2 {
		t.Fatalf("a refused rotation changed the secrets: %+v", got)
	}

	// Retire the second (not the one signing): it goes first, to make room.
	const rotated = "R0tatedSecretXyz"
	r := invoke(t, env, strings.NewReader(rotated+"\n"), "secrets", "rotate", "--retire", both[1].ID).want(t, exitOK)
	if !stepsRE("list", "retire", "create", "verify").MatchString(r.stderr) {
		t.Errorf("rotation steps with --retire:\n%s", r.stderr)
	}
	if !strings.Contains(r.stdout, "retired secret") || !strings.Contains(r.stdout, "secret "+both[1].ID+" was revoked") || !strings.Contains(r.stdout, "the secret you signed with still works") {
		t.Errorf("instructions after --retire:\n%s", r.stdout)
	}
	cliRun(t, s.env(key, second), "balance").want(t, exitAuth)
	cliRun(t, env, "balance").want(t, exitOK)
	if got := secretsJSON(t, s.env(key, rotated)); len(got) != 2 || got[0] != both[0] {
		t.Errorf("after --retire, list = %+v", got)
	}
}

// problem500 answers like the server's 500.
func problem500(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(http.StatusInternalServerError)
	w.Write([]byte(`{"type":"https://developer.nexmo.com/api-errors#internal-error","title":"Internal Server Error","detail":"injected by the test","instance":"0123456789abcdef"}`))
}

// failing wraps the server: a request gets the answer of the first rule
// that returns a status for it (500 or 401), instead of reaching the server.
func failing(rules ...func(r *http.Request) int) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			status := 0
			for _, rule := range rules {
				if status = rule(r); status != 0 {
					break
				}
			}
			switch status {
			case http.StatusInternalServerError:
				problem500(w)
			case http.StatusUnauthorized:
				w.Header().Set("Content-Type", "application/problem+json")
				w.WriteHeader(http.StatusUnauthorized)
				w.Write([]byte(`{"type":"https://developer.nexmo.com/api-errors#unauthorized","title":"Invalid credentials supplied","detail":"injected","instance":"0123456789abcdef"}`))
			default:
				next.ServeHTTP(w, r)
			}
		})
	}
}

// deletesFail is a rule of failing: every DELETE (a revoke) gets a 500.
func deletesFail(r *http.Request) int {
	if r.Method == http.MethodDelete {
		return http.StatusInternalServerError
	}
	return 0
}

// refuses is a rule of failing: every request signed with secret gets a
// 401, as if the secret had not reached every server.
func refuses(secret string) func(*http.Request) int {
	return func(r *http.Request) int {
		if _, s, _ := r.BasicAuth(); s == secret {
			return http.StatusUnauthorized
		}
		return 0
	}
}

// newSecretID finds the id of the created secret in the steps on stderr.
func newSecretID(t *testing.T, stderr string) string {
	t.Helper()
	m := regexp.MustCompile(`verify: checking the new secret (\S+)`).FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no verify step on stderr:\n%s", stderr)
	}
	return m[1]
}

func TestSecretsRotateFailures(t *testing.T) {
	t.Parallel()
	const rotated = "R0tatedSecretXyz"

	t.Run("wrong current secret", func(t *testing.T) {
		t.Parallel()
		s := startServer(t)
		key := s.newAccount(t, userSecret, 0, nil)
		invoke(t, s.env(key, "Wr0ngSecretXyz"), strings.NewReader(rotated+"\n"), "secrets", "rotate").want(t, exitAuth)
		invoke(t, s.env(key, userSecret), strings.NewReader(userSecret+"\n"), "secrets", "rotate").
			wantErr(t, exitError, "step create", "the one the client signs with")
		if got := secretsJSON(t, s.env(key, userSecret)); len(got) != 1 {
			t.Errorf("failed rotations changed the secrets: %+v", got)
		}
	})

	t.Run("revoke refused", func(t *testing.T) {
		t.Parallel()
		s := startServerWith(t, failing(deletesFail))
		key, env := s.newUser(t)
		old := secretsJSON(t, env)[0]
		r := invoke(t, env, strings.NewReader(rotated+"\n"), "secrets", "rotate").wantErr(t, exitError, "step revoke", "Internal Server Error")
		newID := newSecretID(t, r.stderr)
		if !strings.Contains(r.stderr, `Rotation stopped at step "revoke"`) || !strings.Contains(r.stderr, "Working secret: "+newID+", the new one") ||
			!strings.Contains(r.stderr, "update VONAGE_API_SECRET") {
			t.Errorf("revoke failure explanation:\n%s", r.stderr)
		}
		if r.stdout != "" {
			t.Errorf("a failed rotation prints on stdout:\n%s", r.stdout)
		}
		// Both work now; the new one is the one to use.
		if got := secretsJSON(t, s.env(key, rotated)); len(got) != 2 || got[0] != old || got[1].ID != newID {
			t.Errorf("after a failed revoke, list = %+v", got)
		}
	})

	t.Run("revoke refused json", func(t *testing.T) {
		t.Parallel()
		s := startServerWith(t, failing(deletesFail))
		_, env := s.newUser(t)
		r := invoke(t, env, strings.NewReader(rotated+"\n"), "secrets", "rotate", "--json").want(t, exitError)
		var got rotateJSON
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
			t.Fatalf("rotate --json after a failure: %v\n%s", err, r.stdout)
		}
		if got.FailedStep != "revoke" || got.NewSecretID == "" || got.WorkingSecretID != got.NewSecretID || got.RevokedSecretID != "" || !strings.Contains(got.Error, "step revoke") {
			t.Errorf("rotate --json after a failure = %+v", got)
		}
	})

	t.Run("verify fails, rolled back", func(t *testing.T) {
		t.Parallel()
		// The new secret is refused, as if it had not reached every server.
		s := startServerWith(t, failing(refuses(rotated)))
		_, env := s.newUser(t)
		old := secretsJSON(t, env)[0]
		r := invoke(t, env, strings.NewReader(rotated+"\n"), "secrets", "rotate").want(t, exitError)
		if !strings.Contains(r.err.Error(), "step verify") || !strings.Contains(r.stderr, "[!] rollback:") ||
			!strings.Contains(r.stderr, "Working secret: "+old.ID+", the account's secret from before the rotation") {
			t.Errorf("verify failure:\n%s", r.all())
		}
		if got := secretsJSON(t, env); len(got) != 1 || got[0] != old {
			t.Errorf("after a rolled-back rotation, list = %+v", got)
		}
	})

	t.Run("verify and rollback fail", func(t *testing.T) {
		t.Parallel()
		s := startServerWith(t, failing(refuses(rotated), deletesFail))
		_, env := s.newUser(t)
		old := secretsJSON(t, env)[0]
		r := invoke(t, env, strings.NewReader(rotated+"\n"), "secrets", "rotate").wantErr(t, exitError, "step rollback")
		newID := newSecretID(t, r.stderr)
		if !strings.Contains(r.stderr, "Working secret: "+old.ID) || !strings.Contains(r.stderr, `"vonage secrets revoke `+newID+`"`) {
			t.Errorf("rollback failure:\n%s", r.all())
		}
		if got := secretsJSON(t, env); len(got) != 2 {
			t.Errorf("after a failed rollback, list = %+v", got)
		}
	})
}

func TestSecretsRotateSubaccount(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	primary, env := s.newUser(t)
	const subSecret = "Sub5ecretAbc1"
	sub := s.newSubaccount(t, primary, subSecret)

	const rotated = "R0tatedSubXyz1"
	r := invoke(t, env, strings.NewReader(rotated+"\n"), "secrets", "rotate", "--key", sub).want(t, exitOK)
	if !stepsRE("list", "create", "verify", "revoke").MatchString(r.stderr) || !strings.Contains(r.stderr, "listing the secrets of "+sub) {
		t.Errorf("subaccount rotation steps:\n%s", r.stderr)
	}
	if !strings.Contains(r.stdout, "Update every place that holds the old secret of "+sub+" to the new secret now; secret ") {
		t.Errorf("subaccount rotation instructions:\n%s", r.stdout)
	}
	cliRun(t, s.env(sub, subSecret), "balance").want(t, exitAuth)
	cliRun(t, s.env(sub, rotated), "balance").want(t, exitOK)
	cliRun(t, env, "balance").want(t, exitOK)

	// Another account's key is not found, whoever it belongs to.
	other := s.newAccount(t, "0therSecretAbc", 0, nil)
	invoke(t, env, strings.NewReader("Fore1gnSecretXyz\n"), "secrets", "rotate", "--key", other).wantErr(t, exitNotFound, "Invalid API Key")
	invoke(t, s.env(sub, rotated), strings.NewReader("Fore1gnSecretXyz\n"), "secrets", "rotate", "--key", primary).want(t, exitNotFound)
}

// TestSecretsRotateNamesTheSource: after a rotation the instructions name
// where the secret signed with came from (flag, environment, profile,
// api-secret-command) and the command that updates it there, and
// following them works; no secret, and not the api-secret-command, is
// shown.
func TestSecretsRotateNamesTheSource(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	const rotated = "R0tatedSecretXyz"
	for _, tc := range []struct {
		name string
		// setup stores the user's secret where the case takes it from and
		// returns the environment and the extra arguments of every command.
		setup func(t *testing.T, env map[string]string, dir string) []string
		where string // in "Update <where> (and every place …"
		how   string // the line after; "" for none
		// follow does what the instructions say, with the new secret.
		follow func(t *testing.T, env map[string]string, dir string, args []string)
	}{
		{
			name:  "environment",
			setup: func(*testing.T, map[string]string, string) []string { return nil },
			where: "VONAGE_API_SECRET",
			follow: func(_ *testing.T, env map[string]string, _ string, _ []string) {
				env["VONAGE_API_SECRET"] = rotated
			},
		},
		{
			name: "flag",
			setup: func(_ *testing.T, env map[string]string, _ string) []string {
				secret := env["VONAGE_API_SECRET"]
				delete(env, "VONAGE_API_SECRET")
				return []string{"--api-secret", secret}
			},
			where: "the --api-secret you pass",
			how:   "Better, keep it out of shell history: export VONAGE_API_SECRET, or store it in the profile (the command asks for it twice, or reads it from stdin): vonage config set api-secret -",
		},
		{
			name: "profile flag",
			setup: func(t *testing.T, env map[string]string, _ string) []string {
				secret := env["VONAGE_API_SECRET"]
				delete(env, "VONAGE_API_SECRET")
				invoke(t, env, strings.NewReader(secret+"\n"), "config", "set", "--profile", "work", "api-secret", "-").want(t, exitOK)
				return []string{"--profile", "work"}
			},
			where: `the api-secret of profile "work"`,
			how:   "Store it there (the command asks for it twice, or reads it from stdin): vonage config set --profile work api-secret -",
		},
		{
			name: "profile from VONAGE_PROFILE, a name to quote",
			setup: func(t *testing.T, env map[string]string, _ string) []string {
				secret := env["VONAGE_API_SECRET"]
				delete(env, "VONAGE_API_SECRET")
				env["VONAGE_PROFILE"] = "my work"
				invoke(t, env, strings.NewReader(secret+"\n"), "config", "set", "api-secret", "-").want(t, exitOK)
				return nil
			},
			where: `the api-secret of profile "my work"`,
			how:   "Store it there (the command asks for it twice, or reads it from stdin): vonage config set --profile 'my work' api-secret -",
		},
		{
			name: "api-secret-command",
			setup: func(t *testing.T, env map[string]string, dir string) []string {
				file := filepath.Join(dir, "secret.txt")
				if err := os.WriteFile(file, []byte(env["VONAGE_API_SECRET"]+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				delete(env, "VONAGE_API_SECRET")
				cliRun(t, env, "config", "set", "--profile", "cmd", "api-secret-command", "cat "+file).want(t, exitOK)
				return []string{"--profile", "cmd"}
			},
			where: `what the api-secret-command of profile "cmd" prints`,
			how:   "See that command with: vonage config get --profile cmd api-secret-command",
			follow: func(t *testing.T, _ map[string]string, dir string, _ []string) {
				if err := os.WriteFile(filepath.Join(dir, "secret.txt"), []byte(rotated+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			_, env := s.newUser(t)
			env["XDG_CONFIG_HOME"] = filepath.Join(dir, "config")
			args := tc.setup(t, env, dir)

			r := invoke(t, env, strings.NewReader(rotated+"\n"), append([]string{"secrets", "rotate"}, args...)...).want(t, exitOK)
			lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
			update := "Update " + tc.where + " (and every place that holds the old secret) to the new secret now; secret "
			if tc.how != "" {
				if len(lines) < 2 || !strings.HasPrefix(lines[len(lines)-2], update) || lines[len(lines)-1] != tc.how {
					t.Errorf("rotate's last lines, want\n%s…\n%s\ngot:\n%s", update, tc.how, r.stdout)
				}
			} else if !strings.HasPrefix(lines[len(lines)-1], update) {
				t.Errorf("rotate's last line, want %s…, got:\n%s", update, r.stdout)
			}
			if tc.where != "VONAGE_API_SECRET" && strings.Contains(r.stdout, "Update VONAGE_API_SECRET") {
				t.Errorf("the instructions name VONAGE_API_SECRET, which was not used:\n%s", r.stdout)
			}
			if strings.Contains(r.all(), userSecret) || strings.Contains(r.all(), "cat "+dir) {
				t.Errorf("rotate shows the old secret or the api-secret-command:\n%s", r.all())
			}

			// The old secret no longer works; doing what the instructions
			// say makes the same command line work again.
			cliRun(t, env, append([]string{"balance"}, args...)...).want(t, exitAuth)
			switch {
			case tc.follow != nil:
				tc.follow(t, env, dir, args)
			case strings.Contains(tc.how, "vonage config set"):
				cmd := shellFields(tc.how[strings.LastIndex(tc.how, ": vonage ")+len(": vonage "):])
				invoke(t, env, strings.NewReader(rotated+"\n"), cmd...).want(t, exitOK)
				if slices.Contains(args, "--api-secret") {
					args = nil // the flag no longer given: the profile's secret is used
				}
			}
			cliRun(t, env, append([]string{"balance"}, args...)...).want(t, exitOK)
		})
	}
}

// shellFields splits a command line the way a POSIX shell does, for words
// quoted by shellWord: spaces separate, single quotes quote.
func shellFields(line string) []string {
	var (
		words  []string
		word   strings.Builder
		inWord bool
		quoted bool
	)
	for _, r := range line {
		switch {
		case r == '\'':
			quoted, inWord = !quoted, true
		case r == ' ' && !quoted:
			if inWord {
				words = append(words, word.String())
				word.Reset()
				inWord = false
			}
		default:
			word.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, word.String())
	}
	return words
}

// TestSecretsRotateFailureNamesTheSource: a rotation that stops after the
// new secret works (its revoke failed) says to update the place the secret
// came from, here a profile, and how.
func TestSecretsRotateFailureNamesTheSource(t *testing.T) {
	t.Parallel()
	s := startServerWith(t, failing(deletesFail))
	_, env := s.newUser(t)
	env["XDG_CONFIG_HOME"] = t.TempDir()
	invoke(t, env, strings.NewReader(env["VONAGE_API_SECRET"]+"\n"), "config", "set", "--profile", "work", "api-secret", "-").want(t, exitOK)
	delete(env, "VONAGE_API_SECRET")
	r := invoke(t, env, strings.NewReader("R0tatedSecretXyz\n"), "secrets", "rotate", "--profile", "work").wantErr(t, exitError, "step revoke")
	want := `the new one. Sign with the new secret from now on: update the api-secret of profile "work" to it.` + "\n" +
		"Store it there (the command asks for it twice, or reads it from stdin): vonage config set --profile work api-secret -\n"
	if !strings.Contains(r.stderr, want) || strings.Contains(r.stderr, "VONAGE_API_SECRET") || strings.Contains(r.all(), userSecret) {
		t.Errorf("stderr lacks\n%s\ngot:\n%s", want, r.stderr)
	}
}
