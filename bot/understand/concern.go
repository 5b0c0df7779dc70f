package understand

import (
	"regexp"
	"strings"

	"github.com/collectagent/collectagent/dialog"
)

// Statements about rights come first. Two mechanisms keep a stop request,
// a dispute or a request for proof from being read as something else:
//
//   - References are not figures. A statute ("15 U.S.C. 1692c(c)",
//     "Reg F 1006.6(b)(2)", 第六百七十五条), a case or docket number ("case #
//     26-31207", 案号（2026）粤03破申12号), a bankruptcy chapter ("ch 7"),
//     an account number in groups or
//     a phone number holds digits that are neither an amount nor a date:
//     they are blanked before the slots are read, so that no offer, plan
//     or schedule is made of them and none can outrank the statement
//     beside them. The rights and party readers still see the whole text
//     (the attorney's phone number is kept with the statement).
//   - A concern is a rights concept (stopping contact, proof of the debt,
//     a lawyer, bankruptcy, a dispute) that a message holds but that the
//     rules neither read as a statement nor set aside as a question, a
//     joke, someone else's or denied. The engine hands such a message to a
//     person (Parse.Concern) rather than answer it with a payment demand,
//     and records nothing the borrower did not state.

var refRes = []*regexp.Regexp{
	// 15 U.S.C. 1692c(c), 15 USC §1692g
	regexp.MustCompile(`(?i)\b\d+\s*u\.?\s*s\.?\s*c\.?\s*(?:§+\s*)?\d+[a-z]?(?:\s*\([a-z0-9]{1,4}\))*`),
	// § 1006.6(b)(2), section 805(c), Reg F 1006.34, 12 CFR 1006.14
	regexp.MustCompile(`(?i)(?:§+|\b(?:sections?|sec\.|reg(?:ulation)?\.?\s*f|c\.?f\.?r\.?|fdcpa|fcra|tcpa|rule|article|art\.))\s*(?:§\s*)?\d+(?:\.\d+)*[a-z]?(?:\s*\([a-z0-9]{1,4}\))*`),
	// 1692c(c), 805(a)(3), 1006.6(b)(2): a numbered provision
	regexp.MustCompile(`(?i)\b\d{3,4}[a-z]?(?:\.\d+)?(?:\([a-z0-9]{1,3}\))+`),
	// case # 26-31207, docket no. 24-cv-1187, police report number 2026-5561
	regexp.MustCompile(`(?i)\b(?:case|docket|claim|file|report|reference|ref|ticket|complaint|confirmation|conf|petition)\.?\s*(?:no\.?|nos\.?|number|num|nbr|#)\s*[:#]?\s*[a-z]{0,4}[-\s]?\d[\w\-/.]*`),
	regexp.MustCompile(`(?i)\b(?:case|docket|petition)\s+[a-z]{0,4}\d[\w]*[-/][\w\-/]+`),
	// ch 7, ch. 13: a bankruptcy chapter, abbreviated (the lexicon
	// reads "chapter 13" whole)
	regexp.MustCompile(`(?i)\bch\.?\s*(?:7|11|13)\b`),
	// account 4471-2231: an account or card number in groups (a lone
	// 4 digits stays: it may be the ID's last four)
	regexp.MustCompile(`(?i)\b(?:account|acct|loan|card)\.?\s*(?:no\.?|number|num|#)?\s*[:#]?\s*\d{2,}(?:[\-\s]\d{2,})+\b`),
	// phone numbers: 214-555-0190, (312) 555 0177, 13800001111, 400-820-1234
	regexp.MustCompile(`\(?\b\d{3}\)?[\s.\-]\d{3}[\s.\-]\d{4}\b`),
	regexp.MustCompile(`\b1[3-9]\d{9}\b`),
	regexp.MustCompile(`\b400[\-\s]?\d{3}[\-\s]?\d{4}\b`),
	// 案号（2026）粤03破申12号, （2025）京0105民初1234号
	regexp.MustCompile(`(?:案号[:：]?\s*)?[（(]\d{4}[)）]\p{Han}{1,3}\d*\p{Han}{1,4}\d+号`),
	// 第六百七十五条, 第1692条: an article of a law
	regexp.MustCompile(`第[0-9一二三四五六七八九十百千零两]+条`),
}

