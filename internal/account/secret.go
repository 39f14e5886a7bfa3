package account

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"
)

// Secret is one API secret of an account. Hash is an encoded argon2id hash;
// the secret itself is never kept.
type Secret struct {
	ID        string
	APIKey    string
	Hash      string
	CreatedAt time.Time
}

// MinSecretLen and MaxSecretLen bound a secret's length (contract section 4).
const (
	MinSecretLen = 8
	MaxSecretLen = 25
	// MaxSecrets is how many secrets an account may hold at once.
	MaxSecrets = 2
)

// FieldSecret is the request field that carries a new secret.
const FieldSecret = "secret"

// ValidateSecret applies the secret rules: 8 to 25 printable ASCII
// characters with at least one lower-case letter, one upper-case letter and
// one digit. The message never repeats the secret.
func ValidateSecret(s string) error {
	if len(s) < MinSecretLen || len(s) > MaxSecretLen {
		return Invalid(FieldSecret, "must be %d to %d characters long", MinSecretLen, MaxSecretLen)
	}
	var lower, upper, digit bool
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c < 0x20 || c > 0x7e:
			return Invalid(FieldSecret, "must contain only printable ASCII characters")
		case c >= 'a' && c <= 'z':
			lower = true
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= '0' && c <= '9':
			digit = true
		}
	}
	if !lower || !upper || !digit {
		return Invalid(FieldSecret, "must contain at least one lower-case letter, one upper-case letter and one digit")
	}
	return nil
}

// HashParams are argon2id's cost parameters. They are encoded with every
// hash, so raising them later leaves old hashes verifiable.
type HashParams struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// DefaultHashParams are OWASP's minimum recommendation for argon2id
// (19 MiB, 2 iterations, 1 lane).
var DefaultHashParams = HashParams{Memory: 19 * 1024, Time: 2, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
)

// HashSecret returns the PHC-style encoding
// $argon2id$v=19$m=...,t=...,p=...$salt$hash of secret.
func HashSecret(secret string, p HashParams) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("read salt: %w", err)
	}
	key := argon2.IDKey([]byte(secret), salt, p.Time, p.Memory, p.Threads, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// NewID returns a random (version 4) UUID in canonical lower-case form.
func NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err)) // crypto/rand never fails on supported platforms
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// CanonicalID returns id in canonical lower-case form and whether it is a
// UUID at all (8-4-4-4-12 hexadecimal digits).
func CanonicalID(id string) (string, bool) {
	if len(id) != 36 {
		return "", false
	}
	for i := 0; i < 36; i++ {
		c := id[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return "", false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return "", false
			}
		}
	}
	return strings.ToLower(id), true
}

// newAPIKey returns a random key of 8 lower-case hexadecimal characters.
func newAPIKey() string {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err))
	}
	return hex.EncodeToString(b[:])
}

// newSecret returns a random secret that satisfies ValidateSecret: 16
// characters with at least one of each required class.
func newSecret() string {
	const (
		lower  = "abcdefghijkmnopqrstuvwxyz"
		upper  = "ABCDEFGHJKLMNPQRSTUVWXYZ"
		digits = "23456789"
		all    = lower + upper + digits
	)
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err))
	}
	out := make([]byte, len(b))
	for i, v := range b {
		out[i] = all[int(v)%len(all)]
	}
	out[int(b[0])%4] = lower[int(b[1])%len(lower)]
	out[4+int(b[2])%4] = upper[int(b[3])%len(upper)]
	out[8+int(b[4])%4] = digits[int(b[5])%len(digits)]
	return string(out)
}

// NewTrx returns a fresh transaction reference: 32 lower-case hexadecimal
// characters, like the references the real service hands out.
func NewTrx() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err))
	}
	return hex.EncodeToString(b[:])
}
