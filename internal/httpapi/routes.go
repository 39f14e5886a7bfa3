package httpapi

import (
	"net/http"
	"path"
	"strings"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// routes lists every route the server answers: the whole API surface in one
// place. Each path is also served with a trailing slash; another method on a
// known path is a 405 with an Allow header; any other path is a 404 problem.
// The Vonage API reference for E1–E7 is
// https://developer.vonage.com/en/api/account (contract section 1).
func (s *server) routes() http.Handler {
	rt := newRouter(s)

	// Legacy account API (rest.nexmo.com); legacy credentials and error bodies.
	rt.handle(legacyFamily, "GET", "/account/get-balance", s.getBalance)   // E1
	rt.moving().handle(legacyFamily, "GET", "/account/top-up", s.topUp)    // E2, as a shipped .NET SDK sends it; HEAD is a 405
	rt.handle(legacyFamily, "POST", "/account/top-up", s.topUp)            // E2
	rt.handle(legacyFamily, "POST", "/account/settings", s.changeSettings) // E3

	// Secret management (api.nexmo.com); Basic auth, problem details.
	rt.handle(problemFamily, "GET", "/accounts/{api_key}/secrets", s.listSecrets)                 // E4
	rt.handle(problemFamily, "POST", "/accounts/{api_key}/secrets", s.createSecret)               // E5
	rt.handle(problemFamily, "GET", "/accounts/{api_key}/secrets/{secret_id}", s.getSecret)       // E6
	rt.handle(problemFamily, "DELETE", "/accounts/{api_key}/secrets/{secret_id}", s.revokeSecret) // E7

	// Process health (contract section 7); no authentication. Liveness is
	// answered even when Config.MaxInFlight requests are being served.
	rt.ungated().handle(problemFamily, "GET", "/healthz", s.healthz)
	rt.handle(problemFamily, "GET", "/readyz", s.readyz)
	// The OpenAPI document of the public and the admin API; no authentication.
	rt.handle(problemFamily, "GET", "/openapi.yaml", s.openAPI)

	// Operations (contract section 7): the build, and the Prometheus
	// metrics, which need the admin token when one is configured (they
	// tell how busy the server is and how much money moves).
	rt.handle(problemFamily, "GET", "/version", s.version)
	if s.metricsHandler != nil {
		metrics := rt
		if s.adminDigest != nil {
			metrics = rt.guarded(s.requireAdmin)
		}
		metrics.ungated().handle(problemFamily, "GET", "/metrics", s.metricsHandler.ServeHTTP)
	}

	// Administration (contract section 6), only when a token is configured;
	// otherwise these paths fall through to the 404 below. The bearer check
	// also guards their 405s: without the token a caller learns nothing of
	// which methods exist.
	if s.adminDigest != nil {
		admin := rt.guarded(s.requireAdmin)
		admin.handle(problemFamily, "POST", "/admin/accounts", s.createAccount)
		admin.handle(problemFamily, "GET", "/admin/accounts", s.listAccounts)
		admin.handle(problemFamily, "GET", "/admin/accounts/{api_key}", s.showAccount)
		admin.handle(problemFamily, "PATCH", "/admin/accounts/{api_key}", s.updateAccount)
		admin.handle(problemFamily, "POST", "/admin/accounts/{api_key}/credits", s.addCredit)
		admin.handle(problemFamily, "POST", "/admin/accounts/{api_key}/charges", s.addCharge)
		admin.handle(problemFamily, "GET", "/admin/accounts/{api_key}/transactions", s.listTransactions)
		admin.handle(problemFamily, "POST", "/admin/accounts/{api_key}/reset-secret", s.resetSecret)
		admin.handle(problemFamily, "POST", "/admin/accounts/{api_key}/inbound-sms", s.triggerInboundSMS)
		admin.handle(problemFamily, "POST", "/admin/accounts/{api_key}/delivery-receipts", s.triggerDeliveryReceipt)
		admin.handle(problemFamily, "GET", "/admin/accounts/{api_key}/webhooks", s.listWebhooks)
		// JSON lines, streamed (see import.go): its body is not read first,
		// and it takes a slot per batch written, not while lines arrive.
		admin.streaming().handle(problemFamily, "POST", "/admin/import", s.importAccounts)
		admin.handle(problemFamily, "GET", "/admin/ledger/verify", s.verifyLedger)
		// Streamed answers (admin_export.go): a slot per page read, or
		// one for the copy, and the write deadline moves as bytes go.
		admin.streaming().handle(problemFamily, "GET", "/admin/export", s.exportAccounts)
		admin.handle(problemFamily, "GET", "/admin/backup", s.backup)
	}

	// The web dashboard (contract section 7), a subtree it routes itself.
	if s.dashboard != nil {
		rt.mount("/dashboard/", s.dashboard)
	}

	return rt.finish()
}

// mount serves a whole subtree with h, which answers its own 404s and
// 405s; its bodies are read first and it takes slots like any route.
func (rt *router) mount(prefix string, h http.Handler) {
	rt.mux.Handle(prefix, rt.s.readBodyFirst(rt.s.limitInFlight(h)))
}

// router registers routes on a ServeMux and adds what ServeMux does not do
// the way the contract wants: the trailing-slash twin of each path, and 405
// and 404 answers in the contract's body shapes.
type router struct {
	*routeTable
	guard  func(http.Handler) http.Handler // applied to the routes this router registers
	free   bool                            // its routes bypass Config.MaxInFlight
	stream bool                            // its routes read their bodies as they come, and take slots themselves
	moves  bool                            // its GET routes move money: HEAD is not served as GET
}

// routeTable is shared by a router and its guarded copies.
type routeTable struct {
	s     *server
	mux   *http.ServeMux
	paths map[string]*pathRoutes // by path pattern
	order []string               // path patterns in registration order
}

// pathRoutes collects the methods registered on one path.
type pathRoutes struct {
	family  family
	methods []string
	guard   func(http.Handler) http.Handler
	noHead  bool // a GET that moves money: HEAD gets the 405
}

func newRouter(s *server) *router {
	return &router{routeTable: &routeTable{s: s, mux: http.NewServeMux(), paths: make(map[string]*pathRoutes)}}
}

// guarded returns a router sharing rt's routes whose handlers (and 405
// answers) all pass through guard first.
func (rt *router) guarded(guard func(http.Handler) http.Handler) *router {
	return &router{routeTable: rt.routeTable, guard: guard}
}

// ungated returns a router sharing rt's routes whose handlers are served
// whatever the number of requests in flight.
func (rt *router) ungated() *router {
	return &router{routeTable: rt.routeTable, guard: rt.guard, free: true}
}

// streaming returns a router sharing rt's routes whose handlers read their
// bodies as a stream and take their Config.MaxInFlight slots themselves,
// around each piece of work (holdSlot): a body is not read first, and no
// slot is held while it arrives.
func (rt *router) streaming() *router {
	return &router{routeTable: rt.routeTable, guard: rt.guard, stream: true}
}

// moving returns a router sharing rt's routes whose GET routes move
// money: ServeMux would answer HEAD with them too, so a HEAD, which must
// change nothing, gets the path's 405 instead.
func (rt *router) moving() *router {
	return &router{routeTable: rt.routeTable, guard: rt.guard, moves: true}
}

// handle registers h for method on path and on path with a trailing slash.
// Unless rt is free or streaming, the request's body is read whole first
// (readBodyFirst), then a slot is taken (limitInFlight): a slow body never
// holds one.
func (rt *router) handle(fam family, method, path string, h http.HandlerFunc) {
	pr, ok := rt.paths[path]
	if !ok {
		pr = &pathRoutes{family: fam, guard: rt.guard}
		rt.paths[path] = pr
		rt.order = append(rt.order, path)
	}
	pr.methods = append(pr.methods, method)
	switch {
	case method == http.MethodGet && rt.moves:
		pr.noHead = true
	case method == http.MethodGet: // ServeMux also routes HEAD to GET patterns
		pr.methods = append(pr.methods, http.MethodHead)
	}
	var handler http.Handler = h
	if !rt.free && !rt.stream {
		handler = rt.s.readBodyFirst(rt.s.limitInFlight(handler))
	}
	handler = rt.wrap(fam, path, rt.guard, handler)
	rt.mux.Handle(method+" "+path, handler)
	rt.mux.Handle(method+" "+path+"/{$}", handler)
}

// wrap marks the request with its route's error body shape and path
// pattern (for the log and the metrics), then applies the guard.
func (rt *router) wrap(fam family, route string, guard func(http.Handler) http.Handler, h http.Handler) http.Handler {
	if guard != nil {
		h = guard(h)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := stateOf(r)
		st.family, st.route = fam, route
		if fam == legacyFamily { // the legacy bodies can be XML (xml.go)
			w.Header().Add("Vary", "Accept")
			st.xml = prefersXML(r.Header.Values("Accept"))
		}
		h.ServeHTTP(w, r)
	})
}

