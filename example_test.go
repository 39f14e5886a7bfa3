package vonage_test

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/vonage/vonage-go-sdk"
	"github.com/vonage/vonage-go-sdk/vonagetest"
)

// The examples of the basic calls build their client as a program does, from
// VONAGE_API_KEY and VONAGE_API_SECRET, and VONAGE_BASE_URL where it is set
// (unset, the client talks to Vonage itself). TestMain points them at the real
// server in-process (package vonagetest), so their output is checked. Each
// leaves the account as it found it: seedkey1, 10.17127500 EUR, one secret.
// The seed's own six programs are in examples/account.

func ExampleAccountClient_GetBalance() {
	client := vonage.NewAccountClient(vonage.CreateAuthFromEnv())

	balance, _, err := client.GetBalance()
	if err != nil {
		panic(err)
	}
	// ValueDecimal is the amount exactly as the API sent it; Value is a float64.
	fmt.Printf("Account balance: %s EUR (%f)\n", balance.ValueDecimal, balance.Value)
	// Output: Account balance: 10.17127500 EUR (10.171275)
}

func ExampleAccountClient_SetConfig() {
	client := vonage.NewAccountClient(vonage.CreateAuthFromEnv())

	settings, _, err := client.SetConfig(vonage.AccountConfigSettings{
		MoCallbackUrl: "https://example.com/webhooks/inbound-sms",
		DrCallbackUrl: "https://example.com/webhooks/delivery-receipt",
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("Incoming SMS sent to:", settings.MoCallbackUrl)
	fmt.Println("Delivery receipts sent to:", settings.DrCallbackUrl)
	// Output:
	// Incoming SMS sent to: https://example.com/webhooks/inbound-sms
	// Delivery receipts sent to: https://example.com/webhooks/delivery-receipt
}

func ExampleAccountClient_ListSecrets() {
	client := vonage.NewAccountClient(vonage.CreateAuthFromEnv())

	list, _, err := client.ListSecrets()
	if err != nil {
		panic(err)
	}
	fmt.Println("secrets:", len(list.Secrets))
	for _, s := range list.Secrets {
		// An id is a UUID, the secret itself is never sent back.
		fmt.Println("id length:", len(s.ID), "created:", !s.CreatedAt.IsZero())
	}
	// Output:
	// secrets: 1
	// id length: 36 created: true
}

func ExampleAccountClient_GetSecret() {
	client := vonage.NewAccountClient(vonage.CreateAuthFromEnv())
	list, _, err := client.ListSecrets()
	if err != nil {
		panic(err)
	}
	first := list.Secrets[0]

	secret, _, err := client.GetSecret(first.ID)
	fmt.Println("found:", err == nil && secret.ID == first.ID && secret.CreatedAt.Equal(first.CreatedAt))

	// An id the account does not hold is ErrNotFound.
	_, _, err = client.GetSecret("00000000-0000-4000-8000-000000000000")
	fmt.Println("unknown id:", errors.Is(err, vonage.ErrNotFound))
	// Output:
	// found: true
	// unknown id: true
}

func ExampleAccountClient_CreateSecret() {
	client := vonage.NewAccountClient(vonage.CreateAuthFromEnv())

	created, _, err := client.CreateSecret("T0pS3cr3t!")
	if err != nil {
		panic(err)
	}
	fmt.Println("second secret created:", created.ID != "")

	// An account holds two secrets at most: revoke one before adding another.
	_, errResp, err := client.CreateSecret("An0ther-S3cret!")
	if errors.Is(err, vonage.ErrSecretLimit) {
		fmt.Println("ERROR: " + errResp.Title + ": " + errResp.Detail)
	}

	if _, _, err := client.DeleteSecret(created.ID); err != nil {
		panic(err)
	}
	// Output:
	// second secret created: true
	// ERROR: Secret Addition Forbidden: Account reached maximum number [2] of allowed secrets
}

func ExampleAccountClient_DeleteSecret() {
	client := vonage.NewAccountClient(vonage.CreateAuthFromEnv())
	spare, _, err := client.CreateSecret("Sp4re-S3cret!")
	if err != nil {
		panic(err)
	}

	ok, _, err := client.DeleteSecret(spare.ID)
	fmt.Println("spare deleted:", ok, err)

	// The last secret cannot be revoked: the account would be locked out.
	list, _, _ := client.ListSecrets()
	ok, _, err = client.DeleteSecret(list.Secrets[0].ID)
	fmt.Println("last deleted:", ok, errors.Is(err, vonage.ErrLastSecret))
	// Output:
	// spare deleted: true <nil>
	// last deleted: false true
}

// TestMain starts the server the examples use and hands its account to them
// through the environment, the way a program is given its credentials.
func TestMain(m *testing.M) {
	srv, err := vonagetest.Start(vonagetest.WithCredentials("seedkey1", "Seed-S3cret-1"), vonagetest.WithBalance("10.17127500"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "vonagetest:", err)
		os.Exit(1)
	}
	os.Setenv("VONAGE_BASE_URL", srv.URL)
	os.Setenv("VONAGE_API_KEY", srv.APIKey)
	os.Setenv("VONAGE_API_SECRET", srv.APISecret)
	code := m.Run()
	srv.Close()
	os.Exit(code)
}
