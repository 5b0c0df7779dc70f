package handoff

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Side is one direction of a conversation's bridge, named for who speaks
// on it.
type Side string

// Sides of the bridge.
const (
	// SideBorrower carries the borrower's messages, to the agent.
	SideBorrower Side = "borrower"
	// SideAgent carries the agent's messages and the handoff's status
	// changes, to the borrower's node.
	SideAgent Side = "agent"
	// SideBoth is both, for a console or a supervisor that shows the
	// whole conversation (subscriptions only).
	SideBoth Side = "*"
)

// Message kinds.
const (
	TypeMessage = "message" // a line of text
	TypeStatus  = "status"  // a handoff status change
)

// Message is one bridge message.
type Message struct {
	// ID makes delivery idempotent: JetStream drops a republish within the
	// dedupe window, and a Subscription never hands the same id twice.
	// Send fills an empty ID.
	ID             string `json:"id"`
	ConversationID string `json:"conversation_id"`
	Type           string `json:"type"` // "message" or "status"
	// From is "borrower", "agent", "bot" or "system".
	From string `json:"from"`
	Name string `json:"name,omitempty"`
	Text string `json:"text,omitempty"`
	// Mode is the borrower's mode after a status change: "waiting_agent",
	// "agent", "bot" or "ended".
	Mode string `json:"mode,omitempty"`
	// Event is the lifecycle event behind a status change
	// (EventAccepted...).
	Event        string    `json:"event,omitempty"`
	EscalationID string    `json:"escalation_id,omitempty"`
	At           time.Time `json:"at"`
	// Seq is the message's stream sequence, set on delivery: a console
	// that reconnects resumes FromSeq(last Seq + 1).
	Seq uint64 `json:"seq,omitempty"`
}

// MaxTextBytes bounds a bridge message's text.
const MaxTextBytes = 8 << 10

// maxMessageBytes bounds a bridge message read from the wire.
const maxMessageBytes = 64 << 10

func (m Message) check() error {
	if err := checkToken("conversation id", m.ConversationID); err != nil {
		return err
	}
	if err := checkToken("message id", m.ID); err != nil {
		return err
	}
	switch m.Type {
	case TypeMessage:
		if m.Text == "" {
			return fmt.Errorf("%w: empty message", ErrInvalid)
		}
	case TypeStatus:
	default:
		return fmt.Errorf("%w: message type %q", ErrInvalid, m.Type)
	}
	if len(m.Text) > MaxTextBytes || !utf8.ValidString(m.Text) || !utf8.ValidString(m.Name) {
		return fmt.Errorf("%w: message text too long or not UTF-8", ErrInvalid)
	}
	return nil
}

// DecodeMessage reads a bridge message from the wire.
func DecodeMessage(b []byte) (Message, error) {
	var m Message
	if len(b) > maxMessageBytes {
		return m, fmt.Errorf("%w: message of %d bytes", ErrInvalid, len(b))
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return Message{}, fmt.Errorf("%w: message: %w", ErrInvalid, err)
	}
	if err := m.check(); err != nil {
		return Message{}, err
	}
	return m, nil
}

// Bridge carries messages between the node holding a borrower's
// connection and an agent's console, through the conversation stream.
type Bridge struct{ n *Node }

// Bridge returns the node's bridge.
func (n *Node) Bridge() *Bridge { return &Bridge{n: n} }

// SendToAgent publishes a borrower's message on <prefix>.conv.<id>.borrower
// and returns it as stored (ID, time and sequence filled).
func (b *Bridge) SendToAgent(ctx context.Context, convID string, m Message) (Message, error) {
	if m.From == "" {
		m.From = "borrower"
	}
	return b.send(ctx, convID, SideBorrower, m)
}

// SendToBorrower publishes an agent's message (or a status change) on
// <prefix>.conv.<id>.agent and returns it as stored.
func (b *Bridge) SendToBorrower(ctx context.Context, convID string, m Message) (Message, error) {
	if m.From == "" {
		m.From = "agent"
	}
	return b.send(ctx, convID, SideAgent, m)
}

func (b *Bridge) send(ctx context.Context, convID string, side Side, m Message) (Message, error) {
	m.ConversationID = convID
	if m.Type == "" {
		m.Type = TypeMessage
	}
	if m.ID == "" {
		m.ID = newID("m")
	}
	if m.At.IsZero() {
		m.At = b.n.clock.Now().UTC()
	}
	m.Seq = 0
	if err := m.check(); err != nil {
		return Message{}, err
	}
	body, err := json.Marshal(m)
	if err != nil {
		return Message{}, fmt.Errorf("%w: message: %w", ErrInvalid, err)
	}
	nm := &nats.Msg{Subject: b.n.names.convSubject(convID, side), Data: body}
	ack, err := b.n.js.PublishMsg(ctx, nm, jetstream.WithMsgID(m.ID))
	if err != nil {
		return Message{}, fmt.Errorf("%w: bridge %s: %w", ErrPublish, side, err)
	}
	m.Seq = ack.Sequence
	return m, nil
}

