package bot_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/store"
)

func TestResumeAndSilence(t *testing.T) {
	r := newRig(t)
	rt := r.runtime(t)
	ctx := context.Background()
	c, s := openChat(t, rt)
	// Resuming a conversation that never started starts it.
	out, err := s.Resume(ctx)
	if err != nil || len(out.Replies) < 3 || out.Replies[0].Act != "greeting" || !out.Replies[0].Disclosure {
		t.Fatalf("first Resume: %+v %v, want the greeting", out, err)
	}
	if out.Replies[len(out.Replies)-1].Disclosure {
		t.Errorf("the identity question marked as a disclosure")
	}
	say(t, s, "07/21/1988")

	out, err = s.Silence(ctx, false)
	if err != nil || len(out.Replies) != 1 || out.Replies[0].Act != "still_there" || !strings.Contains(out.Replies[0].Text, "still there") {
		t.Fatalf("Silence: %+v %v", out, err)
	}
	out, err = s.Silence(ctx, true)
	if err != nil || len(out.Replies) != 1 || out.Replies[0].Act != "silence_goodbye" || out.Status.Mode != "bot" {
		t.Fatalf("final Silence: %+v %v, want a goodbye and the conversation open", out, err)
	}

	// Another connection (a node after a reconnect) resumes where the
	// borrower was: welcome back, then the open question again.
	s2, err := rt.Open(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	out, err = s2.Resume(ctx)
	if err != nil || len(out.Replies) != 2 || out.Replies[0].Act != "welcome_back" || out.Replies[1].Act != "ask_resolution" {
		t.Fatalf("Resume: %+v %v", out, err)
	}
	if s2.Expect() != "choice" {
		t.Errorf("Expect %q after the resolution question, want choice", s2.Expect())
	}
	// Every one of these turns is durable.
	turns, err := r.st.ListTurns(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var acts []string
	for _, tn := range turns {
		if strings.Contains(string(tn.Meta), "silence_goodbye") || strings.Contains(string(tn.Meta), "welcome_back") {
			acts = append(acts, tn.Text)
		}
	}
	if len(acts) != 2 {
		t.Errorf("stored goodbye and welcome back: %q", acts)
	}

	// A person holds the conversation: neither says anything.
	say(t, s2, "I want to talk to a real person")
	for name, f := range map[string]func(context.Context) (bot.Output, error){
		"Resume": s2.Resume, "Silence": func(ctx context.Context) (bot.Output, error) { return s2.Silence(ctx, false) },
	} {
		out, err := f(ctx)
		if err != nil || len(out.Replies) != 0 || out.Status.Mode != "waiting_agent" {
			t.Errorf("%s while waiting for a person: %+v %v", name, out, err)
		}
	}
}

func TestResumeEnded(t *testing.T) {
	r := newRig(t)
	rt := r.runtime(t)
	ctx := context.Background()
	c, _ := rt.Begin(ctx, "a-1", bot.ChannelChat, bot.ByBorrower)
	s, _ := rt.Open(ctx, c.ID)
	if _, err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	say(t, s, "wrong number, I'm not Maria")
	if _, err := s.Resume(ctx); !errors.Is(err, bot.ErrEnded) {
		t.Errorf("Resume of an ended conversation: %v", err)
	}
	if _, err := s.Silence(ctx, true); !errors.Is(err, bot.ErrEnded) {
		t.Errorf("Silence of an ended conversation: %v", err)
	}
}

// TestOpenFreshConversation: a conversation no turn was committed to
// opens without reading turns or the chain; an event appended to its
// chain beside the turns (by another process) is found when the first
// commit conflicts, and the chain stays one line.
func TestOpenFreshConversation(t *testing.T) {
	r := newRig(t)
	rt := r.runtime(t)
	ctx := context.Background()
	c, s := openChat(t, rt)
	// Something else writes the chain's first event after the Open.
	first := compliance.Seal(nil, compliance.AuditRecord{Chain: c.ID, Kind: "note", Data: []byte(`{}`), At: time.Now().UTC()})
	if err := r.st.AppendAudit(ctx, []store.AuditEvent{{Chain: first.Chain, Seq: first.Seq, Kind: first.Kind, Data: first.Data, At: first.At, PrevHash: first.PrevHash, Hash: first.Hash}}); err != nil {
		t.Fatal(err)
	}
	out, err := s.Resume(ctx)
	if err != nil || len(out.Replies) == 0 || out.Replies[0].Act != "greeting" {
		t.Fatalf("Resume: %+v %v, want the greeting after a reload", out, err)
	}
	evs, err := r.st.ListAudit(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	recs := make([]compliance.AuditRecord, len(evs))
	for i, e := range evs {
		recs[i] = compliance.AuditRecord{Chain: e.Chain, Seq: e.Seq, Kind: e.Kind, Data: e.Data, At: e.At, PrevHash: e.PrevHash, Hash: e.Hash}
	}
	if len(recs) < 2 || recs[0].Kind != "note" {
		t.Fatalf("chain = %d events starting %q, want the note then the greeting's", len(recs), recs[0].Kind)
	}
	if err := compliance.VerifyChain(recs); err != nil {
		t.Fatalf("chain broken: %v", err)
	}
}
