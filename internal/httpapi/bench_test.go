package httpapi

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
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
