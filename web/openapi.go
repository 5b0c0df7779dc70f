package web

import (
	_ "embed"
	"net/http"
)

// openAPISpec is the API's OpenAPI description; the tests validate real
// responses against it, so it cannot drift from the handlers.
//
//go:embed openapi.yaml
var openAPISpec []byte

// OpenAPI returns the OpenAPI description the server serves.
func OpenAPI() []byte { return openAPISpec }

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(openAPISpec)
}
