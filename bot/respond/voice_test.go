package respond

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/dialog"
	"github.com/collectagent/collectagent/prompts"
)

// TestVoicePassesGuard renders every act the engine emits for a call, in
// both locales under both packs: the guard (told the channel) allows each
// text against the act's own facts, so amounts and dates in words are
// still the engine's; no link is read out, and no figure is left in
// digits for the synthesizer to guess at.
func TestVoicePassesGuard(t *testing.T) {
	r, f := renderer(t), flow(t)
	guards := map[string]*compliance.Guard{}
	for _, p := range []string{"us", "cn"} {
		pack, err := compliance.LoadPack(p)
		if err != nil {
			t.Fatal(err)
		}
		guards[p] = compliance.NewGuard(pack)
	}
	seen := map[string]map[dialog.ActKind]bool{}
	for name, a := range accounts() {
		g := guards[a.Policy.Pack]
		if seen[a.Locale] == nil {
			seen[a.Locale] = map[dialog.ActKind]bool{}
		}
		for cname, turns := range conversations(a) {
			acct := accountFor(cname, a)
			for _, ch := range []compliance.Channel{compliance.ChannelVoice, compliance.ChannelPhone} {
				for _, ra := range runOn(t, r, f, acct, turns, nil, ch) {
					seen[a.Locale][ra.act.Kind] = true
					d := g.Check(compliance.Utterance{Text: ra.text, Locale: a.Locale, Channel: ch, Source: compliance.SourceTemplate, Facts: ra.act.Facts})
					if !d.Allowed {
						t.Errorf("%s/%s %s on %s blocked: %+v\n  text: %s", name, cname, ra.act.Kind, ch, d.Violations, ra.text)
					}
					if strings.Contains(ra.text, "://") || (ra.act.Link != "" && strings.Contains(ra.text, ra.act.Link)) {
						t.Errorf("%s/%s %s: a link read out: %s", name, cname, ra.act.Kind, ra.text)
					}
					// The crisis note is the lender's text, said verbatim.
					if ra.act.Kind != dialog.ActCrisisResources && strings.ContainsAny(ra.text, "0123456789$¥") {
						t.Errorf("%s/%s %s: figures in digits on a call: %s", name, cname, ra.act.Kind, ra.text)
					}
					if strings.Contains(ra.text, "\n") {
						t.Errorf("%s/%s %s: a line break (a list) on a call: %q", name, cname, ra.act.Kind, ra.text)
					}
				}
			}
		}
	}
	for _, loc := range []string{"en-US", "zh-CN"} {
		for _, k := range dialog.ActKinds() {
			if !seen[loc][k] {
				t.Errorf("%s: act kind %s never rendered for voice", loc, k)
			}
		}
	}
}

// TestVoiceTranscripts renders conversations as a call hears them, for
// review: testdata/<locale>/voice/<conversation>.txt.
func TestVoiceTranscripts(t *testing.T) {
	r, f := renderer(t), flow(t)
	for _, name := range []string{"en-US.us", "zh-CN.cn"} {
		a := accounts()[name]
		convs := conversations(a)
		for _, cname := range []string{"ptp", "plan", "pay_now", "counter_plan", "extension", "resume", "two_factors"} {
			turns, ok := convs[cname]
			if !ok {
				t.Fatalf("no conversation %s", cname)
			}
			acct := accountFor(cname, a)
			t.Run(name+"/"+cname, func(t *testing.T) {
				var w strings.Builder
				runOn(t, r, f, acct, turns, &w, compliance.ChannelVoice)
				path := filepath.Join("testdata", a.Locale, "voice", cname+".txt")
				if *update {
					if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, []byte(w.String()), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run with -update to create)", err)
				}
				if w.String() != string(want) {
					t.Errorf("%s differs (review, then -update):\n%s", path, w.String())
				}
			})
		}
	}
}

