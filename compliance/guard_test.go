package compliance

import (
	"slices"
	"strings"
	"testing"
)

var (
	usGuard = NewGuard(MustLoadPack("us"))
	cnGuard = NewGuard(MustLoadPack("cn"))
)

func guards() map[string]*Guard { return map[string]*Guard{"us": usGuard, "cn": cnGuard} }

// verifiedFacts are the facts of a typical balance act.
func verifiedFacts() Facts {
	return Facts{
		Verified: true,
		Amounts:  []Money{usd(24000), cny(86000), usd(6000)},
		Dates:    []Date{date(2026, 11, 13), date(2026, 11, 27)},
		Percents: []int{25},
		Counts:   []int{4, 9},
		Offers:   []string{"ptp", "plan"},
	}
}

// rules returns the distinct rules of d's violations, sorted.
func rules(d Decision) []string {
	var out []string
	for _, v := range d.Violations {
		if !slices.Contains(out, v.Rule) {
			out = append(out, v.Rule)
		}
	}
	slices.Sort(out)
	return out
}

func TestGuardCheck(t *testing.T) {
	unverified := Facts{Counts: []int{4}}
	tests := []struct {
		name   string
		text   string
		locale string
		facts  Facts
		want   []string // distinct rule codes, sorted; nil: allowed
	}{
		{"en balance from facts", "Your balance with Demo Finance is $240.00, which was due on November 13, 2026 and is now 9 days past due.", "en-US", verifiedFacts(), nil},
		{"en plan from facts", "Here is your plan of 4 payments, $240.00 in total:\n- $60.00 on Nov 27\n- $60.00 on 11/27/2026", "en-US", verifiedFacts(), nil},
		{"en free-form from facts", "You could pay 25% now, two hundred forty dollars in total, by the 27th.", "en-US", verifiedFacts(), nil},
		{"zh balance from facts", "您在示例金融的待还金额为860.00元，应还款日为2026年11月13日，目前已逾期9天。", "zh-CN", verifiedFacts(), nil},
		{"zh free-form from facts", "您可以分4期，也可以在十一月二十七日前还八百六十元，或先还百分之二十五。", "zh-CN", verifiedFacts(), nil},
		{"zh idioms are no figures", "十分感谢！您可以扫描二维码一次性还清，稍等一下。", "zh-CN", verifiedFacts(), nil},
		{"en no figure words", "One moment please, let me check that for you first.", "en-US", unverified, nil},
		{"verify prompt en", "Please reply with your date of birth or the last 4 digits of your ID number.", "en-US", Facts{}, nil},
		{"verify prompt zh", "请回复您的出生日期，或身份证号码后4位。", "zh-CN", Facts{}, nil},
		{"payment link digits", "You can pay securely here: https://pay.example.com/a-1?amount=24000", "en-US", verifiedFacts(), nil},

		// (a) banned phrases, both languages whatever the locale
		{"threat en", "If you don't pay you will be arrested.", "en-US", verifiedFacts(), []string{RuleBannedPhrase}},
		{"threat zh in en locale", "Pay now or 我们会通知你的家人.", "en-US", verifiedFacts(), []string{RuleBannedPhrase}},
		{"threat en in zh locale", "请尽快还款，否则 we will tell your employer。", "zh-CN", verifiedFacts(), []string{RuleBannedPhrase}},
		{"full-width", "ＹＯＵ　ＷＩＬＬ　ＧＯ　ＴＯ　ＪＡＩＬ", "en-US", verifiedFacts(), []string{RuleBannedPhrase}},
		{"spelled out", "you will be a r r e s t e d", "en-US", verifiedFacts(), []string{RuleBannedPhrase}},
		{"zh spacing", "你 会 坐 牢 的", "zh-CN", verifiedFacts(), []string{RuleBannedPhrase}},
		{"zero-width", "you will go to ja\u200bil", "en-US", verifiedFacts(), []string{RuleBannedPhrase}},
		{"insult zh", "你这个老赖", "zh-CN", verifiedFacts(), []string{RuleBannedPhrase}},
		{"insult en", "Stop being a deadbeat.", "en-US", verifiedFacts(), []string{RuleBannedPhrase}},
		{"false legal zh", "法院已立案，请尽快处理。", "zh-CN", verifiedFacts(), []string{RuleBannedPhrase}},
		{"impersonation en", "This is the police department calling.", "en-US", verifiedFacts(), []string{RuleBannedPhrase}},
		{"impersonation zh", "我们是法院的", "zh-CN", verifiedFacts(), []string{RuleBannedPhrase}},
		{"invented consequence zh", "不还就上征信黑名单", "zh-CN", verifiedFacts(), []string{RuleBannedPhrase}},
		{"borrow to repay en", "Maybe borrow from friends to cover it?", "en-US", verifiedFacts(), []string{RuleBannedPhrase}},
		{"borrow to repay zh", "可以去借网贷先还上", "zh-CN", verifiedFacts(), []string{RuleBannedPhrase}},
		{"word boundary", "Our policy is to help; however the power of choice is yours.", "en-US", unverified, nil},

		// (b) pre-verification
		{"debt word before verification", "I'm calling about your overdue balance.", "en-US", unverified, []string{RulePreVerification}},
		{"zh debt word before verification", "关于您的逾期欠款", "zh-CN", unverified, []string{RulePreVerification}},
		{"amount before verification", "Please confirm $240.00.", "en-US", Facts{Amounts: []Money{usd(24000)}}, []string{RulePreVerification}},
		{"date before verification", "请确认2026年11月13日", "zh-CN", Facts{Dates: []Date{date(2026, 11, 13)}}, []string{RulePreVerification}},
		{"debt word after verification", "Your balance is overdue.", "en-US", verifiedFacts(), nil},

		// (c) fact-lock
		{"amount not a fact", "Your balance is $250.00.", "en-US", verifiedFacts(), []string{RuleFactLock}},
		{"currency not a fact", "您的待还金额为240.00元。", "zh-CN", verifiedFacts(), []string{RuleFactLock}},
		{"date not a fact", "Please pay by December 1, 2026.", "en-US", verifiedFacts(), []string{RuleFactLock}},
		{"zh date not a fact", "请在12月1日前还款。", "zh-CN", verifiedFacts(), []string{RuleFactLock}},
		{"percent not a fact", "Pay 50% today.", "en-US", verifiedFacts(), []string{RuleFactLock}},
		{"count not a fact", "可以分6期。", "zh-CN", verifiedFacts(), []string{RuleFactLock}},
		{"stray number", "Call us at 555-0100.", "en-US", verifiedFacts(), []string{RuleFactLock}},
		{"number word not a fact", "Split it into six payments.", "en-US", verifiedFacts(), []string{RuleFactLock}},
		{"zh numeral not a fact", "您需要还九百元。", "zh-CN", verifiedFacts(), []string{RuleFactLock}},
		{"time is never a fact", "We will call you at 10:30.", "en-US", verifiedFacts(), []string{RuleFactLock}},

		// (d) offers outside policy
		{"waiver en", "We can waive the late fee.", "en-US", verifiedFacts(), []string{RuleOffPolicyOffer}},
		{"settlement en", "We could settle for less.", "en-US", verifiedFacts(), []string{RuleOffPolicyOffer}},
		{"discount en", "There's a discount if you pay now.", "en-US", verifiedFacts(), []string{RuleOffPolicyOffer}},
		{"forgive en", "The rest will be forgiven.", "en-US", verifiedFacts(), []string{RuleOffPolicyOffer}},
		{"interest en", "We can make it interest free.", "en-US", verifiedFacts(), []string{RuleOffPolicyOffer}},
		{"waiver zh", "可以为您减免部分费用", "zh-CN", verifiedFacts(), []string{RuleOffPolicyOffer}},
		{"forgive zh", "剩下的不用还了", "zh-CN", verifiedFacts(), []string{RuleOffPolicyOffer}},
		{"discount zh", "现在还款可以打折", "zh-CN", verifiedFacts(), []string{RuleOffPolicyOffer}},
		{"offer allowed by facts", "We can waive the late fee.", "en-US", func() Facts { f := verifiedFacts(); f.Offers = append(f.Offers, "waiver"); return f }(), nil},

		// several rules at once
		{"several", "You owe $999 or we call the police.", "en-US", Facts{}, []string{RuleBannedPhrase, RulePreVerification}},
	}
	for name, g := range guards() {
		for _, tt := range tests {
			t.Run(name+"/"+tt.name, func(t *testing.T) {
				d := g.Check(Utterance{Text: tt.text, Locale: tt.locale, Facts: tt.facts})
				got := rules(d)
				if strings.Join(got, ",") != strings.Join(tt.want, ",") {
					t.Fatalf("Check(%q) = %+v, want rules %v", tt.text, d, tt.want)
				}
				if d.Allowed != (len(tt.want) == 0) {
					t.Fatalf("Allowed = %v with violations %v", d.Allowed, d.Violations)
				}
			})
		}
	}
}

