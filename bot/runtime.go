package bot

import (
	"io/fs"
	"log/slog"
	"time"

	"github.com/collectagent/collectagent/clock"
	"github.com/collectagent/collectagent/dialog"
	"github.com/collectagent/collectagent/store"
)

// This file fixes the runtime's API that transports (web, later voice and
// phone) program against. Bodies are filled in by the runtime's author.

// Config is the runtime's configuration.
type Config struct {
	// DefaultPolicy applies to accounts without a portfolio, or whose
	// portfolio is not in Policies.
	DefaultPolicy dialog.Policy            `yaml:"default_policy"`
	Policies      map[string]dialog.Policy `yaml:"policies"`
	// CrisisResources maps a locale ("en-US", "zh-CN") to what the lender
	// gives a borrower in crisis (a crisis line, a website), said right
	// after the bot hands them to a person. Empty: none configured.
	CrisisResources map[string]string `yaml:"crisis_resources"`
	// SupportContact maps a locale to how a borrower reaches a person
	// (a phone number and hours), said when chat can no longer verify
	// them (too many failed identity answers). Empty: "contact our team
	// by phone".
	SupportContact map[string]string `yaml:"support_contact"`
}

// Deps are the runtime's collaborators, wired by cmd/collectagent.
type Deps struct {
	Store        store.Store
	Understander Understander
	Publisher    Publisher // may be nil
	// Events, when set, relays the outbox: a step's events are committed
	// with the step (store.TurnCommit.Events) and handed to Events once
	// the commit is durable, which publishes them off the reply's path.
	// Without it, Publisher publishes them before the reply, and one
	// whose publish fails is lost.
	Events EventRelay
	Clock  clock.Clock // nil means the system clock
	Logger *slog.Logger
	// Phraser, when set, may phrase acts in the borrower's tone; its words
	// pass PhraseAct's checks and the guard, else the template is sent.
	Phraser Phraser
	// Summarizer, when set, writes handoff summaries; without it they are
	// extractive (ExtractSummary).
	Summarizer Summarizer
	// Prompts is the conversation data (flow.json and templates/, the
	// shape of package prompts); nil means the embedded data. Data that
	// does not parse fails NewRuntime.
	Prompts fs.FS
}

// Message is one borrower message from a transport.
type Message struct {
	Text string
	// MessageID, when set, makes Handle idempotent: a message already
	// recorded is not processed twice (a client retrying after a reconnect).
	MessageID string
	// Voice, set by voice channels, is how the words were heard; it is
	// kept with the borrower's turn.
	Voice *VoiceInput
}

// VoiceInput describes a spoken (or keyed) borrower turn.
type VoiceInput struct {
	// Start and End bound the utterance (or the key presses).
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Confidence is the recogniser's, in [0, 1]; 0 for keys.
	Confidence float64 `json:"confidence"`
	// Keys is true when the borrower keyed the answer.
	Keys bool `json:"keys,omitempty"`
}

// Output is what one call produced: replies to deliver, in order, and the
// status after them.
type Output struct {
	Replies []Reply `json:"replies"`
	Status  Status  `json:"status"`
}
