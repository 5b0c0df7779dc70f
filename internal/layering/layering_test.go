package layering

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// module is this module's path; rules name packages relative to it.
const module = "github.com/collectagent/collectagent"

// Import path prefixes of the things a package may be kept away from.
var (
	// transports carry a conversation's bytes: HTTP, WebSocket, NATS,
	// WebRTC.
	transports = []string{"net/http", "github.com/gorilla/websocket", "github.com/nats-io/", "github.com/pion/"}
	// drivers are storage details.
	// (database/sql/driver alone is an interface package that uuid types
	// implement; it reaches no database.)
	drivers = []string{"database/sql$", "modernc.org/sqlite", "github.com/jackc/pgx", "github.com/pressly/goose"}
	// io is the standard library the dialog engine must not touch: it does
	// no I/O, reads no clock and starts no goroutines.
	noIO = []string{"net$", "net/http", "os", "io/fs", "time", "log", "math/rand", "sync"}
)

// rule is one row of the design table.
type rule struct {
	// pkg is a package relative to the module ("bot"); "x/..." is x and
	// every package below it.
	pkg string
	// may lists the module's packages pkg may import (same patterns);
	// "*" is any of them.
	may []string
	// ext lists import path prefixes outside the standard library and the
	// module that pkg may import; "*" is any.
	ext []string
	// deny lists import path prefixes pkg must not depend on, directly or
	// through anything it imports.
	deny []string
	// denyDirect lists import path prefixes pkg must not import itself
	// (what it imports may, as a NATS client pulls in net/http).
	denyDirect []string
}

func join(lists ...[]string) []string { return slices.Concat(lists...) }

// table is the design table (docs/architecture.md, "Packages and their
// arrows"): arrows point down only; dialog and compliance know nothing of
// networks; bot and live know no transport; transports know no storage
// details; only cmd wires everything.
var table = []rule{
	// Vocabulary and data: below everything.
	{pkg: "clock"},
	{pkg: "prompts"},
	{pkg: "logmask"},
	{pkg: "redact"},
	{pkg: "ratelimit"},
	{pkg: "internal/breaker", may: []string{"clock"}},
	{pkg: "internal/fielderr", ext: []string{"github.com/go-playground/validator/"}},
	{pkg: "compliance", ext: []string{"golang.org/x/text/"}, deny: join(transports, drivers)},
	{pkg: "compliance/internal/...", ext: []string{"*"}}, // table generator, run by go generate
	{pkg: "dialog", may: []string{"compliance"}, deny: join(transports, drivers), denyDirect: noIO},

	// Storage.
	{pkg: "store", deny: join(transports, drivers)},
	{pkg: "store/internal/...", may: []string{"store"}},
	{pkg: "store/sqlite", may: []string{"store", "store/internal/..."}, ext: []string{"modernc.org/sqlite", "github.com/pressly/goose/"}, deny: transports},
	{pkg: "store/postgres", may: []string{"store", "store/internal/..."}, ext: []string{"github.com/jackc/pgx/", "github.com/pressly/goose/"}, deny: transports},
	{pkg: "store/storetest", may: []string{"store"}},
	{pkg: "audit", may: []string{"compliance", "store"}, deny: join(transports, drivers)},
	{pkg: "accounts", may: []string{"compliance", "internal/fielderr", "store"}, ext: []string{"github.com/go-playground/validator/"}, deny: join(transports, drivers)},

	// The conversation runtime: no transport, no storage details.
	{pkg: "bot", may: []string{"audit", "bot/respond/...", "bot/understand", "clock", "compliance", "dialog", "handoff/packet", "logmask", "prompts", "redact", "store"}, deny: join(transports, drivers)},
	{pkg: "bot/understand", may: []string{"compliance", "dialog"}, deny: join(transports, drivers)},
	{pkg: "bot/respond/...", may: []string{"bot/respond/...", "compliance", "dialog", "prompts"}, deny: join(transports, drivers)},
	// The model client speaks HTTP to a model server, nothing else.
	{pkg: "bot/llm", may: []string{"bot", "bot/understand", "clock", "internal/breaker", "compliance", "dialog", "prompts"},
		ext: []string{"github.com/sashabaranov/go-openai", "github.com/go-playground/validator/"}, deny: join(transports[1:], drivers)},

	// The escalation packet: handoff's, in a package of its own so the
	// runtime can write one without NATS.
	{pkg: "handoff/packet", may: []string{"dialog"}, deny: join(transports, drivers)},

	// Handoff: NATS, the runtime's types, no HTTP, no WebSocket, no
	// storage details. (The embedded NATS server pulls in net/http for its
	// monitoring port, hence denyDirect.)
	{pkg: "handoff", may: []string{"handoff/packet", "bot", "clock", "internal/fielderr", "compliance", "dialog", "store"}, ext: []string{"github.com/nats-io/", "github.com/go-playground/validator/"},
		deny: join([]string{"github.com/gorilla/websocket", "github.com/pion/"}, drivers), denyDirect: []string{"net/http"}},
	{pkg: "handoff/...", may: []string{"handoff/...", "bot", "clock", "compliance", "dialog", "store"}, ext: []string{"github.com/nats-io/", "github.com/go-playground/validator/"},
		deny: join([]string{"github.com/gorilla/websocket", "github.com/pion/"}, drivers), denyDirect: []string{"net/http"}},

	// A borrower's live connection on any channel: the runtime and the
	// handoff below it, no transport of its own.
	{pkg: "live/...", may: []string{"live/...", "bot", "bot/understand", "clock", "compliance", "dialog", "handoff", "logmask", "ratelimit", "redact", "store"},
		deny: join([]string{"github.com/gorilla/websocket", "github.com/pion/"}, drivers), denyDirect: []string{"net/http"}},

	// Case events (SLA expiry offers a callback, requeue, failure) and the
	// requeuer: the runtime, the handoff and a NATS connection, no HTTP.
	{pkg: "casework", may: []string{"bot", "clock", "compliance", "dialog", "handoff", "handoff/packet", "live/...", "logmask", "store"}, ext: []string{"github.com/nats-io/"},
		deny: join([]string{"github.com/gorilla/websocket", "github.com/pion/"}, drivers), denyDirect: []string{"net/http"}},

	// Voice: codecs, speech, the call controller, WebRTC. No storage.
	{pkg: "telephony/...", may: []string{"telephony/...", "live/...", "bot", "bot/respond/...", "clock", "compliance", "dialog", "internal/breaker", "logmask", "prompts"}, ext: []string{"*"}, deny: drivers},

	// Retention: purges and erasure over the store, sealed on the audit
	// chain; no transport.
	// (telephony/record's speech providers pull in an HTTP client.)
	{pkg: "retention", may: []string{"audit", "bot", "clock", "compliance", "internal/fielderr", "store", "telephony/record"},
		deny: join(transports[1:], drivers), denyDirect: []string{"net/http"}},

	// Edges and tools above the runtime.
	{pkg: "web", may: []string{"accounts", "audit", "bot", "casework", "bot/respond/...", "bot/understand", "clock", "compliance", "dialog", "handoff", "internal/fielderr", "live/...", "logmask", "prompts", "ratelimit", "redact", "retention", "store", "telephony/..."}, ext: []string{"*"}, deny: drivers},
	{pkg: "eval", may: []string{"accounts", "bot", "bot/llm", "bot/respond/...", "bot/understand", "clock", "compliance", "dialog", "prompts", "store", "store/sqlite"}, ext: []string{"gopkg.in/yaml.v3"},
		deny: []string{"github.com/gorilla/websocket", "github.com/nats-io/", "github.com/pion/"}},
	// (A storage floor measures the database alone, hence its drivers.)
	{pkg: "loadgen", may: []string{"clock"}, ext: []string{"github.com/gorilla/websocket", "github.com/jackc/pgx/", "modernc.org/sqlite"}},
	{pkg: "metrics", may: []string{"bot/llm", "handoff", "store"}, ext: []string{"github.com/prometheus/", "github.com/nats-io/"}},

	// This test.
	{pkg: "internal/layering"},

	// The one binary wires everything.
	{pkg: "cmd/...", may: []string{"*"}, ext: []string{"*"}},
}

