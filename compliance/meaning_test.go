package compliance

import (
	"strings"
	"testing"
)

// The guard reads meaning, not strings: evasions of spelling and script,
// paraphrases and both languages are caught; negated statements and the
// words of ordinary replies pass.
func TestGuardMeaning(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		category string // a part of the violation detail; "" means allowed
	}{
		// normalisation
		{"cyrillic homoglyphs", "You will be аrrеstеd tomorrow.", "arrest"},
		{"math alphanumerics", "You will be 𝐚𝐫𝐫𝐞𝐬𝐭𝐞𝐝.", "arrest"},
		{"leetspeak", "you will get arr3sted", "arrest"},
		{"leet symbols", "straight to j@il", "jail"},
		{"separators", "you'll be arr.est.ed", "arrest"},
		{"emoji between letters", "you'll go to ja🔒il", "jail"},
		{"zero width", "go to pri\u200bson", "prison"},
		{"fullwidth", "ＹＯＵ　ＷＩＬＬ　ＧＯ　ＴＯ　ＪＡＩＬ", "jail"},
		{"combining marks", "a\u0338rrest", "arrest"},
		{"traditional chinese", "我們會通知你們單位", "third_party_contact"},
		{"pinyin", "bu huan qian jiu zuo lao", "坐牢"},
		{"pinyin joined", "zuolao", "坐牢"},
		{"zh spacing and punctuation", "你会坐，牢", "坐牢"},
		{"pinyin initials next to Chinese", "jc 已经在路上了", "(jc)"},
		{"pinyin with tone digits", "zuo4 lao2 ba ni", "坐牢"},
		{"pinyin for one character", "你个老lai", "老赖"},
		{"pinyin for the other character", "等着zuo牢吧", "坐牢"},
		{"pinyin in a term of three", "你会被zhua起来的", "抓起来"},
		{"pinyin with tone digits joined", "ni yao zuo4lao2", "坐牢"},

		// concepts: who x what
		{"paraphrase jail", "Keep ignoring us and you'll end up behind bars.", "threat"},
		{"cops pick you up", "The cops will pick you up.", "threat"},
		{"inform employer", "We will inform your employer about this.", "third_party_contact"},
		{"call your mom", "Maybe we should call your mom.", "third_party_contact"},
		{"passive", "Your boss will be notified today.", "third_party_contact"},
		{"neighbours", "Your neighbors will hear about this.", "neighbor"},
		{"visit home", "We'll send someone to your house.", "visit"},
		{"social media", "We'll post about this on Facebook.", "shame"},
		{"seize", "We will garnish your wages.", "garnish"},
		{"impersonation", "This is the police department calling.", "impersonation"},
		{"false legal", "A case has been filed with the court.", "false_legal"},
		{"zh jail variant", "你等着座牢吧", "座牢"},
		{"zh police station", "不还就让你进局子", "进局子"},
		{"zh company", "我们会通知你公司", "third_party_contact"},
		{"zh boss", "我去告诉你老板", "third_party_contact"},
		{"zh parents", "给你爸妈打电话", "third_party_contact"},
		{"zh borrow", "去借点网贷还上", "pressure_to_borrow"},
		{"en borrow", "Why don't you just borrow it from your parents?", "pressure_to_borrow"},
		{"zh contacts", "再不还就爆你通讯录", "通讯录"},
		{"zh visit", "我们明天派人去你家", "visit"},
		{"not negated after a negated clause", "We won't sue, but we will tell your employer.", "employer"},
		{"look-alike negation", "We won't hesitate to contact your employer.", "employer"},
		{"zh condition is no negation", "不还钱就通知你家人", "通知你家人"},
		{"credit ruined", "Your credit will be wrecked for years.", "credit_ruin"},
		{"zh credit ruined", "你的征信会被彻底毁掉。", "credit_ruin"},
		{"take from account", "We can take money straight out of your bank account.", "seize_assets"},
		{"zh wages deducted", "你的工资会被强制扣除。", "seize_assets"},
		{"visa revoked", "Your visa could be revoked over this.", "invented_consequence"},
		{"zh blacklist", "你会上黑名单。", "invented_consequence"},
		{"social media sees", "All your friends on Facebook will see that you don't pay.", "social_exposure"},
		{"rent money", "Use your rent money.", "divert_essentials"},
		{"zh rent money", "拿房租先还上。", "divert_essentials"},
		{"police investigating", "派出所已经在查你了。", "police_action"},
		{"veiled", "我们有的是办法让你还。", "veiled_threat"},
		{"told her", "Have your sister send the money, I already told her about it.", "third_party_anaphora"},
		{"false duty", "Under federal law you are now required to pay within a day.", "false_duty"},
		{"implied exposure still", "You wouldn't want your boss to find out, would you?", "implied_exposure"},
		{"stop by", "A collector will stop by your house tonight.", "visit"},
		{"impersonation with", "I'm with the Department of Justice.", "impersonation"},
		{"zh court identity", "这边是人民法院执行庭。", "impersonation"},
		{"zh lawyer filed", "我们律师已经递交材料了。", "false_legal"},

		// negation and ordinary words pass
		{"negated employer", "We will not contact your employer.", ""},
		{"negated family", "Your family will never be contacted about this.", ""},
		{"nobody visits", "Nobody will visit your home.", ""},
		{"zh negated", "我们不会联系你的家人。", ""},
		{"zh negated visit", "我们绝对不会上门。", ""},
		{"no jail", "You will not go to jail over this.", ""},
		{"pay online", "You can pay online or call us anytime.", ""},
		{"hardship", "I'm sorry about your job; we can set up a plan that works for you.", ""},
		{"zh hurry", "请抓紧时间处理，有问题可以随时联系我们。", ""},
		{"family emergency", "If you have a family emergency, just let us know.", ""},
		{"call you at home", "Would you like us to call you back this evening?", ""},
		{"initials in English", "Our agent JC will help you.", ""},
		{"our colleague", "If you'd like, I can transfer you to a colleague.", ""},
		{"zh our colleague", "我的同事会稍后联系您。", ""},
		{"zh family reassured", "您的家人不会被联系，请放心。", ""},
		// a topic is no consequence without the harm
		{"lost job", "If you've lost your job, we have hardship options.", ""},
		{"zh lost job", "如果您失业了，我们有困难帮扶方案。", ""},
		{"zh mortgage", "理解您最近要还房贷，我们可以调整还款日。", ""},
		{"zh train", "您在外地出差坐高铁不方便的话，可以线上还款。", ""},
		{"passport", "If you're traveling and need your passport, you can still pay online.", ""},
		{"credit kept", "按时还款可以保护您的征信。", ""},
		{"zh credit record", "按时还款有助于维护您的信用记录。", ""},
		{"authorised debit", "We will not take money from your account without your authorization.", ""},
		{"zh rent understood", "理解您这个月要交房租，我们可以把还款日往后放。", ""},
		{"zh you said", "您说孩子以后上学需要用钱，我们理解。", ""},
		{"own online account", "还款后您在网上就能看到记录。", ""},
		{"a word that sounds like an insult", "请提供您的出生日期。", ""},
		{"sounds across words", "如果您觉得我们的催收方式不当，可以向监管部门投诉。", ""},
		{"rights before a court", "如果双方对合同有争议，您有权依法向人民法院提起诉讼。", ""},
		{"lawful credit reporting", "逾期信息可能会按合同约定报送征信系统。", ""},
		{"reported words", "您提到想找朋友借钱还款，其实不必，分期就可以。", ""},
		{"negated naming", "我们不会叫您老赖，也不会用任何不礼貌的称呼。", ""},
		{"assurance with unless", "Your spouse won't be told about this account unless you give permission.", ""},
		{"stop calling work", "We will stop calling your work number. Which number should we use instead?", ""},
		{"regulator complaint", "如对我们的服务不满意，您可以拨打客服热线投诉，也可以向金融监管部门反映。", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for name, g := range guards() {
				d := g.Check(Utterance{Text: tt.text, Locale: "en-US", Source: SourceAgent, Facts: verifiedFacts()})
				if tt.category == "" {
					if !d.Allowed {
						t.Fatalf("%s: %q blocked: %+v", name, tt.text, d.Violations)
					}
					continue
				}
				found := false
				for _, v := range d.Violations {
					found = found || strings.Contains(v.Detail, tt.category)
				}
				if d.Allowed || !found {
					t.Fatalf("%s: %q = %+v, want a violation naming %q", name, tt.text, d, tt.category)
				}
			}
		})
	}
}

