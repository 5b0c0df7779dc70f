package web

import (
	"expvar"
	"net/http"
	"net/http/pprof"
)

// AdminHandler serves the operator's endpoints: /metrics (the given
// handler, Prometheus text format), /debug/vars (expvar) and
// /debug/pprof/. It has no authentication of its own: serve it on the
// admin listener, which is loopback by default (admin.addr), and never
// through the public reverse proxy.
func AdminHandler(metrics http.Handler) http.Handler {
	m := http.NewServeMux()
	if metrics != nil {
		m.Handle("GET /metrics", metrics)
	}
	m.Handle("GET /debug/vars", expvar.Handler())
	m.HandleFunc("GET /debug/pprof/", pprof.Index)
	m.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	m.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	m.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	m.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	m.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	return m
}
