package handoff

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/collectagent/collectagent/dialog"
	"github.com/collectagent/collectagent/store"
)

// Case statuses: the handoff protocol's names for the store's escalation
// statuses, which own the spelling.
const (
	StatusInitiated = store.EscalationInitiated
	StatusQueued    = store.EscalationQueued
	StatusAccepted  = store.EscalationAccepted
	StatusCompleted = store.EscalationCompleted
	StatusFailed    = store.EscalationFailed
	StatusExpired   = store.EscalationExpired
)

// Resolutions of a completed case.
const (
	ResolutionClosed     = "closed"      // the agent ended the conversation
	ResolutionHandedBack = "handed_back" // the bot takes over again
)

// Packet is what an agent receives with a case: who, why, how far the bot
// got and what was already said. Its JSON field names are the ones the
// runtime writes into store.Escalation.Packet.
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
	// Stage is the dialog stage the bot stopped at (it resumes there on a
	// hand-back).
	Stage   string   `json:"stage,omitempty"`
	Summary *Summary `json:"summary,omitempty"`
	// TranscriptRef locates the full transcript (by default the API path
	// of the conversation).
	TranscriptRef string    `json:"transcript_ref,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
}

// Summary is the handoff note. Its JSON is the runtime's bot.Summary; a
// plain JSON string is read as the note's text.
type Summary struct {
	Reason      string   `json:"reason,omitempty"`
	Verified    bool     `json:"verified,omitempty"`
	Disclosures []string `json:"disclosures,omitempty"`
	Offers      []string `json:"offers,omitempty"`
	Situation   string   `json:"situation,omitempty"`
	Text        string   `json:"text"`
	Source      string   `json:"source,omitempty"`
}

// UnmarshalJSON reads a summary object or a bare string.
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

// maxPacketBytes bounds a packet read from the wire.
const maxPacketBytes = 256 << 10

// ParsePacket decodes a packet from the wire or the store. It accepts
// unknown fields (newer writers) and checks what the queue relies on.
func ParsePacket(b []byte) (Packet, error) {
	var p Packet
	if len(b) > maxPacketBytes {
		return p, fmt.Errorf("%w: packet of %d bytes", ErrInvalid, len(b))
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return Packet{}, fmt.Errorf("%w: packet: %w", ErrInvalid, err)
	}
	if err := p.check(); err != nil {
		return Packet{}, err
	}
	return p, nil
}

func (p Packet) check() error {
	if err := checkToken("escalation id", p.EscalationID); err != nil {
		return err
	}
	if err := checkToken("conversation id", p.ConversationID); err != nil {
		return err
	}
	if p.Priority < MinPriority || p.Priority > MaxPriority {
		return fmt.Errorf("%w: priority %d not in %d..%d", ErrInvalid, p.Priority, MinPriority, MaxPriority)
	}
	return nil
}

// PacketOf builds the packet of a stored escalation: the runtime's packet
// JSON when there is one, with the record's id, conversation, account,
// reason, priority and time filling what it lacks. A missing priority is
// DefaultPriority; one outside 1..5 is clamped into it.
func PacketOf(e store.Escalation) (Packet, error) {
	var p Packet
	if len(e.Packet) > 0 && !bytes.Equal(bytes.TrimSpace(e.Packet), []byte("null")) {
		if len(e.Packet) > maxPacketBytes {
			return p, fmt.Errorf("%w: packet of %d bytes", ErrInvalid, len(e.Packet))
		}
		if err := json.Unmarshal(e.Packet, &p); err != nil {
			return Packet{}, fmt.Errorf("%w: escalation %s packet: %w", ErrInvalid, e.ID, err)
		}
	}
	p.EscalationID = e.ID
	if p.ConversationID == "" {
		p.ConversationID = e.ConversationID
	}
	if p.AccountRef == "" {
		p.AccountRef = e.AccountID
	}
	if p.Reason == "" {
		p.Reason = e.Reason
	}
	if e.Priority != 0 {
		p.Priority = e.Priority
	}
	if p.Priority == 0 {
		p.Priority = DefaultPriority
	}
	p.Priority = min(max(p.Priority, MinPriority), MaxPriority)
	if p.CreatedAt.IsZero() {
		p.CreatedAt = e.CreatedAt
	}
	p.CreatedAt = p.CreatedAt.UTC()
	if p.TranscriptRef == "" && p.ConversationID != "" {
		p.TranscriptRef = "/v1/conversations/" + p.ConversationID
	}
	if err := p.check(); err != nil {
		return Packet{}, err
	}
	return p, nil
}
