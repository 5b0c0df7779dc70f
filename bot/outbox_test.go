package bot_test

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/bot/understand"
	"github.com/collectagent/collectagent/store"
)

// relay records what the runtime hands over after each commit.
type relay struct {
	mu  sync.Mutex
	evs []store.Event
}

func (r *relay) Committed(evs []store.Event) {
	r.mu.Lock()
	r.evs = append(r.evs, evs...)
	r.mu.Unlock()
}

// TestEventsCommittedWithTheStep: with an outbox relay, the promise and
// the end of the conversation are events committed in the step that made
// them (in the store's outbox when the reply returns) and handed to the
// relay only after that commit, with the promise as their data.
func TestEventsCommittedWithTheStep(t *testing.T) {
	r := newRig(t)
	rel := &relay{}
	rt, err := bot.NewRuntime(bot.Config{DefaultPolicy: policy("us")},
		bot.Deps{Store: r.st, Understander: understand.NewRules(), Clock: r.clock, Events: rel})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c, s := openChat(t, rt)
	if _, err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	say(t, s, "07/21/1988")
	say(t, s, "I can pay the full amount on Friday")
	if len(rel.evs) != 0 {
		t.Fatalf("events before any promise: %+v", rel.evs)
	}
	out := say(t, s, "yes")
	if out.Status.Outcome != "ptp" {
		t.Fatalf("status %+v", out.Status)
	}

	kinds := make([]string, len(rel.evs))
	for i, e := range rel.evs {
		kinds[i] = e.Kind
	}
	if !slices.Equal(kinds, []string{"ptp.created", "conv.ended"}) {
		t.Fatalf("handed over %v, want ptp.created and conv.ended", kinds)
	}
	stored, err := r.st.PendingEvents(ctx, r.clock.Now().Add(time.Hour), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 2 || stored[0].ID != rel.evs[0].ID || stored[1].ID != rel.evs[1].ID {
		t.Fatalf("outbox holds %+v, handed over %+v", stored, rel.evs)
	}
	ps, err := r.st.ListPromises(ctx, "a-1")
	if err != nil || len(ps) != 1 {
		t.Fatalf("promises %v %v", ps, err)
	}
	var p store.Promise
	if err := json.Unmarshal(stored[0].Data, &p); err != nil || p.ID != ps[0].ID || p.AmountMinor != 24000 {
		t.Fatalf("ptp.created data %s (%v), promise %+v", stored[0].Data, err, ps[0])
	}
	var end struct {
		ConversationID string `json:"conversation_id"`
		Outcome        string `json:"outcome"`
	}
	if err := json.Unmarshal(stored[1].Data, &end); err != nil || end.ConversationID != c.ID || end.Outcome != "ptp" {
		t.Fatalf("conv.ended data %s (%v)", stored[1].Data, err)
	}
}
