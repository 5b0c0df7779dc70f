package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/bot/understand"
	"github.com/collectagent/collectagent/dialog"
)

func open(t *testing.T, rt *bot.Runtime, account string) *bot.Session {
	t.Helper()
	ctx := context.Background()
	c, err := rt.Begin(ctx, account, bot.ChannelChat, bot.ByBorrower)
	if err != nil {
		t.Fatal(err)
	}
	s, err := rt.Open(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

// A portfolio that asks for two identity factors says nothing about the
// debt until both match.
func TestTwoFactorPortfolio(t *testing.T) {
	r := newRig(t)
	strict := policy("us")
	strict.VerifyFactors = 2
	rt, err := bot.NewRuntime(bot.Config{DefaultPolicy: policy("us"), Policies: map[string]dialog.Policy{"us": strict, "cn": policy("cn")}},
		bot.Deps{Store: r.st, Understander: understand.NewRules(), Clock: r.clock})
	if err != nil {
		t.Fatal(err)
	}
	s := open(t, rt, "a-1")
	out := say(t, s, "07/21/1988")
	if strings.Contains(joined(out), "240") || !strings.Contains(joined(out), "last 4 digits") {
		t.Fatalf("after one factor: %q", joined(out))
	}
	if out := say(t, s, "4417"); !strings.Contains(joined(out), "$240.00") {
		t.Fatalf("after both factors: %q", joined(out))
	}
	// A wrong second factor starts over.
	s2 := open(t, rt, "a-1")
	say(t, s2, "07/21/1988")
	if out := say(t, s2, "9999"); strings.Contains(joined(out), "240") || out.Status.Stage != "verify" {
		t.Fatalf("wrong second factor: %+v %q", out.Status, joined(out))
	}
}

// Failed identity answers add up over the account's sessions: once the
// flow's account limit is reached, no later session checks an answer,
// even the right one.
func TestVerificationFailuresAcrossSessions(t *testing.T) {
	r := newRig(t)
	rt := r.runtime(t)
	s1 := open(t, rt, "a-1")
	say(t, s1, "01/01/1970")
	say(t, s1, "02/02/1971")
	if out := say(t, s1, "1234"); out.Status.Mode != "ended" {
		t.Fatalf("three failures: %+v", out.Status)
	}
	s2 := open(t, rt, "a-1")
	say(t, s2, "03/03/1972")
	out := say(t, s2, "0000")
	if out.Status.Mode != "ended" || !strings.Contains(joined(out), "several unsuccessful attempts") {
		t.Fatalf("fifth failure over two sessions: %+v %q", out.Status, joined(out))
	}
	s3 := open(t, rt, "a-1")
	out = say(t, s3, "07/21/1988")
	if strings.Contains(joined(out), "240") || out.Status.Mode != "ended" {
		t.Fatalf("the right answer after the lock: %+v %q", out.Status, joined(out))
	}
	// Another account is not affected.
	if out := say(t, open(t, rt, "a-2"), "1990年3月8日"); !strings.Contains(joined(out), "860.00") {
		t.Fatalf("other account: %q", joined(out))
	}
}
