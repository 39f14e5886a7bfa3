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
// A primary account manages its subaccounts' secrets by naming their key:
// ListSecretsForKey, GetSecretForKey, CreateSecretForKey, DeleteSecretForKey
// and RotateSecretForKey. Any other key is ErrNotFound, whether it exists or
// not.
//
// # Testing code that uses the client
//
// AccountAPI is the interface of every context-taking call; accept it instead
// of *AccountClient to stub the API without HTTP. To test against the real
// thing, package vonagetest runs the server in-process, with helpers to set
// balances and inject failures.
package vonage
