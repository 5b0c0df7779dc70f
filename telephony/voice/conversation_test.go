package voice

import (
	"context"
	"testing"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/telephony/call"
)

// fakeSession answers with scripted outputs and records what it was told.
type fakeSession struct {
	outs []bot.Output
	got  []bot.Message
	hist []bot.Reply
}

func (f *fakeSession) next() (bot.Output, error) {
	o := f.outs[0]
	f.outs = f.outs[1:]
	return o, nil
}
func (f *fakeSession) Start(context.Context) (bot.Output, error) { return f.next() }
func (f *fakeSession) Handle(_ context.Context, m bot.Message) (bot.Output, error) {
	f.got = append(f.got, m)
	return f.next()
}
func (f *fakeSession) History(context.Context) ([]bot.Reply, error) { return f.hist, nil }
func (f *fakeSession) Status() bot.Status                           { return bot.Status{Mode: "bot"} }

func TestConversationMapsTurns(t *testing.T) {
	ctx := context.Background()
	fs := &fakeSession{outs: []bot.Output{
		{Replies: []bot.Reply{{From: "bot", Act: "greeting", Text: "Hi, I am an AI."}, {From: "bot", Act: "recording_notice", Text: "Recorded."}, {From: "bot", Act: "ask_verify", Text: "Your date of birth?"}}, Status: bot.Status{Mode: "bot"}},
		{Replies: []bot.Reply{{From: "bot", Act: "confirm_ptp", Text: "Is that right?"}}, Status: bot.Status{Mode: "bot"}},
		{Replies: []bot.Reply{{From: "bot", Act: "close_ptp", Text: "Thanks."}}, Status: bot.Status{Mode: "ended", Outcome: "ptp"}},
		{Replies: []bot.Reply{{From: "bot", Act: "escalate", Text: "A person will help."}}, Status: bot.Status{Mode: "waiting_agent"}},
	}}
	c := newConversation(fs, "en-US", HandoffCallback)
	r, err := c.Turn(ctx, call.Input{Kind: call.Start})
	if err != nil || len(r.Segments) != 3 || !r.Segments[0].Uninterruptible || !r.Segments[1].StartsRecording || r.Segments[2].Uninterruptible || !r.Expect.Digits {
		t.Fatalf("greeting %+v %v", r, err)
	}
	if r, _ = c.Turn(ctx, call.Input{Kind: call.Digits, Digits: "07211988"}); fs.got[0].Text != "07/21/1988" || !fs.got[0].Voice.Keys || !r.Expect.YesNo {
		t.Fatalf("keyed date of birth sent as %+v; reply %+v", fs.got[0], r)
	}
	if r, _ = c.Turn(ctx, call.Input{Kind: call.Digits, Digits: "1"}); fs.got[1].Text != "yes" || !r.End {
		t.Fatalf("1 at a read-back sent as %q; reply %+v", fs.got[1].Text, r)
	}
	r, _ = c.Turn(ctx, call.Input{Kind: call.Speech, Text: "a person please", Confidence: 0.7})
	if fs.got[2].Voice.Confidence != 0.7 || !r.End || r.Segments[len(r.Segments)-1].Text != words["en-US"]["callback"] {
		t.Fatalf("handoff reply %+v, sent %+v", r, fs.got[2])
	}
	if r, _ = c.Turn(ctx, call.Input{Kind: call.Silence, Final: true}); !r.End {
		t.Fatalf("final silence %+v", r)
	}
}

func TestKeysToText(t *testing.T) {
	for _, tt := range []struct{ keys, act, lang, want string }{
		{"07211988#", "ask_verify", "en-US", "07/21/1988"},
		{"19920315", "ask_verify", "zh-CN", "1992年03月15日"},
		{"4417", "ask_verify", "en-US", "4417"},
		{"2", "confirm_ptp", "zh-CN", "不是"},
		{"240", "ask_promise_amount", "en-US", "240"},
		{"#", "confirm_ptp", "en-US", ""},
	} {
		if got := keysToText(tt.keys, tt.act, tt.lang); got != tt.want {
			t.Errorf("keysToText(%q, %s, %s) = %q, want %q", tt.keys, tt.act, tt.lang, got, tt.want)
		}
	}
}
