package multiinstance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/adminapi"
	"github.com/vonage/vonage-go-sdk/internal/pgtest"
	"github.com/vonage/vonage-go-sdk/internal/server"
)

const adminToken = "multiinstance-admin-token-8d21"

// poolSize is each instance's number of database connections. It is fixed
// so that the tests need the same number of connections on any machine
// (pgxpool's default grows with the number of CPUs).
const poolSize = 4

// newSchema creates an empty schema with a random name and drops it, with
// everything in it, when the test ends (after the instances on it closed:
// cleanups run last-registered first).
func newSchema(t *testing.T) string {
	t.Helper()
	name, _ := pgtest.NewSchema(t, "multi")
	return name
}

// schemaURL is the test database's URL with the connection parameters that
// put a Store in schema (search_path) and name its connections app, so a
// test can find them in pg_stat_activity. Both are ordinary connection
// parameters that an operator could put in --db.
func schemaURL(t *testing.T, schema, app string) string {
	t.Helper()
	base := pgtest.URL(t)
	if strings.HasPrefix(base, "postgres://") || strings.HasPrefix(base, "postgresql://") {
		u, err := url.Parse(base)
		if err != nil {
			t.Fatalf("VONAGE_TEST_POSTGRES_URL: %v", err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		q.Set("application_name", app)
		u.RawQuery = q.Encode()
		return u.String()
	}
	// A keyword/value connection string: later keywords win.
	return base + " search_path=" + schema + " application_name=" + app
}

// appName is the application_name of instance name's connections.
func appName(schema, name string) string { return schema + "_" + name }

// raw connects to schema with plain pgx, bypassing the instances, and
// closes the connection when the test ends. A pgx.Conn is for one
// goroutine at a time.
func raw(t *testing.T, schema string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), schemaURL(t, schema, appName(schema, "raw")))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// instance is one complete server, as `vonage serve --db postgres://...`
// wires it: its own pool, its own Service (and so its own verification
// cache) and its own listener on a random port.
type instance struct {
	name string
	base string // http://127.0.0.1:port
	svc  *account.Service
	srv  *server.Server
	once sync.Once
}

// startInstance opens a Store on schema (migrating it if needed) and serves
// it. It is safe to call from several goroutines at once; the caller closes
// the instance.
func startInstance(ctx context.Context, t *testing.T, schema, name string, log *slog.Logger) (*instance, error) {
	return startInstanceWith(ctx, t, schema, name, log, nil)
}

// startInstanceWith is startInstance with change (when not nil) applied
// to the instance's Config last.
func startInstanceWith(ctx context.Context, t *testing.T, schema, name string, log *slog.Logger, change func(*server.Config)) (*instance, error) {
	cfg := server.TestConfig()
	cfg.DB = schemaURL(t, schema, appName(schema, name))
	cfg.PGMaxConns = poolSize
	cfg.AdminToken = adminToken
	cfg.Logger = log
	if change != nil {
		change(&cfg)
	}
	srv, err := server.New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := srv.Start(); err != nil {
		srv.Close()
		return nil, err
	}
	return &instance{name: name, base: srv.URL, svc: srv.Service, srv: srv}, nil
}

// close stops serving, waiting for requests in flight, then closes the
// pool. Calls after the first do nothing.
func (in *instance) close() {
	in.once.Do(func() { in.srv.Close() })
}

// twoInstances starts instances A and B on one fresh schema and closes them
// when the test ends. Anything either logs at level Error (an internal
// error, a failed readiness check) fails the test.
func twoInstances(t *testing.T) (schema string, a, b *instance) {
	t.Helper()
	return twoInstancesWith(t, nil)
}

// twoInstancesWith is twoInstances with change applied to both Configs.
func twoInstancesWith(t *testing.T, change func(*server.Config)) (schema string, a, b *instance) {
	t.Helper()
	schema = newSchema(t)
	log := errorLog(t)
	var ins [2]*instance
	for i, name := range []string{"A", "B"} {
		in, err := startInstanceWith(t.Context(), t, schema, name, log, change)
		if err != nil {
			t.Fatalf("instance %s: %v", name, err)
		}
		t.Cleanup(in.close)
		ins[i] = in
	}
	return schema, ins[0], ins[1]
}

// errorLog returns a logger that drops the request lines and fails t with
// every record of level Error: the server logs one for each internal error
// (500) and failed readiness check, and nothing else.
func errorLog(t *testing.T) *slog.Logger {
	h := &errorHandler{}
	t.Cleanup(func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		for i, r := range h.records {
			if i == 10 {
				t.Errorf("... and %d more errors logged", len(h.records)-i)
				break
			}
			t.Errorf("server logged an error: %s", r)
		}
	})
	return slog.New(h)
}

