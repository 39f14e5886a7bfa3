package multiinstance_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/adminapi"
)

// check is one authenticated request made with a secret: E1 with legacy
// credentials, or E4 with Basic.
type check struct {
	name string
	send func(c *http.Client, in *instance, key, secret string) (answer, error)
	// unauthorized reports whether a is the endpoint's 401.
	unauthorized func(a answer) bool
}

var (
	checkE1 = check{"E1 (legacy, query)", getBalance, func(a answer) bool {
		return a.status == 401 && string(a.body) == `{"error-code":"401","error-code-label":"authentication failed"}`+"\n"
	}}
	checkE4 = check{"E4 (Basic)", listSecrets, func(a answer) bool {
		return a.status == 401 && problemType(a.body) == typeUnauthorized
	}}
)

// accepts fails t unless every check accepts secret on in.
func accepts(t *testing.T, c *http.Client, in *instance, key, secret, what string, checks ...check) {
	t.Helper()
	for _, ch := range checks {
		a, err := ch.send(c, in, key, secret)
		if err != nil {
			t.Fatal(err)
		}
		if a.status != 200 {
			t.Fatalf("%s: %s on %s: %s, want 200", what, ch.name, in.name, a)
		}
	}
}

// rejects fails t unless every check rejects secret on in with a 401.
func rejects(t *testing.T, c *http.Client, in *instance, key, secret, what string, checks ...check) {
	t.Helper()
	for _, ch := range checks {
		a, err := ch.send(c, in, key, secret)
		if err != nil {
			t.Fatal(err)
		}
		if !ch.unauthorized(a) {
			t.Errorf("%s: %s on %s: %s, want its 401", what, ch.name, in.name, a)
		}
	}
}

// TestRevocationAcrossInstances: once DELETE has answered 204 on instance
// A, the very next request with that secret on instance B is a 401, though B
// had just accepted the secret and holds it in its verification cache
// (contract section 4, revocation guarantee).
func TestRevocationAcrossInstances(t *testing.T) {
	t.Parallel()
	_, a, b := twoInstances(t)
	c := newHTTPClient(t)
	const key, rounds = "revoke01", 20
	old := "Revoke0Secret"
	oldID := createAccount(t, c, a, adminapi.NewAccount{APIKey: key, Secret: old})
	cachedFirst := map[string]int{}
	start := time.Now()
	for round := range rounds {
		what := fmt.Sprintf("round %d", round)
		next := fmt.Sprintf("Revoke%dSecret", round+1)
		created, err := createSecret(c, a, key, old, next)
		if err != nil || created.status != 201 {
			t.Fatalf("%s: create on A: %s %v", what, created, err)
		}
		nextID := secretID(t, created)

		// B accepts the old secret on both endpoints and caches it; the
		// cache entry is one per key and secret, whichever endpoint
		// checks it, and the first rejection drops it. So the rounds take
		// turns on which endpoint meets the cached entry after the revoke.
		checks := []check{checkE1, checkE4}
		if round%2 == 1 {
			checks = []check{checkE4, checkE1}
		}
		accepts(t, c, b, key, old, what+": before the revoke", checks...)
		cachedFirst[checks[0].name]++

		// Revoke on A, with the revoked secret itself or with the new one.
		auth := old
		if round%2 == 1 {
			auth = next
		}
		revoked, err := revokeSecret(c, a, key, auth, oldID)
		if err != nil || revoked.status != 204 {
			t.Fatalf("%s: revoke on A: %s %v", what, revoked, err)
		}

		// The very next requests with the old secret, on B.
		rejects(t, c, b, key, old, what+": after the 204 on A", checks...)
		// The new secret works on B, the old one on neither instance.
		accepts(t, c, b, key, next, what+": the new secret", checkE1, checkE4)
		rejects(t, c, a, key, old, what+": after the 204 on A", checkE1, checkE4)
		old, oldID = next, nextID
	}
	if ids := secretIDs(t, c, b, key, old); !slices.Equal(ids, []string{oldID}) {
		t.Errorf("the account ends with secrets %v, want [%s]", ids, oldID)
	}
	t.Logf("%d rounds in %s: each time B accepted the secret (cached), A revoked it (204), and B's next request with it was a 401 (the cached entry first met by E1 in %d rounds, by E4 in %d; both endpoints 401 in every round), while the new secret worked",
		rounds, time.Since(start).Round(time.Millisecond), cachedFirst[checkE1.name], cachedFirst[checkE4.name])
}

