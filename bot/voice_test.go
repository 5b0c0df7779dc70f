package bot_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/store"
)

// talk runs a conversation on a channel through the real runtime and
// SQLite store and returns every reply.
func talk(t *testing.T, r *rig, rt *bot.Runtime, account string, ch bot.Channel, lines ...string) (*bot.Session, []bot.Reply) {
	t.Helper()
	ctx := context.Background()
	c, err := rt.Begin(ctx, account, ch, bot.ByBorrower)
	if err != nil {
		t.Fatal(err)
	}
	s, err := rt.Open(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	replies := out.Replies
	for _, l := range lines {
		replies = append(replies, say(t, s, l).Replies...)
	}
	return s, replies
}

// byAct returns the text of the first reply of an act.
func byAct(t *testing.T, replies []bot.Reply, act string) bot.Reply {
	t.Helper()
	for _, r := range replies {
		if r.Act == act {
			return r
		}
	}
	t.Fatalf("no %s among %+v", act, replies)
	return bot.Reply{}
}

// checkGuardSawSent asserts that every bot reply is exactly the text the
// guard passed, as the audit trail records it.
func checkGuardSawSent(t *testing.T, r *rig, s *bot.Session, replies []bot.Reply) {
	t.Helper()
	evs, err := r.st.ListAudit(context.Background(), s.ID())
	if err != nil {
		t.Fatal(err)
	}
	var checked []string
	for _, e := range evs {
		if e.Kind != "guard.passed" && e.Kind != "guard.blocked" {
			continue
		}
		var d struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal(e.Data, &d); err != nil {
			t.Fatal(err)
		}
		checked = append(checked, d.Text)
	}
	var sent []string
	for _, rep := range replies {
		if rep.From == bot.FromBot {
			sent = append(sent, rep.Text)
		}
	}
	if strings.Join(checked, "\x00") != strings.Join(sent, "\x00") {
		t.Errorf("the guard checked\n%q\nbut the borrower got\n%q", checked, sent)
	}
}

func TestVoiceAndChatWording(t *testing.T) {
	r := newRig(t)
	rt := r.runtime(t)
	lines := []string{"07/21/1988", "I'll pay the full amount on November 27", "yes"}

	s, voice := talk(t, r, rt, "a-1", bot.ChannelVoice, lines...)
	if got := byAct(t, voice, "recording_notice"); got.Text != "This call is recorded and kept for quality and compliance purposes." || !got.Disclosure {
		t.Errorf("recording notice on a call: %+v", got)
	}
	if got := byAct(t, voice, "ask_verify").Text; !strings.Contains(got, "say your date of birth") || !strings.Contains(got, "keypad") {
		t.Errorf("identity question on a call: %q", got)
	}
	if got := byAct(t, voice, "balance").Text; got != "Your balance with Demo Finance is two hundred forty dollars, which was due on November thirteenth and is now nine days past due." {
		t.Errorf("balance on a call: %q", got)
	}
	if got := byAct(t, voice, "confirm_ptp").Text; !strings.Contains(got, "two hundred forty dollars by November twenty-seventh") {
		t.Errorf("read-back on a call: %q", got)
	}
	closing := byAct(t, voice, "close_ptp")
	if !strings.Contains(closing.Text, "text message") || closing.Link != "https://pay.example.com/a-1" {
		t.Errorf("closing on a call: %+v", closing)
	}
	for _, rep := range voice {
		if strings.ContainsAny(rep.Text, "$0123456789") || strings.Contains(rep.Text, "://") {
			t.Errorf("a call hears %q", rep.Text)
		}
	}
	if s.Conversation().OutcomeType != "ptp" {
		t.Errorf("outcome %q, want ptp", s.Conversation().OutcomeType)
	}
	checkGuardSawSent(t, r, s, voice)

	s, chat := talk(t, r, rt, "a-1", bot.ChannelChat, lines...)
	if got := byAct(t, chat, "recording_notice").Text; got != "This chat is recorded and kept for quality and compliance purposes." {
		t.Errorf("recording notice in a chat: %q", got)
	}
	if got := byAct(t, chat, "balance").Text; got != "Your balance with Demo Finance is $240.00, which was due on November 13, 2026 and is now 9 days past due." {
		t.Errorf("balance in a chat: %q", got)
	}
	closing = byAct(t, chat, "close_ptp")
	if !strings.Contains(closing.Text, "https://pay.example.com/a-1") || closing.Link != "" {
		t.Errorf("closing in a chat: %+v", closing)
	}
	checkGuardSawSent(t, r, s, chat)
}

func TestVoiceWordingZH(t *testing.T) {
	r := newRig(t)
	err := r.st.UpsertAccounts(context.Background(), []store.Account{{
		ID: "z-1", Name: "李娜", DateOfBirth: "1990-03-08", IDLast4: "123X", Locale: "zh-CN",
		Timezone: "Asia/Shanghai", Portfolio: "cn", Consent: store.Consent{Chat: true, Voice: true, Recording: true},
		Debts: []store.Debt{{ID: "z-1-d1", AccountID: "z-1", Creditor: "示范金融", AmountMinor: 86050, Currency: "CNY", DueDate: "2026-11-10", DaysPastDue: 12}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	rt := r.runtime(t)
	s, voice := talk(t, r, rt, "z-1", bot.ChannelPhone, "1990年3月8日")
	if got := byAct(t, voice, "recording_notice").Text; got != "为保障服务质量，本次通话将被全程录音并存档。" {
		t.Errorf("recording notice on a call: %q", got)
	}
	if got := byAct(t, voice, "balance").Text; got != "您在示范金融的待还金额为八百六十元五角，应还款日为十一月十日，目前已逾期十二天。" {
		t.Errorf("balance on a call: %q", got)
	}
	if got := byAct(t, voice, "ask_resolution").Text; !strings.Contains(got, "最多分六期") || strings.ContainsAny(got, "0123456789") {
		t.Errorf("options on a call: %q", got)
	}
	checkGuardSawSent(t, r, s, voice)

	_, chat := talk(t, r, rt, "z-1", bot.ChannelChat, "1990年3月8日")
	if got := byAct(t, chat, "balance").Text; got != "您在示范金融的待还金额为860.50元，应还款日为2026年11月10日，目前已逾期12天。" {
		t.Errorf("balance in a chat: %q", got)
	}
}

// The keypad answers a call's questions: the ID digits, then 1 for yes to
// the read-back.
func TestKeypad(t *testing.T) {
	r := newRig(t)
	rt := r.runtime(t)
	ctx := context.Background()
	for _, tt := range []struct{ account, promise string }{
		{"a-1", "I'll pay the full amount on November 27"},
	} {
		c, err := rt.Begin(ctx, tt.account, bot.ChannelPhone, bot.ByBorrower)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := rt.Open(ctx, c.ID)
		if _, err := s.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Keypad(ctx, "12a", ""); !errors.Is(err, bot.ErrInvalid) {
			t.Errorf("Keypad(12a): %v", err)
		}
		out, err := s.Keypad(ctx, "4417#", "k1")
		if err != nil || !strings.Contains(joined(out), "identity is confirmed") {
			t.Fatalf("ID digits by keypad: %+v %v", out, err)
		}
		say(t, s, tt.promise)
		if s.Expect() != "yes_no" {
			t.Fatalf("Expect %q at the read-back", s.Expect())
		}
		out, err = s.Keypad(ctx, "1", "k2")
		if err != nil || s.Conversation().OutcomeType != "ptp" {
			t.Fatalf("1 for yes: %+v %v, outcome %q", out, err, s.Conversation().OutcomeType)
		}
	}
}