func TestVoiceExamples(t *testing.T) {
	r := renderer(t)
	us, cn := accounts()["en-US.us"], accounts()["zh-CN.cn"]
	balance := func(a dialog.Account) dialog.Act {
		return dialog.Act{Kind: dialog.ActBalance, Amount: a.Debt.AmountDue, Date: a.Debt.DueDate, Count: a.Debt.DaysPastDue}
	}
	plan := []dialog.Installment{{Amount: money(12025, "USD"), DueDate: days(5)}, {Amount: money(11975, "USD"), DueDate: days(19)}}
	tests := []struct {
		name string
		act  dialog.Act
		a    dialog.Account
		ch   compliance.Channel
		want string
	}{
		{"balance, chat", balance(us), us, compliance.ChannelChat,
			"Your balance with Demo Finance is $240.00, which was due on November 13, 2026 and is now 9 days past due."},
		{"balance, voice", balance(us), us, compliance.ChannelVoice,
			"Your balance with Demo Finance is two hundred forty dollars, which was due on November thirteenth and is now nine days past due."},
		{"balance, phone", balance(us), us, compliance.ChannelPhone,
			"Your balance with Demo Finance is two hundred forty dollars, which was due on November thirteenth and is now nine days past due."},
		{"one day, voice", dialog.Act{Kind: dialog.ActBalance, Amount: money(24050, "USD"), Count: 1}, us, compliance.ChannelVoice,
			"Your balance with Demo Finance is two hundred forty dollars and fifty cents, which is now one day past due."},
		{"balance zh, chat", balance(cn), cn, compliance.ChannelChat,
			"您在示例消费金融的待还金额为860.00元，应还款日为2026年11月10日，目前已逾期12天。"},
		{"balance zh, voice", balance(cn), cn, compliance.ChannelVoice,
			"您在示例消费金融的待还金额为八百六十元，应还款日为十一月十日，目前已逾期十二天。"},
		{"cents zh, voice", dialog.Act{Kind: dialog.ActBalance, Amount: money(24050, "CNY"), Date: compliance.Date{Year: 2026, Month: 11, Day: 27}, Count: 2}, cn, compliance.ChannelVoice,
			"您在示例消费金融的待还金额为二百四十元五角，应还款日为十一月二十七日，目前已逾期两天。"},
		{"recording, chat", dialog.Act{Kind: dialog.ActRecordingNotice}, us, compliance.ChannelChat,
			"This chat is recorded and kept for quality and compliance purposes."},
		{"recording, voice", dialog.Act{Kind: dialog.ActRecordingNotice}, us, compliance.ChannelVoice,
			"This call is recorded and kept for quality and compliance purposes."},
		{"recording zh, voice", dialog.Act{Kind: dialog.ActRecordingNotice}, cn, compliance.ChannelPhone,
			"为保障服务质量，本次通话将被全程录音并存档。"},
		{"identity, voice", dialog.Act{Kind: dialog.ActAskVerify, Count: 4}, us, compliance.ChannelVoice,
			"Before we go on, I need to make sure I'm speaking with the right person. Please say your date of birth, or key the last four digits of your ID number on your keypad."},
		{"identity zh, voice", dialog.Act{Kind: dialog.ActAskVerify, Count: 4}, cn, compliance.ChannelVoice,
			"为保护您的隐私，继续之前需要先核实您的身份。请说出您的出生日期，或在拨号键盘上输入身份证号码后四位。"},
		{"link, chat", dialog.Act{Kind: dialog.ActPaymentLink, Link: "https://p.example/x"}, us, compliance.ChannelChat,
			"You can pay securely here: https://p.example/x"},
		{"link, voice", dialog.Act{Kind: dialog.ActPaymentLink, Link: "https://p.example/x"}, us, compliance.ChannelVoice,
			"I'll send you a secure payment link by text message after this call."},
		{"no link, voice", dialog.Act{Kind: dialog.ActPaymentLink}, us, compliance.ChannelVoice,
			"You can pay securely in the Payments section of the app."},
		{"plan, voice", dialog.Act{Kind: dialog.ActConfirmPlan, Amount: money(24000, "USD"), Count: 2, Installments: plan}, us, compliance.ChannelVoice,
			"Just to confirm, here is your plan of two payments, two hundred forty dollars in total: one hundred twenty dollars and twenty-five cents on November twenty-seventh; one hundred nineteen dollars and seventy-five cents on December eleventh. Is that right? Please say yes or no, or press one for yes, or press two for no."},
		{"plan count zh, voice", dialog.Act{Kind: dialog.ActAskPlanCount, Count: 2}, cn, compliance.ChannelVoice,
			"请问您希望分几期还款？最多可以分两期。"},
		// No voice wording of its own: the chat text is said.
		{"fallback", dialog.Act{Kind: dialog.ActVerified}, us, compliance.ChannelVoice, "Thank you, your identity is confirmed."},
	}
	for _, tt := range tests {
		got, err := r.Render(tt.act, tt.a.Locale, tt.ch, tt.a)
		if err != nil || got != tt.want {
			t.Errorf("%s:\n got %q, %v\nwant %q", tt.name, got, err, tt.want)
		}
	}
}

