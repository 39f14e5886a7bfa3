// Package httpapi serves the Vonage Account API over HTTP, wire-compatible
// with the real service so any Vonage SDK can point at it, plus the
// operators' /admin API. The domain lives in internal/account; this package
// only translates between HTTP and account.Service. routes.go lists every
// route; errors.go holds the one table from error codes to statuses and
// bodies.
//
// # Decisions where the contract is silent
//
// Parameters. E1–E3 read the query string and, on POST, an
// application/x-www-form-urlencoded body (multipart is not read). Of
// duplicate parameters the first value wins, body values counting before
// query values (the order of http.Request.Form). E3's documented spelling
// (moCallBackUrl) wins over its alias (moCallbackUrl) when both are sent.
// In JSON bodies member names match exactly ("SECRET" is not "secret") and
// of duplicate members the first wins.
//
// Legacy credentials. When a request to E1–E3 has an Authorization header,
// it alone is used, and anything but valid Basic credentials is a 401;
// otherwise api_key and api_secret come from the parameters. E4–E7 accept
// only the Basic header. 401s on E4–E7 and /admin carry WWW-Authenticate.
//
// E5 reads a form-encoded body when Content-Type says so and JSON
// otherwise. Bad bodies are 400 validation problems whose
// invalid_parameters entry is named "secret" when the secret is missing or
// not a string and "body" when the body is not one JSON object with only
// that member. A created secret's answer carries Location.
//
// Statuses the contract does not list use the same problem prefix: 404
// "#not-found" for unknown paths, 405 "#method-not-allowed" (legacy body on
// E1–E3 paths), 413 "#payload-too-large" for bodies over
// Config.MaxBodyBytes, 402 "#insufficient-funds", 409 "#conflict", 503
// "#unavailable" from /readyz, 500 "#internal-error". A legacy 500 is
// {"error-code":"500","error-code-label":"internal error (request id
// <id>)"}. EINVALID has one type everywhere, the secret-management
// validation URL, admin included. A 429 carries Retry-After from the
// error's optional RetryAfter() method, else 1 second.
//
// Logging. One Info line per request (method, path without query,
// status, duration, request_id, bytes). Error lines carry only the cause
// of a 500 or a failed readiness check, scrubbed of every credential the
// request carried; parser errors, which quote their input, are never
// logged nor sent. An incoming X-Request-Id is ignored. A failure caused
// by the client going away is logged at Debug, not Error. Refusals by the
// limiters (429) add a Debug line "request throttled" with the client
// address and the limit hit.
//
// Client address. Failed authentications are counted per (API key, client
// address) and per client address (account.AuthLimits). The address is
// the connection's peer, or, when the peer is in Config.TrustedProxies,
// the right-most address of X-Forwarded-For (or Forwarded) that is not a
// trusted proxy. IPv6 clients are counted per /64.
//
// Overload. With Config.MaxInFlight set, a request beyond it is a 503
// "#unavailable" (legacy body on E1–E3) with Retry-After: 1; /healthz is
// always answered. A request's body is read whole, within
// Config.BodyReadTimeout, before it counts as in flight: one not there in
// time is a 400 naming "body" and its connection is closed. The bulk
// import streams its body and counts as in flight only while it writes a
// batch.
//
// Paths. A trailing slash is accepted everywhere, and repeated leading
// slashes count as one ("//account/get-balance", which the Node SDK sends
// from a base URL ending in a slash). Any other unclean path ("/a//b",
// "/./", "/../") is a 404 rather than ServeMux's redirect, which would echo
// the query string (api_secret included) in Location and make clients
// retry a POST as a GET.
//
// Money (admin). Credits and charges take {"amount":"10.00","reference":
// "..."}; amount is required, reference optional. Every amount in and out
// is a decimal string; a ledger row's amount is signed (charges negative).
// A 201 answers {"transaction", "reload" (null unless the charge triggered
// an auto-reload), "balance"}, where balance is the last row's
// balance_after rather than a fresh read, so a replay can repeat the first
// answer byte for byte. A replay is marked Idempotent-Replayed: true, a
// replayed refusal too (a 402 whose "instance" is the new request's id).
// An Idempotency-Key header sent twice, or empty, is a 400. The ledger
// pages newest first (limit 1–1000, default 50); next_cursor is the id of
// the page's last row, absent on the last page; unknown query parameters
// are a 400 naming "query". PATCH changes only the members it names:
// auto_reload null turns auto-reload off, limits null is a 400, and a limit
// left out of limits keeps its value. GET /admin/ledger/verify reports
// problems with a 200 and "ok": false; transaction_id is 0 on a problem
// with the account's balance.
//
// Not served: XML (Accept: application/xml).
package httpapi
