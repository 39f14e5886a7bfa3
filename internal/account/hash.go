package account

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// MinPepperLen is the shortest pepper accepted, in bytes: an HMAC key
// shorter than this adds little that an attacker with the database could
// not guess.
const MinPepperLen = 16

// Bounds on the parameters a stored hash may ask for. Hashes come from our
// own database, but a corrupted or planted row must not make one
// verification allocate gigabytes or run for minutes.
const (
	maxHashMemory  = 1 << 20 // KiB: 1 GiB
	maxHashTime    = 64
	maxHashThreads = 16
	maxHashSalt    = 64
	maxHashKey     = 128
)

// TestHashParams are argon2id parameters far too cheap for real secrets
// (64 KiB, 1 iteration, 1 lane): they keep hashing out of the way of tests
// and of the vonagetest package, and nothing else may use them.
var TestHashParams = HashParams{Memory: 64, Time: 1, Threads: 1}

// errPepperMissing says a hash was made with a pepper this server does not
// have; such a secret cannot be verified until VONAGE_PEPPER is set again.
var errPepperMissing = errors.New("hash was made with a pepper, but none is configured")

// hasher hashes and verifies secrets: argon2id over the secret or, with a
// pepper, over HMAC-SHA256(pepper, secret). A peppered hash carries k=1 in
// its parameters, so hashes made before a pepper was configured still
// verify after, and a peppered hash fails clearly (errPepperMissing) on a
// server that lost its pepper instead of failing like a wrong secret.
type hasher struct {
	params HashParams
	pepper []byte // nil: no pepper
	// idKey is argon2.IDKey; tests count the hashes through it.
	idKey func(password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte
}

func (h hasher) argon2id(password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
	if h.idKey != nil {
		return h.idKey(password, salt, time, memory, threads, keyLen)
	}
	return argon2.IDKey(password, salt, time, memory, threads, keyLen)
}

// encodedHash is a parsed PHC string:
// $argon2id$v=19$m=<KiB>,t=<iterations>,p=<lanes>[,k=1]$<salt>$<key>.
type encodedHash struct {
	params   HashParams
	peppered bool
	salt     []byte
	key      []byte
}

// hash returns the encoding of a fresh salted hash of secret.
func (h hasher) hash(secret string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("read salt: %w", err)
	}
	e := encodedHash{params: h.params, peppered: h.pepper != nil, salt: salt}
	e.key = h.argon2id(h.input(secret, e.peppered), salt, e.params.Time, e.params.Memory, e.params.Threads, keyLen)
	return e.String(), nil
}

// errMalformedHash says a stored hash does not parse.
var errMalformedHash = errors.New("malformed hash")

// usable parses encoded and says whether this hasher can verify against
// it: errMalformedHash, or errPepperMissing for a peppered hash on a
// server without the pepper.
func (h hasher) usable(encoded string) (encodedHash, error) {
	e, ok := parseHash(encoded)
	if !ok {
		return e, errMalformedHash
	}
	if e.peppered && h.pepper == nil {
		return e, errPepperMissing
	}
	return e, nil
}

// matches hashes secret with e's salt and parameters and compares the
// result with e's key in constant time.
func (h hasher) matches(secret string, e encodedHash) bool {
	got := h.argon2id(h.input(secret, e.peppered), e.salt, e.params.Time, e.params.Memory, e.params.Threads, uint32(len(e.key)))
	return subtle.ConstantTimeCompare(got, e.key) == 1
}

// withinBounds reports whether p costs at most what this server allows a
// stored hash to cost: the server's lanes, and no more than
// maxCostFactor times its memory and its iterations. A hash beyond them
// (an imported one) would make each guess against its key cost more than
// any other failure, and could make one verification take seconds and a
// gigabyte.
func (h hasher) withinBounds(p HashParams) bool {
	return p.Threads <= h.params.Threads &&
		uint64(p.Memory) <= maxCostFactor*uint64(h.params.Memory) &&
		uint64(p.Time) <= maxCostFactor*uint64(h.params.Time)
}

// maxCostFactor bounds an imported hash's memory and iterations, as a
// multiple of the server's own.
const maxCostFactor = 4

// input is what argon2id hashes: the secret itself, or its HMAC under the
// pepper.
func (h hasher) input(secret string, peppered bool) []byte {
	if !peppered {
		return []byte(secret)
	}
	m := hmac.New(sha256.New, h.pepper)
	m.Write([]byte(secret))
	return m.Sum(nil)
}

// String encodes e in the PHC format HashSecret writes.
func (e encodedHash) String() string {
	b64 := base64.RawStdEncoding
	k := ""
	if e.peppered {
		k = ",k=1"
	}
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d%s$%s$%s",
		argon2.Version, e.params.Memory, e.params.Time, e.params.Threads, k, b64.EncodeToString(e.salt), b64.EncodeToString(e.key))
}

// parseHash parses an encoded hash strictly: every number is plain decimal
// digits within bounds, parameters come in the order written, and salt and
// key are unpadded standard base64. It never allocates more than the
// encoding's own size.
func parseHash(encoded string) (encodedHash, bool) {
	var e encodedHash
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return e, false
	}
	params := strings.Split(parts[3], ",")
	if len(params) != 3 && len(params) != 4 {
		return e, false
	}
	m, ok1 := paramValue(params[0], "m", maxHashMemory)
	t, ok2 := paramValue(params[1], "t", maxHashTime)
	p, ok3 := paramValue(params[2], "p", maxHashThreads)
	if !ok1 || !ok2 || !ok3 || m < 8*p { // argon2 needs 8 KiB per lane
		return e, false
	}
	if len(params) == 4 {
		if params[3] != "k=1" {
			return e, false
		}
		e.peppered = true
	}
	e.params = HashParams{Memory: m, Time: t, Threads: uint8(p)}
	b64 := base64.RawStdEncoding.Strict()
	var err error
	if len(parts[4]) > base64.RawStdEncoding.EncodedLen(maxHashSalt) || len(parts[5]) > base64.RawStdEncoding.EncodedLen(maxHashKey) {
		return e, false
	}
	// The decoder skips \r and \n even in strict mode; a stored hash has
	// none, and accepting them would make two encodings of one hash.
	if !base64Chars(parts[4]) || !base64Chars(parts[5]) {
		return e, false
	}
	if e.salt, err = b64.DecodeString(parts[4]); err != nil || len(e.salt) < 8 {
		return e, false
	}
	if e.key, err = b64.DecodeString(parts[5]); err != nil || len(e.key) < 16 {
		return e, false
	}
	return e, true
}

// base64Chars reports whether s holds only characters of the standard
// base64 alphabet (no padding).
func base64Chars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/') {
			return false
		}
	}
	return true
}

// paramValue parses "name=<1..max>" with plain decimal digits.
func paramValue(s, name string, max uint32) (uint32, bool) {
	v, ok := strings.CutPrefix(s, name+"=")
	if !ok || v == "" || len(v) > 10 || (len(v) > 1 && v[0] == '0') {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, false
		}
		n = n*10 + uint64(v[i]-'0')
	}
	if n == 0 || n > uint64(max) {
		return 0, false
	}
	return uint32(n), true
}
