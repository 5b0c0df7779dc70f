package respond

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/dialog"
	"github.com/collectagent/collectagent/prompts"
)

var update = flag.Bool("update", false, "rewrite rendered transcripts")

var today = compliance.Date{Year: 2026, Month: 11, Day: 22}

func flow(t testing.TB) dialog.Flow {
	t.Helper()
	f, err := dialog.ParseFlow(prompts.FlowJSON())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func renderer(t testing.TB) *Renderer {
	t.Helper()
	r, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func money(minor int64, cur string) compliance.Money {
	return compliance.Money{Minor: minor, Currency: cur}
}

// accounts covers both locales, both packs and both currencies in each
// locale.
func accounts() map[string]dialog.Account {
	us := dialog.Account{
		ID: "a-1", Name: "Maria Lopez", DOB: compliance.Date{Year: 1988, Month: 7, Day: 21}, IDLast4: "4417", Locale: "en-US",
		Debt: dialog.Debt{ID: "a-1-d1", Creditor: "Demo Finance", AmountDue: money(24000, "USD"),
			DueDate: compliance.Date{Year: 2026, Month: 11, Day: 13}, DaysPastDue: 9},
		Policy: dialog.Policy{MaxDaysToPromise: 14, MinPromisePercent: 25, MaxInstallments: 6,
			MinInstallment: money(2000, "USD"), FirstInstallmentWithin: 7, InstallmentEveryDays: 14,
			Pack: "us", PaymentURL: "https://pay.example.com/{account}?amount={amount}"},
	}
	cn := dialog.Account{
		ID: "c-1", Name: "王芳", DOB: compliance.Date{Year: 1990, Month: 3, Day: 8}, IDLast4: "345X", Locale: "zh-CN",
		Debt: dialog.Debt{ID: "c-1-d1", Creditor: "示例消费金融", AmountDue: money(86000, "CNY"),
			DueDate: compliance.Date{Year: 2026, Month: 11, Day: 10}, DaysPastDue: 12},
		Policy: dialog.Policy{MaxDaysToPromise: 10, MinPromiseAmount: money(20000, "CNY"), MaxInstallments: 6,
			MinInstallment: money(10000, "CNY"), FirstInstallmentWithin: 5, InstallmentEveryDays: 30,
			AllowExtension: true, ExtensionDays: 7, Pack: "cn", PaymentURL: "https://pay.example.cn/r/{account}"},
	}
	enCNY := cn
	enCNY.ID, enCNY.Locale, enCNY.Debt.Creditor = "c-2", "en-US", "Demo Consumer Finance"
	zhUSD := us
	zhUSD.ID, zhUSD.Locale, zhUSD.Debt.Creditor = "a-2", "zh-CN", "示例金融"
	zhUSD.Policy.PaymentURL = ""
	return map[string]dialog.Account{"en-US.us": us, "zh-CN.cn": cn, "en-US.cn-cny": enCNY, "zh-CN.us-usd": zhUSD}
}

type turn struct {
	in   dialog.Input
	note string
}

func ev(k dialog.EventKind) turn {
	return turn{in: dialog.Input{Kind: k, Today: today}, note: string(k)}
}

func say(note string, p dialog.Parse) turn {
	return turn{in: dialog.Input{Kind: dialog.EventMessage, Parse: p, Today: today}, note: note}
}

func intent(note string, i dialog.Intent) turn { return say(note, dialog.Parse{Intent: i}) }

func days(n int) compliance.Date { return today.AddDays(n) }

// conversations together make the engine emit every act kind.
func conversations(a dialog.Account) map[string][]turn {
	dob := say("(date of birth)", dialog.Parse{Intent: dialog.IntentIdentify, DOB: a.DOB})
	wrong := say("(wrong date of birth)", dialog.Parse{Intent: dialog.IntentIdentify, DOB: a.DOB.AddDays(1)})
	yes, no := intent("yes", dialog.IntentAffirm), intent("no", dialog.IntentDeny)
	start := ev(dialog.EventStart)
	due := a.Debt.AmountDue
	c := map[string][]turn{
		"ptp": {start, dob, say("I can pay on the 27th", dialog.Parse{Intent: dialog.IntentPromise, Date: days(5)}), yes},
		"ptp_partial": {start, dob, say("I can pay part of it", dialog.Parse{Intent: dialog.IntentPromise, Amount: money(due.Minor*30/100, "")}),
			say("in three days", dialog.Parse{Date: days(3)}), yes},
		"pay_now": {start, dob, intent("I'll pay it all now", dialog.IntentPayNow), intent("how do I pay", dialog.IntentAskHowToPay), yes},
		"plan":    {start, dob, intent("installments please", dialog.IntentPlan), say("3", dialog.Parse{Installments: 3}), yes},
		"counter_ptp": {start, dob, say("next month", dialog.Parse{Intent: dialog.IntentPromise, Date: days(30)}), no,
			say("a little in 3 days", dialog.Parse{Intent: dialog.IntentPromise, Date: days(3), Amount: money(due.Minor/20, "")}), yes},
		"counter_plan": {start, dob, say("12 payments", dialog.Parse{Intent: dialog.IntentPlan, Installments: 12}), no,
			say("2 payments starting in 3 weeks", dialog.Parse{Intent: dialog.IntentPlan, Installments: 2, Date: days(20)}), yes},
		"flagged":          {start, dob},
		"ceased":           {start, dob},
		"two_factors":      {start, dob, say("(ID last 4)", dialog.Parse{Intent: dialog.IntentIdentify, IDLast4: a.IDLast4})},
		"locked":           {start, dob},
		"cease_unverified": {start, intent("stop texting me", dialog.IntentCease), dob, yes},
		"cease_by_channel": {start, dob, say("don't call me, texts are fine", dialog.Parse{Intent: dialog.IntentCease, CeaseChannels: []string{"voice"}})},
		"extension":        {start, dob, intent("can I have more time", dialog.IntentExtension), intent("hmm", dialog.IntentUnknown), yes},
		"questions": {start, intent("what is this about", dialog.IntentAskBalance), intent("???", dialog.IntentUnknown), dob,
			intent("how much again", dialog.IntentAskBalance), intent("I can't pay", dialog.IntentCannotPay),
			say("I can't pay Friday", dialog.Parse{Intent: dialog.IntentPromise, Date: days(4), Negated: true}),
			intent("later", dialog.IntentCallbackLater), intent("hello?", dialog.IntentGreet)},
		"verify_failed": {start, wrong, wrong, wrong},
		"wrong_party":   {start, say("wrong number", dialog.Parse{Intent: dialog.IntentWrongParty, Party: dialog.PartyWrongNumber})},
		"third_party": {start, say("this is her mother", dialog.Parse{Intent: dialog.IntentWrongParty, Party: dialog.PartyThirdParty}),
			intent("how much does she owe", dialog.IntentAskBalance)},
		"validation":    {start, dob, say("send me proof I owe this", dialog.Parse{Intent: dialog.IntentDispute, Validation: true})},
		"small_plan":    {start, dob, say("split in 2", dialog.Parse{Intent: dialog.IntentPlan, Installments: 2}), yes},
		"resume":        {start, ev(dialog.EventTimeout), {in: dialog.Input{Kind: dialog.EventTimeout, Final: true, Today: today}, note: "timeout (final)"}, ev(dialog.EventResume), dob, intent("a person please", dialog.IntentHuman), ev(dialog.EventHandBack), say("2 payments", dialog.Parse{Installments: 2}), yes},
		"misunderstood": {start, dob, intent("asdf", dialog.IntentUnknown), intent("qwer", dialog.IntentUnknown), intent("zxcv", dialog.IntentUnknown)},
		"off_policy": {start, dob, say("in 40 days", dialog.Parse{Intent: dialog.IntentPromise, Date: days(40)}), no,
			say("in 50 days", dialog.Parse{Intent: dialog.IntentPromise, Date: days(50)}), no,
			say("in 60 days", dialog.Parse{Intent: dialog.IntentPromise, Date: days(60)})},
	}
	for _, i := range []dialog.Intent{dialog.IntentDispute, dialog.IntentCease, dialog.IntentAttorney, dialog.IntentBankruptcy,
		dialog.IntentHardship, dialog.IntentComplaint, dialog.IntentAbuse, dialog.IntentDistress, dialog.IntentAlreadyPaid} {
		c["verified_"+string(i)] = []turn{start, dob, intent("("+string(i)+")", i)}
	}
	c["pre_verify_distress"] = []turn{start, intent("(distress)", dialog.IntentDistress)}
	q := func(note string, t dialog.Topic) turn {
		return say(note, dialog.Parse{Intent: dialog.IntentQuestion, Topic: t})
	}
	half := dialog.Part{Num: 1, Den: 2, Date: days(2)}
	c["schedule"] = []turn{start, dob, say("half Tuesday, the rest later", dialog.Parse{Intent: dialog.IntentPlan,
		Parts: []dialog.Part{half, {Rest: true}}}), say("the 4th", dialog.Parse{Date: days(12)}), yes}
	c["schedule_counter"] = []turn{start, dob, say("a tenth every week", dialog.Parse{Intent: dialog.IntentPlan,
		Parts: []dialog.Part{{Amount: money(due.Minor/10, ""), Every: 7}}}), yes}
	c["schedule_unclear"] = []turn{start, dob, say("300 today and the rest next friday, not this friday", dialog.Parse{Intent: dialog.IntentPlan, Unclear: true})}
	c["part_amount"] = []turn{start, dob, say("something Friday", dialog.Parse{Intent: dialog.IntentPromise, Date: days(5), Partial: true}),
		intent("hmm", dialog.IntentUnknown), say("half", dialog.Parse{Amount: money(due.Minor/2, "")}), yes}
	c["part_now"] = []turn{start, dob, say("part now", dialog.Parse{Intent: dialog.IntentPayNow, Partial: true}),
		say("a quarter", dialog.Parse{Amount: money(due.Minor/4, "")}), yes}
	c["clarify"] = []turn{start, intent("???", dialog.IntentUnknown), dob, intent("a plan", dialog.IntentPlan), intent("hmm", dialog.IntentUnknown),
		intent("I'll pay", dialog.IntentPromise), intent("hmm", dialog.IntentUnknown)}
	c["questions_unverified"] = []turn{start, q("who is this", dialog.TopicWho), q("are you a bot", dialog.TopicBot),
		q("is this a scam", dialog.TopicLegit), q("why so much", dialog.TopicBreakdown)}
	c["questions_verified"] = []turn{start, dob, q("who do I owe", dialog.TopicDebt), q("why so much", dialog.TopicBreakdown),
		q("waive the fees", dialog.TopicFees), q("what if I don't pay", dialog.TopicConsequence), q("is this a scam", dialog.TopicLegit),
		q("in writing", dialog.TopicWriting), q("latest date", dialog.TopicOptions), q("are you a bot", dialog.TopicBot)}
	c["reason"] = []turn{start, dob, say("I can't pay", dialog.Parse{Intent: dialog.IntentCannotPay, Negated: true}),
		say("my car broke down", dialog.Parse{Intent: dialog.IntentReason, Reason: dialog.LateUnexpectedExpense})}
	crisis := say("(distress)", dialog.Parse{Intent: dialog.IntentDistress, Sentiment: "distressed"})
	c["crisis"] = []turn{start, crisis}
	return c
}

type rendered struct {
	act  dialog.Act
	text string
}

// run plays a conversation and renders every act for chat.
func run(t testing.TB, r *Renderer, f dialog.Flow, a dialog.Account, turns []turn, w *strings.Builder) []rendered {
	t.Helper()
	return runOn(t, r, f, a, turns, w, compliance.ChannelChat)
}

// runOn plays a conversation and renders every act for a channel.
func runOn(t testing.TB, r *Renderer, f dialog.Flow, a dialog.Account, turns []turn, w *strings.Builder, ch compliance.Channel) []rendered {
	t.Helper()
	var out []rendered
	st := dialog.NewState()
	for _, tu := range turns {
		var res dialog.Result
		st, res = dialog.Step(f, a, st, tu.in)
		if w != nil {
			fmt.Fprintf(w, "> %s\n", tu.note)
		}
		for _, act := range res.Acts {
			text, err := r.Render(act, a.Locale, ch, a)
			if err != nil {
				t.Fatalf("render %s: %v", act.Kind, err)
			}
			out = append(out, rendered{act, text})
			if w != nil {
				fmt.Fprintf(w, "bot [%s]: %s\n", act.Kind, strings.ReplaceAll(text, "\n", "\n    "))
			}
		}
		if w != nil && res.Outcome != nil {
			fmt.Fprintf(w, "  = outcome %s %s\n", res.Outcome.Type, res.Outcome.Reason)
		}
	}
	return out
}

// accountFor adapts the account to a conversation that needs it: a
// balance too small to split, an attorney-represented borrower.
func accountFor(cname string, a dialog.Account) dialog.Account {
	switch cname {
	case "small_plan":
		a.Debt.AmountDue.Minor = a.Policy.MinInstallment.Minor + a.Policy.MinInstallment.Minor/2
	case "flagged":
		a.Attorney = true
	case "crisis":
		a.CrisisResources = "If you are in crisis, call or text 988, or 12356 in mainland China, at any time."
	case "ceased":
		a.Cease = true
	case "two_factors":
		a.Policy.VerifyFactors = 2
	case "locked":
		a.PriorVerifyFailures = 10
	}
	return a
}

// TestTemplatesPassGuard renders every act the engine emits, in both
// locales under both packs, and has the compliance guard check each text
// against the act's own facts: the templates state no figure the engine
// did not supply, say nothing about the debt before verification, use the
// exact disclosures and offer nothing outside policy.
func TestTemplatesPassGuard(t *testing.T) {
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
			for _, ra := range run(t, r, f, acct, turns, nil) {
				seen[a.Locale][ra.act.Kind] = true
				d := g.Check(compliance.Utterance{Text: ra.text, Locale: a.Locale, Source: compliance.SourceTemplate, Facts: ra.act.Facts})
				if !d.Allowed {
					t.Errorf("%s/%s %s blocked: %+v\n  text: %s\n  facts: %+v", name, cname, ra.act.Kind, d.Violations, ra.text, ra.act.Facts)
				}
			}
		}
	}
	for _, loc := range []string{"en-US", "zh-CN"} {
		for _, k := range dialog.ActKinds() {
			if !seen[loc][k] {
				t.Errorf("%s: act kind %s never rendered", loc, k)
			}
		}
	}
}

