package handoff_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/collectagent/collectagent/handoff"
	"github.com/collectagent/collectagent/handoff/handofftest"
	"github.com/collectagent/collectagent/store"
	"github.com/collectagent/collectagent/store/sqlite"
	"github.com/nats-io/nats.go/jetstream"
)

// outboxStore is a SQLite store with a conversation to commit steps to.
func outboxStore(t *testing.T) (*sqlite.Store, store.Conversation) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "collect.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	acct := store.Account{ID: "a-1", Name: "Maria Lopez", Locale: "en-US", Timezone: "America/Chicago",
		Debts: []store.Debt{{ID: "d-1", Creditor: "Demo", AmountMinor: 24000, Currency: "USD", DueDate: "2026-11-13"}}}
	if err := st.UpsertAccounts(ctx, []store.Account{acct}); err != nil {
		t.Fatalf("upsert: %v", err)
	}
	conv := store.Conversation{ID: "c-1", AccountID: "a-1", DebtID: "d-1", Channel: "chat", Locale: "en-US", Version: 1}
	if err := st.CreateConversation(ctx, conv); err != nil {
		t.Fatalf("create conversation: %v", err)
	}
	return st, conv
}

// commitEvents commits a step of conv carrying n events and returns them
// as committed.
func commitEvents(t *testing.T, st store.Store, conv *store.Conversation, n int) []store.Event {
	t.Helper()
	conv.Version++
	evs := make([]store.Event, n)
	for i := range evs {
		id := fmt.Sprintf("ev-%d-%d", conv.Version, i)
		evs[i] = store.Event{ID: id, Kind: "ptp.created", At: time.Now().UTC(), Data: json.RawMessage(`{"id":"` + id + `"}`)}
	}
	if err := st.CommitTurn(context.Background(), store.TurnCommit{Conversation: *conv, Events: evs}); err != nil {
		t.Fatalf("commit: %v", err)
	}
	return evs
}

// streamIDs returns the ids of the events on the events stream, in
// order, checking that each message's JetStream id is its event's id.
func streamIDs(js jetstream.JetStream, n *handoff.Node) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	name, err := js.StreamNameBySubject(ctx, n.EventSubject("ptp.created"))
	if err != nil {
		return nil, fmt.Errorf("events stream: %w", err)
	}
	s, err := js.Stream(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("events stream: %w", err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("stream info: %w", err)
	}
	var ids []string
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			return nil, fmt.Errorf("get message %d: %w", seq, err)
		}
		ev, err := handoff.ParseEvent(m.Data)
		if err != nil {
			return nil, fmt.Errorf("message %d: %w", seq, err)
		}
		var d struct{ ID string }
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return nil, fmt.Errorf("message %d data: %w", seq, err)
		}
		if got := m.Header.Get(jetstream.MsgIDHeader); got != d.ID {
			return nil, fmt.Errorf("message %d has msg id %q, event %q", seq, got, d.ID)
		}
		ids = append(ids, d.ID)
	}
	return ids, nil
}

func idsOf(evs ...[]store.Event) []string {
	var ids []string
	for _, es := range evs {
		for _, e := range es {
			ids = append(ids, e.ID)
		}
	}
	return ids
}

// forgetful is an outbox whose deletes fail: a process that dies after
// JetStream stored its events and before it deleted them.
type forgetful struct{ handoff.Outbox }

func (forgetful) DeleteEvents(context.Context, []string) error { return errors.New("process gone") }

// TestRelayAtLeastOnce: events committed by a process that died before
// publishing them are published by the next relay at its start; events
// published but not deleted are published again and stored once (their
// ids are JetStream message ids); events refused while the broker was
// down are published by a sweep once it is back. Nothing is lost, and the
// outbox ends empty.
func TestRelayAtLeastOnce(t *testing.T) {
	srv := handofftest.Embedded(t)
	nc := srv.Conn(t)
	n := handofftest.Open(t, nc, handoff.Config{}, handoff.Deps{}, false)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	st, conv := outboxStore(t)
	opts := handoff.RelayOptions{Sweep: 20 * time.Millisecond, Grace: time.Millisecond}
	pending := func() int {
		evs, err := st.PendingEvents(context.Background(), time.Now().Add(time.Hour), 0)
		if err != nil {
			t.Fatalf("pending: %v", err)
		}
		return len(evs)
	}
	published := func(want []string) func() error {
		return func() error {
			got, err := streamIDs(js, n)
			if err != nil {
				return err
			}
			if !slices.Equal(got, want) {
				return fmt.Errorf("stream holds %v, want %v", got, want)
			}
			if k := pending(); k != 0 {
				return fmt.Errorf("%d events still in the outbox", k)
			}
			return nil
		}
	}

	// Committed, then the process died: no relay ever saw them.
	died := commitEvents(t, st, &conv, 3)
	r := n.StartRelay(st, opts)
	handofftest.WaitFor(t, 5*time.Second, published(idsOf(died)))
	_ = r.Close()

	// Published, then the process died before deleting them.
	r = n.StartRelay(forgetful{st}, opts)
	twice := commitEvents(t, st, &conv, 4)
	r.Committed(twice)
	handofftest.WaitFor(t, 5*time.Second, func() error {
		got, err := streamIDs(js, n)
		if err != nil {
			return err
		}
		if len(got) != len(died)+len(twice) {
			return fmt.Errorf("stream holds %d events, want %d", len(got), len(died)+len(twice))
		}
		return nil
	})
	_ = r.Close()
	if k := pending(); k != len(twice) {
		t.Fatalf("%d events in the outbox after the forgetful relay, want %d", k, len(twice))
	}
	r = n.StartRelay(st, opts)
	handofftest.WaitFor(t, 5*time.Second, published(idsOf(died, twice)))

	// The broker is out of reach of the node that commits: its relay
	// cannot publish, the events wait in the outbox, and another relay's
	// sweep publishes them.
	cut := srv.Conn(t)
	cutNode := handofftest.Open(t, cut, handoff.Config{Prefix: n.Config().Prefix}, handoff.Deps{}, false)
	cutRelay := cutNode.StartRelay(st, handoff.RelayOptions{Sweep: time.Hour})
	cut.Close()
	down := commitEvents(t, st, &conv, 2)
	cutRelay.Committed(down)
	_ = cutRelay.Close()
	if k := pending(); k != len(down) {
		t.Fatalf("%d events in the outbox after the broker refused them, want %d", k, len(down))
	}
	handofftest.WaitFor(t, 5*time.Second, published(idsOf(died, twice, down)))

	// Handed over while running: published at once, and Close waits.
	live := commitEvents(t, st, &conv, 5)
	r.Committed(live)
	handofftest.WaitFor(t, 5*time.Second, published(idsOf(died, twice, down, live)))
	_ = r.Close()
	_ = r.Close() // idempotent
}
