package vonage_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/vonage/vonage-go-sdk"
	"github.com/vonage/vonage-go-sdk/vonagetest"
)

// These examples run against the real server in-process (package vonagetest);
// against Vonage, build the client with NewAccountClient as usual.

func ExampleAccountClient_RotateSecret() {
	srv, err := vonagetest.Start()
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	client := srv.Client // signed with the account's current secret

	res, err := client.RotateSecret(context.Background(), "N3w-S3cret-2026",
		vonage.OnStep(func(step, detail string) { fmt.Println("step:", step) }))
	var rerr *vonage.RotationError
	if errors.As(err, &rerr) {
		// The account still has a working secret: rerr.WorkingSecretID.
		fmt.Println("rotation failed at", rerr.Step, "- keep using secret", rerr.WorkingSecretID)
		return
	}
	fmt.Println("revoked the old secret:", res.RevokedSecretID != "")

	// Sign with the new secret from now on; the old one is rejected.
	client = client.WithCredentials(client.APIKey(), "N3w-S3cret-2026")
	_, _, err = client.GetBalanceContext(context.Background())
	fmt.Println("new secret works:", err == nil)
	// Output:
	// step: list
	// step: create
	// step: verify
	// step: revoke
	// revoked the old secret: true
	// new secret works: true
}

func ExampleAccountClient_RotateSecret_twoSecrets() {
	srv, err := vonagetest.Start()
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	ctx := context.Background()
	spare, _, err := srv.Client.CreateSecretContext(ctx, "Sp4re-Secret")
	if err != nil {
		panic(err)
	}

	// An account holds at most two secrets: say which one the new one replaces.
	_, err = srv.Client.RotateSecret(ctx, "N3w-S3cret-2026")
	fmt.Println("without RetireSecret:", errors.Is(err, vonage.ErrSecretLimit))
	_, err = srv.Client.RotateSecret(ctx, "N3w-S3cret-2026", vonage.RetireSecret(spare.ID))
	fmt.Println("with RetireSecret:", err)
	// Output:
	// without RetireSecret: true
	// with RetireSecret: <nil>
}

func ExampleAccountClient_ForKey() {
	srv, err := vonagetest.Start()
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	sub := srv.NewSubaccount(panicT{})
	ctx := context.Background()
	primary := srv.Client

	// A primary account manages a subaccount's secrets through a client
	// scoped to its key, still signing with the primary's own credentials.
	subSecrets := primary.ForKey(sub.APIKey)
	created, _, err := subSecrets.CreateSecretContext(ctx, "Sub-S3cret-2026")
	if err != nil {
		panic(err)
	}
	list, _, _ := subSecrets.ListSecretsContext(ctx)
	fmt.Println("subaccount secrets:", len(list.Secrets))
	ok, _, _ := subSecrets.DeleteSecretContext(ctx, created.ID)
	fmt.Println("revoked:", ok)

	// Any other key is not found, whether it exists or not.
	_, _, err = primary.ForKey(srv.NewAccount(panicT{}).APIKey).ListSecretsContext(ctx)
	fmt.Println("someone else's key:", errors.Is(err, vonage.ErrNotFound))
	// Output:
	// subaccount secrets: 2
	// revoked: true
	// someone else's key: true
}

// balanceGetter is the one call needsTopUp makes. The package exports no
// interface: code declares the small one it uses, which *vonage.AccountClient
// satisfies, and a test stubs it without HTTP.
type balanceGetter interface {
	GetBalanceContext(ctx context.Context) (vonage.AccountBalanceResponse, vonage.ErrorResponse, error)
}

// needsTopUp is code written against balanceGetter, not *AccountClient.
func needsTopUp(ctx context.Context, api balanceGetter) bool {
	b, _, err := api.GetBalanceContext(ctx)
	return err == nil && b.Value < 1
}

// lowStub stubs the one call needsTopUp makes.
type lowStub struct{}

func (lowStub) GetBalanceContext(context.Context) (vonage.AccountBalanceResponse, vonage.ErrorResponse, error) {
	return vonage.AccountBalanceResponse{Value: 0.42}, vonage.ErrorResponse{}, nil
}

func Example_interface() {
	var _ balanceGetter = (*vonage.AccountClient)(nil) // the real client fits too
	fmt.Println("needs top-up:", needsTopUp(context.Background(), lowStub{}))
	// Output: needs top-up: true
}

// panicT lets an Example use the vonagetest helpers, which take a test.
type panicT struct{}

func (panicT) Helper()                           {}
func (panicT) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