// TestFactsAreStated checks the other direction of the fact-lock: every
// amount and date an act lists is actually in its words, so the facts are
// exactly what the utterance states (links may carry the amount).
func TestFactsAreStated(t *testing.T) {
	r, f := renderer(t), flow(t)
	for name, a := range accounts() {
		for cname, turns := range conversations(a) {
			acct := accountFor(cname, a)
			for _, ra := range run(t, r, f, acct, turns, nil) {
				for _, m := range ra.act.Facts.Amounts {
					s := FormatMoney(a.Locale, m)
					inLink := ra.act.Link != "" && strings.Contains(ra.text, ra.act.Link) &&
						strings.Contains(ra.act.Link, major(m))
					if !strings.Contains(ra.text, s) && !inLink {
						t.Errorf("%s/%s %s: amount %s listed but not said: %s", name, cname, ra.act.Kind, s, ra.text)
					}
				}
				for _, d := range ra.act.Facts.Dates {
					if s := FormatDate(a.Locale, d); !strings.Contains(ra.text, s) {
						t.Errorf("%s/%s %s: date %s listed but not said: %s", name, cname, ra.act.Kind, s, ra.text)
					}
				}
			}
		}
	}
}

// TestTranscripts renders whole conversations for review in both
// languages; testdata/<locale>/<conversation>.txt are the reviewed texts.
func TestTranscripts(t *testing.T) {
	r, f := renderer(t), flow(t)
	for _, name := range []string{"en-US.us", "zh-CN.cn"} {
		a := accounts()[name]
		for cname, turns := range conversations(a) {
			acct := accountFor(cname, a)
			t.Run(name+"/"+cname, func(t *testing.T) {
				var w strings.Builder
				run(t, r, f, acct, turns, &w)
				path := filepath.Join("testdata", a.Locale, cname+".txt")
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

func TestRenderExamples(t *testing.T) {
	r := renderer(t)
	a := accounts()["en-US.us"]
	plan := []dialog.Installment{
		{Amount: money(8000, "USD"), DueDate: days(7)},
		{Amount: money(8000, "USD"), DueDate: days(21)},
		{Amount: money(8000, "USD"), DueDate: days(35)},
	}
	tests := []struct {
		locale string
		act    dialog.Act
		want   string
	}{
		{"en-US", dialog.Act{Kind: dialog.ActBalance, Amount: money(24000, "USD"), Date: compliance.Date{Year: 2026, Month: 11, Day: 13}, Count: 9},
			"Your balance with Demo Finance is $240.00, which was due on November 13, 2026 and is now 9 days past due."},
		{"en-US", dialog.Act{Kind: dialog.ActBalance, Amount: money(24000, "USD"), Date: compliance.Date{Year: 2026, Month: 11, Day: 21}, Count: 1},
			"Your balance with Demo Finance is $240.00, which was due on November 21, 2026 and is now 1 day past due."},
		{"zh-CN", dialog.Act{Kind: dialog.ActBalance, Amount: money(86000, "CNY"), Date: compliance.Date{Year: 2026, Month: 11, Day: 10}, Count: 12},
			"您在Demo Finance的待还金额为860.00元，应还款日为2026年11月10日，目前已逾期12天。"},
		{"en-US", dialog.Act{Kind: dialog.ActAskResolution, Date: days(14), Count: 6},
			"How would you like to take care of it? You can pay the full amount now, promise to pay by any date up to December 6, 2026, or split it into up to 6 payments."},
		{"en-US", dialog.Act{Kind: dialog.ActAskResolution, Date: days(14)},
			"How would you like to take care of it? You can pay the full amount now or promise to pay by any date up to December 6, 2026."},
		{"en-US", dialog.Act{Kind: dialog.ActAskResolution, Date: days(14), Count: 6, Days: 7},
			"How would you like to take care of it? You can pay the full amount now, promise to pay by any date up to December 6, 2026, split it into up to 6 payments, or ask for an extension of 7 days."},
		{"zh-CN", dialog.Act{Kind: dialog.ActAskResolution, Date: days(10), Count: 6, Days: 7},
			"请问您打算如何安排这笔还款呢？您可以：现在一次性还清；选择一个不晚于2026年12月2日的日期还款；或申请分期，最多分6期；或申请延期7天。"},
		{"en-US", dialog.Act{Kind: dialog.ActConfirmPlan, Amount: money(24000, "USD"), Count: 3, Installments: plan},
			"Just to confirm, here is your plan of 3 payments, $240.00 in total:\n- $80.00 on November 29, 2026\n- $80.00 on December 13, 2026\n- $80.00 on December 27, 2026\nIs that right? Please reply yes or no."},
		{"zh-CN", dialog.Act{Kind: dialog.ActConfirmPTP, Amount: money(24000, "USD"), Date: days(5)},
			"跟您确认一下：您将在2026年11月27日前还款240.00美元，对吗？请回复“是”或“否”。"},
		{"en-US", dialog.Act{Kind: dialog.ActPaymentLink}, "You can pay securely in the Payments section of the app."},
		{"en-US", dialog.Act{Kind: dialog.ActPaymentLink, Link: "https://p.example/x"}, "You can pay securely here: https://p.example/x"},
	}
	for _, tt := range tests {
		got, err := r.Render(tt.act, tt.locale, compliance.ChannelChat, a)
		if err != nil {
			t.Fatalf("%s: %v", tt.act.Kind, err)
		}
		if got != tt.want {
			t.Errorf("%s/%s:\n got %q\nwant %q", tt.locale, tt.act.Kind, got, tt.want)
		}
	}
}

func TestRenderErrors(t *testing.T) {
	r := renderer(t)
	a := accounts()["en-US.us"]
	if _, err := r.Render(dialog.Act{Kind: dialog.ActGreeting}, "fr-FR", compliance.ChannelChat, a); !errors.Is(err, ErrUnknownLocale) {
		t.Errorf("unknown locale: err = %v", err)
	}
	for _, loc := range []string{"", "en", "en_us", "EN-GB"} {
		if s, err := r.Render(dialog.Act{Kind: dialog.ActVerified}, loc, compliance.ChannelChat, a); err != nil || !strings.HasPrefix(s, "Thank you") {
			t.Errorf("locale %q: %q, %v", loc, s, err)
		}
	}
	for _, loc := range []string{"zh", "zh_CN", "ZH-cn", "zh-TW"} {
		if s, err := r.Render(dialog.Act{Kind: dialog.ActVerified}, loc, compliance.ChannelChat, a); err != nil || !strings.HasPrefix(s, "感谢") {
			t.Errorf("locale %q: %q, %v", loc, s, err)
		}
	}
	if _, err := r.Render(dialog.Act{Kind: "nope"}, "en-US", compliance.ChannelChat, a); !errors.Is(err, ErrNoTemplate) {
		t.Errorf("unknown kind: err = %v", err)
	}
	if _, err := NewFromTemplates(map[string]map[string]string{"en-US": {"x": "{{.Amount"}}); !errors.Is(err, ErrTemplate) {
		t.Errorf("bad template: err = %v", err)
	}
	bad, err := NewFromTemplates(map[string]map[string]string{"en-US": {"x": "{{.Nope}}"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bad.Render(dialog.Act{Kind: "x"}, "en-US", compliance.ChannelChat, a); !errors.Is(err, ErrTemplate) {
		t.Errorf("missing field: err = %v", err)
	}
	// A link copied from the policy without filling it in never reaches a
	// borrower; braces that are no placeholder pass.
	unfilledLink := dialog.Act{Kind: dialog.ActClosePTP, Amount: money(24000, "USD"), Date: days(5),
		Link: "https://pay.example.com/{account}?amount={amount}"}
	if s, err := r.Render(unfilledLink, "en-US", compliance.ChannelChat, a); !errors.Is(err, ErrUnfilled) {
		t.Errorf("unfilled link: %q, err = %v", s, err)
	}
	braces := unfilledLink
	braces.Link = "https://pay.example.com/r?q={1}&x={}"
	if _, err := r.Render(braces, "en-US", compliance.ChannelChat, a); err != nil {
		t.Errorf("braces that are no placeholder: %v", err)
	}
	// The package-level Render uses the embedded templates.
	if s, err := Render(dialog.Act{Kind: dialog.ActGreeting}, "zh-CN", compliance.ChannelChat, a); err != nil || !strings.Contains(s, "人工智能") {
		t.Errorf("Render = %q, %v", s, err)
	}
}

func BenchmarkRender(b *testing.B) {
	r := renderer(b)
	a := accounts()["en-US.us"]
	act := dialog.Act{Kind: dialog.ActConfirmPTP, Amount: money(24000, "USD"), Date: days(5)}
	for _, loc := range []string{"en-US", "zh-CN"} {
		b.Run(loc, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Render(act, loc, compliance.ChannelChat, a); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRenderPlan(b *testing.B) {
	r := renderer(b)
	a := accounts()["zh-CN.cn"]
	plan := make([]dialog.Installment, 6)
	for i := range plan {
		plan[i] = dialog.Installment{Amount: money(14333, "CNY"), DueDate: days(5 + 30*i)}
	}
	act := dialog.Act{Kind: dialog.ActConfirmPlan, Amount: money(86000, "CNY"), Count: 6, Installments: plan}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Render(act, "zh-CN", compliance.ChannelChat, a); err != nil {
			b.Fatal(err)
		}
	}
}

// major is the plain "240.00" a payment link carries.
func major(m compliance.Money) string {
	return fmt.Sprintf("%d.%02d", m.Minor/100, m.Minor%100)
}

// The guard check above must be able to fail: the same texts with their
// facts taken away are blocked.
func TestGuardCatchesMissingFacts(t *testing.T) {
	r, f := renderer(t), flow(t)
	for name, a := range accounts() {
		pack, err := compliance.LoadPack(a.Policy.Pack)
		if err != nil {
			t.Fatal(err)
		}
		g := compliance.NewGuard(pack)
		blocked := 0
		for _, ra := range run(t, r, f, a, conversations(a)["ptp"], nil) {
			facts := ra.act.Facts
			if len(facts.Amounts) == 0 && len(facts.Dates) == 0 {
				continue
			}
			facts.Amounts, facts.Dates = nil, nil
			if d := g.Check(compliance.Utterance{Text: ra.text, Locale: a.Locale, Source: compliance.SourceTemplate, Facts: facts}); !d.Allowed {
				blocked++
			} else {
				t.Errorf("%s %s passed without its facts: %s", name, ra.act.Kind, ra.text)
			}
			facts = ra.act.Facts
			facts.Verified = false
			if d := g.Check(compliance.Utterance{Text: ra.text, Locale: a.Locale, Source: compliance.SourceTemplate, Facts: facts}); d.Allowed {
				t.Errorf("%s %s passed as if unverified: %s", name, ra.act.Kind, ra.text)
			}
		}
		if blocked == 0 {
			t.Errorf("%s: nothing checked", name)
		}
	}
}

// One Renderer serves every conversation at once (run with -race).
func TestRenderConcurrent(t *testing.T) {
	r := renderer(t)
	accts := accounts()
	done := make(chan error)
	for _, name := range []string{"en-US.us", "zh-CN.cn", "en-US.cn-cny", "zh-CN.us-usd"} {
		a := accts[name]
		go func() {
			act := dialog.Act{Kind: dialog.ActConfirmPTP, Amount: a.Debt.AmountDue, Date: days(3)}
			want, err := r.Render(act, a.Locale, compliance.ChannelChat, a)
			for range 200 {
				if err != nil {
					break
				}
				var got string
				got, err = r.Render(act, a.Locale, compliance.ChannelChat, a)
				if err == nil && got != want {
					err = fmt.Errorf("%s: %q != %q", name, got, want)
				}
			}
			done <- err
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
