package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Frame types.
const (
	FrameMessage = "message"
	FrameStatus  = "status"
	FrameError   = "error"
)

// ClientFrame is what a chat client sends:
// {"type":"message","text":"...","id":"optional client message id"}.
type ClientFrame struct {
	Type string `json:"type"`
	Text string `json:"text"`
	// ID, when set, makes the message idempotent across reconnects.
	ID string `json:"id,omitempty"`
}

// MessageFrame carries one utterance to the client. Replayed history uses
// the same frame, From "borrower" for the borrower's own lines.
type MessageFrame struct {
	Type string `json:"type"` // "message"
	From string `json:"from"` // "bot", "agent", "system", "borrower"
	Name string `json:"name,omitempty"`
	Text string `json:"text"`
	Seq  int64  `json:"seq"`
}

// StatusFrame tells the client where the conversation stands.
type StatusFrame struct {
	Type    string `json:"type"` // "status"
	Mode    string `json:"mode"` // "bot", "waiting_agent", "agent", "ended"
	Stage   string `json:"stage"`
	Outcome string `json:"outcome,omitempty"`
}

// ErrorFrame reports a problem with one client frame; the conversation
// continues unless the server closes the connection.
type ErrorFrame struct {
	Type    string `json:"type"` // "error"
	Code    string `json:"code"`
	Message string `json:"message"`
	// ID echoes the client message id the error is about, when known.
	ID string `json:"id,omitempty"`
}

// ParseClientFrame decodes one client frame. It fails with ErrBadFrame for
// anything that is not a JSON object with a string type, and ErrUnknownType
// for a type other than "message".
func ParseClientFrame(b []byte) (ClientFrame, error) {
	var f ClientFrame
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return ClientFrame{}, fmt.Errorf("%w: not a JSON object", ErrBadFrame)
	}
	if !utf8.Valid(b) {
		return ClientFrame{}, ErrFrameText
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return ClientFrame{}, fmt.Errorf("%w: %s", ErrBadFrame, jsonErrText(err))
	}
	if !goodText(f.Text) || !goodText(f.ID) || !goodText(f.Type) {
		return f, ErrFrameText
	}
	switch f.Type {
	case "":
		return ClientFrame{}, fmt.Errorf("%w: no type", ErrBadFrame)
	case FrameMessage:
		return f, nil
	default:
		return f, fmt.Errorf("%w: %q", ErrUnknownType, f.Type)
	}
}

// HandoffStatusFrame is the status frame of a conversation in the handoff:
// StatusFrame's fields plus, while the borrower waits for a person, their
// place in the queue (1 is next).
type HandoffStatusFrame struct {
	Type          string `json:"type"` // "status"
	Mode          string `json:"mode"` // "bot", "waiting_agent", "agent", "ended"
	Stage         string `json:"stage"`
	Outcome       string `json:"outcome,omitempty"`
	QueuePosition int    `json:"queue_position,omitempty"`
}
