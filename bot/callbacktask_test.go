package bot_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/store"
)

// callbackTask escalates a verified borrower, lets the SLA expire and
// returns the session and the escalation carrying the callback.
func callbackTask(t *testing.T, r *rig) (*bot.Session, store.Escalation) {
	t.Helper()
	ctx := context.Background()
	s := waitingConv(t, r, "a-1", "07/21/1988", "I want to talk to a real person")
	if _, err := s.OfferCallback(ctx); err != nil {
		t.Fatal(err)
	}
	es, err := r.st.ListEscalations(ctx, store.EscalationFilter{ConversationID: s.ID(), Status: "expired"})
	if err != nil || len(es) != 1 {
		t.Fatalf("expired escalations: %+v %v", es, err)
	}
	return s, es[0]
}

func TestCompleteCallback(t *testing.T) {
	ctx := context.Background()
	ann := bot.Agent{ID: "ann", Name: "Ann"}
	for _, result := range []string{bot.CallbackReached, bot.CallbackNoAnswer, bot.CallbackCancelled} {
		t.Run(result, func(t *testing.T) {
			r := newRig(t)
			s, e := callbackTask(t, r)
			cb, done, ok := bot.CallbackTask(e.Packet)
			if !ok || done || cb.At.IsZero() {
				t.Fatalf("task before: %+v done=%v ok=%v", cb, done, ok)
			}
			got, err := s.CompleteCallback(ctx, ann, e.ID, result, "  spoke at 10:05  ")
			if err != nil {
				t.Fatal(err)
			}
			es, err := r.st.ListEscalations(ctx, store.EscalationFilter{ConversationID: s.ID()})
			if err != nil || len(es) != 1 {
				t.Fatalf("escalations: %+v %v", es, err)
			}
			st := es[0]
			if st.Status != "completed" || st.AgentID != "ann" || got.Status != "completed" {
				t.Fatalf("stored %+v, returned %+v", st, got)
			}
			var p struct {
				Callback bot.Callback     `json:"callback"`
				Done     bot.CallbackDone `json:"callback_done"`
				Reason   string           `json:"reason"`
			}
			if err := json.Unmarshal(st.Packet, &p); err != nil {
				t.Fatal(err)
			}
			if !p.Callback.At.Equal(cb.At) || p.Reason == "" {
				t.Errorf("packet lost its contents: %s", st.Packet)
			}
			if p.Done.Result != result || p.Done.AgentID != "ann" || p.Done.Note != "spoke at 10:05" || !p.Done.At.Equal(r.clock.Now().UTC()) {
				t.Errorf("done %+v", p.Done)
			}
			if _, done, _ := bot.CallbackTask(st.Packet); !done {
				t.Error("CallbackTask does not see it done")
			}
			audit, err := r.st.ListAudit(ctx, s.ID())
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, a := range audit {
				if a.Kind == "handoff.callback_done" {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%d handoff.callback_done events, want 1", n)
			}
			if cv, _ := r.st.GetConversation(ctx, s.ID()); cv.Mode != store.ModeWaitingAgent {
				t.Errorf("mode changed to %s", cv.Mode)
			}
			if _, err := s.CompleteCallback(ctx, ann, e.ID, result, ""); !errors.Is(err, bot.ErrDone) {
				t.Errorf("second completion: %v, want ErrDone", err)
			}
		})
	}
}

func TestCompleteCallbackRefuses(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	s, e := callbackTask(t, r)
	ann := bot.Agent{ID: "ann", Name: "Ann"}
	long := make([]rune, bot.MaxCallbackNoteRunes+1)
	for i := range long {
		long[i] = '话'
	}
	tests := []struct {
		name           string
		agent          bot.Agent
		id, result, nt string
		want           error
	}{
		{"unknown escalation", ann, "e-nope", bot.CallbackReached, "", bot.ErrNotFound},
		{"unknown result", ann, e.ID, "maybe", "", bot.ErrInvalid},
		{"note too long", ann, e.ID, bot.CallbackReached, string(long), bot.ErrInvalid},
		{"no agent", bot.Agent{}, e.ID, bot.CallbackReached, "", bot.ErrNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.CompleteCallback(ctx, tt.agent, tt.id, tt.result, tt.nt); !errors.Is(err, tt.want) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
		})
	}
	// An escalation without a callback is no task.
	w := waitingConv(t, r, "a-2", "1990年3月8日", "我要人工客服")
	es, err := r.st.ListEscalations(ctx, store.EscalationFilter{ConversationID: w.ID()})
	if err != nil || len(es) != 1 {
		t.Fatalf("escalations: %+v %v", es, err)
	}
	if _, err := w.CompleteCallback(ctx, ann, es[0].ID, bot.CallbackReached, ""); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("queued escalation: %v, want ErrNotFound", err)
	}
}

// Two agents on two nodes finish the same task at once: one wins.
func TestCompleteCallbackRace(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	s, e := callbackTask(t, r)
	sessions := []*bot.Session{s}
	other, err := r.runtime(t).Open(ctx, s.ID())
	if err != nil {
		t.Fatal(err)
	}
	sessions = append(sessions, other)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, ss := range sessions {
		wg.Go(func() {
			_, errs[i] = ss.CompleteCallback(ctx, bot.Agent{ID: []string{"ann", "bo"}[i], Name: "A"}, e.ID, bot.CallbackReached, "")
		})
	}
	wg.Wait()
	ok, done := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, bot.ErrDone):
			done++
		default:
			t.Errorf("unexpected error %v", err)
		}
	}
	if ok != 1 || done != 1 {
		t.Fatalf("results %v: want one success and one ErrDone", errs)
	}
	audit, _ := r.st.ListAudit(ctx, s.ID())
	n := 0
	for _, a := range audit {
		if a.Kind == "handoff.callback_done" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d handoff.callback_done events, want 1", n)
	}
}