// TestAtMostTwoSecretsAcrossInstances: of two creates racing on the two
// instances against an account with one secret, one gets 201 and the other
// 403 add-excess-secret, and the account has exactly two secrets (contract
// section 4). Every other round holds both creates at a gate inside
// PostgreSQL until both wait there, so that they certainly overlap.
func TestAtMostTwoSecretsAcrossInstances(t *testing.T) {
	t.Parallel()
	schema, a, b := twoInstances(t)
	ins := [2]*instance{a, b}
	c := newHTTPClient(t)
	pair := newRacePair(t, schema, a, b)
	const key, base, rounds = "atmost01", "AtMost0Base", 50
	baseID := createAccount(t, c, a, adminapi.NewAccount{APIKey: key, Secret: base})
	var wins [2]int
	var gated int
	start := time.Now()
	for round := range rounds {
		what := fmt.Sprintf("round %d", round)
		values := [2]string{fmt.Sprintf("Round%dOnA", round), fmt.Sprintf("Round%dOnB", round)}
		create := func(i int) (answer, error) { return createSecret(c, ins[i], key, base, values[i]) }
		gate := round%2 == 1
		if gate {
			gated++
		}
		winner, won := pair.oneWins(t, gate, what, "create", 201, typeExcessSecret, create)
		wins[winner]++
		loser := 1 - winner
		newID := secretID(t, won)

		if ids := secretIDs(t, c, ins[round%2], key, base); !slices.Equal(ids, []string{baseID, newID}) {
			t.Fatalf("%s: secrets %v, want [%s %s]", what, ids, baseID, newID)
		}
		for _, in := range ins {
			accepts(t, c, in, key, values[winner], what+": the created secret", checkE1)
			rejects(t, c, in, key, values[loser], what+": the refused secret", checkE1)
		}

		// Back to one secret for the next round.
		if r, err := revokeSecret(c, ins[(round+1)%2], key, base, newID); err != nil || r.status != 204 {
			t.Fatalf("%s: revoking the new secret: %s %v", what, r, err)
		}
	}
	if ids := secretIDs(t, c, b, key, base); !slices.Equal(ids, []string{baseID}) {
		t.Errorf("the account ends with secrets %v, want [%s]", ids, baseID)
	}
	t.Logf("%d rounds (%d released by a barrier, %d also held at a gate in PostgreSQL until both waited there) in %s: every round one 201 and one 403 add-excess-secret and exactly 2 secrets; A's create won %d, B's %d",
		rounds, rounds-gated, gated, time.Since(start).Round(time.Millisecond), wins[0], wins[1])
}

// TestAtLeastOneSecretAcrossInstances: of two revokes racing on the two
// instances, each of a different one of the account's two secrets, one
// gets 204 and the other 403 delete-last-secret, and the account keeps
// exactly one secret (contract section 4). Each revoke authenticates with
// the secret it revokes, so the loser's credentials stay valid whatever the
// order. Every other round holds both revokes at a gate inside PostgreSQL
// until both wait there.
func TestAtLeastOneSecretAcrossInstances(t *testing.T) {
	t.Parallel()
	schema, a, b := twoInstances(t)
	ins := [2]*instance{a, b}
	c := newHTTPClient(t)
	pair := newRacePair(t, schema, a, b)
	const key, rounds = "atleast1", 50
	type secret struct{ id, value string }
	first := secret{value: "AtLeast0First"}
	first.id = createAccount(t, c, a, adminapi.NewAccount{APIKey: key, Secret: first.value})
	second := secret{value: "AtLeast0Second"}
	created, err := createSecret(c, b, key, first.value, second.value)
	if err != nil || created.status != 201 {
		t.Fatalf("second secret: %s %v", created, err)
	}
	second.id = secretID(t, created)
	cur := [2]secret{first, second} // oldest first
	var wins [2]int
	var gated int
	start := time.Now()
	for round := range rounds {
		what := fmt.Sprintf("round %d", round)
		// Instance i revokes target[i]; the pairing alternates.
		target := cur
		if round%2 == 1 {
			target = [2]secret{cur[1], cur[0]}
		}
		revoke := func(i int) (answer, error) {
			return revokeSecret(c, ins[i], key, target[i].value, target[i].id)
		}
		gate := round%4 >= 2
		if gate {
			gated++
		}
		winner, _ := pair.oneWins(t, gate, what, "revoke", 204, typeLastSecret, revoke)
		wins[winner]++
		gone, kept := target[winner], target[1-winner]

		if ids := secretIDs(t, c, ins[round%2], key, kept.value); !slices.Equal(ids, []string{kept.id}) {
			t.Fatalf("%s: secrets %v, want [%s]", what, ids, kept.id)
		}
		for _, in := range ins {
			accepts(t, c, in, key, kept.value, what+": the kept secret", checkE1)
			rejects(t, c, in, key, gone.value, what+": the revoked secret", checkE1)
		}

		// Back to two secrets for the next round.
		fresh := secret{value: fmt.Sprintf("AtLeast%dFresh", round+1)}
		created, err := createSecret(c, ins[(round+1)%2], key, kept.value, fresh.value)
		if err != nil || created.status != 201 {
			t.Fatalf("%s: creating the next secret: %s %v", what, created, err)
		}
		fresh.id = secretID(t, created)
		cur = [2]secret{kept, fresh}
	}
	if ids := secretIDs(t, c, a, key, cur[0].value); !slices.Equal(ids, []string{cur[0].id, cur[1].id}) {
		t.Errorf("the account ends with secrets %v, want [%s %s]", ids, cur[0].id, cur[1].id)
	}
	t.Logf("%d rounds (%d released by a barrier, %d also held at a gate in PostgreSQL until both waited there) in %s: every round one 204 and one 403 delete-last-secret and exactly 1 secret left; A's revoke won %d, B's %d",
		rounds, rounds-gated, gated, time.Since(start).Round(time.Millisecond), wins[0], wins[1])
}