// maskRefs blanks the references in text (see above). Text without a
// digit is returned as is, without allocating.
func maskRefs(text string) string {
	if !strings.ContainsAny(text, "0123456789") {
		return text
	}
	for _, re := range refRes {
		if re.MatchString(text) {
			text = re.ReplaceAllStringFunc(text, blankDigits)
		}
	}
	return text
}

// blankDigits keeps a reference's words (case, chapter) and drops its
// figures, so the words still read as context.
func blankDigits(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '0' && r <= '9', r == '§', r == '(', r == ')', r == '（', r == '）', r == '-', r == '/', r == '#':
			return ' '
		}
		return r
	}, s)
}

// Chat spellings of the words statements are made of ("plz stp
// contactng me", "dont wnat to hear frm u agian"): read as the words.
var chatWords = map[string]string{
	"stp": "stop", "stahp": "stop", "sotp": "stop", "plz": "please", "pls": "please", "plse": "please", "frm": "from",
	"agian": "again", "agin": "again", "agn": "again", "wnat": "want", "wan": "want", "wont": "wont",
	"contactng": "contacting", "contatc": "contact", "conatct": "contact", "contac": "contact", "cntct": "contact",
	"callin": "calling", "textin": "texting", "txtin": "texting", "txts": "texts", "msgs": "messages",
	"anymre": "anymore", "nomore": "no more", "evr": "ever", "nvr": "never", "lawer": "lawyer", "layer": "lawyer",
	"attny": "attorney", "atty": "atty", "bankrupcy": "bankruptcy", "bankruptsy": "bankruptcy", "bankrupty": "bankruptcy",
	"bk": "bankruptcy", "proove": "prove", "prof": "proof", "pruf": "proof", "harrass": "harass", "harrassing": "harassing",
	"harasing": "harassing", "stoop": "stop",
}

// mendChat rewrites en's chat spellings; en is returned as is when it
// has none.
func mendChat(en string) string {
	var b *strings.Builder
	start := 0
	for i := 0; i <= len(en); i++ {
		if i < len(en) && en[i] != ' ' {
			continue
		}
		w := en[start:i]
		if r, ok := chatWords[w]; ok && r != w {
			if b == nil {
				b = &strings.Builder{}
				b.Grow(len(en) + 8)
				b.WriteString(en[:start])
			}
			b.WriteString(r)
		} else if b != nil {
			b.WriteString(w)
		}
		if b != nil && i < len(en) {
			b.WriteByte(' ')
		}
		start = i + 1
	}
	if b == nil {
		return en
	}
	return b.String()
}

// concepts: the words that show a message touches a right, whatever it
// says about it. Each is read on the English words or the Chinese form.
type concept struct {
	kind  string // a dialog.Statement* kind
	need  *gate  // any of these
	also  *gate  // and, when set, any of these too
	zh    []string
	zhAlt []string // and, when set, any of these too
}

var concepts = []concept{
	{kind: dialog.StatementCease,
		need: newGate([]string{"contact", "contacting", "contacted", "call", "calls", "calling", "text", "texts", "texting", "txt",
			"message", "messages", "messaging", "msg", "email", "emails", "emailing", "communication", "communications",
			"communicate", "reach", "hear", "bother", "bothering", "harass", "harassing", "harassment",
			"llamar", "llamen", "llames", "contacten", "contactar", "mensajes"}),
		also: newGate([]string{"stop", "quit", "cease", "desist", "unsubscribe", "alone", "remove", "delete", "longer", "anymore",
			"refrain", "halt", "discontinue", "deja", "dejen"}),
		zh:    []string{"联系", "电话", "短信", "打", "催", "骚扰", "打扰", "消息", "号码"},
		zhAlt: []string{"别", "不要", "停", "不准", "不许", "拒绝", "退订", "删", "拉黑", "烦", "不想", "不希望", "不愿", "不会再接", "不再接", "不接"}},
	{kind: dialog.StatementValidation,
		need: newGate([]string{"proof", "prove", "proves", "validate", "validation", "documentation", "documents", "document",
			"paperwork", "contract", "letter", "statement", "breakdown", "itemized", "itemised", "itemization", "records",
			"writing", "written", "signature", "evidence"}),
		zh: []string{"证据", "证明", "合同", "凭证", "明细", "流水", "记录", "书面", "借条", "协议", "签字", "签名", "依据", "材料"}},
	{kind: dialog.StatementAttorney,
		need: newGate([]string{"lawyer", "lawyers", "attorney", "attorneys", "counsel", "atty", "paralegal", "abogado"}),
		zh:   []string{"律师", "律所", "法律援助", "代理人", "法务"}},
	{kind: dialog.StatementBankruptcy,
		need: newGate([]string{"bankrupt", "bankruptcy", "chapter", "trustee", "insolvent", "insolvency", "quiebra"}),
		zh:   []string{"破产", "资不抵债"}},
	{kind: dialog.StatementDispute,
		need: newGate([]string{"fraud", "fraudulent", "identity", "stolen", "dispute", "disputing", "disputed", "police",
			"unauthorized"}),
		zh: []string{"冒用", "盗用", "冒名", "异议", "不认账", "没借过", "没有借过"}},
}

