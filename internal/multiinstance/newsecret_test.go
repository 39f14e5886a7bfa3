package multiinstance_test

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/adminapi"
)

// TestNewSecretAcrossInstances: once E3 with newSecret has answered on
// instance A, the very next request with the old secret on instance B is a
// 401, though B had just accepted it and holds it in its verification
// cache; the new secret works on both, and the account still holds one
// secret.
func TestNewSecretAcrossInstances(t *testing.T) {
	t.Parallel()
	_, a, b := twoInstances(t)
	c := newHTTPClient(t)
	const key = "newsec01"
	old := "NewSec0Secret"
	createAccount(t, c, a, adminapi.NewAccount{APIKey: key, Secret: old})
	for round := range 5 {
		what := fmt.Sprintf("round %d", round)
		next := fmt.Sprintf("NewSec%dSecret", round+1)
		accepts(t, c, b, key, old, what+": before", checkE1, checkE4) // cached on B
		ans, err := a.send(c, call{method: "POST", path: "/account/settings",
			query: url.Values{"api_key": {key}, "api_secret": {old}, "newSecret": {next}}})
		if err != nil || ans.status != 200 {
			t.Fatalf("%s: newSecret on A: %s %v", what, ans, err)
		}
		rejects(t, c, b, key, old, what+": old secret after newSecret", checkE1, checkE4)
		accepts(t, c, b, key, next, what+": new secret", checkE1)
		if ids := secretIDs(t, c, a, key, next); len(ids) != 1 {
			t.Fatalf("%s: %d secrets, want 1", what, len(ids))
		}
		old = next
	}
}
