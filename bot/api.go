package bot

import (
	"context"

	"github.com/collectagent/collectagent/bot/understand"
	"github.com/collectagent/collectagent/dialog"
	"github.com/collectagent/collectagent/store"
)

// Understander turns a message into a parse (rules, a model, or both).
type Understander interface {
	Understand(ctx context.Context, req understand.Request) (dialog.Parse, error)
}

// Publisher tells the outside world about escalations and lifecycle events
// (NATS in production). A nil Publisher publishes nothing; the store remains
// the record either way.
type Publisher interface {
	PublishEscalation(ctx context.Context, e store.Escalation) error
	PublishEvent(ctx context.Context, kind string, data any) error
}

// EventRelay publishes committed outbox events (NATS in production). It
// must not block: the caller is about to reply to a borrower, and the
// events are in the store whatever the relay does with them.
type EventRelay interface {
	Committed(events []store.Event)
}

// Reply is one message the transport must deliver.
type Reply struct {
	From string `json:"from"` // "bot", "agent", "system"
	Name string `json:"name,omitempty"`
	Text string `json:"text"`
	Seq  int64  `json:"seq"`
	// Act is the act a bot reply says ("" for anything else); Disclosure
	// marks a required disclosure (the AI and recording notices, the
	// mini-Miranda), which a voice channel plays in full. Neither goes on
	// the wire: they are for the channel in this process.
	Act        string `json:"-"`
	Disclosure bool   `json:"-"`
	// Link is a payment link the words promise to send: on a spoken
	// channel it is never read out, and the channel delivers it by text
	// (on the app's screen, or as an SMS).
	Link string `json:"-"`
}

// Status is the conversation's state as the borrower's client sees it.
type Status struct {
	Mode    string `json:"mode"` // "bot", "waiting_agent", "agent", "ended"
	Stage   string `json:"stage"`
	Outcome string `json:"outcome,omitempty"`
}
