package e2e_test

import (
	"net/http"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/adminapi"
)

const adminToken = "e2e-admin-token-3f9a0c1d8b"

// client talks to one server's admin API, and to the rest of it through
// http.
type client struct {
	*adminapi.Client
	http *http.Client
}

func newClient(base string) *client {
	hc := &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns:        256,
			MaxIdleConnsPerHost: 256,
			IdleConnTimeout:     30 * time.Second,
		},
	}
	return &client{Client: adminapi.New(base, adminToken, adminapi.WithHTTPClient(hc)), http: hc}
}
