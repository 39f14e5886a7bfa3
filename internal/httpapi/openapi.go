package httpapi

import (
	"net/http"

	"github.com/vonage/vonage-go-sdk/internal/openapi"
)

// openAPI implements GET /openapi.yaml: the OpenAPI document of the public
// API and of the admin API (internal/openapi).
func (s *server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(openapi.Document) // a failed write means the client went away
}
