package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/server"
	"github.com/vonage/vonage-go-sdk/internal/testutil"
)

// The whole handler, as internal/server builds it, in process (no network).

// benchHandler is the whole server over an in-memory SQLite store with n
// accounts whose secrets are already in the verification cache.
func benchHandler(b *testing.B, n int) (http.Handler, func(i int) (string, string)) {
	b.Helper()
	ctx := context.Background()
	cfg := server.TestConfig() // cheap hashes: the cache is what is measured
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := testutil.NewServer(b, cfg)
	svc := srv.Service
	const secret = "Bench1Secret"
	hash, err := account.HashSecret(secret, cfg.HashParams)
	if err != nil {
		b.Fatal(err)
	}
	key := func(i int) (string, string) { return fmt.Sprintf("bench%04d", i), secret }
	batch := make([]account.ImportAccount, n)
	for i := range batch {
		k, _ := key(i)
		batch[i] = account.ImportAccount{NewAccount: account.NewAccount{APIKey: k, Balance: 10 * account.Scale}, SecretHash: hash}
	}
	errs, err := svc.ImportAccounts(ctx, batch)
	if err != nil {
		b.Fatal(err)
	}
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	h := srv.HTTP.Handler
	for i := range n { // warm the verification cache
		k, s := key(i)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, balanceRequest(k, s))
		if w.Code != http.StatusOK {
			b.Fatalf("warm-up: %d %s", w.Code, w.Body)
		}
	}
	return h, key
}

// BenchmarkGetBalance is E1 end to end in process: middleware, credential
// extraction, the cached verification (two store reads) and the answer.
func BenchmarkGetBalance(b *testing.B) { benchEndpoint(b, balanceRequest) }

// BenchmarkListSecrets is E4 end to end in process.
func BenchmarkListSecrets(b *testing.B) {
	benchEndpoint(b, func(key, secret string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/accounts/"+key+"/secrets", nil)
		r.SetBasicAuth(key, secret)
		return r
	})
}

// balanceRequest is E1 with its credentials in the query string.
func balanceRequest(key, secret string) *http.Request {
	return httptest.NewRequest(http.MethodGet, "/account/get-balance?api_key="+key+"&api_secret="+secret, nil)
}

// benchEndpoint serves the requests newRequest builds, each for the next of
// 100 accounts, and fails on any answer but 200.
func benchEndpoint(b *testing.B, newRequest func(key, secret string) *http.Request) {
	const n = 100
	h, key := benchHandler(b, n)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		k, s := key(i % n)
		i++
		r := newRequest(k, s)
		r.RemoteAddr = "127.0.0.1:40000"
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
}
