package httpapi

import (
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// FuzzAccountCursor: any cursor decodes without a panic to a valid key or
// is refused, and every key's cursor decodes back to it.
func FuzzAccountCursor(f *testing.F) {
	f.Add("YWNjdDphYmNkMTIzNA") // acct:abcd1234
	f.Add("")
	f.Add("abcd1234")
	f.Fuzz(func(t *testing.T, c string) {
		if key, ok := decodeAccountCursor(c); ok && account.ValidateAPIKey("cursor", key) != nil {
			t.Fatalf("cursor %q decodes to the invalid key %q", c, key)
		}
		if account.ValidateAPIKey("k", c) == nil {
			if key, ok := decodeAccountCursor(encodeAccountCursor(c)); !ok || key != c {
				t.Fatalf("key %q: its cursor decodes to %q, %t", c, key, ok)
			}
		}
	})
}
