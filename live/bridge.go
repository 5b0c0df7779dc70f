package live

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/handoff"
	"github.com/collectagent/collectagent/store"
)

// bridgePublishTimeout bounds one publish on the bridge, so a NATS outage
// stalls no connection for long.
const bridgePublishTimeout = 3 * time.Second

// A link that cannot subscribe (NATS unreachable) retries with a backoff
// between these bounds.
const (
	linkRetryMin = 200 * time.Millisecond
	linkRetryMax = 5 * time.Second
)

// BridgeDeps are a Bridge's collaborators.
type BridgeDeps struct {
	Node *handoff.Node
	// Queue gives queue positions; nil leaves them out.
	Queue  *handoff.Queue
	Store  store.Store
	Logger *slog.Logger // nil discards
}

// Bridge connects borrowers' live connections to the handoff: the node
// holding a borrower's connection receives what agents (on any node)
// send, and forwards the borrower's messages to them. It is safe for
// concurrent use.
type Bridge struct {
	node  *handoff.Node
	br    *handoff.Bridge
	queue *handoff.Queue
	store store.Store
	log   *slog.Logger
}

// NewBridge returns a bridge over a handoff node.
func NewBridge(d BridgeDeps) (*Bridge, error) {
	if d.Node == nil || d.Store == nil {
		return nil, fmt.Errorf("%w: node and store are required", ErrNoBridge)
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &Bridge{node: d.Node, br: d.Node.Bridge(), queue: d.Queue, store: d.Store, log: d.Logger}, nil
}

// Node is the handoff node the bridge runs on.
func (b *Bridge) Node() *handoff.Node { return b.node }

// Queue is the escalation queue; nil when positions are left out.
func (b *Bridge) Queue() *handoff.Queue { return b.queue }

// Connected reports whether the node is connected to NATS right now.
func (b *Bridge) Connected() bool {
	nc := b.node.Conn()
	return nc != nil && nc.IsConnected()
}

// Deliver sends the result of an agent operation to the borrower, on
// whichever node holds the borrower's connection. Call it after every
// bot.Session operation run for an agent (Join, AgentSay, AgentRecord,
// HandBack, AgentClose) and after OfferCallback, with the Output it
// returned: each reply is published on <prefix>.conv.<convID>.agent as a
// message (From "agent", "bot" or "system", the agent's Name, the Text),
// then the status (Output.Status.Mode).
//
// It is idempotent: each reply's message id is derived from the
// conversation and the reply's turn sequence, so delivering the same
// Output again (a retry after an error) stores nothing new within the
// stream's dedupe window, and the borrower's connection never shows a
// turn twice. The replies are already durable in the store: when Deliver
// fails, the borrower still sees them on reconnecting. It fails at once,
// with an error wrapping handoff.ErrPublish, while NATS is unreachable
// (and after at most a few seconds when JetStream does not answer).
// An empty Output.Status.Mode sends the replies only.
func (b *Bridge) Deliver(ctx context.Context, convID string, out bot.Output) error {
	if !b.Connected() {
		return fmt.Errorf("deliver to borrower of %s: %w: not connected", convID, handoff.ErrPublish)
	}
	var last int64
	for _, r := range out.Replies {
		m := handoff.Message{
			ID: handoff.ReplyID(convID, r.Seq), Type: handoff.TypeMessage, From: r.From, Name: r.Name, Text: r.Text,
		}
		if err := b.send(ctx, convID, m); err != nil {
			return err
		}
		last = max(last, r.Seq)
	}
	if out.Status.Mode == "" {
		return nil
	}
	st := handoff.Message{Type: handoff.TypeStatus, From: bot.FromSystem, Mode: out.Status.Mode}
	if last > 0 {
		st.ID = handoff.StatusID(convID, last, out.Status.Mode)
	}
	return b.send(ctx, convID, st)
}

func (b *Bridge) send(ctx context.Context, convID string, m handoff.Message) error {
	ctx, cancel := context.WithTimeout(ctx, bridgePublishTimeout)
	defer cancel()
	if _, err := b.br.SendToBorrower(ctx, convID, m); err != nil {
		return fmt.Errorf("deliver to borrower of %s: %w", convID, err)
	}
	return nil
}

// link is a borrower connection's end of the bridge. Bridge callbacks
// (the subscription, queue changes) and the reader's forwarded messages
// are posted to one goroutine (loop), which writes frames through the
// connection's serialised writer and never touches the bot.Session: it
// marks the session stale instead, and the reader reloads it before the
// next turn.
type link struct {
	b      *Bridge
	c      *Conn
	convID string
	log    *slog.Logger

	in   chan handoff.Message // from the subscription
	out  chan handoff.Message // the borrower's messages, to the agent
	poke chan struct{}        // re-read the status (after a turn)
	done chan struct{}
	wg   sync.WaitGroup

	// Owned by loop.
	escID string // the escalation being waited on
}

// startLink starts the connection's end of the bridge. The subscription is
// made (and, while NATS is unreachable, retried) by the link's goroutine,
// so a broker outage never holds up the borrower's turns.
func (b *Bridge) startLink(ctx context.Context, c *Conn, convID string) *link {
	l := &link{
		b: b, c: c, convID: convID, log: c.log,
		in: make(chan handoff.Message, 64), out: make(chan handoff.Message, 64),
		poke: make(chan struct{}, 1), done: make(chan struct{}),
	}
	var changes <-chan struct{}
	stopChanges := func() {}
	if b.queue != nil {
		changes, stopChanges = b.queue.Changes()
	}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		defer stopChanges()
		l.loop(ctx, changes)
	}()
	l.kick()
	return l
}