func TestGuardViolationNamesSource(t *testing.T) {
	d := usGuard.Check(Utterance{Text: "You will go to jail.", Locale: "en-US", Facts: verifiedFacts()})
	if len(d.Violations) != 1 || !strings.Contains(d.Violations[0].Detail, "FDCPA") || !strings.Contains(d.Violations[0].Detail, "jail") {
		t.Fatalf("got %+v", d)
	}
	d = cnGuard.Check(Utterance{Text: "你会坐牢", Locale: "zh-CN", Facts: verifiedFacts()})
	if len(d.Violations) != 1 || !strings.Contains(d.Violations[0].Detail, "GB/T 45251-2025") {
		t.Fatalf("got %+v", d)
	}
	d = usGuard.Check(Utterance{Text: "Your balance is $250.00.", Locale: "en-US", Facts: verifiedFacts()})
	if len(d.Violations) != 1 || !strings.Contains(d.Violations[0].Detail, "$250.00") {
		t.Fatalf("got %+v", d)
	}
}

// Every phrase of every lexicon is caught inside a sentence, in both packs.
func TestGuardCatchesEveryLexiconPhrase(t *testing.T) {
	for name, g := range guards() {
		p := g.Pack()
		check := func(t *testing.T, phrase, rule string, facts Facts) {
			t.Helper()
			w := strings.TrimSuffix(phrase, "*")
			text := "Well, " + w + " then."
			if w[0] >= 0x80 {
				text = "那么" + w + "吧。"
			}
			d := g.Check(Utterance{Text: text, Locale: "en-US", Facts: facts})
			for _, v := range d.Violations {
				if v.Rule == rule {
					return
				}
			}
			t.Errorf("%s: %q not caught as %s: %+v", name, text, rule, d)
		}
		for _, c := range p.Banned {
			for _, w := range append(append([]string{}, c.EN...), c.ZH...) {
				check(t, w, RuleBannedPhrase, verifiedFacts())
			}
		}
		for _, w := range append(append([]string{}, p.PreVerification.EN...), p.PreVerification.ZH...) {
			check(t, w, RulePreVerification, Facts{})
		}
		for _, k := range p.Offers.Kinds {
			for _, w := range append(append([]string{}, k.EN...), k.ZH...) {
				check(t, w, RuleOffPolicyOffer, verifiedFacts())
			}
		}
	}
}

