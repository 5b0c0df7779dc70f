package voice

import (
	"context"
	"strings"
	"testing"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/bot/respond"
	"github.com/collectagent/collectagent/live"
	"github.com/collectagent/collectagent/telephony/call"
)

// fakeConn shows scripted messages and statuses through the call's
// Output, as live does during a turn, and records what it was given.
type fakeConn struct {
	out     live.Output
	resumed bool
	steps   []step // one per Start, Resume, HandleMessage, KeypadMessage, Idle
	got     []bot.Message
	idles   []bool
}

type step struct {
	msgs   []live.Message
	status string
	reject error
}

func (f *fakeConn) show() error {
	s := f.steps[0]
	f.steps = f.steps[1:]
	for _, m := range s.msgs {
		f.out.Reply(m)
	}
	if s.reject != nil {
		f.out.Reject("", s.reject)
	}
	if s.status != "" {
		f.out.Status(live.Status{Mode: s.status})
	}
	return nil
}

func (f *fakeConn) Start(_ context.Context, out live.Output) error { f.out = out; return f.show() }
func (f *fakeConn) Resumed() bool                                  { return f.resumed }
func (f *fakeConn) Resume(context.Context) error                   { return f.show() }
func (f *fakeConn) HandleMessage(_ context.Context, m bot.Message) error {
	f.got = append(f.got, m)
	return f.show()
}
func (f *fakeConn) KeypadMessage(_ context.Context, m bot.Message) error {
	f.got = append(f.got, m)
	return f.show()
}
func (f *fakeConn) Idle(_ context.Context, final bool) error {
	f.idles = append(f.idles, final)
	return f.show()
}
func (f *fakeConn) Notice(name string) string { return "notice:" + name }

func texts(r call.Reply) string {
	var b []string
	for _, s := range r.Segments {
		b = append(b, s.Text)
	}
	return strings.Join(b, " | ")
}

func TestConversationMapsTurns(t *testing.T) {
	ctx := context.Background()
	bm := func(act, text string) live.Message { return live.Message{From: bot.FromBot, Act: act, Text: text} }
	fc := &fakeConn{steps: []step{
		{msgs: []live.Message{{From: bot.FromBot, Act: "greeting", Disclosure: true, Text: "Hi, I am an AI."}, bm("recording_notice", "Recorded."), bm("ask_verify", "Your date of birth?")}, status: "bot"},
		{msgs: []live.Message{bm("confirm_ptp", "Is that right?")}, status: "bot"},
		{msgs: []live.Message{{From: bot.FromBot, Act: "close_ptp", Text: "Thanks.", Link: "https://pay.example/x"}}, status: "ended"},
	}}
	c := newConversation(fc, HandoffCallback)
	r, err := c.Turn(ctx, call.Input{Kind: call.Start, KeypadOnly: true})
	if err != nil || len(r.Segments) != 4 || !r.Segments[0].Uninterruptible || !r.Segments[1].StartsRecording || r.Segments[2].Uninterruptible || !r.Expect.Digits {
		t.Fatalf("greeting %+v %v", r, err)
	}
	if last := r.Segments[3]; last.Text != "notice:"+respond.NoticeCallKeypadOnly || last.Who != bot.FromSystem {
		t.Fatalf("keypad-only notice %+v", last)
	}
	if r.Status != "bot" {
		t.Errorf("first status %q", r.Status)
	}
	r, _ = c.Turn(ctx, call.Input{Kind: call.Digits, Digits: "07211988"})
	if fc.got[0].Text != "07211988" || !fc.got[0].Voice.Keys || !r.Expect.YesNo || r.Status != "" {
		t.Fatalf("keys sent as %+v; reply %+v", fc.got[0], r)
	}
	r, _ = c.Turn(ctx, call.Input{Kind: call.Speech, Text: "yes", Confidence: 0.7})
	if fc.got[1].Voice.Confidence != 0.7 || !r.End || r.Link != "https://pay.example/x" || r.Status != "ended" || strings.Contains(texts(r), "pay.example") {
		t.Fatalf("closing reply %+v, sent %+v", r, fc.got[1])
	}
}