// Every notice exists in every locale, on chat and on a call, and the
// call's wording is its own where the chat's is wrong for the ear.
func TestNotices(t *testing.T) {
	r := renderer(t)
	day := compliance.Date{Year: 2026, Month: 11, Day: 27}
	for _, loc := range []string{"en-US", "zh-CN"} {
		for _, name := range Notices() {
			for _, ch := range []compliance.Channel{compliance.ChannelChat, compliance.ChannelVoice} {
				var data any = NoticeData{Name: "Sue", Date: NoticeDate(loc, ch, day)}
				if name == NoticeSummary {
					data = SummaryData{Reason: "human_request", Verified: true, Disclosures: "greeting"}
				}
				got, err := r.Notice(name, loc, ch, data)
				if err != nil || strings.TrimSpace(got) == "" {
					t.Errorf("%s/%s on %s: %q %v", loc, name, ch, got, err)
				}
			}
		}
	}
	for _, tt := range []struct {
		name, loc string
		ch        compliance.Channel
		want      string
	}{
		{NoticeAgentJoined, "en-US", compliance.ChannelChat, "Sue from our team has joined the conversation."},
		{NoticeAgentJoined, "en-US", compliance.ChannelVoice, "Sue from our team has joined the call."},
		{NoticeCallbackDated, "en-US", compliance.ChannelChat, "No one from our team was free in time, sorry. A member of our team will call you back on November 27, 2026, within our permitted contact hours. You can keep writing here meanwhile."},
		{NoticeCallbackDated, "en-US", compliance.ChannelPhone, "No one from our team was free in time, sorry. A member of our team will call you back on November twenty-seventh, within our permitted contact hours."},
		{NoticeCallbackDated, "zh-CN", compliance.ChannelVoice, "抱歉，暂时没有工作人员能及时接入。我们的工作人员将在十一月二十七日的允许联系时间内给您回电。"},
		{NoticeAgentRequeued, "zh-CN", compliance.ChannelVoice, "Sue暂时离开，您已重新进入排队，下一位工作人员会尽快为您服务。"},
	} {
		got, err := r.Notice(tt.name, tt.loc, tt.ch, NoticeData{Name: "Sue", Date: NoticeDate(tt.loc, tt.ch, day)})
		if err != nil || got != tt.want {
			t.Errorf("%s/%s on %s:\n got %q, %v\nwant %q", tt.loc, tt.name, tt.ch, got, err, tt.want)
		}
	}
	if _, err := r.Notice("nope", "en-US", compliance.ChannelChat, NoticeData{}); !errors.Is(err, ErrNoTemplate) {
		t.Errorf("unknown notice: %v", err)
	}
}

// A wording whose voice template does not compile fails, naming it.
func TestWordingErrors(t *testing.T) {
	fsys := fstest.MapFS{
		"templates/en-US.json":       {Data: []byte(`{"balance": "Your balance is {{.Amount}}."}`)},
		"templates/en-US.voice.json": {Data: []byte(`{"balance": "Your balance is {{.Amount."}`)},
	}
	w, err := prompts.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewFromWording(w); !errors.Is(err, ErrTemplate) || !strings.Contains(err.Error(), "en-US/voice/balance") {
		t.Errorf("bad voice template: %v", err)
	}
	fsys["templates/en-US.voice.json"] = &fstest.MapFile{Data: []byte(`{}`)}
	w, err = prompts.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewFromWording(w)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Complete(w.Locales()); !errors.Is(err, ErrNoTemplate) {
		t.Errorf("a wording without most acts is complete: %v", err)
	}
	if err := renderer(t).Complete(prompts.Locales()); err != nil {
		t.Errorf("embedded wording incomplete: %v", err)
	}
}