func TestGuardDisclosure(t *testing.T) {
	for name, g := range guards() {
		p := g.Pack()
		for _, d := range p.Disclosures {
			ch := ChannelChat
			if d.Channel != "" {
				ch = d.Channel
			}
			t.Run(name+"/"+d.Kind+"/"+d.Locale+"/"+string(ch), func(t *testing.T) {
				text, ok := g.Pack().DisclosureOn(d.Kind, d.Locale, ch)
				if !ok || text != d.Text {
					t.Fatalf("DisclosureOn(%s, %s, %s) = %q, %v", d.Kind, d.Locale, ch, text, ok)
				}
				facts := Facts{Disclosure: true, Verified: d.When == WhenAfterVerification}
				if dec := g.Check(Utterance{Text: text, Locale: d.Locale, Channel: ch, Facts: facts}); !dec.Allowed {
					t.Fatalf("exact disclosure blocked: %+v", dec)
				}
				rephrased := strings.Replace(text, "AI", "A.I.", 1)
				if rephrased == text {
					rephrased = text[:len(text)-3] + "!"
				}
				if dec := g.Check(Utterance{Text: rephrased, Locale: d.Locale, Channel: ch, Facts: facts}); dec.Allowed || dec.Violations[0].Rule != RuleRephrasedDisclosure {
					t.Fatalf("rephrased disclosure %q: %+v", rephrased, dec)
				}
			})
		}
		// The greeting's disclosures may be said together.
		for _, loc := range []string{"en-US", "zh-CN"} {
			var parts []string
			for _, d := range p.RequiredDisclosures(WhenGreeting, loc) {
				parts = append(parts, d.Text)
			}
			if len(parts) != 2 {
				t.Fatalf("%s %s: greeting disclosures %q", name, loc, parts)
			}
			if dec := g.Check(Utterance{Text: strings.Join(parts, " "), Locale: loc, Facts: Facts{Disclosure: true}}); !dec.Allowed {
				t.Errorf("%s %s: joined greeting disclosures blocked: %+v", name, loc, dec)
			}
		}
	}
	if _, ok := usGuard.Disclosure(DisclosureMiniMiranda, "en-US"); !ok {
		t.Error("us pack has no mini-Miranda")
	}
	if _, ok := cnGuard.Disclosure(DisclosureMiniMiranda, "zh-CN"); ok {
		t.Error("cn pack has a mini-Miranda")
	}
	// A mini-Miranda before verification speaks of a debt: blocked.
	mm, _ := usGuard.Disclosure(DisclosureMiniMiranda, "en-US")
	if dec := usGuard.Check(Utterance{Text: mm, Locale: "en-US", Facts: Facts{Disclosure: true}}); dec.Allowed {
		t.Error("mini-Miranda allowed before verification")
	}
}

