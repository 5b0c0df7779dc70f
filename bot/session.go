package bot

import (
	"context"

	"github.com/collectagent/collectagent/store"
)

// Runtime creates and resumes conversations. It is safe for concurrent use;
// a Session is not: one goroutine (the transport's reader) owns it.
type Runtime struct {
	cfg  Config
	deps Deps
}

// NewRuntime checks cfg and deps and returns a runtime.
func NewRuntime(cfg Config, deps Deps) (*Runtime, error) {
	return &Runtime{cfg: cfg, deps: deps}, nil
}

// Begin creates a conversation for an account on a channel ("chat",
// "voice", "phone"). It fails with ErrNotFound for an unknown account and
// ErrNotAllowed when the borrower may not be contacted on that channel.
func (r *Runtime) Begin(ctx context.Context, accountID, channel string) (store.Conversation, error) {
	return store.Conversation{}, ErrNotImplemented
}

// Open loads a conversation so it can continue, on any node.
func (r *Runtime) Open(ctx context.Context, conversationID string) (*Session, error) {
	return nil, ErrNotImplemented
}

// Session is one conversation in progress. Not safe for concurrent use.
type Session struct {
	rt   *Runtime
	conv store.Conversation
}

// ID returns the conversation id.
func (s *Session) ID() string { return s.conv.ID }

// History returns every turn so far, borrower's included (From "borrower"),
// in order: a reconnecting client replays it.
func (s *Session) History(ctx context.Context) ([]Reply, error) {
	return nil, ErrNotImplemented
}

// Start opens a new conversation: the bot speaks first. On a conversation
// that already has turns it returns no replies, only the status.
func (s *Session) Start(ctx context.Context) (Output, error) {
	return Output{}, ErrNotImplemented
}

// Handle processes one borrower message and returns the replies, which are
// durable when Handle returns.
func (s *Session) Handle(ctx context.Context, m Message) (Output, error) {
	return Output{}, ErrNotImplemented
}

// Status returns the conversation's current status.
func (s *Session) Status() Status {
	return Status{Mode: s.conv.Mode, Stage: s.conv.Stage, Outcome: s.conv.OutcomeType}
}