// On a handoff the bot's words are followed by the configured line: the
// call-back offer ends the call; captions keep it open, and silence then
// ends nothing.
func TestConversationHandoff(t *testing.T) {
	ctx := context.Background()
	for _, mode := range []string{HandoffCallback, HandoffCaptions} {
		t.Run(mode, func(t *testing.T) {
			fc := &fakeConn{steps: []step{
				{msgs: []live.Message{{From: bot.FromBot, Act: "ask_verify", Text: "Your date of birth?"}}, status: "bot"},
				{msgs: []live.Message{{From: bot.FromBot, Act: "human_handoff", Text: "A person will take over."}}, status: "waiting_agent"},
				{status: "waiting_agent"},
			}}
			c := newConversation(fc, mode)
			c.Turn(ctx, call.Input{Kind: call.Start})
			r, _ := c.Turn(ctx, call.Input{Kind: call.Speech, Text: "a person please"})
			want := "A person will take over. | notice:" + respond.NoticeCallCallback
			if mode == HandoffCaptions {
				want = "A person will take over. | notice:" + respond.NoticeCallCaptions
			}
			if texts(r) != want || r.End != (mode == HandoffCallback) || !r.Hold || r.Status != "waiting_agent" {
				t.Fatalf("handoff reply %+v", r)
			}
			if mode == HandoffCallback {
				return
			}
			// The caller's words go on as turns (to the person); nothing
			// is announced twice.
			r, _ = c.Turn(ctx, call.Input{Kind: call.Speech, Text: "are you there"})
			if len(r.Segments) != 0 || r.End || !r.Hold {
				t.Fatalf("speech while waiting: %+v", r)
			}
			r, _ = c.Turn(ctx, call.Input{Kind: call.Silence, Final: true})
			if len(r.Segments) != 0 || r.End || !r.Hold || len(fc.idles) != 0 {
				t.Fatalf("silence while waiting: %+v, idles %v", r, fc.idles)
			}
		})
	}
}

// A resumed conversation is not read out: the welcome back and the open
// question are.
func TestConversationResumes(t *testing.T) {
	ctx := context.Background()
	fc := &fakeConn{resumed: true, steps: []step{
		{msgs: []live.Message{{From: bot.FromBot, Seq: 1, Text: "Hello."}, {From: bot.FromBorrower, Seq: 2, Text: "my secret words"}, {From: bot.FromBot, Seq: 3, Text: "When can you pay?"}}, status: "bot"},
		{msgs: []live.Message{{From: bot.FromBot, Act: "welcome_back", Text: "Welcome back."}, {From: bot.FromBot, Act: "ask_promise_date", Text: "When can you pay?"}}, status: "bot"},
		{msgs: []live.Message{{From: bot.FromBot, Act: "still_there", Text: "Are you still there?"}}, status: "bot"},
	}}
	c := newConversation(fc, HandoffCaptions)
	r, err := c.Turn(ctx, call.Input{Kind: call.Start})
	if err != nil || texts(r) != "Welcome back. | When can you pay?" || !r.Expect.Date {
		t.Fatalf("resumed greeting %q %+v %v", texts(r), r, err)
	}
	r, _ = c.Turn(ctx, call.Input{Kind: call.Silence})
	if texts(r) != "Are you still there?" || len(fc.idles) != 1 || fc.idles[0] {
		t.Fatalf("re-prompt %+v, idles %v", r, fc.idles)
	}
}

// A key that is no answer is met with the question again; on an ended
// conversation the call ends.
func TestConversationRejects(t *testing.T) {
	ctx := context.Background()
	fc := &fakeConn{steps: []step{
		{msgs: []live.Message{{From: bot.FromBot, Act: "confirm_ptp", Text: "Is that right?"}}, status: "bot"},
		{reject: bot.ErrInvalid},
		{reject: bot.ErrEnded},
	}}
	c := newConversation(fc, HandoffCaptions)
	c.Turn(ctx, call.Input{Kind: call.Start})
	if r, _ := c.Turn(ctx, call.Input{Kind: call.Digits, Digits: "*"}); texts(r) != "Is that right?" || r.End {
		t.Fatalf("rejected keys: %+v", r)
	}
	if r, _ := c.Turn(ctx, call.Input{Kind: call.Speech, Text: "hello"}); !r.End {
		t.Fatalf("after the end: %+v", r)
	}
}

// The time limit's closing line is the call's own notice.
func TestConversationTimeLimit(t *testing.T) {
	c := newConversation(&fakeConn{}, HandoffCaptions)
	r, _ := c.Turn(context.Background(), call.Input{Kind: call.TimeLimit})
	if texts(r) != "notice:"+respond.NoticeCallTimeLimit || !r.End || !r.Segments[0].Uninterruptible {
		t.Fatalf("time limit %+v", r)
	}
}
