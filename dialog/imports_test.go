package dialog

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The engine stays pure: besides the standard library it may import only
// compliance (DESIGN.md, Layout). No prompts, no storage, no network.
func TestImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{"github.com/collectagent/collectagent/compliance": true}
	banned := []string{"net/http", "os", "io/fs", "time", "log", "log/slog", "math/rand", "math/rand/v2", "sync"}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.Contains(path, ".") && !allowed[path] {
				t.Errorf("%s imports %s", name, path)
			}
			for _, b := range banned {
				if path == b {
					t.Errorf("%s imports %s: the engine does no I/O and reads no clock", name, path)
				}
			}
		}
	}
}
