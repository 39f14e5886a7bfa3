// Package vonage is a client for the Vonage Account API: the balance, top-up
// and settings of an account, and the rotation of its API secrets
// (https://developer.vonage.com/en/api/account). It uses the standard library
// only.
//
//	auth := vonage.CreateAuthFromKeySecret(apiKey, apiSecret)
//	client := vonage.NewAccountClient(auth)
//	balance, _, err := client.GetBalance()
//
// # Configuration
//
// NewAccountClient takes functional options (WithBaseURL, WithHTTPClient,
// WithRetries, ...). Where code says nothing, VONAGE_API_KEY, VONAGE_API_SECRET
// and VONAGE_BASE_URL are read once, when the client is made. The defaults are
// Vonage's own hosts, https://rest.nexmo.com for balance, top-up and settings and
// https://api.nexmo.com for secrets; WithBaseURL points both at one server.
//
// # Calls and errors
//
// Every call has a Context form (GetBalanceContext); the short form uses
// context.Background. Each returns a value, an ErrorResponse and an error. On
// success the ErrorResponse is empty and the error nil. On failure the value is
// its zero value, the ErrorResponse has a printable Title and Detail, and the
// error is an *APIError that errors.Is matches against the sentinels
// (ErrAuthentication, ErrNotFound, ErrSecretLimit, ...).
//
// The API secret never appears in an error: legacy endpoints carry it in the
// query string, so URLs are redacted (api_secret=REDACTED) and every text that
// could echo it is scrubbed. KeySecretAuth prints the same way.
//
// # Retries
//
// GET requests (balance, list and fetch secrets) are retried after transport
// errors, 429 and 5xx answers, with exponential backoff and jitter, honouring
// Retry-After up to 60 seconds and never past the context's deadline. POST and
// DELETE requests are never retried, since they may have taken effect.
//
// # Rotating secrets
//
// RotateSecret replaces a secret in one call that never leaves the account
// without a working one: it creates the new secret, proves it works with a
// call signed by it, and only then revokes the old one; a new secret that
// fails the proof is revoked again. An account holds at most two secrets, so
// on an account that has two, RetireSecret names the one to replace. A failed
// rotation returns a *RotationError naming the step that failed and the
// secret that still works.
//
// # Subaccounts
//
// A primary account manages a subaccount's secrets through a client scoped to
// the subaccount's key: client.ForKey(key).ListSecretsContext(ctx), and so on
// for every secret call and RotateSecret. The scoped client still signs with
// the primary's credentials. Any key that is neither the primary's nor one of
// its subaccounts' is ErrNotFound, whether it exists or not.
//
// # Testing code that uses the client
//
// The package exports no interface: code that wants to stub the API without
// HTTP declares the small interface it uses (say, one with GetBalanceContext),
// which *AccountClient satisfies. To test against the real thing, package
// vonagetest runs the server in-process, with helpers to set balances and
// inject failures.
package vonage
