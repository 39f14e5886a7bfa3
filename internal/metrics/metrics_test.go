package metrics_test

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/buildinfo"
	"github.com/vonage/vonage-go-sdk/internal/server"
	"github.com/vonage/vonage-go-sdk/internal/testutil"
)

const adminToken = "metrics-test-admin-token-5e1f"

// client sends the test's requests to one server.
type client struct {
	t    *testing.T
	base string
}

// do sends a request and returns its status and body.
func (c client) do(method, path, body string, header ...string) (int, string) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

func (c client) want(status int, method, path, body string, header ...string) string {
	c.t.Helper()
	got, data := c.do(method, path, body, header...)
	if got != status {
		c.t.Fatalf("%s %s: %d %s, want %d", method, path, got, data, status)
	}
	return data
}

// scrape reads /metrics into a map from series ("name{labels}") to value.
func (c client) scrape() map[string]float64 {
	c.t.Helper()
	text := c.want(200, "GET", "/metrics", "", "Authorization", "Bearer "+adminToken)
	series := make(map[string]float64)
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			c.t.Fatalf("metrics line %q: %v", line, err)
		}
		series[line[:i]] = v
	}
	return series
}

// TestMetricsCountExactly scrapes /metrics around a known sequence of
// calls and checks that each counter moved by exactly what they did.
func TestMetricsCountExactly(t *testing.T) {
	t.Parallel()
	cfg := server.TestConfig()
	cfg.AdminToken = adminToken
	cfg.AuthLimits = account.AuthLimits{PerPair: 2, PerAddr: 100, Window: time.Hour}
	srv := testutil.StartServer(t, cfg)
	c := client{t, srv.URL}
	bearer := []string{"Authorization", "Bearer " + adminToken}

	// Without the admin token, /metrics is refused.
	if status, _ := c.do("GET", "/metrics", ""); status != http.StatusUnauthorized {
		t.Fatalf("GET /metrics without the token: %d, want 401", status)
	}
	before := c.scrape()

	const key, secret = "metrics01", "Metrics1Secret"
	c.want(201, "POST", "/admin/accounts", `{"api_key":"`+key+`","secret":"`+secret+`"}`, bearer...)
	balance := "/account/get-balance?" + url.Values{"api_key": {key}, "api_secret": {secret}}.Encode()
	for range 3 { // a verification by hash, then two from the cache
		c.want(200, "GET", balance, "")
	}
	c.want(201, "POST", "/admin/accounts/"+key+"/credits", `{"amount":"10.50"}`, bearer...)
	c.want(201, "POST", "/admin/accounts/"+key+"/charges", `{"amount":"2.25"}`, bearer...)
	c.want(402, "POST", "/admin/accounts/"+key+"/charges", `{"amount":"1000"}`, bearer...)
	basic := []string{"Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte(key+":"+secret))}
	var created struct{ ID string }
	if err := json.Unmarshal([]byte(c.want(201, "POST", "/accounts/"+key+"/secrets", `{"secret":"Second1Secret"}`, basic...)), &created); err != nil {
		t.Fatal(err)
	}
	c.want(204, "DELETE", "/accounts/"+key+"/secrets/"+created.ID, "", basic...)
	c.want(404, "GET", "/nowhere/"+key, "")
	wrong := "/account/get-balance?" + url.Values{"api_key": {key}, "api_secret": {"Wrong1Secret"}}.Encode()
	c.want(401, "GET", wrong, "")
	c.want(401, "GET", wrong, "")
	c.want(429, "GET", wrong, "") // past PerPair

	after := c.scrape()
	delta := func(series string) float64 { return after[series] - before[series] }
	for series, want := range map[string]float64{
		`vonage_http_requests_total{method="GET",route="/account/get-balance",status="200"}`:                       3,
		`vonage_http_requests_total{method="GET",route="/account/get-balance",status="401"}`:                       2,
		`vonage_http_requests_total{method="GET",route="/account/get-balance",status="429"}`:                       1,
		`vonage_http_requests_total{method="POST",route="/admin/accounts/{api_key}/charges",status="402"}`:         1,
		`vonage_http_requests_total{method="DELETE",route="/accounts/{api_key}/secrets/{secret_id}",status="204"}`: 1,
		`vonage_http_requests_total{method="GET",route="unmatched",status="404"}`:                                  1,
		`vonage_http_requests_total{method="GET",route="/metrics",status="200"}`:                                   1, // the first scrape
		`vonage_http_request_duration_seconds_count{method="GET",route="/account/get-balance"}`:                    6,
		`vonage_auth_total{outcome="ok"}`:                          5,
		`vonage_auth_total{outcome="wrong_secret"}`:                2,
		`vonage_auth_total{outcome="limited_failures"}`:            1,
		`vonage_verify_cache_lookups_total{result="hit"}`:          4,
		`vonage_verify_cache_lookups_total{result="miss"}`:         3,
		`vonage_hash_wait_seconds_count`:                           5, // account, first login, new secret, two wrong
		`vonage_money_moved_eur_total{kind="credit"}`:              10.5,
		`vonage_money_moved_eur_total{kind="charge"}`:              2.25,
		`vonage_money_movements_total{kind="credit"}`:              1,
		`vonage_money_movements_total{kind="charge"}`:              1,
		`vonage_money_refusals_total{kind="charge"}`:               1,
		`vonage_secrets_total{event="created"}`:                    2,
		`vonage_secrets_total{event="revoked"}`:                    1,
		`vonage_db_call_duration_seconds_count{op="Credit"}`:       1,
		`vonage_db_call_duration_seconds_count{op="Charge"}`:       2,
		`vonage_db_call_duration_seconds_count{op="RevokeSecret"}`: 1,
	} {
		if got := delta(series); math.Abs(got-want) > 1e-9 {
			t.Errorf("%s moved by %v, want %v", series, got, want)
		}
	}
	for series := range after {
		if strings.HasPrefix(series, "vonage_db_call_errors_total") {
			t.Errorf("a database error was counted: %s", series)
		}
		if strings.Contains(series, "/nowhere") || strings.Contains(series, "metrics01") {
			t.Errorf("a raw path or key is a label: %s", series)
		}
	}
	if after["vonage_verify_cache_entries"] != 1 || after["vonage_hash_queue_waiting"] != 0 {
		t.Errorf("cache entries %v, hash queue %v; want 1 and 0", after["vonage_verify_cache_entries"], after["vonage_hash_queue_waiting"])
	}

	// Build info and GET /version tell the same build.
	var v buildinfo.Info
	if err := json.Unmarshal([]byte(c.want(200, "GET", "/version", "")), &v); err != nil {
		t.Fatal(err)
	}
	if v != buildinfo.Get() {
		t.Errorf("GET /version = %+v, want %+v", v, buildinfo.Get())
	}
	found := false
	for series, val := range after {
		if strings.HasPrefix(series, "vonage_build_info{") && val == 1 &&
			strings.Contains(series, `version="`+v.Version+`"`) && strings.Contains(series, `commit="`+v.Commit+`"`) {
			found = true
		}
	}
	if !found {
		t.Errorf("no vonage_build_info for %+v", v)
	}
}

// TestMetricsOpenWithoutAdminToken: with no admin token configured,
// /metrics needs none, and each server counts alone (a registry each).
func TestMetricsOpenWithoutAdminToken(t *testing.T) {
	t.Parallel()
	a := client{t, testutil.StartServer(t, server.TestConfig()).URL}
	b := client{t, testutil.StartServer(t, server.TestConfig()).URL}
	for range 3 {
		a.want(200, "GET", "/healthz", "")
	}
	b.want(200, "GET", "/healthz", "")
	for _, tc := range []struct {
		c    client
		want string
	}{{a, "3"}, {b, "1"}} {
		text := tc.c.want(200, "GET", "/metrics", "")
		if !strings.Contains(text, `vonage_http_requests_total{method="GET",route="/healthz",status="200"} `+tc.want+"\n") {
			t.Errorf("want %s health checks counted:\n%s", tc.want, text)
		}
	}
}

// TestWebhookMetrics: a triggered inbound SMS delivered to a receiver
// moves the delivery counters by one and leaves the queue empty; one to an
// endpoint answering 500 stays queued and counts its attempts.
func TestWebhookMetrics(t *testing.T) {
	t.Parallel()
	var fail atomic.Bool
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fail.Load() {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer receiver.Close()
	cfg := server.TestConfig()
	cfg.AdminToken = adminToken
	cfg.WebhookPoll = 20 * time.Millisecond
	cfg.WebhookRetryBase = time.Hour // a failed attempt is not retried during the test
	cfg.WebhookRetryWindow = 2 * time.Hour
	srv := testutil.StartServer(t, cfg)
	c := client{t, srv.URL}
	bearer := []string{"Authorization", "Bearer " + adminToken}

	const key, secret = "hookmet1", "Hookmet1Secret"
	c.want(201, "POST", "/admin/accounts", `{"api_key":"`+key+`","secret":"`+secret+`"}`, bearer...)
	c.want(200, "POST", "/account/settings?"+url.Values{"api_key": {key}, "api_secret": {secret}, "moCallBackUrl": {receiver.URL + "/mo"}}.Encode(), "")
	before := c.scrape()
	waitFor := func(series string, want float64) map[string]float64 {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			m := c.scrape()
			if m[series]-before[series] == want {
				return m
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s moved by %v, want %v", series, m[series]-before[series], want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	trigger := func() {
		c.want(202, "POST", "/admin/accounts/"+key+"/inbound-sms", `{"to":"447700900000","msisdn":"447700900001","text":"hello"}`, bearer...)
	}

	trigger()
	after := waitFor("vonage_webhook_delivered_total", 1)
	if d := after["vonage_webhook_attempts_total"] - before["vonage_webhook_attempts_total"]; d != 1 {
		t.Errorf("attempts moved by %v, want 1", d)
	}
	if q := after["vonage_webhook_queue_depth"]; q != 0 {
		t.Errorf("queue depth %v after the delivery, want 0", q)
	}

	fail.Store(true)
	trigger()
	after = waitFor("vonage_webhook_attempts_total", 2)
	if d := after["vonage_webhook_delivered_total"] - before["vonage_webhook_delivered_total"]; d != 1 {
		t.Errorf("delivered moved by %v after a 500, want still 1", d)
	}
	if q := after["vonage_webhook_queue_depth"]; q != 1 {
		t.Errorf("queue depth %v with a delivery waiting for its retry, want 1", q)
	}
}

// TestLedgerBatchMetrics: on SQLite, credits made one after another are a
// commit each; credits made together share commits, and every one of them
// is counted once.
func TestLedgerBatchMetrics(t *testing.T) {
	t.Parallel()
	cfg := server.TestConfig()
	cfg.AdminToken = adminToken
	srv := testutil.StartServer(t, cfg)
	c := client{t, srv.URL}
	bearer := []string{"Authorization", "Bearer " + adminToken}
	const key = "batchmet1"
	c.want(201, "POST", "/admin/accounts", `{"api_key":"`+key+`","secret":"Batchmet1Secret"}`, bearer...)

	before := c.scrape()
	for range 3 {
		c.want(201, "POST", "/admin/accounts/"+key+"/credits", `{"amount":"1.00"}`, bearer...)
	}
	after := c.scrape()
	if b, m := after["vonage_ledger_batches_total"]-before["vonage_ledger_batches_total"],
		after["vonage_ledger_batch_movements_total"]-before["vonage_ledger_batch_movements_total"]; b != 3 || m != 3 {
		t.Errorf("3 credits in turn: %v batches, %v movements; want 3 and 3", b, m)
	}

	const n = 32
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { c.want(201, "POST", "/admin/accounts/"+key+"/credits", `{"amount":"1.00"}`, bearer...) })
	}
	wg.Wait()
	last := c.scrape()
	b := last["vonage_ledger_batches_total"] - after["vonage_ledger_batches_total"]
	if m := last["vonage_ledger_batch_movements_total"] - after["vonage_ledger_batch_movements_total"]; m != n || b < 1 || b > n {
		t.Errorf("%d credits at once: %v batches, %v movements; want 1 to %d batches and %d movements", n, b, m, n, n)
	}
	t.Logf("%d concurrent credits in %v commits", n, b)
}
