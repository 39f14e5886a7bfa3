package account

import (
	"strings"
	"testing"
)

var cheap = TestHashParams

func TestHasherPepper(t *testing.T) {
	t.Parallel()
	const secret = "T0pS3cr3t!"
	plain := hasher{params: cheap}
	peppered := hasher{params: cheap, pepper: []byte("0123456789abcdef-pepper")}
	otherPepper := hasher{params: cheap, pepper: []byte("another-pepper-0123456789")}

	hp, err := peppered.hash(secret)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hp, "$argon2id$v=19$m=64,t=1,p=1,k=1$") || strings.Contains(hp, secret) {
		t.Fatalf("peppered encoding %q", hp)
	}
	if ok, err := peppered.verify(secret, hp); !ok || err != nil {
		t.Errorf("peppered hash with its pepper: %v %v", ok, err)
	}
	if ok, err := peppered.verify(secret+"x", hp); ok || err != nil {
		t.Errorf("wrong secret: %v %v", ok, err)
	}
	// Without the pepper it fails clearly, and without hashing.
	if ok, err := plain.verify(secret, hp); ok || err != errPepperMissing {
		t.Errorf("peppered hash without a pepper: %v %v", ok, err)
	}
	// With another pepper it is simply wrong.
	if ok, err := otherPepper.verify(secret, hp); ok || err != nil {
		t.Errorf("peppered hash with another pepper: %v %v", ok, err)
	}
	// The old format (HashSecret, no pepper) verifies with or without one.
	old, err := HashSecret(secret, cheap)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []hasher{plain, peppered} {
		if ok, err := h.verify(secret, old); !ok || err != nil {
			t.Errorf("unpeppered hash, pepper %q: %v %v", h.pepper, ok, err)
		}
	}
	// And what the hasher writes without a pepper is what HashSecret
	// writes, which verifySecret reads.
	hn, _ := plain.hash(secret)
	if !strings.HasPrefix(hn, "$argon2id$v=19$m=64,t=1,p=1$") || !verifySecret(secret, hn) {
		t.Errorf("unpeppered encoding %q", hn)
	}
}

func TestParseHashStrict(t *testing.T) {
	t.Parallel()
	good, _ := hasher{params: cheap}.hash("T0pS3cr3t!")
	e, ok := parseHash(good)
	if !ok || e.String() != good {
		t.Fatalf("parse/encode round trip of %q: %v %q", good, ok, e.String())
	}
	salt := strings.Split(good, "$")[4]
	key := strings.Split(good, "$")[5]
	for _, bad := range []string{
		"",
		"$argon2id$v=19$m=64,t=1,p=1$" + salt,
		"$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=0,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=064,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=+64,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m= 64,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=99999999,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=65,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=17$" + salt + "$" + key,
		"$argon2id$v=19$m=8,t=1,p=2$" + salt + "$" + key,
		"$argon2id$v=19$t=1,m=64,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=1,k=2$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=1,k=1,x=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "==$" + key,
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key[:10],
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key + "$",
		"x$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key,
		// Found by FuzzParseHash: the base64 decoder skips \r and \n.
		"$argon2id$v=19$m=64,t=1,p=1$" + salt[:1] + "\r" + salt[1:] + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key[:4] + "\n" + key[4:],
	} {
		if _, ok := parseHash(bad); ok {
			t.Errorf("parseHash accepted %q", bad)
		}
		if ok, _ := (hasher{params: cheap}).verify("T0pS3cr3t!", bad); ok {
			t.Errorf("malformed hash %q verified", bad)
		}
	}
}
