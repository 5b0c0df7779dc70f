package web

import (
	"embed"
	"io/fs"
	"net/http"
)

// The chat page is plain HTML, CSS and JavaScript: no build step.
//
//go:embed static
var staticFS embed.FS

// page serves the borrower chat page at / and its assets under /static/.
func (s *Server) page() http.Handler {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	files := http.FileServer(http.FS(sub))
	index, err := fs.ReadFile(sub, "index.html")
	if err != nil {
		panic(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			s.writeError(w, r, ErrMethod)
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'")
		h.Set("Referrer-Policy", "no-referrer")
		switch r.URL.Path {
		case "/", "/index.html":
			h.Set("Content-Type", "text/html; charset=utf-8")
			h.Set("Cache-Control", "no-cache")
			_, _ = w.Write(index)
		default:
			if _, err := fs.Stat(sub, r.URL.Path[1:]); err != nil {
				s.writeError(w, r, ErrNoRoute)
				return
			}
			h.Set("Cache-Control", "no-cache")
			files.ServeHTTP(w, r)
		}
	})
}
