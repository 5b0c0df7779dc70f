package bot_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/store"
)

// attempts returns the account's recorded contact attempts.
func attempts(t *testing.T, r *rig, account string) []store.ContactAttempt {
	t.Helper()
	as, err := r.st.ListContactAttempts(context.Background(), account, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return as
}

func TestOutboundBeginOutsideHours(t *testing.T) {
	r := newRig(t)
	rt := r.runtime(t)
	ctx := context.Background()
	// 03:30 UTC is 21:30 the evening before in Chicago: past the US
	// pack's contact hours (Reg F 1006.6(b)(1)).
	r.clock.Set(time.Date(2026, 11, 23, 3, 30, 0, 0, time.UTC))
	_, err := rt.Begin(ctx, "a-1", bot.ChannelVoice, bot.Outbound)
	var refused *bot.ContactRefusedError
	if !errors.As(err, &refused) || !errors.Is(err, bot.ErrNotAllowed) {
		t.Fatalf("Begin outbound at 21:30: %v, want a refusal", err)
	}
	if refused.Decision.Reason != compliance.ReasonOutsideHours || refused.Decision.NextAllowed.IsZero() {
		t.Errorf("decision %+v", refused.Decision)
	}
	as := attempts(t, r, "a-1")
	if len(as) != 1 || as[0].Result != compliance.ResultBlocked || as[0].Reason != compliance.ReasonOutsideHours ||
		as[0].Channel != "voice" || as[0].DebtID != "a-1-d1" {
		t.Fatalf("attempts %+v, want one blocked voice attempt", as)
	}
	if cs, _ := r.st.ListConversations(ctx, store.ConversationFilter{AccountID: "a-1"}); len(cs) != 0 {
		t.Errorf("a refused contact created %d conversations", len(cs))
	}

	// The borrower may open a chat at that hour: the hours govern the
	// collector's contacts only.
	if _, err := rt.Begin(ctx, "a-1", bot.ChannelChat, bot.ByBorrower); err != nil {
		t.Fatalf("borrower's chat at 21:30: %v", err)
	}

	// In hours the call goes ahead; the attempt is recorded once, when
	// the conversation starts.
	r.clock.Set(time.Date(2026, 11, 23, 16, 0, 0, 0, time.UTC))
	c, err := rt.Begin(ctx, "a-1", bot.ChannelPhone, bot.Outbound)
	if err != nil {
		t.Fatalf("Begin outbound at 10:00: %v", err)
	}
	if n := len(attempts(t, r, "a-1")); n != 1 {
		t.Fatalf("%d attempts before the call starts, want still 1", n)
	}
	s, err := rt.Open(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	as = attempts(t, r, "a-1")
	if len(as) != 2 || as[1].Result != compliance.ResultConversation || as[1].Channel != "phone" {
		t.Fatalf("attempts %+v, want the phone conversation recorded", as)
	}
}

func TestOutboundBeginAfterCease(t *testing.T) {
	r := newRig(t)
	rt := r.runtime(t)
	ctx := context.Background()
	_, s := openChat(t, rt)
	if _, err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	say(t, s, "07/21/1988")
	say(t, s, "Stop contacting me about this debt.")
	sts, err := r.st.ListStatements(ctx, "a-1")
	if err != nil || len(sts) != 1 || sts[0].Kind != store.StatementCease {
		t.Fatalf("statements %+v %v, want the cease", sts, err)
	}
	before := len(attempts(t, r, "a-1"))
	for _, ch := range []bot.Channel{bot.ChannelVoice, bot.ChannelChat} {
		_, err = rt.Begin(ctx, "a-1", ch, bot.Outbound)
		var refused *bot.ContactRefusedError
		if !errors.As(err, &refused) || refused.Decision.Reason == compliance.ReasonOutsideHours || !refused.Decision.NextAllowed.IsZero() {
			t.Fatalf("outbound %s after a cease: %v", ch, err)
		}
	}
	as := attempts(t, r, "a-1")
	blocked := 0
	for _, a := range as {
		if a.Result == compliance.ResultBlocked && a.Reason == "cease_requested" {
			blocked++
		}
	}
	if len(as) != before+2 || blocked != 2 {
		t.Fatalf("attempts %+v, want two more, blocked by the cease", as)
	}
}

func TestBeginUnknownChannel(t *testing.T) {
	r := newRig(t)
	rt := r.runtime(t)
	for _, ch := range []bot.Channel{"fax", compliance.ChannelSMS, ""} {
		if _, err := rt.Begin(context.Background(), "a-1", ch, bot.ByBorrower); !errors.Is(err, bot.ErrInvalid) {
			t.Errorf("Begin on %q: %v, want ErrInvalid", ch, err)
		}
	}
}