// Bits of the statements a reader has settled: read as made, or set
// aside (asked about, joked, someone else's, denied, annoyance next to an
// offer to pay).
const (
	settledCease uint8 = 1 << iota
	settledValidation
	settledAttorney
	settledBankruptcy
	settledDispute
)

func settledBit(kind string) uint8 {
	switch kind {
	case dialog.StatementCease:
		return settledCease
	case dialog.StatementValidation:
		return settledValidation
	case dialog.StatementAttorney:
		return settledAttorney
	case dialog.StatementBankruptcy:
		return settledBankruptcy
	}
	return settledDispute
}

// concern returns the first rights concept m holds that p does not
// state and the readers did not settle, or "".
func concern(p dialog.Parse, m *forms, settled uint8) string {
	if p.Has(dialog.IntentQuestion) && (p.Topic == dialog.TopicWriting || p.Topic == dialog.TopicBreakdown) {
		// Asking for a letter or how the balance is made up is read as
		// the question it is, and answered.
		settled |= settledValidation
	}
	for i := range concepts {
		c := &concepts[i]
		if settled&settledBit(c.kind) != 0 || stated(p, c.kind) {
			continue
		}
		en := m.en != "" && c.need.open(m) && (c.also == nil || c.also.open(m))
		zh := m.zh != "" && containsAny(m.zh, c.zh) && (c.zhAlt == nil || containsAny(m.zh, c.zhAlt))
		if en || zh {
			return c.kind
		}
	}
	return ""
}

// stated reports whether p already makes the statement of kind k (a
// validation request is a dispute; any dispute covers the dispute words).
func stated(p dialog.Parse, k string) bool {
	switch k {
	case dialog.StatementCease:
		return p.Has(dialog.IntentCease)
	case dialog.StatementValidation:
		return p.Validation || p.Has(dialog.IntentDispute) || p.Has(dialog.IntentAlreadyPaid)
	case dialog.StatementAttorney:
		return p.Has(dialog.IntentAttorney)
	case dialog.StatementBankruptcy:
		return p.Has(dialog.IntentBankruptcy)
	case dialog.StatementDispute:
		return p.Has(dialog.IntentDispute) || p.Has(dialog.IntentAlreadyPaid)
	}
	return false
}

func containsAny(s string, subs []string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

// mentions reports whether m holds the concept of a rights intent.
func mentions(i dialog.Intent, m *forms) bool {
	var kind string
	switch i {
	case dialog.IntentCease:
		kind = dialog.StatementCease
	case dialog.IntentAttorney:
		kind = dialog.StatementAttorney
	case dialog.IntentBankruptcy:
		kind = dialog.StatementBankruptcy
	case dialog.IntentDispute:
		kind = dialog.StatementDispute
	default:
		return false
	}
	for i := range concepts {
		if c := &concepts[i]; c.kind == kind {
			return (m.en != "" && c.need.open(m) && (c.also == nil || c.also.open(m))) ||
				(m.zh != "" && containsAny(m.zh, c.zh) && (c.zhAlt == nil || containsAny(m.zh, c.zhAlt)))
		}
	}
	return false
}