// pkg is what the test needs of `go list -json`.
type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
	Standard   bool
}

// violation is one broken rule.
type violation struct {
	pkg, imp, why string
}

func (v violation) String() string { return v.pkg + " -> " + v.imp + ": " + v.why }

// match reports whether a module-relative pattern matches rel.
func match(pattern, rel string) bool {
	if pattern == "*" {
		return true
	}
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return rel == base || strings.HasPrefix(rel, base+"/")
	}
	return rel == pattern
}

// hasPrefix reports whether path is prefix or below it; a prefix ending in
// "/" matches by plain prefix, one ending in "$" only itself.
func hasPrefix(path, prefix string) bool {
	if prefix == "*" {
		return true
	}
	if exact, ok := strings.CutSuffix(prefix, "$"); ok {
		return path == exact
	}
	if strings.HasSuffix(prefix, "/") {
		return strings.HasPrefix(path, prefix)
	}
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

func anyPrefix(path string, prefixes []string) bool {
	return slices.ContainsFunc(prefixes, func(p string) bool { return hasPrefix(path, p) })
}

// ruleFor returns the first row of rules naming rel.
func ruleFor(rules []rule, rel string) (rule, bool) {
	for _, r := range rules {
		if match(r.pkg, rel) {
			return r, true
		}
	}
	return rule{}, false
}

// std reports whether an import path is the standard library's: its first
// element has no dot.
func std(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

// check applies rules to the module's packages and returns every broken
// rule, including packages no row names.
func check(pkgs []pkg, rules []rule) []violation {
	var out []violation
	for _, p := range pkgs {
		rel, ok := strings.CutPrefix(p.ImportPath, module+"/")
		if !ok {
			continue
		}
		r, ok := ruleFor(rules, rel)
		if !ok {
			out = append(out, violation{rel, "", "no row in the layering table: add one"})
			continue
		}
		for _, imp := range p.Imports {
			switch irel, inModule := strings.CutPrefix(imp, module+"/"); {
			case inModule:
				if strings.HasPrefix(irel, "cmd/") && !strings.HasPrefix(rel, "cmd/") {
					out = append(out, violation{rel, irel, "only cmd wires; nothing imports it"})
				} else if !slices.ContainsFunc(r.may, func(m string) bool { return match(m, irel) }) && !match(r.pkg, irel) {
					out = append(out, violation{rel, irel, "not an arrow of the table"})
				}
			case !std(imp) && !anyPrefix(imp, r.ext):
				out = append(out, violation{rel, imp, "third-party import not allowed here"})
			}
			if anyPrefix(imp, r.denyDirect) {
				out = append(out, violation{rel, imp, "imported directly"})
			}
		}
		// One report per banned prefix: net/http brings a dozen packages.
		for _, banned := range r.deny {
			if i := slices.IndexFunc(p.Deps, func(dep string) bool { return hasPrefix(dep, banned) }); i >= 0 {
				out = append(out, violation{rel, p.Deps[i], "in its dependencies"})
			}
		}
	}
	return out
}

// goList returns the module's packages as `go list -json ./...` describes
// them (imports of non-test files only).
func goList(t *testing.T) []pkg {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command: %v", err)
	}
	cmd := exec.Command(goTool, "list", "-e", "-json=ImportPath,Imports,Deps,Standard", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	touchSources(t, goTool)
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found %d packages of %s; run the test inside the module", len(pkgs), module)
	}
	return pkgs
}

// touchSources reads the module's directories and stats its Go files, so
// the test cache (which cannot see inside the go command run above) knows
// the result depends on them: an import added anywhere reruns the test.
func touchSources(t *testing.T, goTool string) {
	t.Helper()
	out, err := exec.Command(goTool, "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if !d.IsDir() && (strings.HasSuffix(path, ".go") || d.Name() == "go.mod") {
			_, err := os.Stat(path)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", root, err)
	}
}

// TestLayering checks every package of the module against the table.
func TestLayering(t *testing.T) {
	for _, v := range check(goList(t), table) {
		t.Error(v)
	}
}

// TestLayeringCatchesViolations proves the test can fail: the real
// packages with a bad import added fail the real table. (By hand: add
// `import _ "net/http"` to any file of bot and run
// `go test ./internal/layering`.)
func TestLayeringCatchesViolations(t *testing.T) {
	real := goList(t)
	tests := []struct {
		name, pkg, imp string
		deps           []string
		want           string
	}{
		{"bot imports a transport", "bot", "github.com/gorilla/websocket", []string{"github.com/gorilla/websocket", "net/http"}, "bot -> net/http: in its dependencies"},
		{"bot imports net/http", "bot", "net/http", []string{"net/http"}, "bot -> net/http: in its dependencies"},
		{"dialog reads the clock", "dialog", "time", []string{"time"}, "dialog -> time: imported directly"},
		{"compliance reaches NATS", "compliance", module + "/handoff", []string{"github.com/nats-io/nats.go"}, "compliance -> handoff: not an arrow of the table"},
		{"handoff speaks HTTP", "handoff", "net/http", nil, "handoff -> net/http: imported directly"},
		{"live imports a WebSocket", "live", "github.com/gorilla/websocket", []string{"github.com/gorilla/websocket"}, "live -> github.com/gorilla/websocket: in its dependencies"},
		{"eval imports web", "eval", module + "/web", nil, "eval -> web: not an arrow of the table"},
		{"web imports cmd", "web", module + "/cmd/collectagent", nil, "web -> cmd/collectagent: only cmd wires; nothing imports it"},
		{"a package without a row", "newpkg", "fmt", nil, "newpkg -> : no row in the layering table"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkgs := slices.Clone(real)
			path := module + "/" + tt.pkg
			i := slices.IndexFunc(pkgs, func(p pkg) bool { return p.ImportPath == path })
			if i < 0 {
				pkgs = append(pkgs, pkg{ImportPath: path})
				i = len(pkgs) - 1
			}
			p := pkgs[i]
			p.Imports = append(slices.Clone(p.Imports), tt.imp)
			p.Deps = append(slices.Clone(p.Deps), tt.deps...)
			pkgs[i] = p
			var got []string
			for _, v := range check(pkgs, table) {
				got = append(got, v.String())
			}
			if !slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, tt.want) }) {
				t.Errorf("violations = %q, want one starting %q", got, tt.want)
			}
		})
	}
}

// TestTableNamesRealPackages keeps the table honest: every row names a
// package that exists (or a pattern that matches one), except rows kept
// for packages about to arrive (live, casework).
func TestTableNamesRealPackages(t *testing.T) {
	pkgs := goList(t)
	for _, r := range table {
		found := slices.ContainsFunc(pkgs, func(p pkg) bool {
			rel, ok := strings.CutPrefix(p.ImportPath, module+"/")
			return ok && match(r.pkg, rel)
		})
		if !found && r.pkg != "live/..." && r.pkg != "casework" {
			t.Errorf("row %q names no package", r.pkg)
		}
	}
}
