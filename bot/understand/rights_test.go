package understand

import (
	"context"
	"testing"

	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/dialog"
)

// Rights statements read as mechanisms: stop requests (and their
// channels), proof requests, denials, negated statements, attorney
// details, third parties and wrong numbers, in both languages.
func TestRightsAndParty(t *testing.T) {
	r := NewRules()
	today := compliance.Date{Year: 2026, Month: 11, Day: 23}
	type want struct {
		intent     dialog.Intent // must be present (main or alternative)
		absent     dialog.Intent // must not be present
		party      string
		validation bool
		channels   string
		attorney   string
	}
	for _, tt := range []struct {
		text, locale string
		names        []string
		w            want
	}{
		{"quit bothering me, no more calls or texts ever", "en-US", nil, want{intent: dialog.IntentCease}},
		{"please don't call me anymore, texting is fine", "en-US", nil, want{intent: dialog.IntentCease, channels: "voice"}},
		{"ugh stop pinging me, I'll pay on Friday", "en-US", nil, want{absent: dialog.IntentCease}},
		{"I'm not going to stop answering, I'll pay tomorrow", "en-US", nil, want{absent: dialog.IntentCease}},
		{"以后任何方式都不要再联系我", "zh-CN", nil, want{intent: dialog.IntentCease}},
		{"别催了，后天就还", "zh-CN", nil, want{absent: dialog.IntentCease}},
		{"send me a copy of the signed agreement first", "en-US", nil, want{intent: dialog.IntentDispute, validation: true}},
		{"can you email me the details", "en-US", nil, want{absent: dialog.IntentDispute}},
		{"把借款合同发给我看看", "zh-CN", nil, want{intent: dialog.IntentDispute, validation: true}},
		{"someone has been using my identity, I never opened this", "en-US", nil, want{intent: dialog.IntentDispute}},
		{"I'm not saying I don't owe it, I'll pay Friday", "en-US", nil, want{absent: dialog.IntentDispute}},
		{"我不是要找律师，想分3期", "zh-CN", nil, want{absent: dialog.IntentAttorney}},
		{"My lawyer is David Osei, 312-555-0177. Talk to him.", "en-US", nil, want{intent: dialog.IntentAttorney, attorney: "name: David Osei; phone: 312-555-0177"}},
		{"我已委托律师全权处理，张律师，电话13600001111", "zh-CN", nil, want{intent: dialog.IntentAttorney, attorney: "name: 张律师; phone: 13600001111"}},
		{"hi its her grandson, she's napping. whats this about", "en-US", []string{"Ruth Miller"}, want{intent: dialog.IntentWrongParty, party: dialog.PartyThirdParty}},
		{"Ruth's neighbor here, she asked me to check her messages", "en-US", []string{"Ruth Miller"}, want{intent: dialog.IntentWrongParty, party: dialog.PartyThirdParty}},
		{"my husband said he'll pay Friday", "en-US", []string{"Ruth Miller"}, want{absent: dialog.IntentWrongParty}},
		{"who is ruth? you have the wrong number", "en-US", []string{"Ruth Miller"}, want{intent: dialog.IntentWrongParty, party: dialog.PartyWrongNumber}},
		{"這是我老公的手機，他在開會", "zh-CN", []string{"李强"}, want{intent: dialog.IntentWrongParty, party: dialog.PartyThirdParty}},
		{"李强是我儿子，有什么事跟我说就行", "zh-CN", []string{"李强"}, want{intent: dialog.IntentWrongParty, party: dialog.PartyThirdParty}},
		{"我老婆说你们发短信了，我是李强，周五还", "zh-CN", []string{"李强"}, want{absent: dialog.IntentWrongParty}},
		{"这个号码我用了三年了，没有叫李强的", "zh-CN", []string{"李强"}, want{intent: dialog.IntentWrongParty, party: dialog.PartyWrongNumber}},
		// A stop request in the passive, and the texting opt-out word alone.
		{"I would no longer like you to call; I do not wish to be contacted again.", "en-US", nil, want{intent: dialog.IntentCease}},
		{"Stop", "en-US", nil, want{intent: dialog.IntentCease}},
		{"stop, I said I'd pay friday", "en-US", nil, want{absent: dialog.IntentCease}},
		{"退订", "zh-CN", nil, want{intent: dialog.IntentCease}},
		// Hedged statements are not made: a question, a joke, an
		// exaggeration, someone else's lawyer, a condition, another lender.
		{"should I get an attorney for this? anyway friday works", "en-US", nil, want{absent: dialog.IntentAttorney}},
		{"my cousin is a lawyer and says your fees are high, I'll pay friday", "en-US", nil, want{absent: dialog.IntentAttorney}},
		{"my cousin is a lawyer and she is representing me now", "en-US", nil, want{intent: dialog.IntentAttorney}},
		{"I'm practically bankrupt after the holidays lol, friday ok?", "en-US", nil, want{absent: dialog.IntentBankruptcy}},
		{"I filed chapter 7 last week", "en-US", nil, want{intent: dialog.IntentBankruptcy}},
		{"我表哥是律师，不过我还是会还的，周五", "zh-CN", nil, want{absent: dialog.IntentAttorney}},
		{"穷得快要破产了，月底还", "zh-CN", nil, want{absent: dialog.IntentBankruptcy}},
		{"我已经申请破产了，法院受理了", "zh-CN", nil, want{intent: dialog.IntentBankruptcy}},
		{"再打电话我就去投诉你们", "zh-CN", nil, want{absent: dialog.IntentComplaint}},
		{"借款合同在app哪里能看？我自己去查", "zh-CN", nil, want{absent: dialog.IntentDispute}},
		// Sent to the representative: not a cease of its own.
		{"破产了 法院受理了 别找我了 找管理人", "zh-CN", nil, want{intent: dialog.IntentBankruptcy, absent: dialog.IntentCease}},
		// Paid already is not a payment now.
		{"我早就还清了，你们查一下", "zh-CN", nil, want{intent: dialog.IntentAlreadyPaid, absent: dialog.IntentPayNow}},
		// Not the holder: on their phone, their identity data, a power of
		// attorney, Spanish, English relation words inside Chinese.
		{"this is his phone now. my dad passed in october", "en-US", []string{"Gary Lind"}, want{intent: dialog.IntentWrongParty, party: dialog.PartyThirdParty}},
		{"I hold POA for my father. His date of birth is 1/30/1971", "en-US", []string{"Howard Kim"}, want{intent: dialog.IntentWrongParty, party: dialog.PartyThirdParty, absent: dialog.IntentAttorney}},
		{"soy la esposa de Carlos, él no está", "en-US", []string{"Carlos Mendoza"}, want{intent: dialog.IntentWrongParty, party: dialog.PartyThirdParty}},
		{"número equivocado, no conozco a ningún Carlos", "en-US", []string{"Carlos Mendoza"}, want{intent: dialog.IntentWrongParty, party: dialog.PartyWrongNumber}},
		{"hi 我是他boyfriend 他在忙", "zh-CN", []string{"李强"}, want{intent: dialog.IntentWrongParty, party: dialog.PartyThirdParty}},
		{"我是房东，这人早搬走了", "zh-CN", []string{"李强"}, want{intent: dialog.IntentWrongParty, party: dialog.PartyThirdParty}},
		{"我们店里没有叫李强的", "zh-CN", []string{"李强"}, want{intent: dialog.IntentWrongParty, party: dialog.PartyWrongNumber}},
		{"My wife usually pays the bills and she forgot, I'll pay friday", "en-US", []string{"Gary Lind"}, want{absent: dialog.IntentWrongParty}},
		// More ways to ask us to stop: off the list, several channels at
		// once, a prohibition, refraining, withheld consent.
		{"take my number off your system", "en-US", nil, want{intent: dialog.IntentCease}},
		{"do not call or text this number again", "en-US", nil, want{intent: dialog.IntentCease}},
		{"you are not to contact me further", "en-US", nil, want{intent: dialog.IntentCease}},
		{"please refrain from contacting me", "en-US", nil, want{intent: dialog.IntentCease}},
		{"I do not consent to further contact", "en-US", nil, want{intent: dialog.IntentCease}},
		{"can you remove the late fee from my account", "en-US", nil, want{absent: dialog.IntentCease}},
		{"把我的号码从你们系统里删掉", "zh-CN", nil, want{intent: dialog.IntentCease}},
		{"我拒绝接受任何催收", "zh-CN", nil, want{intent: dialog.IntentCease}},
		{"我不想再跟你们有任何联系", "zh-CN", nil, want{intent: dialog.IntentCease}},
		{"我不接受这个金额", "zh-CN", nil, want{absent: dialog.IntentCease}},
		// Someone acting for the holder names themselves so; the
		// borrower's own lawyer or client, mentioned, is no sign.
		{"I'm Dana's financial advisor", "en-US", []string{"Dana Ruiz"}, want{intent: dialog.IntentWrongParty, party: dialog.PartyThirdParty}},
		{"my lawyer has reviewed the account", "en-US", []string{"Dana Ruiz"}, want{absent: dialog.IntentWrongParty}},
		{"my client paid me late so I'm behind", "en-US", []string{"Dana Ruiz"}, want{absent: dialog.IntentWrongParty}},
		{"我是刘青的代理人", "zh-CN", []string{"刘青"}, want{intent: dialog.IntentWrongParty, party: dialog.PartyThirdParty}},
		{"她把手机给我了让我问问", "zh-CN", []string{"刘青"}, want{intent: dialog.IntentWrongParty, party: dialog.PartyThirdParty}},
		{"我律师会联系你们", "zh-CN", []string{"刘青"}, want{absent: dialog.IntentWrongParty}},
		// A number someone else has now.
		{"this number was reassigned to me", "en-US", []string{"Dana Ruiz"}, want{intent: dialog.IntentWrongParty, party: dialog.PartyWrongNumber}},
		{"you must be looking for someone else", "en-US", []string{"Dana Ruiz"}, want{intent: dialog.IntentWrongParty, party: dialog.PartyWrongNumber}},
		{"这号码我刚办的", "zh-CN", []string{"刘青"}, want{intent: dialog.IntentWrongParty, party: dialog.PartyWrongNumber}},
		// The holder as the speaker's relation in more words, the holder's
		// identity data given as theirs, the holder gone or in custody.
		{"我闺女的事我来处理 她身份证后四位是053X", "zh-CN", []string{"刘青"}, want{intent: dialog.IntentWrongParty, party: dialog.PartyThirdParty}},
		{"刘青是我家那口子", "zh-CN", []string{"刘青"}, want{intent: dialog.IntentWrongParty, party: dialog.PartyThirdParty}},
		{"她是我们公司员工", "zh-CN", []string{"刘青"}, want{intent: dialog.IntentWrongParty, party: dialog.PartyThirdParty}},
		{"这是我们家孩子的电话 孩子在上学", "zh-CN", []string{"刘青"}, want{intent: dialog.IntentWrongParty, party: dialog.PartyThirdParty}},
		{"你说的这个人是我老婆", "zh-CN", []string{"刘青"}, want{intent: dialog.IntentWrongParty, party: dialog.PartyThirdParty}},
		{"他进去了 出不来", "zh-CN", []string{"刘青"}, want{intent: dialog.IntentWrongParty, party: dialog.PartyThirdParty}},
		{"我家孩子上学要钱 这个月紧", "zh-CN", []string{"刘青"}, want{absent: dialog.IntentWrongParty}},
		{"我的生日是1990年3月8日", "zh-CN", []string{"刘青"}, want{absent: dialog.IntentWrongParty}},
		// A name that is not the borrower's is someone else; the borrower's
		// own, or the lawyer's, is not.
		{"hi my name is Mike, what is this about", "en-US", []string{"Dana Ruiz"}, want{intent: dialog.IntentWrongParty, party: dialog.PartyWrongNumber}},
		{"my name is Dana Ruiz", "en-US", []string{"Dana Ruiz"}, want{absent: dialog.IntentWrongParty}},
		{"got a lawyer. his name is Tom Hale", "en-US", []string{"Dana Ruiz"}, want{absent: dialog.IntentWrongParty}},
		{"你们搞错了吧 我姓王", "zh-CN", []string{"刘青"}, want{intent: dialog.IntentWrongParty, party: dialog.PartyWrongNumber}},
		{"我姓刘 怎么了", "zh-CN", []string{"刘青"}, want{absent: dialog.IntentWrongParty}},
		{"我叫你们别打了", "zh-CN", []string{"刘青"}, want{absent: dialog.IntentWrongParty}},
		{"我叫小青", "zh-CN", []string{"刘青"}, want{absent: dialog.IntentWrongParty}},
		{"there is no dana at this number", "en-US", []string{"Dana Ruiz"}, want{intent: dialog.IntentWrongParty, party: dialog.PartyWrongNumber}},
		{"刘青不用这个号了", "zh-CN", []string{"刘青"}, want{intent: dialog.IntentWrongParty, party: dialog.PartyWrongNumber}},
		// Represented, in other words than the lexicon's.
		{"I've retained counsel", "en-US", nil, want{intent: dialog.IntentAttorney}},
		{"contact my law firm, Smith & Jones", "en-US", nil, want{intent: dialog.IntentAttorney}},
		{"I'm not represented, I'll pay friday", "en-US", nil, want{absent: dialog.IntentAttorney}},
		{"im lawyered up, my atty will call you", "en-US", nil, want{intent: dialog.IntentAttorney}},
		{"I am represented by counsel, do not contact me directly", "en-US", nil, want{intent: dialog.IntentAttorney, absent: dialog.IntentCease}},
		{"这事我交给律所处理了", "zh-CN", nil, want{intent: dialog.IntentAttorney}},
		// Disputes: settled, time-barred, a wrong balance, never received,
		// someone else's, charges never agreed to; not a plea for a waiver.
		{"this was settled years ago", "en-US", nil, want{intent: dialog.IntentDispute}},
		{"this debt is past the statute of limitations", "en-US", nil, want{intent: dialog.IntentDispute}},
		{"the balance is incorrect", "en-US", nil, want{intent: dialog.IntentDispute}},
		{"The debt belongs to my ex-husband", "en-US", nil, want{intent: dialog.IntentDispute}},
		{"I've never heard of Demo Finance", "en-US", nil, want{intent: dialog.IntentDispute}},
		{"the fee is too high can you waive it", "en-US", nil, want{absent: dialog.IntentDispute}},
		{"the debt was discharged in my bankruptcy", "en-US", nil, want{intent: dialog.IntentBankruptcy, absent: dialog.IntentDispute}},
		{"你们算错了，账单有问题", "zh-CN", nil, want{intent: dialog.IntentDispute}},
		{"这个钱是我前夫借的", "zh-CN", nil, want{intent: dialog.IntentDispute}},
		{"利息有点高 能不能减点", "zh-CN", nil, want{absent: dialog.IntentDispute}},
	} {
		t.Run(tt.text, func(t *testing.T) {
			p, err := r.Understand(context.Background(), Request{Text: tt.text, Locale: tt.locale, Today: today, Stage: dialog.StageIntent, Names: tt.names})
			if err != nil {
				t.Fatal(err)
			}
			w := tt.w
			if w.intent != "" && !p.Has(w.intent) {
				t.Errorf("no %s in %+v", w.intent, p)
			}
			if w.absent != "" && p.Has(w.absent) {
				t.Errorf("%s in %+v", w.absent, p)
			}
			if p.Party != w.party && w.intent == dialog.IntentWrongParty {
				t.Errorf("party %q, want %q", p.Party, w.party)
			}
			if p.Validation != w.validation {
				t.Errorf("validation %v", p.Validation)
			}
			if got := joinCh(p.CeaseChannels); got != w.channels {
				t.Errorf("channels %q, want %q", got, w.channels)
			}
			if w.attorney != "" && p.Attorney != w.attorney {
				t.Errorf("attorney %q, want %q", p.Attorney, w.attorney)
			}
		})
	}
}