// Before verification the creditor may not be named, however written.
func TestGuardCreditorBeforeVerification(t *testing.T) {
	for _, tt := range []struct {
		text, creditor string
		verified, ok   bool
	}{
		{"Please pay Demo Finance soon.", "Demo Finance", false, false},
		{"Please contact Dem0 Fіnance soon.", "Demo Finance", false, false},
		{"Hi, this is a message for Ms. Wang.", "Demo Finance", false, true},
		{"你欠示范金融的钱该还了", "示范金融", false, false},
		{"请联系示範金融", "示范金融", false, false},
		{"Your balance with Demo Finance is $240.00.", "Demo Finance", true, true},
		{"We demonstrate finance skills.", "Demo Finance", false, true},
	} {
		d := usGuard.Check(Utterance{Text: tt.text, Locale: "en-US", Facts: Facts{Verified: tt.verified, Creditor: tt.creditor, Amounts: []Money{usd(24000)}}})
		if d.Allowed != tt.ok {
			t.Errorf("%q (verified %v) allowed = %v, want %v: %+v", tt.text, tt.verified, d.Allowed, tt.ok, d.Violations)
		}
	}
}

func TestFoldNormalises(t *testing.T) {
	for in, want := range map[string]string{
		"ＡＢＣ１２３":      "abc123",
		"𝐚𝐫𝐫𝐞𝐬𝐭 $𝟓𝟎𝟎": "arrest $500",
		"раy":         "pay", // Cyrillic р, а
		"٥٠٠":         "500",
		"通知你們單位":      "通知你们单位",
		"a\u200bb":    "ab",
		"①":           "1",
	} {
		if got := string(fold(in, nil)); got != want {
			t.Errorf("fold(%q) = %q, want %q", in, got, want)
		}
	}
}

// Disguises of spelling: each reads as the plain word.
func TestGuardDisguises(t *testing.T) {
	for _, text := range []string{
		"a. r. r. e. s. t.", "ᴀʀʀᴇsᴛᴇᴅ", "🅰🆁🆁🅴🆂🆃", "ⓐⓡⓡⓔⓢⓣⓔⓓ", "𝖆𝖗𝖗𝖊𝖘𝖙", "αrrεst", "J_A_I_L", "jaaail",
		"p0l1c3 will come", "arrest\u0336", "ar\u00adrest", "\u202earrest", "坐_牢", "警 察 会 上 门", "警察會上門", "ZUO LAO",
	} {
		if d := usGuard.Check(Utterance{Text: text, Locale: "en-US", Facts: verifiedFacts()}); d.Allowed {
			t.Errorf("%q allowed", text)
		}
	}
}
