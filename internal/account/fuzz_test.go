package account

import (
	"math/big"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Fuzz targets for every parser of request data in the domain. Seeds are
// in testdata/fuzz/<FuzzName>/ as well as below; .ci/run runs each target
// for a few seconds.

// wantInvalid checks that err is an EINVALID naming field whose message is
// one of msgs: fixed texts, so nothing of the input is ever echoed.
func wantInvalid(t *testing.T, err error, field string, msgs ...string) {
	t.Helper()
	e := AsError(err)
	if e == nil || e.Code != EINVALID || e.Field != field {
		t.Fatalf("error %v: want an EINVALID naming %q", err, field)
	}
	if !slices.Contains(msgs, e.Message) {
		t.Fatalf("message %q is not one of the fixed messages", e.Message)
	}
}

var decimalRE = regexp.MustCompile(`^[0-9]+(\.[0-9]{1,8})?$`)

// FuzzParseMoney: ParseMoney accepts exactly the plain decimals with at
// most 8 places below 10^10 EUR, reads them exactly (checked against
// math/big), and Money.String and Money.Fixed read back to the same
// amount; from the other side, every amount in range survives String and
// Parse.
func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"10.50", "0.00000001", "0", "9999999999.99999999", "10000000000", "00001.10", "1.", ".5", "-1", "+1", "1e3", "1,5", " 1", "١٠", "0.000000001", "NaN"} {
		f.Add(s, int64(0))
	}
	f.Add("", int64(1017127500))
	f.Add("", int64(-1))
	f.Add("", int64(999999999999999999))
	f.Fuzz(func(t *testing.T, s string, n int64) {
		m, err := ParseMoney("amount", s)
		if err != nil {
			wantInvalid(t, err, "amount", `must be a decimal string such as "10.50"`, "must contain only digits and one decimal point",
				"has more than 8 decimal places", "is too large")
			if decimalRE.MatchString(s) && len(strings.TrimLeft(strings.SplitN(s, ".", 2)[0], "0")) <= 10 {
				t.Fatalf("ParseMoney(%q) refused a valid amount: %v", s, err)
			}
		} else {
			if !decimalRE.MatchString(s) {
				t.Fatalf("ParseMoney(%q) accepted a non-decimal", s)
			}
			want, ok := new(big.Rat).SetString(s)
			if !ok {
				t.Fatalf("big.Rat cannot read %q", s)
			}
			want.Mul(want, big.NewRat(Scale, 1))
			if !want.IsInt() || want.Num().Cmp(big.NewInt(int64(m))) != 0 {
				t.Fatalf("ParseMoney(%q) = %d units, want %s", s, m, want.RatString())
			}
			roundTrip(t, m)
		}
		if n >= 0 && n < 10_000_000_000*Scale {
			roundTrip(t, Money(n))
		} else if _, err := ParseMoney("amount", Money(n).String()); err == nil {
			t.Fatalf("%d (out of range) read back from %q", n, Money(n).String())
		}
	})
}

func roundTrip(t *testing.T, m Money) {
	t.Helper()
	for _, s := range []string{m.String(), m.Fixed()} {
		back, err := ParseMoney("amount", s)
		if err != nil || back != m {
			t.Fatalf("%d rendered %q reads back as %d, %v", m, s, back, err)
		}
	}
}

// FuzzValidateCallbackURL: an accepted URL really is an absolute http(s)
// URL with a host, no user information, no spaces or control characters,
// at most 2,048 bytes; a refusal names the field and quotes nothing.
func FuzzValidateCallbackURL(f *testing.F) {
	for _, s := range []string{"", "https://example.com/mo", "HTTP://EXAMPLE.COM:8080/a?b=c#d", "http://[::1]:80/", "ftp://example.com", "/relative",
		"https:", "https://user:pw@example.com/", "https://example.com/a b", "http://%zz", "https://exa\x00mple.com", "http://:80", "https:///path", "mailto:a@b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		err := ValidateCallbackURL(FieldMoCallbackURL, raw)
		if err != nil {
			wantInvalid(t, err, FieldMoCallbackURL, "must be at most 2048 bytes", "must not contain spaces or control characters",
				"is not a valid URL", "must be an absolute http or https URL", "must have a host", "must not contain user information")
			return
		}
		if raw == "" {
			return
		}
		if len(raw) > MaxCallbackURLLen || strings.ContainsFunc(raw, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			t.Fatalf("accepted %q: too long or with spaces or controls", raw)
		}
		u, perr := url.Parse(raw)
		if perr != nil || !u.IsAbs() || u.Hostname() == "" || u.User != nil || u.Opaque != "" {
			t.Fatalf("accepted %q: %v %+v", raw, perr, u)
		}
		if s := strings.ToLower(u.Scheme); s != "http" && s != "https" {
			t.Fatalf("accepted scheme %q", u.Scheme)
		}
	})
}