// finish registers the 405 answer of every known path (a method-less
// pattern, which ServeMux ranks below the method-specific ones) and the 404
// answer of every other path.
func (rt *router) finish() http.Handler {
	for _, path := range rt.order {
		pr := rt.paths[path]
		allow := strings.Join(pr.methods, ", ")
		h := rt.wrap(pr.family, path, pr.guard, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			rt.s.writeError(w, r, &account.Error{Code: codeMethod, Message: "this resource allows " + allow})
		}))
		rt.mux.Handle(path, h)
		rt.mux.Handle(path+"/{$}", h)
		if pr.noHead {
			rt.mux.Handle("HEAD "+path, h)
			rt.mux.Handle("HEAD "+path+"/{$}", h)
		}
	}
	notFound := rt.wrap(problemFamily, "", nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt.s.writeError(w, r, &account.Error{Code: codeNoRoute, Message: "no such resource"})
	}))
	rt.mux.Handle("/", notFound)
	// Repeated leading slashes count as one (contract section 1): a base
	// URL with a trailing slash makes the Node SDK send
	// "//account/get-balance". ServeMux would answer any other unclean path
	// ("/account//get-balance", "/a/../b") with a redirect that echoes the
	// query string, api_secret included, in Location, and that clients
	// follow by turning a POST into a GET. A clear 404 is safer.
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = collapseLeadingSlashes(r)
		if !cleanPath(r.URL.Path) {
			notFound.ServeHTTP(w, r)
			return
		}
		rt.mux.ServeHTTP(w, r)
	})
}

// collapseLeadingSlashes returns r, or a shallow copy of it whose path
// starts with one slash where r's starts with several.
func collapseLeadingSlashes(r *http.Request) *http.Request {
	if !strings.HasPrefix(r.URL.Path, "//") {
		return r
	}
	r2 := new(http.Request)
	*r2 = *r
	u := *r.URL
	u.Path = "/" + strings.TrimLeft(u.Path, "/")
	if u.RawPath != "" {
		u.RawPath = "/" + strings.TrimLeft(u.RawPath, "/")
	}
	r2.URL = &u
	return r2
}

// cleanPath reports whether p is absolute and already in the form
// ServeMux would redirect to: no empty, "." or ".." segments.
func cleanPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	c := path.Clean(p)
	if p[len(p)-1] == '/' && c != "/" {
		c += "/"
	}
	return c == p
}
