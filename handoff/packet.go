package handoff

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/collectagent/collectagent/handoff/packet"
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

// Packet is what an agent receives with a case; package packet owns it.
type Packet = packet.Packet

// Summary is the handoff note; package packet owns it.
type Summary = packet.Summary

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
	if err := checkPacket(p); err != nil {
		return Packet{}, err
	}
	return p, nil
}

func checkPacket(p Packet) error {
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
	if err := checkPacket(p); err != nil {
		return Packet{}, err
	}
	return p, nil
}