func joinCh(cs []string) string {
	out := ""
	for i, c := range cs {
		if i > 0 {
			out += ","
		}
		out += c
	}
	return out
}

func TestPartyThroughOwnRelation(t *testing.T) {
	r := NewRules()
	today := compliance.Date{Year: 2026, Month: 11, Day: 23}
	for text, party := range map[string]string{
		"I'm calling about my son's loan, how much is left":    dialog.PartyThirdParty,
		"is Ruth in some kind of trouble?":                     dialog.PartyThirdParty,
		"我儿子的欠款还有多少":                                           dialog.PartyThirdParty,
		"替我老公问一下还要还多少":                                         dialog.PartyThirdParty,
		"李强怎么了？":                                               dialog.PartyThirdParty,
		"没这个人，别发了":                                             dialog.PartyWrongNumber,
		"冇呢個人":                                                 dialog.PartyWrongNumber,
		"I just got this number last month":                    dialog.PartyWrongNumber,
		"I'm paying for my son's school this month, so Friday": "",
		"nah, that's wrong":                                    "",
	} {
		p, err := r.Understand(context.Background(), Request{Text: text, Locale: "en-US", Today: today, Stage: dialog.StageVerify, Names: []string{"Ruth Miller", "李强"}})
		if err != nil {
			t.Fatal(err)
		}
		if p.Party != party {
			t.Errorf("%q: party %q, want %q (%+v)", text, p.Party, party, p)
		}
	}
}

func TestPartyMoreForms(t *testing.T) {
	r := NewRules()
	today := compliance.Date{Year: 2026, Month: 11, Day: 23}
	for text, party := range map[string]string{
		"my wife is the one who took out that loan": dialog.PartyThirdParty,
		"is this about Ruth?":                       dialog.PartyThirdParty,
		"钱是我老公借的，你跟我说":                              dialog.PartyThirdParty,
		"the person you're looking for moved away":  dialog.PartyWrongNumber,
		"I'm not her, sorry":                        dialog.PartyWrongNumber,
		"我不是借款人":                                    dialog.PartyWrongNumber,
		"my wife got a new job so I can pay Friday": "",
	} {
		p, err := r.Understand(context.Background(), Request{Text: text, Locale: "en-US", Today: today, Stage: dialog.StageVerify, Names: []string{"Ruth Miller", "李强"}})
		if err != nil {
			t.Fatal(err)
		}
		if p.Party != party {
			t.Errorf("%q: party %q, want %q (%+v)", text, p.Party, party, p)
		}
	}
}
