package prompts

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sync"
)

// The language-model prompts, schemas and cue lists, embedded from llm/.
// They are versioned as a whole by LLMVersion, which the runtime records
// with every model call so a conversation can be replayed with the exact
// prompts it was held with.

//go:embed llm/*.txt llm/*.json
var llmFiles embed.FS

// Names of the files under llm/.
const (
	LLMUnderstandSystem = "understand.system.txt" // system prompt for understanding
	LLMPhraseSystem     = "phrase.system.txt"     // system prompt for phrasing an act
	LLMSummarizeSystem  = "summarize.system.txt"  // system prompt for handoff summaries
	LLMParseSchema      = "parse.schema.json"     // JSON schema of a parse (function parameters)
	LLMSummarySchema    = "summary.schema.json"   // JSON schema of a summary
	LLMSituationCues    = "situation_cues.json"   // cue words of the extractive summary
	LLMClaims           = "claims.json"           // claims phrased text may make only if the template does
)

// ErrUnknownPrompt is returned for a file that is not under llm/.
var ErrUnknownPrompt = errors.New("prompts: unknown llm prompt")

var (
	llmVersionOnce sync.Once
	llmVersion     string
)

// LLMFile returns one embedded file of llm/ (a copy).
func LLMFile(name string) ([]byte, error) {
	b, err := llmFiles.ReadFile(path.Join("llm", name))
	if err != nil {
		return nil, fmt.Errorf("llm prompt %q: %w", name, ErrUnknownPrompt)
	}
	return b, nil
}

// LLMVersion identifies the embedded prompts and schemas: "llm-" and the
// first 12 hex digits of a SHA-256 over every file's name and content.
// Any edit to a prompt changes it.
func LLMVersion() string {
	llmVersionOnce.Do(func() {
		h := sha256.New()
		names, err := fs.Glob(llmFiles, "llm/*")
		if err != nil {
			panic("prompts: llm files: " + err.Error())
		}
		slices.Sort(names)
		for _, n := range names {
			b, err := llmFiles.ReadFile(n)
			if err != nil {
				panic("prompts: llm files: " + err.Error())
			}
			fmt.Fprintf(h, "%s\x00%d\x00", n, len(b))
			h.Write(b)
		}
		llmVersion = "llm-" + hex.EncodeToString(h.Sum(nil))[:12]
	})
	return llmVersion
}