// subscribe follows the conversation's agent side, replayed from the
// start: turns already shown are dropped by sequence, and every status is
// re-read from the store, so a stale one changes nothing.
func (l *link) subscribe(ctx context.Context) (*handoff.Subscription, error) {
	if !l.b.Connected() {
		return nil, fmt.Errorf("bridge subscribe: %w", handoff.ErrConnect)
	}
	ctx, cancel := context.WithTimeout(ctx, bridgePublishTimeout)
	defer cancel()
	sub, err := l.b.br.Subscribe(ctx, l.convID, handoff.SideAgent, handoff.FromStart(), func(m handoff.Message) {
		select {
		case l.in <- m:
		case <-l.done:
		}
	})
	if err != nil {
		return nil, fmt.Errorf("bridge subscribe: %w", err)
	}
	return sub, nil
}

// stop ends the link and waits for its goroutine.
func (l *link) stop() {
	select {
	case <-l.done:
	default:
		close(l.done)
	}
	l.wg.Wait()
}

// kick asks the loop to re-read the conversation's status.
func (l *link) kick() {
	select {
	case l.poke <- struct{}{}:
	default:
	}
}

// forward queues a borrower's message for the agent. It never blocks the
// reader: when the queue is full (NATS unreachable for a while), the
// message is left to the transcript, where the console reads it too.
func (l *link) forward(m handoff.Message) {
	select {
	case l.out <- m:
	default:
		l.log.Warn("forward to agent dropped: bridge backlog full")
	}
}

func (l *link) loop(ctx context.Context, changes <-chan struct{}) {
	var (
		sub   *handoff.Subscription
		retry <-chan time.Time
		wait  = linkRetryMin
	)
	defer func() {
		if sub != nil {
			sub.Stop()
		}
	}()
	try := func() {
		s, err := l.subscribe(ctx)
		if err != nil {
			l.log.Debug("handoff link: subscribe failed; retrying", "err", err, "in", wait)
			retry = time.After(wait)
			wait = min(2*wait, linkRetryMax)
			return
		}
		sub, retry = s, nil
		l.refresh(ctx)
	}
	try()
	for {
		select {
		case <-l.done:
			return
		case <-retry:
			try()
		case m := <-l.in:
			l.receive(ctx, m)
		case m := <-l.out:
			pctx, cancel := context.WithTimeout(ctx, bridgePublishTimeout)
			if _, err := l.b.br.SendToAgent(pctx, l.convID, m); err != nil {
				// The message is in the store: the console shows it from
				// the transcript.
				l.log.Warn("forward to agent failed", "err", err)
			}
			cancel()
		case <-l.poke:
			l.refresh(ctx)
		case <-changes:
			l.requeued(ctx)
		}
	}
}

