package httpapi_test

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

const xmlDecl = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"

// wantXML checks an XML answer exactly, and that it parses.
func wantXML(t *testing.T, what string, r response, status int, want string) {
	t.Helper()
	if r.status != status || string(r.body) != xmlDecl+want {
		t.Errorf("%s: %d\n%s\nwant %d\n%s%s", what, r.status, r.body, status, xmlDecl, want)
	}
	var v struct{}
	if err := xml.Unmarshal(r.body, &v); err != nil {
		t.Errorf("%s: not XML: %v", what, err)
	}
}

// TestXMLBodies: E1–E3 answer the spec's XML, errors included, when Accept
// prefers application/xml; the roots are accountBalance, response and
// account-settings (account.yml).
func TestXMLBodies(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key, secret := e.newReloadingAccount(t, account.NewAccount{})
	trx := e.reloadTrx(t, key)
	accept := map[string]string{"Accept": "application/xml"}
	x := func(req request) response {
		req.header, req.xml = accept, true
		return e.do(t, req)
	}
	balance := request{method: "GET", path: "/account/get-balance"}
	wantXML(t, "E1", x(withCreds(balance, "query", key, secret)), 200,
		"<accountBalance>\n  <value>24.00000000</value>\n  <autoReload>true</autoReload>\n</accountBalance>\n")
	wantXML(t, "E1 401", x(withCreds(balance, "query", key, "Wrong-Secret-1")), 401,
		"<accountBalance>\n  <error-code>401</error-code>\n  <error-code-label>authentication failed</error-code-label>\n</accountBalance>\n")

	topUp := request{method: "POST", path: "/account/top-up", form: url.Values{"trx": {trx}}}
	wantXML(t, "E2", x(withCreds(topUp, "basic", key, secret)), 200,
		"<response>\n  <error-code>200</error-code>\n  <error-code-label>success</error-code-label>\n</response>\n")
	wantXML(t, "E2 400", x(withCreds(request{method: "POST", path: "/account/top-up"}, "basic", key, secret)), 400,
		"<response>\n  <error-code>400</error-code>\n  <error-code-label>trx: is required</error-code-label>\n</response>\n")

	settings := request{method: "POST", path: "/account/settings", form: url.Values{"moCallBackUrl": {"https://example.com/mo?a=1&b=<2>"}}}
	wantXML(t, "E3", x(withCreds(settings, "basic", key, secret)), 200, "<account-settings>\n"+
		"  <mo-callback-url>https://example.com/mo?a=1&amp;b=&lt;2&gt;</mo-callback-url>\n  <dr-callback-url></dr-callback-url>\n"+
		"  <max-outbound-request>30</max-outbound-request>\n  <max-inbound-request>30</max-inbound-request>\n"+
		"  <max-calls-per-second>30</max-calls-per-second>\n</account-settings>\n")
	bad := request{method: "POST", path: "/account/settings", form: url.Values{"drCallBackUrl": {"ftp://x"}}}
	wantXML(t, "E3 400", x(withCreds(bad, "basic", key, secret)), 400, "<account-settings>\n  <error-code>400</error-code>\n"+
		"  <error-code-label>drCallBackUrl: must be an absolute http or https URL</error-code-label>\n</account-settings>\n")
	wantXML(t, "E3 405", x(request{method: "PUT", path: "/account/settings"}), 405, "<response>\n  <error-code>405</error-code>\n"+
		"  <error-code-label>method not allowed</error-code-label>\n</response>\n")

	// Secrets endpoints stay JSON whatever the Accept header says.
	r := e.do(t, request{method: "GET", path: "/accounts/" + key + "/secrets", basic: []string{key, secret}, header: accept})
	if r.status != http.StatusOK {
		t.Errorf("E4 with Accept XML: %d", r.status)
	}
}

// TestXMLNegotiation: XML only when Accept ranks it above JSON.
func TestXMLNegotiation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key, secret := e.newAccount(t, account.NewAccount{})
	for accept, xmlWanted := range map[string]bool{
		"application/xml": true,
		"text/xml":        true,
		"application/json;q=0.5, application/xml": true,
		"application/*;q=0.2, application/xml":    true,
		"application/xml;q=0.5, application/json": false,
		"application/xml, application/json":       false, // a tie is JSON
		"*/*":                                     false,
		"application/json":                        false,
		"":                                        false,
		"application/xml;q=0":                     false,
		"application/xml;q=bogus":                 false,
		"application/xml, */*;q=0.1":              true,
		"*/*;q=0.9, application/xml":              true,
		"text/html":                               false,
	} {
		req := withCreds(request{method: "GET", path: "/account/get-balance"}, "query", key, secret)
		req.header = map[string]string{"Accept": accept}
		req.xml = xmlWanted
		r := e.do(t, req)
		if r.status != http.StatusOK || strings.HasPrefix(string(r.body), "<?xml") != xmlWanted {
			t.Errorf("Accept %q: %d %s, want XML %v", accept, r.status, r.body, xmlWanted)
		}
		if v := r.header.Get("Vary"); v != "Accept" {
			t.Errorf("Accept %q: Vary %q", accept, v)
		}
	}
}
