// Package openapi holds the OpenAPI document the server serves at GET
// /openapi.yaml (contract section 7): the public Account API, from Vonage's
// published description (MIT, see LICENSE.account), changed only where
// our server deliberately differs, and our admin API. openapi.yaml lists
// the changes at its top; account.yml is the published original, kept to
// compare against. A test in internal/httpapi validates every response of
// that package's tests against Document.
package openapi

import _ "embed"

// Document is openapi.yaml, as served.
//
//go:embed openapi.yaml
var Document []byte
