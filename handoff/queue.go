package handoff

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/collectagent/collectagent/store"
)

// Case is one escalation on the case board.
type Case struct {
	ID         string                 `json:"id"` // the escalation id
	Packet     Packet                 `json:"packet"`
	Status     store.EscalationStatus `json:"status"`
	Resolution string                 `json:"resolution,omitempty"`
	AgentID    string                 `json:"agent_id,omitempty"`
	// QueuedAt orders the queue: when the runtime escalated. A case that
	// comes back to the queue keeps its place.
	QueuedAt time.Time `json:"queued_at"`
	// WaitingSince is when the case last started waiting for an agent;
	// the SLA counts from it.
	WaitingSince time.Time `json:"waiting_since"`
	ClaimedAt    time.Time `json:"claimed_at,omitzero"`
	// LeaseUntil is when an accepted case goes back to the queue unless
	// its agent renews the claim.
	LeaseUntil time.Time `json:"lease_until,omitzero"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	// Claims counts how many times agents accepted the case.
	Claims int    `json:"claims"`
	Note   string `json:"note,omitempty"`
	// Revision is the board's revision of this state; every change
	// compares and swaps on it.
	Revision uint64 `json:"-"`
}

// Priority is the case's priority, 1 the most urgent.
func (c Case) Priority() int { return c.Packet.Priority }

// Finished reports whether the case is completed, expired or failed.
func (c Case) Finished() bool { return c.Status.Finished() }

// before orders waiting cases: priority, then time queued, then id.
func before(a, b Case) int {
	return cmp.Or(
		cmp.Compare(a.Packet.Priority, b.Packet.Priority),
		a.QueuedAt.Compare(b.QueuedAt),
		cmp.Compare(a.ID, b.ID),
	)
}

// QueueOptions tune a queue.
type QueueOptions struct {
	// NoIntake makes a read-only queue (a supervisor's node) that never
	// takes escalations from the work queue into the board.
	NoIntake bool
}

// Queue is a node's view of the case board plus the agent operations on
// it. The board is a JetStream key-value bucket, one key per escalation;
// the queue keeps a live copy of it (a watch) for listing, and every
// change is a compare-and-swap on the key's revision, so of two agents
// claiming one case exactly one succeeds, on any node.
//
// The queue also takes escalations in: it consumes the work-queue stream
// with the shared durable pull consumer "intake" and acknowledges a
// message only once its case is on the board. A node that dies between
// the two leaves the message unacknowledged, and JetStream hands it to
// another node's intake after AckWait.
type Queue struct {
	n  *Node
	kv jetstream.KeyValue

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	intake jetstream.ConsumeContext // guarded by mu
	ready  chan struct{}
	// withIntake: the queue takes escalations in (not NoIntake).
	withIntake bool
	once       sync.Once

	readyOnce sync.Once

	mu      sync.Mutex
	cases   map[string]Case
	waiting []Case // sorted; nil when stale
	subs    map[int]chan struct{}
	nextSub int
}

// StartQueue starts the node's queue and returns once its copy of the
// board is loaded. Close the node (or the queue) to stop it.
func (n *Node) StartQueue(ctx context.Context, opts QueueOptions) (*Queue, error) {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil, ErrClosed
	}
	n.mu.Unlock()
	qctx, cancel := context.WithCancel(context.Background())
	q := &Queue{
		n: n, kv: n.cases, ctx: qctx, cancel: cancel, ready: make(chan struct{}),
		cases: map[string]Case{}, subs: map[int]chan struct{}{},
	}
	w, err := n.cases.WatchAll(qctx)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("%w: watch board: %w", ErrStream, err)
	}
	q.wg.Add(1)
	go q.follow(w)
	select {
	case <-q.ready:
	case <-ctx.Done():
		q.Close()
		return nil, ctx.Err()
	}
	q.withIntake = !opts.NoIntake
	if q.withIntake {
		if err := q.startIntake(ctx); err != nil {
			q.Close()
			return nil, err
		}
	}
	n.mu.Lock()
	n.queues = append(n.queues, q)
	n.mu.Unlock()
	return q, nil
}

// startIntake (re)starts consuming the work queue; a consumer that was
// running is stopped (its unacknowledged messages come back after
// AckWait).
func (q *Queue) startIntake(ctx context.Context) error {
	n := q.n
	cons, err := n.js.Consumer(ctx, n.names.handoff, n.names.intake)
	if err != nil {
		return fmt.Errorf("%w: intake consumer: %w", ErrStream, err)
	}
	cc, err := cons.Consume(q.take, jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		if !errors.Is(err, jetstream.ErrNoHeartbeat) {
			n.log.Debug("intake consume", "err", err)
		}
	}))
	if err != nil {
		return fmt.Errorf("%w: intake: %w", ErrStream, err)
	}
	q.mu.Lock()
	old := q.intake
	q.intake = cc
	q.mu.Unlock()
	if old != nil {
		old.Stop()
	}
	return nil
}

// Close stops the intake and the watch. Idempotent.
func (q *Queue) Close() error {
	q.once.Do(func() {
		q.mu.Lock()
		intake := q.intake
		q.mu.Unlock()
		if intake != nil {
			intake.Stop()
			select {
			case <-intake.Closed():
			case <-time.After(opTimeout):
			}
		}
		q.cancel()
		q.wg.Wait()
		q.mu.Lock()
		for id, ch := range q.subs {
			close(ch)
			delete(q.subs, id)
		}
		q.mu.Unlock()
	})
	return nil
}

// follow keeps the local copy of the board. After a reconnect it starts
// a fresh watch and swaps in the snapshot it loads (the server may have
// restarted and lost the old watch's consumer).
func (q *Queue) follow(w jetstream.KeyWatcher) {
	defer q.wg.Done()
	status := q.n.nc.StatusChanged(nats.CONNECTED)
	defer q.n.nc.RemoveStatusListener(status)
	defer func() { _ = w.Stop() }()
	var snapshot map[string]Case // non-nil while a fresh watch loads
	var retry <-chan time.Time
	failing := false
	restart := func() {
		// The server may have lost its data: recreate what is missing
		// (and the intake with it) before watching again.
		recreated, err := q.n.Ensure(q.ctx)
		if err == nil && recreated && q.withIntake {
			err = q.startIntake(q.ctx)
		}
		var nw jetstream.KeyWatcher
		if err == nil {
			nw, err = q.kv.WatchAll(q.ctx)
		}
		if err != nil {
			// Once a warning, then quietly while it keeps failing.
			if !failing {
				q.n.log.Warn("board watch not restarted; retrying", "err", err)
			} else {
				q.n.log.Debug("board watch not restarted; retrying", "err", err)
			}
			failing = true
			retry = time.After(250 * time.Millisecond)
			return
		}
		failing = false
		_ = w.Stop()
		w, snapshot, retry = nw, map[string]Case{}, nil
	}
	for {
		select {
		case <-q.ctx.Done():
			return
		case <-status:
			restart()
		case <-retry:
			restart()
		case e, ok := <-w.Updates():
			if !ok {
				// Stopped under us: wait for a reconnect or the end.
				w = stoppedWatch{}
				continue
			}
			q.apply(e, &snapshot)
		}
	}
}

// apply takes one watch update into the local copy, or into the snapshot
// a fresh watch is loading.
func (q *Queue) apply(e jetstream.KeyValueEntry, snapshot *map[string]Case) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if e == nil { // the initial values are all in
		if *snapshot != nil {
			q.cases, *snapshot = *snapshot, nil
			q.waiting = nil
			q.notifyLocked()
		}
		q.readyOnce.Do(func() { close(q.ready) })
		return
	}
	into := q.cases
	if *snapshot != nil {
		into = *snapshot
	}
	switch e.Operation() {
	case jetstream.KeyValuePut:
		c, err := decodeCase(e.Value())
		if err != nil {
			q.n.log.Warn("unreadable case on the board", "key", e.Key(), "err", err)
			return
		}
		c.Revision = e.Revision()
		if old, ok := into[c.ID]; !ok || old.Revision < c.Revision {
			into[c.ID] = c
		}
	default:
		delete(into, e.Key())
	}
	if *snapshot == nil {
		q.waiting = nil
		q.notifyLocked()
	}
}

// stoppedWatch stands in for a watch that ended until a new one starts.
type stoppedWatch struct{}

func (stoppedWatch) Updates() <-chan jetstream.KeyValueEntry { return nil }
func (stoppedWatch) Stop() error                             { return nil }

// observe puts a state read from or written to the board into the local
// copy ahead of the watch, so that agents on this node stop trying a case
// another agent has just won.
func (q *Queue) observe(c Case) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if old, ok := q.cases[c.ID]; ok && old.Revision < c.Revision {
		q.cases[c.ID] = c
		q.waiting = nil
	}
}

func (q *Queue) notifyLocked() {
	for _, ch := range q.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Changes returns a channel that receives a signal (coalesced, never
// blocking the queue) after the board changes, and a function to stop
// it. A console re-reads Waiting or Board on each signal.
func (q *Queue) Changes() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	q.mu.Lock()
	id := q.nextSub
	q.nextSub++
	q.subs[id] = ch
	q.mu.Unlock()
	return ch, func() {
		q.mu.Lock()
		if _, ok := q.subs[id]; ok {
			delete(q.subs, id)
			close(ch)
		}
		q.mu.Unlock()
	}
}

// Waiting lists the cases waiting for an agent, by priority then time
// queued.
func (q *Queue) Waiting() []Case {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Clone(q.waitingLocked())
}

func (q *Queue) waitingLocked() []Case {
	if q.waiting == nil {
		w := make([]Case, 0, len(q.cases))
		for _, c := range q.cases {
			if c.Status == StatusQueued {
				w = append(w, c)
			}
		}
		slices.SortFunc(w, before)
		q.waiting = w
	}
	return q.waiting
}

// Board lists every case on the board (waiting, accepted and recently
// finished) for a supervisor: open cases first in queue order, then the
// finished ones, newest first.
func (q *Queue) Board() []Case {
	q.mu.Lock()
	all := make([]Case, 0, len(q.cases))
	for _, c := range q.cases {
		all = append(all, c)
	}
	q.mu.Unlock()
	slices.SortFunc(all, func(a, b Case) int {
		if a.Finished() != b.Finished() {
			if a.Finished() {
				return 1
			}
			return -1
		}
		if a.Finished() {
			return cmp.Or(b.FinishedAt.Compare(a.FinishedAt), cmp.Compare(a.ID, b.ID))
		}
		return before(a, b)
	})
	return all
}

// Position is a waiting case's 1-based place in the queue, for the
// borrower's status; ErrNotFound when the case is not waiting.
func (q *Queue) Position(escalationID string) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	c, ok := q.cases[escalationID]
	if !ok || c.Status != StatusQueued {
		return 0, fmt.Errorf("%w: %s is not waiting", ErrNotFound, escalationID)
	}
	w := q.waitingLocked()
	i, _ := slices.BinarySearchFunc(w, c, before)
	return i + 1, nil
}

// Case returns a case as this node last saw it; Get reads the board.
func (q *Queue) Case(escalationID string) (Case, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	c, ok := q.cases[escalationID]
	return c, ok
}

// Get reads a case from the board.
func (q *Queue) Get(ctx context.Context, escalationID string) (Case, error) {
	if err := checkToken("escalation id", escalationID); err != nil {
		return Case{}, err
	}
	e, err := q.kv.Get(ctx, escalationID)
	if err != nil {
		if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
			return Case{}, fmt.Errorf("%w: %s", ErrNotFound, escalationID)
		}
		return Case{}, fmt.Errorf("%w: get %s: %w", ErrStream, escalationID, err)
	}
	c, err := decodeCase(e.Value())
	if err != nil {
		return Case{}, err
	}
	c.Revision = e.Revision()
	return c, nil
}

func decodeCase(b []byte) (Case, error) {
	var c Case
	if err := json.Unmarshal(b, &c); err != nil {
		return Case{}, fmt.Errorf("%w: case: %w", ErrInvalid, err)
	}
	return c, nil
}

// take is the intake: it puts an escalation on the board, then acks.
func (q *Queue) take(msg jetstream.Msg) {
	log := q.n.log
	p, err := ParsePacket(msg.Data())
	if err != nil {
		// A packet no node can read would be redelivered forever.
		log.Warn("unreadable escalation dropped", "subject", msg.Subject(), "err", err)
		_ = msg.Term()
		return
	}
	ctx, cancel := context.WithTimeout(q.ctx, opTimeout)
	defer cancel()
	now := q.n.clock.Now().UTC()
	c := Case{ID: p.EscalationID, Packet: p, Status: StatusQueued, QueuedAt: p.CreatedAt, WaitingSince: now}
	if c.QueuedAt.IsZero() {
		c.QueuedAt = now
	}
	body, _ := json.Marshal(c)
	rev, err := q.kv.Create(ctx, c.ID, body)
	switch {
	case err == nil:
		c.Revision = rev
		q.n.caseEvent(EventQueued, c, rev)
	case errors.Is(err, jetstream.ErrKeyExists):
		// Already on the board: a redelivery, or a republished escalation.
	default:
		log.Warn("escalation not taken in; retrying", "escalation", c.ID, "err", err)
		_ = msg.NakWithDelay(time.Second)
		return
	}
	if err := msg.Ack(); err != nil {
		log.Debug("intake ack", "escalation", c.ID, "err", err)
	}
}

// transition is one compare-and-swap change of a case.
type transition struct {
	event string
	// apply changes c and reports an error when the change is not
	// allowed from c's state; quiet is a change (a renewal) that is
	// neither an event nor news for the borrower.
	apply func(c *Case, now time.Time) (quiet bool, err error)
	// mode and from, when mode is set, announce the change to the
	// borrower's node on the bridge.
	mode string
}

// change reads a case, applies t and writes it back if nobody changed it
// in between, retrying a few times on a lost race.
func (q *Queue) change(ctx context.Context, escalationID string, t transition) (Case, error) {
	if err := checkToken("escalation id", escalationID); err != nil {
		return Case{}, err
	}
	if q.n.isClosed() {
		return Case{}, ErrClosed
	}
	for range 5 {
		c, err := q.Get(ctx, escalationID)
		if err != nil {
			return Case{}, err
		}
		q.observe(c)
		now := q.n.clock.Now().UTC()
		quiet, err := t.apply(&c, now)
		if err != nil {
			return c, err
		}
		body, _ := json.Marshal(c)
		rev, err := q.kv.Update(ctx, c.ID, body, c.Revision)
		if err != nil {
			if isRevisionConflict(err) {
				continue
			}
			return Case{}, fmt.Errorf("%w: %s %s: %w", ErrStream, t.event, escalationID, err)
		}
		c.Revision = rev
		q.observe(c)
		if quiet {
			return c, nil
		}
		q.n.caseEvent(t.event, c, rev)
		if t.mode != "" {
			q.announce(ctx, c, t.event, t.mode, rev)
		}
		return c, nil
	}
	return Case{}, fmt.Errorf("%w: %s %s", ErrConflict, t.event, escalationID)
}

func isRevisionConflict(err error) bool {
	if errors.Is(err, jetstream.ErrKeyExists) {
		return true
	}
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

// announce tells the borrower's node about a status change on the
// bridge; the message id is derived from the change, so a retry never
// shows twice.
func (q *Queue) announce(ctx context.Context, c Case, event, mode string, rev uint64) {
	m := Message{
		ID: fmt.Sprintf("%s-%d", c.ID, rev), Type: TypeStatus, From: "system",
		Mode: mode, Event: event, EscalationID: c.ID,
	}
	if event == EventAccepted {
		m.From, m.Name = "agent", c.AgentID
	}
	if _, err := q.n.Bridge().SendToBorrower(ctx, c.Packet.ConversationID, m); err != nil {
		q.n.log.Warn("status not announced on the bridge", "escalation", c.ID, "event", event, "err", err)
	}
}

// Claim gives a waiting case to an agent. Whatever the race, on any
// number of nodes, one agent gets it; the others get ErrAlreadyClaimed.
// The claim is a lease of AckWait: the agent's console calls Renew while
// it holds the case, and a case whose lease ran out goes back to the
// queue at the next sweep (see Sweep), and may be claimed by another agent
// even before that. Claiming a case the agent already holds renews it.
func (q *Queue) Claim(ctx context.Context, agentID, escalationID string) (Case, error) {
	if err := checkToken("agent id", agentID); err != nil {
		return Case{}, err
	}
	return q.change(ctx, escalationID, transition{event: EventAccepted, mode: "agent", apply: func(c *Case, now time.Time) (bool, error) {
		switch {
		case c.Finished():
			return false, fmt.Errorf("%w: %s is %s", ErrFinished, c.ID, c.Status)
		case c.Status == StatusAccepted && c.AgentID != agentID && now.Before(c.LeaseUntil):
			return false, fmt.Errorf("%w: %s", ErrAlreadyClaimed, c.ID)
		case c.Status == StatusAccepted && c.AgentID == agentID:
			c.LeaseUntil = now.Add(q.n.cfg.AckWait)
			return true, nil
		}
		c.Status, c.AgentID = StatusAccepted, agentID
		c.ClaimedAt, c.LeaseUntil = now, now.Add(q.n.cfg.AckWait)
		c.Claims++
		return false, nil
	}})
}

// ClaimNext claims the first waiting case this node knows of that no one
// else wins first; ErrQueueEmpty when there is none.
func (q *Queue) ClaimNext(ctx context.Context, agentID string) (Case, error) {
	for _, c := range q.Waiting() {
		got, err := q.Claim(ctx, agentID, c.ID)
		switch {
		case err == nil:
			return got, nil
		case errors.Is(err, ErrAlreadyClaimed), errors.Is(err, ErrFinished), errors.Is(err, ErrNotFound):
			continue
		default:
			return Case{}, err
		}
	}
	return Case{}, ErrQueueEmpty
}

// holder checks that agentID holds c.
func holder(c *Case, agentID string) error {
	switch {
	case c.Finished():
		return fmt.Errorf("%w: %s is %s", ErrFinished, c.ID, c.Status)
	case c.Status != StatusAccepted || c.AgentID != agentID:
		return fmt.Errorf("%w: %s", ErrNotClaimant, c.ID)
	}
	return nil
}

// Renew extends the agent's claim by AckWait: the console's heartbeat,
// sent every AckWait/3 or so. ErrNotClaimant means the claim lapsed and
// the case went back to the queue (or to another agent).
func (q *Queue) Renew(ctx context.Context, agentID, escalationID string) (Case, error) {
	return q.change(ctx, escalationID, transition{event: "", apply: func(c *Case, now time.Time) (bool, error) {
		if err := holder(c, agentID); err != nil {
			return false, err
		}
		c.LeaseUntil = now.Add(q.n.cfg.AckWait)
		return true, nil
	}})
}

// Complete closes a case the agent holds: the agent ended the
// conversation (note: the outcome, for the record).
func (q *Queue) Complete(ctx context.Context, agentID, escalationID, note string) (Case, error) {
	return q.finish(ctx, agentID, escalationID, note, ResolutionClosed, EventCompleted, "ended")
}

// HandBack completes a case by giving the conversation back to the bot,
// which resumes at the packet's stage.
func (q *Queue) HandBack(ctx context.Context, agentID, escalationID, note string) (Case, error) {
	return q.finish(ctx, agentID, escalationID, note, ResolutionHandedBack, EventHandedBack, "bot")
}

func (q *Queue) finish(ctx context.Context, agentID, escalationID, note, resolution, event, mode string) (Case, error) {
	return q.change(ctx, escalationID, transition{event: event, mode: mode, apply: func(c *Case, now time.Time) (bool, error) {
		if err := holder(c, agentID); err != nil {
			return false, err
		}
		c.Status, c.Resolution, c.Note, c.FinishedAt = StatusCompleted, resolution, note, now
		c.LeaseUntil = time.Time{}
		return false, nil
	}})
}

// Release puts a case the agent holds back in the queue, in its old
// place.
func (q *Queue) Release(ctx context.Context, agentID, escalationID string) (Case, error) {
	return q.change(ctx, escalationID, transition{event: EventReleased, mode: "waiting_agent", apply: func(c *Case, now time.Time) (bool, error) {
		if err := holder(c, agentID); err != nil {
			return false, err
		}
		requeue(c, now)
		return false, nil
	}})
}

func requeue(c *Case, now time.Time) {
	c.Status, c.AgentID = StatusQueued, ""
	c.ClaimedAt, c.LeaseUntil = time.Time{}, time.Time{}
	c.WaitingSince = now
}

// Cancel fails an open case (the borrower left, or the runtime withdrew
// the escalation).
func (q *Queue) Cancel(ctx context.Context, escalationID, reason string) (Case, error) {
	return q.change(ctx, escalationID, transition{event: EventFailed, mode: "", apply: func(c *Case, now time.Time) (bool, error) {
		if c.Finished() {
			return false, fmt.Errorf("%w: %s is %s", ErrFinished, c.ID, c.Status)
		}
		c.Status, c.Note, c.FinishedAt = StatusFailed, reason, now
		c.LeaseUntil = time.Time{}
		return false, nil
	}})
}
