package vonagetest_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vonage/vonage-go-sdk"
	"github.com/vonage/vonage-go-sdk/vonagetest"
)

// rotate is the code under test, as a user of the SDK might write it: rotate
// the secret and return the client to use from now on, which is the old one
// unless the new secret has proved to work.
func rotate(ctx context.Context, c *vonage.AccountClient, newSecret string) (*vonage.AccountClient, error) {
	res, err := c.RotateSecret(ctx, newSecret)
	if res.WorkingSecretID != "" && res.WorkingSecretID == res.NewSecretID {
		return c.WithCredentials(res.APIKey, newSecret), err
	}
	return c, err
}

// A test of rotate against the real server. In a test function it would be
// srv := vonagetest.NewServer(t), closed when the test ends; an Example has no
// t, so it uses Start and Close.
func Example() {
	srv, err := vonagetest.Start()
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	ctx := context.Background()

	c, err := rotate(ctx, srv.Client, "N3w-S3cret-2026")
	fmt.Println("rotated:", err == nil)
	_, _, err = c.GetBalanceContext(ctx)
	fmt.Println("new secret works:", err == nil)
	_, _, err = srv.Client.GetBalanceContext(ctx)
	fmt.Println("old secret rejected:", errors.Is(err, vonage.ErrAuthentication))

	// The API fails while the next secret is created: rotate must keep
	// the client that works.
	srv.FailNextMatching("POST", "/accounts/", 1, vonagetest.Status(503, 0))
	c2, err := rotate(ctx, c, "An0ther-S3cret-2026")
	var rerr *vonage.RotationError
	fmt.Println("failed at step:", errors.As(err, &rerr) && rerr.Step == vonage.StepCreate)
	_, _, err = c2.GetBalanceContext(ctx)
	fmt.Println("still signed in:", err == nil)
	// Output:
	// rotated: true
	// new secret works: true
	// old secret rejected: true
	// failed at step: true
	// still signed in: true
}

// A client's retries seen from the server's side: a 429 asking for a second's
// patience, then a dropped connection, then the real answer.
func ExampleServer_FailNext() {
	srv, err := vonagetest.Start(vonagetest.WithBalance("10.50"))
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	srv.FailNext(1, vonagetest.Status(429, time.Second))
	srv.FailNext(1, vonagetest.DropConnection())
	balance, _, err := srv.Client.GetBalance() // retried twice
	fmt.Println(balance.ValueDecimal, err)

	// POSTs are never retried: the error reaches the caller.
	srv.FailNextMatching("POST", "/account/", 1, vonagetest.Status(500, 0))
	_, errResp, err := srv.Client.GetConfig()
	fmt.Println(errResp.ErrorCode, errors.Is(err, vonage.ErrServer))
	// Output:
	// 10.50000000 <nil>
	// 500 true
}

// Testing top-up: a charge below the threshold reloads the account, and
// TopUp repeats that reload.
func ExampleAccount_Charge() {
	srv, err := vonagetest.Start(vonagetest.WithBalance("6.00"), vonagetest.WithAutoReload("5.00", "20.00"))
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	var t panicT

	trx := srv.Charge(t, "1.50") // 6.00 - 1.50 is below 5.00: reload 20.00 first
	fmt.Println("balance after the charge:", srv.Balance(t))
	if _, _, err := srv.Client.TopUp(trx); err != nil {
		panic(err)
	}
	fmt.Println("balance after the top-up:", srv.Balance(t))
	// Output:
	// balance after the charge: 24.50
	// balance after the top-up: 44.50
}

// panicT is a vonagetest.T for code without a test: it panics where a test
// would stop.
type panicT struct{}

func (panicT) Helper()                           {}
func (panicT) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
