package account

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"hash"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Signed requests (contract section 1): instead of api_secret, a client
// sends timestamp and sig, a digest of the request's other parameters
// keyed by the account's signature secret. Two generations of SDK sign two
// different strings, and both are accepted:
//
//   - the legacy string, which server-sdk 2.x (HashGenerator), the Python,
//     PHP and .NET SDKs build: every parameter but sig, sorted by name,
//     each as "&name=value" with '&' and '=' in the value replaced by '_';
//   - the current Node SDK's (@vonage/auth createSignatureHash): the
//     parameters sorted by name and serialised as a URLSearchParams query
//     ("a=1&b=2", form-encoded), then every '&' and '=' replaced by '_'.
//
// md5hash is the hex MD5 of the string followed by the secret; md5, sha1,
// sha256 and sha512 are the hex HMAC of the string keyed by the secret.
// signature_test.go checks both against the SDKs' own test vectors.

// The signature methods an account may use.
const (
	SigMD5Hash = "md5hash"
	SigMD5     = "md5"
	SigSHA1    = "sha1"
	SigSHA256  = "sha256"
	SigSHA512  = "sha512"
)

// SignatureMethods lists the methods, for messages and checks.
var SignatureMethods = []string{SigMD5Hash, SigMD5, SigSHA1, SigSHA256, SigSHA512}

// SignatureWindow is how far a signed request's timestamp may be from the
// server's clock, either way.
const SignatureWindow = 5 * time.Minute

// The bounds of a signature secret an operator sets: the real platform's
// are 32 hexadecimal characters; any printable ASCII within these is taken.
const (
	MinSignatureSecretLen = 8
	MaxSignatureSecretLen = 128
)

// FieldSignature is the admin API member that sets a signature.
const FieldSignature = "signature"

// Signature is an account's signature secret, sealed under the server's
// data key (see DataKey), and its method. The secret itself is never
// stored.
type Signature struct {
	Method string
	Sealed []byte
}

// Param is one parameter of a request, as sent.
type Param struct{ Name, Value string }

// validSignatureMethod reports whether m is one of SignatureMethods.
func validSignatureMethod(m string) bool {
	for _, v := range SignatureMethods {
		if m == v {
			return true
		}
	}
	return false
}

// validateSignatureSecret applies the bounds of a signature secret; the
// message never repeats it.
func validateSignatureSecret(s string) error {
	if len(s) < MinSignatureSecretLen || len(s) > MaxSignatureSecretLen {
		return Invalid(FieldSignature+".secret", "must be %d to %d characters long", MinSignatureSecretLen, MaxSignatureSecretLen)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return Invalid(FieldSignature+".secret", "must contain only printable ASCII characters, without spaces")
		}
	}
	return nil
}

// signedParams returns the parameters that are signed, every one but sig,
// sorted by name; the values of one name keep their order.
func signedParams(params []Param) []Param {
	out := make([]Param, 0, len(params))
	for _, p := range params {
		if p.Name != "sig" {
			out = append(out, p)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// legacySigningString is the string server-sdk 2.x, Python, PHP and .NET
// sign: "&name=value" per parameter, '&' and '=' in values as '_'.
func legacySigningString(sorted []Param) string {
	var b strings.Builder
	underscore := strings.NewReplacer("&", "_", "=", "_")
	for _, p := range sorted {
		b.WriteByte('&')
		b.WriteString(p.Name)
		b.WriteByte('=')
		b.WriteString(underscore.Replace(p.Value))
	}
	return b.String()
}

// nodeSigningString is the string @vonage/auth signs: the sorted
// parameters as URLSearchParams writes them, with '&' and '=' as '_'.
func nodeSigningString(sorted []Param) string {
	var b strings.Builder
	for i, p := range sorted {
		if i > 0 {
			b.WriteByte('_')
		}
		formEncode(&b, p.Name)
		b.WriteByte('_')
		formEncode(&b, p.Value)
	}
	return b.String()
}

// formEncode writes s as the WHATWG application/x-www-form-urlencoded
// serializer does (URLSearchParams.toString): ASCII letters, digits and
// "*-._" as they are, space as '+', every other byte as %XX (upper case).
// It differs from url.QueryEscape on '*' and '~'.
func formEncode(b *strings.Builder, s string) {
	const hexDigits = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '*', c == '-', c == '.', c == '_':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0xf])
		}
	}
}

// signDigest returns the hex digest of msg under method and secret.
func signDigest(method, secret, msg string) string {
	if method == SigMD5Hash {
		sum := md5.Sum([]byte(msg + secret))
		return hex.EncodeToString(sum[:])
	}
	var h func() hash.Hash
	switch method {
	case SigMD5:
		h = md5.New
	case SigSHA1:
		h = sha1.New
	case SigSHA256:
		h = sha256.New
	case SigSHA512:
		h = sha512.New
	default:
		return ""
	}
	m := hmac.New(h, []byte(secret))
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

// signatureMatches reports whether sig (hex, either case) is the digest of
// params under method and secret, in either SDK generation's string. Both
// comparisons always run, in constant time each.
func signatureMatches(method, secret, sig string, params []Param) bool {
	sorted := signedParams(params)
	got := []byte(strings.ToLower(sig))
	legacy := subtle.ConstantTimeCompare(got, []byte(signDigest(method, secret, legacySigningString(sorted))))
	node := subtle.ConstantTimeCompare(got, []byte(signDigest(method, secret, nodeSigningString(sorted))))
	return legacy|node == 1
}

// firstParam returns the first value of the parameter name.
func firstParam(params []Param, name string) (string, bool) {
	for _, p := range params {
		if p.Name == name {
			return p.Value, true
		}
	}
	return "", false
}

// timestampFresh reports whether ts, Unix seconds in decimal digits, is
// within SignatureWindow of now.
func timestampFresh(ts string, now time.Time) bool {
	if ts == "" || len(ts) > 12 || strings.TrimLeft(ts, "0123456789") != "" {
		return false
	}
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	d := now.Sub(time.Unix(n, 0))
	return d <= SignatureWindow && d >= -SignatureWindow
}
