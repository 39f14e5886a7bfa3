package httpapi_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/vonage/vonage-go-sdk/internal/openapi"
)

// The OpenAPI document (internal/openapi) is checked against the server
// by every test of this package: env.do validates each response it gets
// with checkSpec, so a body or status that drifts from the document fails
// the test that produced it.

// specRouter finds a request's operation in the served document.
var specRouter = sync.OnceValues(func() (routers.Router, error) {
	doc, err := openapi3.NewLoader().LoadFromData(openapi.Document)
	if err != nil {
		return nil, err
	}
	// The document's server is "/", this server wherever it listens: the
	// router matches paths alone.
	doc.Servers = nil
	// The published document uses format "url", which OpenAPI does not
	// define, and gives a JSON response an example as a string: neither
	// is what is checked here.
	return legacy.NewRouter(doc, openapi3.DisableSchemaFormatValidation(), openapi3.DisableExamplesValidation())
})

// Bodies that are not JSON are checked as opaque strings.
var registerDecoders = sync.OnceFunc(func() {
	for _, ct := range []string{"application/x-ndjson", "application/vnd.sqlite3", "application/yaml"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.FileBodyDecoder)
	}
	openapi3filter.RegisterBodyDecoder("application/xml", decodeXMLBody)
})

// checkSpec validates one response against the document: its status must
// be one the operation declares (or its default) and its body must match
// the schema. A path with repeated leading slashes or a trailing slash is
// checked as the path the server serves it as (routes.go); a request the
// document has no operation for (an unknown path, another method) has
// nothing to be checked against, and a HEAD answer has no body.
func checkSpec(t *testing.T, req *http.Request, status int, header http.Header, body []byte) {
	t.Helper()
	router, err := specRouter()
	if err != nil {
		t.Fatalf("the OpenAPI document: %v", err)
	}
	if err := specMismatch(router, req, status, header, body); err != nil {
		t.Errorf("OpenAPI: %s %s answered %d, not as the document says: %v\nbody: %.300s", req.Method, req.URL.Path, status, err, body)
	}
}

// specMismatch is checkSpec's verdict: nil when the response is as the
// document says, or when the document has no operation for the request.
func specMismatch(router routers.Router, req *http.Request, status int, header http.Header, body []byte) error {
	registerDecoders()
	if req.Method == http.MethodHead {
		return nil
	}
	if p := "/" + strings.Trim(req.URL.Path, "/"); p != req.URL.Path {
		req = req.Clone(req.Context())
		req.URL.Path, req.URL.RawPath = p, ""
	}
	route, params, err := router.FindRoute(req)
	var re *routers.RouteError // the router makes new ones, so errors.Is does not match
	if errors.As(err, &re) && (re.Reason == routers.ErrPathNotFound.Error() || re.Reason == routers.ErrMethodNotAllowed.Error()) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("finding the operation: %w", err)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 status,
		Header:                 header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true},
	}
	in.SetBodyBytes(body)
	return openapi3filter.ValidateResponse(context.Background(), in)
}

// TestOpenAPIServed: GET /openapi.yaml serves the document, which loads
// and holds the published paths and ours.
func TestOpenAPIServed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withoutAdmin())
	res, err := http.Get(e.srv.URL + "/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/yaml" || !bytes.Equal(data, openapi.Document) {
		t.Fatalf("GET /openapi.yaml: %d %q, %d bytes", res.StatusCode, res.Header.Get("Content-Type"), len(data))
	}
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/account/get-balance", "/account/top-up", "/account/settings", "/accounts/{api_key}/secrets",
		"/accounts/{api_key}/secrets/{secret_id}", "/admin/accounts", "/admin/accounts/{api_key}/reset-secret", "/admin/import",
		"/admin/export", "/admin/backup"} {
		if doc.Paths.Find(p) == nil {
			t.Errorf("the document has no path %s", p)
		}
	}
	if !strings.Contains(string(data), "MIT License") {
		t.Error("the document does not carry the published spec's licence notice")
	}
}

// TestOpenAPICatchesDrift: the check refuses bodies and statuses the
// document does not allow, so passing it means something.
func TestOpenAPICatchesDrift(t *testing.T) {
	t.Parallel()
	router, err := specRouter()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		method, path string
		status       int
		body         string
	}{
		{"GET", "/admin/accounts", 200, `{"accounts":[{"api_key":"x"}]}`},
		{"GET", "/admin/accounts", 200, `{"accounts":[],"next":"x"}`},
		{"POST", "/admin/accounts/abcd1234/reset-secret", 200, `{"api_key":"abcd1234"}`},
		{"GET", "/admin/accounts/abcd1234", 404, `{"error":"nope"}`},
		{"GET", "/account/get-balance", 500, `{"type":"x","title":"y","detail":"z","instance":"i"}`},
		{"GET", "/account/get-balance", 200, `{"value":"10.5","autoReload":false}`},
		{"POST", "/accounts/abcd1234/secrets", 201, `{"id":7}`},
	} {
		req, _ := http.NewRequest(tc.method, "http://127.0.0.1:8080"+tc.path, nil)
		err := specMismatch(router, req, tc.status, http.Header{"Content-Type": {"application/json"}}, []byte(tc.body))
		var re *openapi3filter.ResponseError
		if !errors.As(err, &re) {
			t.Errorf("%s %s %d %s: %v, want a response error", tc.method, tc.path, tc.status, tc.body, err)
		}
	}
	// And a right answer passes.
	req, _ := http.NewRequest("GET", "http://127.0.0.1:8080/account/get-balance", nil)
	if err := specMismatch(router, req, 200, http.Header{"Content-Type": {"application/json"}}, []byte(`{"value":10.5,"autoReload":false}`)); err != nil {
		t.Errorf("a right answer: %v", err)
	}
}
