// Package packet is the escalation packet: what an agent receives with a
// case (who, why, how far the bot got, what was said). The runtime writes
// it into store.Escalation.Packet, the handoff queue reads and carries it,
// the console shows it: one type for all of them.
//
// It belongs to handoff but is a package of its own, so the runtime can
// write a packet without importing NATS. It must not know transports or
// the runtime's internals.
package packet

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/collectagent/collectagent/dialog"
)

// Packet is an escalation's packet. Fields the runtime does not know yet
// (the escalation id, the transcript reference) are filled by handoff when
// it queues the case.
type Packet struct {
	EscalationID   string `json:"escalation_id,omitempty"`
	ConversationID string `json:"conversation_id"`
	// AccountRef is the lender's account id (not the borrower's name).
	AccountRef string `json:"account_ref"`
	// Reason is the escalation reason code ("human_requested", "dispute",
	// "hardship", ...).
	Reason   string `json:"reason"`
	Priority int    `json:"priority"`
	Locale   string `json:"locale"`
	Channel  string `json:"channel"`
	// Verified is the right-party verification status.
	Verified bool `json:"verified"`
	// Disclosures are the disclosures already delivered, in order.
	Disclosures []dialog.ActKind `json:"disclosures,omitempty"`
	// Offers are the concrete proposals the bot made or read back.
	Offers []dialog.Proposal `json:"offers,omitempty"`
	// LateReason is the borrower's stated reason for lateness.
	LateReason string `json:"late_reason,omitempty"`
	// Stage is the dialog stage the bot stopped at (it resumes there on a
	// hand-back).
	Stage   string   `json:"stage,omitempty"`
	Summary *Summary `json:"summary,omitempty"`
	// TranscriptRef locates the full transcript (by default the API path
	// of the conversation).
	TranscriptRef string    `json:"transcript_ref,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	// Callback is the callback offered when no agent came in time, and
	// CallbackDone how an agent finished it: the runtime's records
	// (bot.Callback, bot.CallbackDone), carried as it wrote them.
	Callback     json.RawMessage `json:"callback,omitempty"`
	CallbackDone json.RawMessage `json:"callback_done,omitempty"`
}

// Summary is the handoff note: extracted from the conversation or written
// by a model.
type Summary struct {
	Reason      string   `json:"reason"`
	Verified    bool     `json:"verified"`
	Disclosures []string `json:"disclosures"`
	Offers      []string `json:"offers"`
	// Situation is what the borrower said about their situation.
	Situation string `json:"situation"`
	// Text is the whole note, for display.
	Text   string `json:"text"`
	Source string `json:"source"` // "model" or "extractive"
	// Model and PromptVersion identify a model-written summary.
	Model         string `json:"model,omitempty"`
	PromptVersion string `json:"prompt_version,omitempty"`
}

// UnmarshalJSON reads a summary object or a bare string (the note's text,
// as older packets hold it).
func (s *Summary) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var t string
		if err := json.Unmarshal(b, &t); err != nil {
			return err
		}
		*s = Summary{Text: t}
		return nil
	}
	type plain Summary
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*s = Summary(p)
	return nil
}