// receive handles one message from the agent side.
func (l *link) receive(ctx context.Context, m handoff.Message) {
	switch m.Type {
	case handoff.TypeMessage:
		// Words from NATS never reach the borrower as they came: anyone
		// who can publish on the server could write them. A message only
		// says that a turn was committed; refresh shows the conversation's
		// turns read back from the store, where every agent's line was
		// guarded and audited by the node that accepted it. A message
		// naming no stored turn shows nothing.
		l.c.stale.Store(true)
		l.refresh(ctx)
	case handoff.TypeStatus:
		l.c.stale.Store(true)
		l.refresh(ctx)
	}
}

// refresh re-reads the conversation's status from the store (the record,
// whatever the order of NATS messages) and shows it when it changed,
// with the queue position while waiting.
func (l *link) refresh(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, bridgePublishTimeout)
	defer cancel()
	// Turns first, then the status: a status read from the store may be
	// ahead of the bridge messages still on their way (an agent's closing
	// notice, say), and the borrower must see every turn before the end.
	// A commit writes a conversation's turns and header together, so
	// turns read between two equal versions belong to that version.
	var (
		conv  store.Conversation
		turns []store.Turn
	)
	for try := 0; ; try++ {
		c, err := l.b.store.GetConversation(ctx, l.convID)
		if err != nil {
			l.log.Warn("bridge: read conversation", "err", err)
			return
		}
		ts, err := l.b.store.ListTurns(ctx, l.convID)
		if err != nil {
			l.log.Warn("bridge: read turns", "err", err)
			return
		}
		again, err := l.b.store.GetConversation(ctx, l.convID)
		if err != nil {
			l.log.Warn("bridge: read conversation", "err", err)
			return
		}
		conv, turns = again, ts
		if again.Version == c.Version || try == 3 {
			break
		}
	}
	for _, t := range turns {
		if t.From == bot.FromBorrower {
			continue
		}
		id := handoff.ReplyID(l.convID, t.Seq)
		_ = l.c.showMessage(Message{ID: id, Seq: t.Seq, From: t.From, Name: bot.TurnName(t), Text: t.Text}, id)
	}
	f := Status{Mode: conv.Mode, Stage: conv.Stage, Outcome: outcomeOf(conv)}
	if conv.Mode == store.ModeWaitingAgent {
		f.QueuePosition = l.position(ctx)
	} else {
		l.escID = ""
	}
	l.c.showStatus(f, conv.Version, false)
}

// requeued follows a change of the case board: while waiting, only the
// position is recomputed (from the node's copy of the board, no store
// read once the escalation is known), so a busy queue costs little per
// waiting borrower.
func (l *link) requeued(ctx context.Context) {
	f, ver := l.c.shownStatus()
	if f.Mode != store.ModeWaitingAgent {
		return
	}
	if l.escID == "" {
		l.refresh(ctx)
		return
	}
	f.QueuePosition = l.position(ctx)
	l.c.showStatus(f, ver, false)
}

// position is the borrower's place in the queue, 0 when unknown (not yet
// taken in, NATS unreachable, or the case expired).
func (l *link) position(ctx context.Context) int {
	if l.b.queue == nil {
		return 0
	}
	if l.escID == "" {
		es, err := l.b.store.ListEscalations(ctx, store.EscalationFilter{ConversationID: l.convID})
		if err != nil {
			l.log.Warn("bridge: list escalations", "err", err)
			return 0
		}
		for i := len(es) - 1; i >= 0; i-- {
			if es[i].Status == "queued" || es[i].Status == "initiated" {
				l.escID = es[i].ID
				break
			}
		}
	}
	if l.escID == "" {
		return 0
	}
	p, err := l.b.queue.Position(l.escID)
	if err != nil {
		return 0
	}
	return p
}

// outcomeOf is the status frame's outcome of a stored conversation.
func outcomeOf(c store.Conversation) string {
	if c.OutcomeType == "none" {
		return ""
	}
	return c.OutcomeType
}
