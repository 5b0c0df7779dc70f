package web

import (
	"bytes"
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/gorilla/websocket"
)

// Every test server of this package (newEnv, newConsoleEnv, the bridge
// tests) answers through validated: each response to a documented route
// is checked against openapi.yaml (status, content type, body schema), and
// TestMain fails the package when a documented operation was never
// exercised. So the description cannot drift from the handlers.

var (
	specOnce   sync.Once
	specDoc    *openapi3.T
	specRouter routers.Router
	specErr    error
	covered    sync.Map // "METHOD /path" of operations answered
)

func loadSpec() (*openapi3.T, routers.Router, error) {
	specOnce.Do(func() {
		l := openapi3.NewLoader()
		doc, err := l.LoadFromData(OpenAPI())
		if err != nil {
			specErr = fmt.Errorf("load openapi.yaml: %w", err)
			return
		}
		if err := doc.Validate(context.Background()); err != nil {
			specErr = fmt.Errorf("openapi.yaml is not valid: %w", err)
			return
		}
		specDoc = doc
		// The console page is HTML: checked as text.
		openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.FileBodyDecoder)
		openapi3filter.RegisterBodyDecoder("audio/wav", openapi3filter.FileBodyDecoder)
		// Routes by path only: the test servers listen on any port.
		bare := *doc
		bare.Servers = nil
		specRouter, specErr = legacy.NewRouter(&bare)
	})
	return specDoc, specRouter, specErr
}

// documentedPath reports whether the spec is meant to describe path (the
// pages and their static files are not API).
func documentedPath(p string) bool {
	return strings.HasPrefix(p, "/v1/") || p == "/healthz" || p == "/readyz" || strings.HasPrefix(p, "/demo/") || p == "/agent"
}

func validated(t testing.TB, h http.Handler) http.Handler {
	_, router, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !documentedPath(r.URL.Path) {
			h.ServeHTTP(w, r)
			return
		}
		// The request body is the handler's alone (the body-limit tests
		// measure what it reads); response validation needs none.
		req := r.Clone(context.Background())
		req.Body = http.NoBody
		route, params, routeErr := router.FindRoute(req)
		if websocket.IsWebSocketUpgrade(r) {
			// A hijacked connection: the route is exercised, its frames
			// are in docs/api.md.
			if routeErr == nil {
				covered.Store(route.Method+" "+route.Path, true)
			}
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())

		if rec.Code == http.StatusMethodNotAllowed {
			// Any documented path answers another method with 405 and
			// Allow (docs/api.md, conventions); not per operation.
			return
		}
		if routeErr != nil {
			// An undocumented path or method must be refused.
			if rec.Code != http.StatusNotFound && rec.Code != http.StatusMethodNotAllowed {
				t.Errorf("openapi: %s %s answered %d but is not documented", r.Method, r.URL.Path, rec.Code)
			}
			return
		}
		in := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{
				Request: req, PathParams: params, Route: route,
				Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
			},
			Status:  rec.Code,
			Header:  rec.Header(),
			Body:    io.NopCloser(bytes.NewReader(rec.Body.Bytes())),
			Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
		}
		if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
			t.Errorf("openapi: %s %s -> %d does not match the description: %v\nbody: %.400s", r.Method, r.URL.Path, rec.Code, err, rec.Body.String())
			return
		}
		covered.Store(route.Method+" "+route.Path, true)
	})
}

func TestMain(m *testing.M) {
	code := m.Run()
	// Only a full run can claim coverage (-run selects a few tests).
	if code == 0 && !isFiltered() {
		if missing := uncovered(); len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "openapi: documented operations no test exercised:\n  %s\n", strings.Join(missing, "\n  "))
			code = 1
		}
	}
	os.Exit(code)
}

func isFiltered() bool {
	for _, a := range os.Args[1:] {
		if strings.HasPrefix(a, "-test.run") || strings.HasPrefix(a, "-test.skip") || a == "-test.short=true" {
			return true
		}
	}
	return testing.Short()
}

func uncovered() []string {
	doc, _, err := loadSpec()
	if err != nil {
		return []string{err.Error()}
	}
	var missing []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if _, ok := covered.Load(method + " " + path); !ok {
				missing = append(missing, method+" "+path)
			}
		}
	}
	sort.Strings(missing)
	return missing
}

// registeredRoutes reads the package's source for the method-qualified
// patterns it registers on the public mux ("GET /v1/accounts/{id}"),
// leaving out the admin listener's.
func registeredRoutes(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range af.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Name.Name == "AdminHandler" || fd.Body == nil {
				continue
			}
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || len(call.Args) == 0 {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok || (sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc") {
					return true
				}
				lit, ok := call.Args[0].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				pat, _ := strconv.Unquote(lit.Value)
				method, path, ok := strings.Cut(pat, " ")
				if ok && method == strings.ToUpper(method) {
					seen[method+" "+path] = true
				}
				return true
			})
		}
	}
	var out []string
	for r := range seen {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// TestOpenAPIDescribesEveryRoute: every route the server registers is in
// openapi.yaml, and the description names no route the server lacks.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	doc, _, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	registered := registeredRoutes(t)
	if len(registered) < 25 {
		t.Fatalf("found only %d routes in the source: %v", len(registered), registered)
	}
	for _, r := range registered {
		if !documented[r] {
			t.Errorf("%s is served but not in openapi.yaml", r)
		}
		delete(documented, r)
	}
	for r := range documented {
		t.Errorf("%s is in openapi.yaml but not served", r)
	}
}

// TestOpenAPIServed: the binary serves its own description.
func TestOpenAPIServed(t *testing.T) {
	e := newEnv(t, nil)
	res, err := e.ts.Client().Get(e.ts.URL + "/v1/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/yaml") || !bytes.Equal(b, OpenAPI()) {
		t.Fatalf("GET /v1/openapi.yaml: %d %s, %d bytes", res.StatusCode, res.Header.Get("Content-Type"), len(b))
	}
	if _, err := openapi3.NewLoader().LoadFromData(b); err != nil {
		t.Fatal(err)
	}
}

// TestConsoleRenewAndRelease: an agent's claim is renewed (the lease
// moves on) and the case released back to the queue, keeping its place.
func TestConsoleRenewAndRelease(t *testing.T) {
	e := newConsoleEnv(t)
	_, _, caseID, ann := e.claimed("acct-renew")
	var renewed caseView
	e.clock.Advance(5 * time.Second)
	e.mustCall("POST", "/v1/agent/cases/"+caseID+"/renew", ann, nil, http.StatusOK, &renewed)
	if renewed.Status != "accepted" || renewed.AgentID != "ann" || renewed.LeaseUntil == "" {
		t.Fatalf("renewed case %+v", renewed)
	}
	var released caseView
	e.mustCall("POST", "/v1/agent/cases/"+caseID+"/release", ann, nil, http.StatusOK, &released)
	if released.Status != "queued" || released.AgentID != "" {
		t.Fatalf("released case %+v", released)
	}
	// The agent no longer holds it.
	if code, _ := e.call("POST", "/v1/agent/cases/"+caseID+"/renew", ann, nil); code != http.StatusForbidden && code != http.StatusConflict {
		t.Errorf("renew after release: %d, want a refusal", code)
	}
}