type errorHandler struct {
	mu      sync.Mutex
	records []string
	attrs   []slog.Attr
}

func (h *errorHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }

func (h *errorHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	for _, a := range h.attrs {
		fmt.Fprintf(&b, " %s", a)
	}
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s", a)
		return true
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, b.String())
	return nil
}

// WithAttrs and WithGroup share the record list; the server uses neither.
func (h *errorHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &errorHandlerView{h: h, attrs: attrs}
}

func (h *errorHandler) WithGroup(string) slog.Handler { return h }

type errorHandlerView struct {
	h     *errorHandler
	attrs []slog.Attr
}

func (v *errorHandlerView) Enabled(ctx context.Context, l slog.Level) bool {
	return v.h.Enabled(ctx, l)
}

func (v *errorHandlerView) Handle(ctx context.Context, r slog.Record) error {
	r = r.Clone()
	r.AddAttrs(v.attrs...)
	return v.h.Handle(ctx, r)
}

func (v *errorHandlerView) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &errorHandlerView{h: v.h, attrs: append(append([]slog.Attr{}, v.attrs...), attrs...)}
}

func (v *errorHandlerView) WithGroup(string) slog.Handler { return v }

// newHTTPClient returns a client whose connections stay open between
// requests, so that requests released together reach the servers together.
func newHTTPClient(t *testing.T) *http.Client {
	tr := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 128, IdleConnTimeout: time.Minute}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Timeout: 30 * time.Second, Transport: tr}
}

// call is one HTTP request to an instance.
type call struct {
	method, path string
	query        url.Values
	json         string // the body, sent as application/json when not empty
	user, pass   string // Basic credentials when user is not empty
}

// answer is one HTTP response, read whole.
type answer struct {
	status int
	body   []byte
}

func (a answer) String() string { return fmt.Sprintf("%d %s", a.status, bytes.TrimSpace(a.body)) }

// send makes one request. The error is the transport's: no answer arrived.
func (in *instance) send(c *http.Client, k call) (answer, error) {
	u := in.base + k.path
	if len(k.query) > 0 {
		u += "?" + k.query.Encode()
	}
	var body io.Reader
	if k.json != "" {
		body = strings.NewReader(k.json)
	}
	req, err := http.NewRequest(k.method, u, body)
	if err != nil {
		return answer{}, err
	}
	if k.json != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if k.user != "" {
		req.SetBasicAuth(k.user, k.pass)
	}
	res, err := c.Do(req)
	if err != nil {
		return answer{}, fmt.Errorf("%s %s on %s: %w", k.method, k.path, in.name, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return answer{}, fmt.Errorf("%s %s on %s: reading the body: %w", k.method, k.path, in.name, err)
	}
	return answer{status: res.StatusCode, body: data}, nil
}

// admin returns a client of in's admin API sending through c.
func (in *instance) admin(c *http.Client) *adminapi.Client {
	return adminapi.New(in.base, adminToken, adminapi.WithHTTPClient(c))
}

func decode[T any](t *testing.T, data []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("decoding %s: %v", data, err)
	}
	return v
}

