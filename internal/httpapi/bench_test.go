package httpapi

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/sqlite"
)

// The hot path of an authenticated request, piece by piece, in process (no
// network): go test -bench . -benchmem ./internal/httpapi. cmd/vonage-bench
// measures the whole over loopback.

// BenchmarkCredentialsQuery is E1's credential extraction from the query
// string: parse the form, note the secret, take the first values.
func BenchmarkCredentialsQuery(b *testing.B) {
	s := &server{log: slog.New(slog.DiscardHandler)}
	target := "/account/get-balance?" + url.Values{"api_key": {"bench0001"}, "api_secret": {"Bench1Secret"}}.Encode()
	r := httptest.NewRequest(http.MethodGet, target, nil)
	b.ReportAllocs()
	for b.Loop() {
		r.Form, r.PostForm = nil, nil
		if err := s.parseLegacyForm(r); err != nil {
			b.Fatal(err)
		}
		key, _ := formValue(r, "api_key")
		secret, _ := formValue(r, "api_secret")
		if key == "" || secret == "" {
			b.Fatal("no credentials")
		}
	}
}

// BenchmarkCredentialsBasic is the secrets endpoints' extraction from an
// Authorization: Basic header.
func BenchmarkCredentialsBasic(b *testing.B) {
	r := httptest.NewRequest(http.MethodGet, "/accounts/bench0001/secrets", nil)
	r.SetBasicAuth("bench0001", "Bench1Secret")
	b.ReportAllocs()
	for b.Loop() {
		key, secret, ok := r.BasicAuth()
		if !ok || key == "" || secret == "" {
			b.Fatal("no credentials")
		}
	}
}

// BenchmarkEncodeSecretList is E4's answer for an account with two secrets,
// through writeJSON.
func BenchmarkEncodeSecretList(b *testing.B) {
	s := &server{log: slog.New(slog.DiscardHandler)}
	r := httptest.NewRequest(http.MethodGet, "/accounts/bench0001/secrets", nil)
	now := time.Now()
	var body secretListBody
	body.Links.Self.Href = secretsPath("bench0001")
	for range 2 {
		body.Embedded.Secrets = append(body.Embedded.Secrets, newSecretBody("bench0001", account.Secret{ID: account.NewID(), CreatedAt: now}))
	}
	w := &discardWriter{}
	b.ReportAllocs()
	for b.Loop() {
		w.header = nil
		s.writeJSON(w, r, http.StatusOK, body)
	}
}

// BenchmarkEncodeProblem is an error answer (a 404 problem), the shape of
// every failure outside E1–E3.
func BenchmarkEncodeProblem(b *testing.B) {
	s := &server{log: slog.New(slog.DiscardHandler)}
	r := httptest.NewRequest(http.MethodGet, "/accounts/bench0001/secrets/x", nil)
	err := account.Errorf(account.ESECRETNOTFOUND, "ID 'x' could not be found")
	w := &discardWriter{}
	b.ReportAllocs()
	for b.Loop() {
		w.header = nil
		s.writeError(w, r, err)
	}
}

// discardWriter is a ResponseWriter that keeps nothing.
type discardWriter struct{ header http.Header }

func (w *discardWriter) Header() http.Header {
	if w.header == nil {
		w.header = http.Header{}
	}
	return w.header
}
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(int)             {}

// benchHandler is the whole server over an in-memory SQLite store with n
// accounts whose secrets are already in the verification cache.
func benchHandler(b *testing.B, n int) (http.Handler, func(i int) (string, string)) {
	b.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, sqlite.Memory)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	params := account.HashParams{Memory: 64, Time: 1, Threads: 1} // the cache is what is measured
	svc := account.NewService(store, account.WithHashParams(params))
	const secret = "Bench1Secret"
	hash, err := account.HashSecret(secret, params)
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
	h := NewServer(Config{Service: svc, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	for i := range n { // warm the verification cache
		k, s := key(i)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/account/get-balance?api_key="+k+"&api_secret="+s, nil))
		if w.Code != http.StatusOK {
			b.Fatalf("warm-up: %d %s", w.Code, w.Body)
		}
	}
	return h, key
}

// BenchmarkGetBalance is E1 end to end in process: middleware, credential
// extraction, the cached verification (two store reads) and the answer.
func BenchmarkGetBalance(b *testing.B) {
	const n = 100
	h, key := benchHandler(b, n)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		k, s := key(i % n)
		i++
		r := httptest.NewRequest(http.MethodGet, "/account/get-balance?api_key="+k+"&api_secret="+s, nil)
		r.RemoteAddr = "127.0.0.1:40000"
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
}

// BenchmarkListSecrets is E4 end to end in process.
func BenchmarkListSecrets(b *testing.B) {
	const n = 100
	h, key := benchHandler(b, n)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		k, s := key(i % n)
		i++
		r := httptest.NewRequest(http.MethodGet, "/accounts/"+k+"/secrets", nil)
		r.RemoteAddr = "127.0.0.1:40000"
		r.SetBasicAuth(k, s)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
}