// FuzzSecretRules: ValidateSecret agrees with the rule as written in the
// contract, never echoes the secret, and every valid secret survives a
// hash and verify round trip, with and without a pepper, while a
// different secret does not.
func FuzzSecretRules(f *testing.F) {
	for _, s := range []string{"Valid1Secret", "password", "PASSWORD1", "Sh0rt", "Exactly25CharactersLong1x", "Exactly26CharactersLong1xy", "Tab\tSecret1", "Ünïcode123abc", "Valid1 Secret!~", "aA0aA0aA"} {
		f.Add(s)
	}
	cheapest := HashParams{Memory: 8, Time: 1, Threads: 1}
	plain := hasher{params: cheapest}
	peppered := hasher{params: cheapest, pepper: []byte("fuzz-pepper-0123456789")}
	f.Fuzz(func(t *testing.T, s string) {
		err := ValidateSecret(s)
		printable := !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r > 0x7e })
		want := len(s) >= 8 && len(s) <= 25 && printable &&
			strings.ContainsAny(s, "abcdefghijklmnopqrstuvwxyz") &&
			strings.ContainsAny(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") &&
			strings.ContainsAny(s, "0123456789")
		if (err == nil) != want {
			t.Fatalf("ValidateSecret(%q) = %v, want valid %v", s, err, want)
		}
		if err != nil {
			wantInvalid(t, err, FieldSecret, "must be 8 to 25 characters long", "must contain only printable ASCII characters",
				"must contain at least one lower-case letter, one upper-case letter and one digit")
			return
		}
		other := s[:len(s)-1] + string(s[len(s)-1]^1)
		for _, h := range []hasher{plain, peppered} {
			enc, err := h.hash(s)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(enc, s) {
				t.Fatalf("hash %q contains the secret", enc)
			}
			if ok, err := h.verify(s, enc); !ok || err != nil {
				t.Fatalf("%q does not verify against its own hash %q: %v", s, enc, err)
			}
			if ok, _ := h.verify(other, enc); ok {
				t.Fatalf("%q verifies against the hash of %q", other, s)
			}
		}
		enc, _ := peppered.hash(s)
		if ok, err := plain.verify(s, enc); ok || err != errPepperMissing {
			t.Fatalf("a peppered hash verified without the pepper: %v %v", ok, err)
		}
		enc, _ = plain.hash(s)
		if !verifySecret(s, enc) {
			t.Fatalf("verifySecret cannot read the hasher's unpeppered hash")
		}
	})
}

// FuzzParseHash: the stored-hash parser never panics nor accepts
// parameters out of bounds, and what it accepts it writes back exactly;
// verifying against any accepted hash is safe.
func FuzzParseHash(f *testing.F) {
	good, _ := hasher{params: HashParams{Memory: 8, Time: 1, Threads: 1}}.hash("Valid1Secret")
	pep, _ := hasher{params: HashParams{Memory: 8, Time: 1, Threads: 1}, pepper: []byte("0123456789abcdef")}.hash("Valid1Secret")
	for _, s := range []string{good, pep, "", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U",
		"$argon2id$v=19$m=99999999,t=1,p=1$AAAA$AAAA", "$argon2i$v=19$m=64,t=1,p=1$AAAA$AAAA"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, ok := parseHash(s)
		if !ok {
			return
		}
		if e.String() != s {
			t.Fatalf("parseHash(%q) writes back as %q", s, e.String())
		}
		p := e.params
		if p.Memory == 0 || p.Memory > maxHashMemory || p.Time == 0 || p.Time > maxHashTime || p.Threads == 0 || p.Threads > maxHashThreads ||
			len(e.salt) < 8 || len(e.salt) > maxHashSalt || len(e.key) < 16 || len(e.key) > maxHashKey {
			t.Fatalf("parseHash(%q) accepted out-of-bounds %+v salt %d key %d", s, p, len(e.salt), len(e.key))
		}
		if p.Memory <= 256 && p.Time <= 2 { // cheap enough to run every time
			h := hasher{params: p, pepper: []byte("0123456789abcdef")}
			if ok, _ := h.verify("Valid1Secret", s); ok && s != good && s != pep {
				t.Logf("fuzzer found a matching hash %q", s)
			}
		}
	})
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// FuzzCanonicalID: CanonicalID accepts exactly the 8-4-4-4-12 hexadecimal
// form, and its answer is the lower-case form, a fixed point.
func FuzzCanonicalID(f *testing.F) {
	for _, s := range []string{NewID(), "07239AEB-D756-4C32-A1DE-CF64F8B21827", "{07239aeb-d756-4c32-a1de-cf64f8b21827}", "07239aeb+d756-4c32-a1de-cf64f8b21827", "' OR '1'='1", "07239aeb-d756-4c32-a1de-cf64f8b2182g"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		c, ok := CanonicalID(id)
		if ok != uuidRE.MatchString(id) {
			t.Fatalf("CanonicalID(%q) ok = %v", id, ok)
		}
		if !ok {
			if c != "" {
				t.Fatalf("refused id returned %q", c)
			}
			return
		}
		if c != strings.ToLower(id) {
			t.Fatalf("CanonicalID(%q) = %q", id, c)
		}
		if again, ok := CanonicalID(c); !ok || again != c {
			t.Fatalf("not a fixed point: %q -> %q", c, again)
		}
	})
}