// problemType returns the "type" of a problem-details body ("" if it is
// not one).
func problemType(body []byte) string {
	var p struct {
		Type string `json:"type"`
	}
	_ = json.Unmarshal(body, &p)
	return p.Type
}

const (
	typeExcessSecret = "https://developer.nexmo.com/api-errors/account/secret-management#add-excess-secret"
	typeLastSecret   = "https://developer.nexmo.com/api-errors/account/secret-management#delete-last-secret"
	typeUnauthorized = "https://developer.nexmo.com/api-errors#unauthorized"
)

// createAccount creates an account through in's admin API and returns its
// first secret's id.
func createAccount(t *testing.T, c *http.Client, in *instance, na adminapi.NewAccount) string {
	t.Helper()
	created, err := in.admin(c).CreateAccount(t.Context(), na)
	if err != nil {
		t.Fatalf("creating %s on %s: %v", na.APIKey, in.name, err)
	}
	if len(created.Account.Secrets) != 1 {
		t.Fatalf("created account %s has secrets %+v, want 1", na.APIKey, created.Account.Secrets)
	}
	return created.Account.Secrets[0].ID
}

// createSecret is E5 on key with Basic credentials key:auth.
func createSecret(c *http.Client, in *instance, key, auth, secret string) (answer, error) {
	return in.send(c, call{method: "POST", path: "/accounts/" + key + "/secrets",
		json: fmt.Sprintf(`{"secret":%q}`, secret), user: key, pass: auth})
}

// secretID reads the id from E5's 201 answer.
func secretID(t *testing.T, a answer) string {
	t.Helper()
	id := decode[struct {
		ID string `json:"id"`
	}](t, a.body).ID
	if id == "" {
		t.Fatalf("no id in %s", a)
	}
	return id
}

// revokeSecret is E7 on key with Basic credentials key:auth.
func revokeSecret(c *http.Client, in *instance, key, auth, id string) (answer, error) {
	return in.send(c, call{method: "DELETE", path: "/accounts/" + key + "/secrets/" + id, user: key, pass: auth})
}

// listSecrets is E4 on key with Basic credentials key:auth.
func listSecrets(c *http.Client, in *instance, key, auth string) (answer, error) {
	return in.send(c, call{method: "GET", path: "/accounts/" + key + "/secrets", user: key, pass: auth})
}

// secretIDs are the ids E4 lists, which must answer 200.
func secretIDs(t *testing.T, c *http.Client, in *instance, key, auth string) []string {
	t.Helper()
	a, err := listSecrets(c, in, key, auth)
	if err != nil {
		t.Fatal(err)
	}
	if a.status != 200 {
		t.Fatalf("E4 on %s: %s", in.name, a)
	}
	list := decode[struct {
		Embedded struct {
			Secrets []struct {
				ID string `json:"id"`
			} `json:"secrets"`
		} `json:"_embedded"`
	}](t, a.body)
	ids := make([]string, 0, len(list.Embedded.Secrets))
	for _, s := range list.Embedded.Secrets {
		ids = append(ids, s.ID)
	}
	return ids
}

// getBalance is E1 with the legacy credentials in the query string.
func getBalance(c *http.Client, in *instance, key, secret string) (answer, error) {
	return in.send(c, call{method: "GET", path: "/account/get-balance",
		query: url.Values{"api_key": {key}, "api_secret": {secret}}})
}

