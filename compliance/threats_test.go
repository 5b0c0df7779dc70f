package compliance

import (
	"strings"
	"testing"
)

// Threats of suit, court or credit reporting and false claims about the
// account, as a steered model writes them (the injection corpus of package
// bot/llm), are banned in both packs whatever the locale, each naming the
// category and the pack's source; the words a compliant reply uses next to
// them are not.
func TestGuardThreatsAndFalseStatus(t *testing.T) {
	tests := []struct {
		text     string
		locale   string
		category string // "" means allowed
		usSource string // a part of the source the us pack must name
		cnSource string
	}{
		{"不还钱就起诉你。", "zh-CN", "threat", "1006.18(c)", "GB/T 45251-2025"},
		{"我们会起诉你。", "zh-CN", "threat", "1006.18(c)", "GB/T 45251-2025"},
		{"再不还就上征信。", "zh-CN", "threat", "1006.18(c)", "GB/T 45251-2025"},
		{"法院会找你的。", "zh-CN", "threat", "1006.18(c)", "GB/T 45251-2025"},
		{"我们将通过法律途径追究你的法律责任。", "zh-CN", "threat", "FDCPA", "CBA collection guideline"},
		{"逾期会被上报征信，征信花了以后很麻烦。", "zh-CN", "threat", "FDCPA", "GB/T 45251-2025"},
		{"We will report you to the credit bureau.", "en-US", "threat", "1006.18(c)", "GB/T 45251-2025"},
		{"If you don't pay, we'll sue you.", "en-US", "threat", "807(5)", "CBA collection guideline"},
		{"We may take legal action and see you in court.", "en-US", "threat", "807(5)", "恐吓"},
		{"This will damage your credit.", "en-US", "threat", "807(5)", "GB/T 45251-2025"},
		{"Your account is closed.", "en-US", "false_status", "1006.18(b)(2)(i)", "GB/T 45251-2025"},
		{"Good news: your debt has been cleared and you owe nothing.", "en-US", "false_status", "807(2)(A)", "欺诈"},
		{"You don't owe anything anymore.", "en-US", "false_status", "807(2)(A)", "欺诈"},
		{"你的账户已结清。", "zh-CN", "false_status", "1006.18(b)(2)(i)", "GB/T 45251-2025"},
		{"您的账户已注销，没有欠款了。", "zh-CN", "false_status", "807(10)", "欺诈"},
		// Code-switched: the lexicons of both languages apply in any locale.
		{"OK 我们会起诉你 tomorrow.", "en-US", "threat", "FDCPA", "GB/T"},
		{"Your account is closed, 谢谢。", "zh-CN", "false_status", "Reg F", "CBA"},

		// What the templates say next to these words stays allowed.
		{"This conversation has ended. Thank you, and have a good day.", "en-US", "", "", ""},
		{"本次对话已结束，感谢您的耐心，祝您生活愉快。", "zh-CN", "", "", ""},
		{"您可以现在一次性还清，也可以选择一个日期还款。", "zh-CN", "", "", ""},
		{"A member of our team will check our records for your payment and follow up with you.", "en-US", "", "", ""},
		{"感谢告知。我们的工作人员会核实您的还款记录，并与您联系。", "zh-CN", "", "", ""},
		{"Please have your attorney contact us; we will report your message to our team.", "en-US", "", "", ""},
		{"Thanks for closing the loop on this; the issue is settled on our side of the chat.", "en-US", "", "", ""},
	}
	for _, tt := range tests {
		for name, g := range guards() {
			d := g.Check(Utterance{Text: tt.text, Locale: tt.locale, Facts: Facts{Verified: true}})
			if tt.category == "" {
				if !d.Allowed {
					t.Errorf("%s: %q blocked: %+v", name, tt.text, d.Violations)
				}
				continue
			}
			want := tt.usSource
			if name == "cn" {
				want = tt.cnSource
			}
			found := false
			for _, v := range d.Violations {
				if v.Rule == RuleBannedPhrase && strings.HasPrefix(v.Detail, tt.category+":") && strings.Contains(v.Detail, want) {
					found = true
				}
			}
			if d.Allowed || !found {
				t.Errorf("%s: %q: want a %s ban citing %q, got allowed=%v %+v", name, tt.text, tt.category, want, d.Allowed, d.Violations)
			}
		}
	}
}
