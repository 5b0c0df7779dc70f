package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUnderstandingCorporaHybrid runs the understanding corpora's
// development splits (both languages) in rules and hybrid mode against the
// fake OpenAI-compatible model and prints the comparison; the frozen test
// splits are measured on their own, never beside rules being tuned. It
// takes a while, so it runs only with COLLECT_EVAL_CORPORA=1:
//
//	COLLECT_EVAL_CORPORA=1 go test -run TestUnderstandingCorporaHybrid -v ./cmd/collectagent/
//
// Hybrid mode asks the model only when the rules are unsure; the fake
// model answers with the rules' reading of the masked message, so the
// figures show what the model path keeps or loses (schedules, reasons,
// question topics) on its way through the checks.
func TestUnderstandingCorporaHybrid(t *testing.T) {
	if os.Getenv("COLLECT_EVAL_CORPORA") == "" {
		t.Skip("set COLLECT_EVAL_CORPORA=1 to run the understanding corpora in hybrid mode")
	}
	suites, err := filepath.Glob(filepath.Join("..", "..", "testdata", "eval", "understanding-*-dev*.yaml"))
	if err != nil || len(suites) == 0 {
		t.Fatalf("no development splits: %v", err)
	}
	f := newFakeModel(t, false)
	var out, errb bytes.Buffer
	args := append([]string{"--understanding", "rules,hybrid", "--llm-base-url", f.URL(), "--llm-model", "fake-model", "--threshold", "0"}, suites...)
	code := runEvalEnv(context.Background(), args, &out, &errb, envOf(map[string]string{"COLLECT_LLM_API_KEY": fakeLLMKey}))
	s := out.String()
	_, table, ok := strings.Cut(s, "understanding modes compared:\n")
	if !ok {
		t.Fatalf("exit %d, no comparison:\n%s\n%s", code, s, errb.String())
	}
	if f.count("understand") == 0 {
		t.Error("hybrid mode never asked the model")
	}
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(line, "understanding-") || strings.HasPrefix(line, "all suites") || strings.HasPrefix(line, "figures") ||
			strings.HasPrefix(line, "  en-US") || strings.HasPrefix(line, "  zh-CN") || strings.HasPrefix(line, "  all ") {
			t.Log(line)
		}
	}
	t.Log("\n" + table)
}