// race runs fn(0) and fn(1) in two goroutines released at the same moment
// and returns their answers.
func race(fn func(i int) (answer, error)) ([2]answer, [2]error) {
	var (
		as    [2]answer
		errs  [2]error
		start = make(chan struct{})
		wg    sync.WaitGroup
	)
	for i := range 2 {
		wg.Go(func() {
			<-start
			as[i], errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return as, errs
}

// gate makes two racing requests meet inside PostgreSQL. While it is
// closed, a transaction holds the schema's secrets table in SHARE mode:
// reads, and so authentication, go through, but every write to the table
// (the INSERT of a created secret, the DELETE of a revoked one) waits. Once
// both instances have a statement waiting on a lock, open lets them go at
// the same instant. It relies on no detail of how the Store writes, only on
// its writing to the secrets table.
type gate struct {
	t      *testing.T
	tx     pgx.Tx
	watch  *pgx.Conn
	apps   []string
	opened bool
}

// closeGate closes the gate on schema's secrets table for the writes of
// instances a and b.
func closeGate(t *testing.T, schema string, holder, watch *pgx.Conn, a, b *instance) *gate {
	t.Helper()
	tx, err := holder.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(t.Context(), `LOCK TABLE secrets IN SHARE MODE`); err != nil {
		t.Fatal(err)
	}
	return &gate{t: t, tx: tx, watch: watch, apps: []string{appName(schema, a.name), appName(schema, b.name)}}
}

// gateTimeout bounds how long the gate waits for both requests to arrive.
const gateTimeout = 20 * time.Second

// waitAndOpen waits until both instances have a statement waiting on a
// lock, then opens the gate. It opens the gate in any case, and reports
// whether both arrived.
func (g *gate) waitAndOpen() error {
	defer g.open()
	// PostgreSQL tells no one when a statement starts waiting on a lock:
	// pg_stat_activity must be polled.
	tick := time.NewTicker(200 * time.Microsecond)
	defer tick.Stop()
	deadline := time.After(gateTimeout)
	for {
		var waiting int
		err := g.watch.QueryRow(g.t.Context(), `SELECT count(*) FROM pg_stat_activity
			WHERE application_name = ANY($1) AND wait_event_type = 'Lock'`, g.apps).Scan(&waiting)
		if err != nil {
			return err
		}
		if waiting == 2 {
			return nil
		}
		select {
		case <-tick.C:
		case <-deadline:
			return fmt.Errorf("after %v, %d of the 2 requests wait at the gate", gateTimeout, waiting)
		}
	}
}

// open ends the transaction holding the lock.
func (g *gate) open() {
	if g.opened {
		return
	}
	g.opened = true
	if err := g.tx.Rollback(context.Background()); err != nil && !errors.Is(err, pgx.ErrTxClosed) {
		g.t.Errorf("opening the gate: %v", err)
	}
}

// racePair races requests on instances A and B, sometimes through a gate
// on their schema's secrets table.
type racePair struct {
	schema        string
	holder, watch *pgx.Conn // the gate's lock holder and watcher
	a, b          *instance
}

func newRacePair(t *testing.T, schema string, a, b *instance) *racePair {
	return &racePair{schema: schema, holder: raw(t, schema), watch: raw(t, schema), a: a, b: b}
}

// oneWins races fn(0) on A against fn(1) on B, released at the same moment
// and, when gated, also held at the gate until both wait in the database.
// It returns the index and answer of the one answered status won, and fails t unless
// the other was refused with a 403 of problem type refusal. In messages,
// what names the round and op the request.
func (p *racePair) oneWins(t *testing.T, gated bool, what, op string, won int, refusal string, fn func(i int) (answer, error)) (int, answer) {
	t.Helper()
	var (
		as   [2]answer
		errs [2]error
	)
	if gated {
		g := closeGate(t, p.schema, p.holder, p.watch, p.a, p.b)
		var wg sync.WaitGroup
		wg.Go(func() { as, errs = race(fn) })
		if err := g.waitAndOpen(); err != nil {
			t.Errorf("%s: %v", what, err)
		}
		wg.Wait()
	} else {
		as, errs = race(fn)
	}
	winner, refused := -1, 0
	for i := range 2 {
		if errs[i] != nil {
			t.Fatalf("%s: %v", what, errs[i])
		}
		switch {
		case as[i].status == won:
			winner = i
		case as[i].status == 403 && problemType(as[i].body) == refusal:
			refused++
		}
	}
	if winner == -1 || refused != 1 {
		t.Fatalf("%s: %s on A: %s; on B: %s; want one %d and one 403 %s", what, op, as[0], as[1], won, refusal)
	}
	return winner, as[winner]
}