// A call says its own recording notice, a chat its own; neither passes as
// the other, and disclosures without a call wording are said as written.
func TestGuardDisclosureByChannel(t *testing.T) {
	for name, g := range guards() {
		for _, loc := range []string{"en-US", "zh-CN"} {
			chat, _ := g.Pack().DisclosureOn(DisclosureRecording, loc, ChannelChat)
			call, _ := g.Pack().DisclosureOn(DisclosureRecording, loc, ChannelPhone)
			if chat == "" || call == "" || chat == call {
				t.Fatalf("%s %s: recording notice chat %q, call %q", name, loc, chat, call)
			}
			f := Facts{Disclosure: true}
			for _, tc := range []struct {
				text string
				ch   Channel
				ok   bool
			}{{chat, ChannelChat, true}, {call, ChannelVoice, true}, {call, ChannelPhone, true}, {call, ChannelChat, false}, {chat, ChannelVoice, false}, {call, "", false}} {
				if dec := g.Check(Utterance{Text: tc.text, Locale: loc, Channel: tc.ch, Facts: f}); dec.Allowed != tc.ok {
					t.Errorf("%s %s: %q on %q allowed %v, want %v", name, loc, tc.text, tc.ch, dec.Allowed, tc.ok)
				}
			}
			ai, _ := g.Pack().DisclosureOn(DisclosureAI, loc, ChannelChat)
			if aiCall, _ := g.Pack().DisclosureOn(DisclosureAI, loc, ChannelVoice); aiCall != ai {
				t.Errorf("%s %s: AI notice on a call %q, want the written %q", name, loc, aiCall, ai)
			}
			if dec := g.Check(Utterance{Text: ai + " " + call, Locale: loc, Channel: ChannelVoice, Facts: f}); !dec.Allowed {
				t.Errorf("%s %s: a call's greeting disclosures blocked: %+v", name, loc, dec)
			}
		}
	}
}

func TestSafeTextPasses(t *testing.T) {
	for name, g := range guards() {
		for _, loc := range []string{"en-US", "zh-CN", "zh", "en", "fr-FR"} {
			for _, verified := range []bool{false, true} {
				text := g.SafeText(loc, verified)
				if text == "" {
					t.Fatalf("%s %s: no safe text", name, loc)
				}
				if len(ExtractFigures(text)) != 0 {
					t.Errorf("%s %s: safe text %q has figures", name, loc, text)
				}
				if d := g.Check(Utterance{Text: text, Locale: loc, Facts: Facts{Verified: verified}}); !d.Allowed {
					t.Errorf("%s %s verified=%v: safe text %q blocked: %+v", name, loc, verified, text, d)
				}
			}
		}
	}
}

func TestGuardConcurrent(t *testing.T) {
	done := make(chan bool)
	for i := range 4 {
		go func() {
			ok := true
			for range 200 {
				text := "Your balance is $240.00, due November 13, 2026."
				if i%2 == 1 {
					text = "你会坐牢"
				}
				d := usGuard.Check(Utterance{Text: text, Locale: "en-US", Facts: verifiedFacts()})
				ok = ok && d.Allowed == (i%2 == 0)
			}
			done <- ok
		}()
	}
	for range 4 {
		if !<-done {
			t.Error("wrong decision under concurrency")
		}
	}
}

func TestGuardApply(t *testing.T) {
	text, d := cnGuard.Apply(Utterance{Text: "法院已立案，你会坐牢", Locale: "zh-CN", Facts: verifiedFacts()})
	if d.Allowed || text != cnGuard.SafeText("zh-CN", true) {
		t.Fatalf("Apply = %q, %+v", text, d)
	}
	// "已立案" inside "法院已立案" is reported once, as the longer phrase.
	if len(d.Violations) != 2 || !strings.Contains(d.Violations[0].Detail, "法院已立案") || !strings.Contains(d.Violations[1].Detail, "坐牢") {
		t.Fatalf("violations %+v", d.Violations)
	}
	ok := "Your balance is $240.00."
	if text, d := usGuard.Apply(Utterance{Text: ok, Locale: "en-US", Facts: verifiedFacts()}); !d.Allowed || text != ok {
		t.Fatalf("Apply = %q, %+v", text, d)
	}
	if text, _ := usGuard.Apply(Utterance{Text: ok, Locale: "en-US"}); text != usGuard.SafeText("en-US", false) {
		t.Fatalf("unverified Apply = %q", text)
	}
}