// From says where a subscription starts.
type From struct {
	seq  uint64
	at   time.Time
	only bool // new messages only
}

// FromStart replays everything the stream still holds (BridgeMaxAge).
func FromStart() From { return From{} }

// FromSeq replays from a stream sequence on: a console that saw Seq n
// resumes FromSeq(n+1).
func FromSeq(seq uint64) From { return From{seq: seq} }

// FromTime replays messages stored at or after t.
func FromTime(t time.Time) From { return From{at: t} }

// FromNow delivers only messages published after the subscription starts.
func FromNow() From { return From{only: true} }

// Subscription delivers a conversation's bridge messages in order.
type Subscription struct {
	cc   jetstream.ConsumeContext
	once sync.Once

	mu   sync.Mutex
	seen map[string]struct{}
	ring []string
	next int
	last uint64
}

// dedupeMemory is how many message ids a subscription remembers.
const dedupeMemory = 4096

// Subscribe delivers one side of a conversation (or SideBoth) to fn,
// starting where from says, in stream order, each message id at most
// once per subscription, reconnects and consumer resets included. fn runs
// on one goroutine per subscription and must not block for long: post to
// the caller's own queue. Stop the subscription with Stop.
func (b *Bridge) Subscribe(ctx context.Context, convID string, side Side, from From, fn func(Message)) (*Subscription, error) {
	if err := checkToken("conversation id", convID); err != nil {
		return nil, err
	}
	switch side {
	case SideBorrower, SideAgent, SideBoth:
	default:
		return nil, fmt.Errorf("%w: side %q", ErrInvalid, side)
	}
	if b.n.isClosed() {
		return nil, ErrClosed
	}
	oc := jetstream.OrderedConsumerConfig{
		FilterSubjects:    []string{b.n.names.convSubject(convID, side)},
		InactiveThreshold: 30 * time.Second,
	}
	switch {
	case from.only:
		oc.DeliverPolicy = jetstream.DeliverNewPolicy
	case from.seq > 0:
		oc.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
		oc.OptStartSeq = from.seq
	case !from.at.IsZero():
		oc.DeliverPolicy = jetstream.DeliverByStartTimePolicy
		t := from.at
		oc.OptStartTime = &t
	default:
		oc.DeliverPolicy = jetstream.DeliverAllPolicy
	}
	cons, err := b.n.js.OrderedConsumer(ctx, b.n.names.conv, oc)
	if err != nil {
		return nil, fmt.Errorf("%w: subscribe %s: %w", ErrStream, side, err)
	}
	s := &Subscription{seen: make(map[string]struct{}, 64), ring: make([]string, dedupeMemory)}
	log := b.n.log
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		m, err := DecodeMessage(msg.Data())
		if err != nil {
			log.Warn("bridge message dropped", "err", err)
			return
		}
		if md, err := msg.Metadata(); err == nil {
			m.Seq = md.Sequence.Stream
		}
		if !s.first(m) {
			return
		}
		fn(m)
	}, jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		if !errors.Is(err, jetstream.ErrNoHeartbeat) {
			log.Debug("bridge consume", "err", err)
		}
	}))
	if err != nil {
		return nil, fmt.Errorf("%w: subscribe %s: %w", ErrStream, side, err)
	}
	s.cc = cc
	return s, nil
}

// first records a delivery and reports whether its id is new.
func (s *Subscription) first(m Message) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.seen[m.ID]; dup {
		return false
	}
	if old := s.ring[s.next]; old != "" {
		delete(s.seen, old)
	}
	s.ring[s.next] = m.ID
	s.next = (s.next + 1) % len(s.ring)
	s.seen[m.ID] = struct{}{}
	s.last = max(s.last, m.Seq)
	return true
}

// LastSeq is the highest stream sequence delivered so far.
func (s *Subscription) LastSeq() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// Stop ends the subscription and waits (bounded) until fn is no longer
// called. Idempotent; not to be called from inside fn.
func (s *Subscription) Stop() {
	s.once.Do(func() {
		s.cc.Stop()
		select {
		case <-s.cc.Closed():
		case <-time.After(opTimeout):
		}
	})
}

func newID(prefix string) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])
}
