package account

import (
	"strings"
	"testing"
)

func TestValidateSecret(t *testing.T) {
	t.Parallel()
	good := []string{"T0pS3cr3t!", "abcDEF12", "aB3" + strings.Repeat("x", 22), "with Space 1A", `q"uo:te\1A`}
	for _, s := range good {
		if err := ValidateSecret(s); err != nil {
			t.Errorf("ValidateSecret(%q) = %v; want nil", s, err)
		}
	}
	bad := []string{"", "aB3", "abcDE12", "aB3" + strings.Repeat("x", 23), "alllower1", "ALLUPPER1", "NoDigitsHere", "tab\tAb12345", "naïveAB12", "nul\x00Ab1234"}
	for _, s := range bad {
		err := ValidateSecret(s)
		e := AsError(err)
		if e == nil || e.Code != EINVALID || e.Field != FieldSecret {
			t.Errorf("ValidateSecret(%q) = %v; want EINVALID on secret", s, err)
			continue
		}
		if s != "" && strings.Contains(e.Error(), s) {
			t.Errorf("error for %q repeats the secret: %v", s, e)
		}
	}
	for i := 0; i < 200; i++ {
		if s := newSecret(); ValidateSecret(s) != nil {
			t.Fatalf("generated secret %q breaks the rules", s)
		}
	}
}

func TestValidateCallbackURL(t *testing.T) {
	t.Parallel()
	good := []string{"", "https://example.com/webhooks/inbound-sms", "http://127.0.0.1:8080/x?y=1", "HTTPS://EXAMPLE.COM", "https://" + strings.Repeat("a", MaxCallbackURLLen-8)}
	for _, u := range good {
		if err := ValidateCallbackURL("moCallBackUrl", u); err != nil {
			t.Errorf("ValidateCallbackURL(%q) = %v; want nil", u, err)
		}
	}
	bad := []string{"ftp://example.com", "/relative", "example.com", "https://", "https:///path", "javascript:alert(1)", "https://exa mple.com", "https://example.com/\n", "https://user:pw@example.com", "https://" + strings.Repeat("a", MaxCallbackURLLen), "http://%zz"}
	for _, u := range bad {
		e := AsError(ValidateCallbackURL("moCallBackUrl", u))
		if e == nil || e.Code != EINVALID || e.Field != "moCallBackUrl" {
			t.Errorf("ValidateCallbackURL(%q) = %v; want EINVALID naming the field", u, e)
		}
	}
}

func TestValidateAPIKey(t *testing.T) {
	t.Parallel()
	for _, k := range []string{"abcd1234", strings.Repeat("a", 32), newAPIKey()} {
		if err := ValidateAPIKey("api_key", k); err != nil {
			t.Errorf("ValidateAPIKey(%q) = %v", k, err)
		}
	}
	for _, k := range []string{"", "abc1234", strings.Repeat("a", 33), "ABCD1234", "abcd-1234", "abcd 1234"} {
		if ErrorCode(ValidateAPIKey("api_key", k)) != EINVALID {
			t.Errorf("ValidateAPIKey(%q) accepted", k)
		}
	}
}

func TestCanonicalID(t *testing.T) {
	t.Parallel()
	id := NewID()
	if got, ok := CanonicalID(id); !ok || got != id {
		t.Fatalf("CanonicalID(NewID()) = %q, %v", got, ok)
	}
	if got, ok := CanonicalID(strings.ToUpper(id)); !ok || got != id {
		t.Errorf("upper-case id not canonicalised: %q, %v", got, ok)
	}
	for _, s := range []string{"", "abc", "abcdefab-0000-1111-2222-0123456789eg", "abcdefab00001111222200123456789ef0", "abcdefab-0000-1111-2222-0123456789ef0", "../../etc/passwd-aaaaaaaaaaaaaaaaaaaa"} {
		if _, ok := CanonicalID(s); ok {
			t.Errorf("CanonicalID(%q) accepted", s)
		}
	}
}

func TestHashAndVerify(t *testing.T) {
	t.Parallel()
	p := TestHashParams
	h, err := HashSecret("T0pS3cr3t!", p)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(h, "T0pS3cr3t!") || !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("unexpected encoding %q", h)
	}
	if !verifySecret("T0pS3cr3t!", h) {
		t.Error("right secret rejected")
	}
	if verifySecret("T0pS3cr3t?", h) {
		t.Error("wrong secret accepted")
	}
	h2, _ := HashSecret("T0pS3cr3t!", p)
	if h2 == h {
		t.Error("two hashes of one secret are equal: salt missing")
	}
	for _, bad := range []string{"", "$argon2id$", "$argon2i$v=19$m=64,t=1,p=1$AAAA$AAAA", "$argon2id$v=19$m=0,t=1,p=1$AAAA$AAAA", "$argon2id$v=19$m=99999999,t=1,p=1$AAAA$AAAA", strings.Replace(h, "$m=", "$x=", 1)} {
		if verifySecret("T0pS3cr3t!", bad) {
			t.Errorf("malformed hash %q verified", bad)
		}
	}
	if DefaultHashParams.Memory < 19*1024 || DefaultHashParams.Time < 2 {
		t.Errorf("default parameters %+v are below OWASP's minimum for argon2id", DefaultHashParams)
	}
}
