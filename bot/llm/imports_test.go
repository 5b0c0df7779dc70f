package llm

import (
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// The package knows nothing of storage, transports or the wiring above
// it; it may use the runtime's types, the engine's, compliance, prompts
// and the OpenAI client.
func TestImports(t *testing.T) {
	allowed := map[string]bool{
		"github.com/collectagent/collectagent/bot":            true,
		"github.com/collectagent/collectagent/bot/understand": true,
		"github.com/collectagent/collectagent/compliance":     true,
		"github.com/collectagent/collectagent/dialog":         true,
		"github.com/collectagent/collectagent/prompts":        true,
		"github.com/sashabaranov/go-openai":                   true,
		"github.com/go-playground/validator/v10":              true,
	}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.Contains(path, ".") && !allowed[path] {
				t.Errorf("%s imports %s", name, path)
			}
		}
	}
}
