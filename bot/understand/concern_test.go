package understand

import (
	"context"
	"testing"

	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/dialog"
)

// Statements about rights come first: figures inside references do not
// make an offer that outranks them, a firm stop request stands beside an
// offer, a paid claim's date is when it was paid, and a rights concept the
// rules cannot read is a concern, not a payment conversation.
func TestRightsFirst(t *testing.T) {
	r := NewRules()
	today := compliance.Date{Year: 2026, Month: 11, Day: 23}
	type want struct {
		has     dialog.Intent // must be present (main or alternative)
		absent  dialog.Intent // must not be present
		concern string
		noSlots bool // no date, amount, count or schedule
	}
	for _, tt := range []struct {
		text, locale string
		w            want
	}{
		// References are not figures.
		{"Pursuant to 15 U.S.C. 1692c(c), I am notifying you that you must cease further communication with me.", "en-US",
			want{has: dialog.IntentCease, absent: dialog.IntentPlan, noSlots: true}},
		{"Per FDCPA section 805(c) you are to cease all communication. Account 4471-2231.", "en-US",
			want{has: dialog.IntentCease, noSlots: true}},
		{"I filed chapter 7 on 11/02/2026, case number 26-40213", "en-US", want{has: dialog.IntentBankruptcy, absent: dialog.IntentPlan}},
		{"filed ch 7 last month, case # 26-31207", "en-US", want{has: dialog.IntentBankruptcy, noSlots: true}},
		{"I'm in bankruptcy, chapter 13, trustee is Mark Bell 555-201-3344", "en-US", want{has: dialog.IntentBankruptcy, noSlots: true}},
		{"我已经申请个人破产了，案号（2026）粤03破申12号", "zh-CN", want{has: dialog.IntentBankruptcy, noSlots: true}},
		// A firm request stands beside an offer; annoyance does not.
		{"I was going to pay $100 on Friday but I want all contact to stop. Send everything in writing.", "en-US",
			want{has: dialog.IntentCease}},
		{"you people are scum, stop texting me, I'll pay when I can", "en-US", want{has: dialog.IntentCease}},
		{"stop blowing up my phone, I'll pay on the 30th", "en-US", want{absent: dialog.IntentCease}},
		{"请停止一切催收，我下个月15号还500", "zh-CN", want{has: dialog.IntentCease}},
		{"别再给我打电话了，我下个月15号还500", "zh-CN", want{absent: dialog.IntentCease}},
		{"把我的电话号码和个人信息全部删掉 不准再联系我", "zh-CN", want{has: dialog.IntentCease, absent: dialog.IntentPayNow}},
		{"ok ok 别催了 Friday 一定还", "zh-CN", want{absent: dialog.IntentCease}},
		// Stop requests as questions, in the passive, the negative, with
		// chat spellings, in Spanish.
		{"could you please not call me anymore", "en-US", want{has: dialog.IntentCease}},
		{"I'd appreciate it if you would no longer contact me about this.", "en-US", want{has: dialog.IntentCease}},
		{"I don't want calls or texts from you anymore, ok?", "en-US", want{has: dialog.IntentCease}},
		{"plz stp contactng me i dont wnat to hear frm u agian", "en-US", want{has: dialog.IntentCease}},
		{"I want the calls to stop", "en-US", want{has: dialog.IntentCease}},
		{"no me contacten mas", "en-US", want{has: dialog.IntentCease}},
		// A paid claim's date is in the past.
		{"i already paid this lol check ur records, paid it in full on the 12th", "en-US",
			want{has: dialog.IntentAlreadyPaid, absent: dialog.IntentPromise, noSlots: true}},
		{"when i get paid on the 10th", "en-US", want{absent: dialog.IntentAlreadyPaid}},
		{"10月底就还完了", "zh-CN", want{has: dialog.IntentAlreadyPaid, noSlots: true}},
		{"12月3号还清", "zh-CN", want{absent: dialog.IntentAlreadyPaid}},
		{"我十月份就已经全部还清了 还有结清短信", "zh-CN", want{has: dialog.IntentAlreadyPaid, absent: dialog.IntentPayNow}},
		// Who holds the proof.
		{"I paid this in full in march, I have the bank statement to prove it", "en-US", want{has: dialog.IntentAlreadyPaid}},
		{"How do I know this is actually Prairie Auto and not a scammer? Prove you're legit.", "en-US", want{absent: dialog.IntentDispute}},
		{"i need a letter showing where this number comes from before i pay anything", "en-US", want{has: dialog.IntentDispute}},
		{"send me the 合同 and 还款记录 first 我核对一下", "zh-CN", want{has: dialog.IntentDispute}},
		{"someone opened this in my name, i already filed a police report", "en-US", want{has: dialog.IntentDispute}},
		// Concerns: a rights concept the rules could not read.
		{"why do you keep calling me, stop it", "en-US", want{concern: dialog.StatementCease}},
		{"天天打电话烦不烦啊", "zh-CN", want{concern: dialog.StatementCease}},
		// Settled, so no concern: asked about, someone else's, a joke, a
		// question the bot answers.
		{"do ppl usually get a lawyer for stuff like this? lol nvm ill pay on the 30th", "en-US", want{absent: dialog.IntentAttorney}},
		{"My brother-in-law went through bankruptcy, I'm not going down that road. I'll pay on December 4th.", "en-US",
			want{absent: dialog.IntentBankruptcy}},
		{"jaja if I had a lawyer I'd make him pay this for me 😂 ok I'll pay friday", "en-US", want{absent: dialog.IntentAttorney}},
		{"可以给我发个书面通知吗", "zh-CN", want{}},
		{"I'll pay on Friday", "en-US", want{}},
		{"my lawyer friend said I should just pay, so friday", "en-US", want{absent: dialog.IntentAttorney}},
		{"I never got the text with the link, can you resend it?", "en-US", want{absent: dialog.IntentDispute}},
		{"上个月已经还过500了，这个月的下周还", "zh-CN", want{absent: dialog.IntentAlreadyPaid}},
	} {
		t.Run(tt.text, func(t *testing.T) {
			p, err := r.Understand(context.Background(), Request{Text: tt.text, Locale: tt.locale, Today: today, Stage: dialog.StageIntent})
			if err != nil {
				t.Fatal(err)
			}
			if tt.w.has != "" && !p.Has(tt.w.has) {
				t.Errorf("want %s in %+v", tt.w.has, p)
			}
			if tt.w.absent != "" && p.Has(tt.w.absent) {
				t.Errorf("want no %s in %+v", tt.w.absent, p)
			}
			if p.Concern != tt.w.concern {
				t.Errorf("concern %q, want %q (%+v)", p.Concern, tt.w.concern, p)
			}
			if tt.w.noSlots && (!p.Date.IsZero() || !p.Amount.IsZero() || p.Installments > 0 || len(p.Parts) > 0 || p.Unclear) {
				t.Errorf("figures read as slots: %+v", p)
			}
		})
	}
}

func TestMaskRefs(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"I'll pay 240 on 12/1", "I'll pay 240 on 12/1"},
		{"15 U.S.C. 1692c(c) applies", "   U.S.C.     c c  applies"},
		{"case # 26-31207", "case           "},
		{"filed ch 7", "filed ch  "},
		{"call 214-555-0190", "call             "},
		{"account 4039", "account 4039"},
	} {
		if got := maskRefs(tt.in); got != tt.want {
			t.Errorf("maskRefs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMendChat(t *testing.T) {
	for in, want := range map[string]string{
		"plz stp contactng me": "please stop contacting me",
		"i will pay friday":    "i will pay friday",
		"":                     "",
		"stp":                  "stop",
	} {
		if got := mendChat(in); got != want {
			t.Errorf("mendChat(%q) = %q, want %q", in, got, want)
		}
	}
}
