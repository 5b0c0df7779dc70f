package understand

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/dialog"
)

// What a borrower states about their rights: a request to stop contact
// (on every channel, or only the ones named when another is allowed), a
// request for proof of the debt, and statements the message itself
// denies. The patterns are data (rights.json); they read the same
// normalised forms as the party reader.

//go:embed rights.json
var rightsJSON []byte

type rightsReader struct {
	cease, zhCease         []*regexp.Regexp
	allowance, zhAllowance []*regexp.Regexp
	channels               map[string][]*regexp.Regexp
	validation, zhValid    []*regexp.Regexp
	dispute, zhDispute     []*regexp.Regexp
	notValidation          []*regexp.Regexp
	zhNotValidation        []*regexp.Regexp
	negated                map[dialog.Intent][]*regexp.Regexp
	// hedged: a statement asked about, joked, exaggerated, supposed or
	// about someone else is not made, unless hedgeKeep finds what makes
	// it real.
	hedged, hedgeKeep map[dialog.Intent][]*regexp.Regexp
	// others: a statement about someone else ("my sister filed
	// bankruptcy", 另一家平台), unless own finds the borrower's.
	others, own map[dialog.Intent][]*regexp.Regexp
	redirect    []*regexp.Regexp // "talk to my lawyer", 找管理人
	attorney    []*regexp.Regexp // retained counsel, 交给律所
	zhAttorney  []*regexp.Regexp
	bankruptcy  []*regexp.Regexp // filed chapter 7, ch 13 case
	fraud       []*regexp.Regexp // opened in my name, identity theft
	// compound: a person named by a profession ("my lawyer friend"),
	// which does not keep a hedge as "my lawyer" does.
	compound   []*regexp.Regexp
	gFraud     *gate
	gAttorney  *gate
	gBankrupt  *gate
	zhPaid     []*regexp.Regexp // 早就还清了: paid already
	enPaid     []*regexp.Regexp // "paid it in full on the 12th"
	zhDone     []*regexp.Regexp // 了, 已经: the paying is done
	zhFuture   []*regexp.Regexp // what is still to be paid beside it
	enFuture   []*regexp.Regexp
	firm       []*regexp.Regexp // a stop request no offer makes annoyance
	payWords   []*regexp.Regexp // an offer to pay says so: pay, 还
	zhPayWords []*regexp.Regexp
	zhFirm     []*regexp.Regexp
	// Gates: the words every pattern of a list needs.
	gCease, gValid, gDispute, gNeg         *gate
	gZhCease, gZhValid, gZhDispute, gZhNeg *gate
}

func compileRights() (*rightsReader, error) {
	var f struct {
		ContactVerbs   []string            `json:"contact_verbs"`
		ZhContactVerbs []string            `json:"zh_contact_verbs"`
		Cease          []string            `json:"cease"`
		ZhCease        []string            `json:"zh_cease"`
		Allowance      []string            `json:"allowance"`
		ZhAllowance    []string            `json:"zh_allowance"`
		Channels       map[string][]string `json:"channels"`
		Validation     []string            `json:"validation"`
		NotValidation  []string            `json:"not_validation"`
		Dispute        []string            `json:"dispute"`
		ZhDispute      []string            `json:"zh_dispute"`
		ZhValidation   []string            `json:"zh_validation"`
		ZhNotValid     []string            `json:"zh_not_validation"`
		Negated        map[string][]string `json:"negated"`
		Hedged         map[string][]string `json:"hedged"`
		HedgeKeep      map[string][]string `json:"hedge_keep"`
		Others         map[string][]string `json:"others"`
		Own            map[string][]string `json:"own"`
		Redirect       []string            `json:"redirect"`
		Attorney       []string            `json:"attorney"`
		ZhAttorney     []string            `json:"zh_attorney"`
		Bankruptcy     []string            `json:"bankruptcy"`
		Fraud          []string            `json:"fraud"`
		HedgeCompound  []string            `json:"hedge_compound"`
		ZhPaid         []string            `json:"zh_paid"`
		EnPaid         []string            `json:"en_paid"`
		ZhDone         []string            `json:"zh_done"`
		ZhFuture       []string            `json:"zh_future"`
		EnFuture       []string            `json:"en_future"`
		Firm           []string            `json:"firm"`
		PayWords       []string            `json:"pay_words"`
		ZhPayWords     []string            `json:"zh_pay_words"`
		ZhFirm         []string            `json:"zh_firm"`
	}
	if err := json.Unmarshal(rightsJSON, &f); err != nil {
		return nil, fmt.Errorf("rights.json: %w", err)
	}
	expand := strings.NewReplacer("{CV}", alt(f.ContactVerbs), "{ZCV}", alt(f.ZhContactVerbs))
	var errs []string
	// One alternation per list: one pass over the message.
	comp := func(pats []string) []*regexp.Regexp {
		var all []string
		for _, p := range pats {
			p = expand.Replace(p)
			if _, err := regexp.Compile(p); err != nil {
				errs = append(errs, err.Error())
				continue
			}
			all = append(all, p)
		}
		if len(all) == 0 {
			return nil
		}
		re, err := regexp.Compile("(?:" + strings.Join(all, ")|(?:") + ")")
		if err != nil {
			errs = append(errs, err.Error())
			return nil
		}
		return []*regexp.Regexp{re}
	}
	rr := &rightsReader{
		cease: comp(f.Cease), zhCease: comp(f.ZhCease),
		allowance: comp(f.Allowance), zhAllowance: comp(f.ZhAllowance),
		validation: comp(f.Validation), zhValid: comp(f.ZhValidation), notValidation: comp(f.NotValidation),
		dispute: comp(f.Dispute), zhDispute: comp(f.ZhDispute),
		channels: map[string][]*regexp.Regexp{}, negated: map[dialog.Intent][]*regexp.Regexp{},
		zhNotValidation: comp(f.ZhNotValid), redirect: comp(f.Redirect), zhPaid: comp(f.ZhPaid),
		attorney: comp(f.Attorney), zhAttorney: comp(f.ZhAttorney), bankruptcy: comp(f.Bankruptcy), fraud: comp(f.Fraud), compound: comp(f.HedgeCompound),
		enPaid: comp(f.EnPaid), zhDone: comp(f.ZhDone), zhFuture: comp(f.ZhFuture), enFuture: comp(f.EnFuture),
		firm: comp(f.Firm), zhFirm: comp(f.ZhFirm), payWords: comp(f.PayWords), zhPayWords: comp(f.ZhPayWords),
		hedged: map[dialog.Intent][]*regexp.Regexp{}, hedgeKeep: map[dialog.Intent][]*regexp.Regexp{},
	}
	for intent, pats := range f.Hedged {
		rr.hedged[dialog.Intent(intent)] = comp(pats)
	}
	for intent, pats := range f.HedgeKeep {
		rr.hedgeKeep[dialog.Intent(intent)] = comp(pats)
	}
	rr.others, rr.own = map[dialog.Intent][]*regexp.Regexp{}, map[dialog.Intent][]*regexp.Regexp{}
	for intent, pats := range f.Others {
		rr.others[dialog.Intent(intent)] = comp(pats)
	}
	for intent, pats := range f.Own {
		rr.own[dialog.Intent(intent)] = comp(pats)
	}
	for ch, pats := range f.Channels {
		rr.channels[ch] = comp(pats)
	}
	for intent, pats := range f.Negated {
		rr.negated[dialog.Intent(intent)] = comp(pats)
	}
	rr.gCease = newGate(append(append([]string{}, f.ContactVerbs...), "cease", "leave", "unsubscribe", "remove", "lose", "delete",
		"list", "contact", "calls", "texts", "emails", "messages", "communication", "communications", "phone",
		"stop", "stopall", "opt", "optout", "td", "wish", "longer", "consent", "permission", "contacted",
		"take", "delete", "erase", "drop", "scrub", "refrain", "desist", "abstain", "alone", "further", "future",
		"must", "required", "demand", "require", "requiring", "1692c", "bie", "ting", "tingzhi", "bu", "buyao",
		"called", "texted", "emailed", "messaged", "hear", "deja", "dejen", "llamen", "llames", "contacten", "contactes",
		"escriban", "escribas", "manden", "mandes", "molesten", "molestes", "marquen", "marques"))
	rr.gValid = newGate([]string{"proof", "prove", "proves", "proving", "validate", "validation", "documentation", "documents",
		"paperwork", "contract", "signature", "signed", "original", "history", "itemization", "itemized", "itemised", "verify",
		"writing", "written", "letter", "statement", "breakdown", "comes", "came", "everything"})
	rr.gDispute = newGate([]string{"never", "my", "mine", enName, "identity", "someone", "someones", "owe", "recognize", "recognise",
		"settled", "forgiven", "written", "discharged", "resolved", "cancelled", "canceled", "statute", "barred", "timebarred",
		"wrong", "incorrect", "inaccurate", "right", "correct", "off", "inflated", "high", "bogus", "made",
		"didnt", "did", "charging", "charged", "charge", "belongs", "name", "taken", "opened", "run", "applied", "credited", "posted",
	})
	rr.gFraud = newGate([]string{"someone", "somebody", "some", "opened", "taken", "took", "applied", "identity", "police",
		"fraud", "fraudulent"})
	rr.gAttorney = newGate([]string{"counsel", "legal", "law", "represented", "representing", "represents", "atty",
		"lawyered", "lawyering"}, "律所", "律师事务所", "法律援助", "代理人")
	rr.gBankrupt = newGate([]string{"chapter", "ch", "bankruptcy"})
	rr.gNeg = newGate([]string{"not", "never", "no"})
	rr.gZhCease = newGate(nil, "别", "不要", "不准", "不许", "停止", "甭", "勿", "莫", "不用", "任何", "什么", "啥", "所有", "一切",
		"不想再", "电话", "短信", "邮件", "bie", "退订", "不想", "不希望", "不愿意", "删", "去掉", "移除", "注销", "烦我",
		"拒绝", "接受", "不同意", "撤回")
	rr.gZhValid = newGate(nil, "证据", "证明", "合同", "合约", "凭证", "记录", "借条", "签字", "签名", "复印件", "流水", "书面", "协议", "明细")
	rr.gZhDispute = newGate(nil, "没", "未", "不曾", "不认", "不承认", "不是我", "冒用", "盗用", "搞错",
		"算错", "冒名", "冒充", "盗刷", "身份被盗", "前夫", "前妻", "前男友", "前女友", "乱收费", "多收", "多扣", "问题", "不对", "错了", "有误", "不准确", "协商")
	rr.gZhNeg = newGate(nil, "不是", "没说", "不会", "不用", "没有", "不打算", "没打算")
	if len(errs) > 0 {
		return nil, fmt.Errorf("rights patterns: %s", strings.Join(errs, "; "))
	}
	return rr, nil
}

func anyMatch(res []*regexp.Regexp, s string) bool {
	if s == "" {
		return false
	}
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// apply reads the message's rights statements into p: a stop request
// (with its channels), a validation request (a dispute asking for proof),
// and drops statements the message denies.
//
// It also reports which statements it settled: read as made, or set
// aside as asked about, joked, someone else's, denied or annoyance; the
// rest of a rights concept the message holds is a concern (concern.go).
func (rr *rightsReader) apply(p dialog.Parse, m *forms) (dialog.Parse, uint8) {
	raw, en, zh := m.raw, m.en, m.zh
	var settled uint8
	// match runs a list on the English or Chinese form when its gate is
	// open.
	match := func(res []*regexp.Regexp, g *gate, s string) bool { return s != "" && g.open(m) && anyMatch(res, s) }
	// Denying the debt: never borrowed, not mine, someone used my name.
	if !p.Has(dialog.IntentDispute) && (match(rr.dispute, rr.gDispute, en) || match(rr.zhDispute, rr.gZhDispute, zh) ||
		match(rr.fraud, rr.gFraud, en)) {
		p = with(p, dialog.IntentDispute)
	}
	// Represented: retained counsel, a law firm, legal aid, 交给律所.
	if !p.Has(dialog.IntentAttorney) && rr.gAttorney.open(m) && (anyMatch(rr.attorney, en) || anyMatch(rr.zhAttorney, zh)) {
		p = with(p, dialog.IntentAttorney)
	}
	// In bankruptcy: filed chapter 7, a chapter 13 case (the chapter's
	// number is not an amount: maskRefs).
	if !p.Has(dialog.IntentBankruptcy) && match(rr.bankruptcy, rr.gBankrupt, en) {
		p = with(p, dialog.IntentBankruptcy)
	}
	// Statements the message itself denies are not made.
	for intent, res := range rr.negated {
		if (p.Has(intent) || mentions(intent, m)) && (match(res, rr.gNeg, en) || match(res, rr.gZhNeg, zh)) {
			if p.Has(intent) {
				p = without(p, intent)
			}
			settled |= intentBit(intent)
		}
	}
	// Nor are statements only asked about, joked, exaggerated, supposed
	// or about someone else ("do I need a lawyer lol jk", 我都快破产了,
	// 有个朋友是律师, 再发我就投诉), unless the message also says what
	// makes them real (a lawyer retained, a case filed).
	keepEn := en
	if anyMatch(rr.compound, en) {
		keepEn = rr.compound[0].ReplaceAllString(en, "friend")
	}
	for intent, res := range rr.hedged {
		if (p.Has(intent) || mentions(intent, m)) && (anyMatch(res, en) || anyMatch(res, zh)) &&
			!anyMatch(rr.hedgeKeep[intent], keepEn) && !anyMatch(rr.hedgeKeep[intent], zh) {
			if p.Has(intent) {
				p = without(p, intent)
			}
			settled |= intentBit(intent)
		}
	}
	// Nor are statements about someone else's bankruptcy or dispute,
	// unless the borrower states their own too.
	for intent, res := range rr.others {
		if (p.Has(intent) || mentions(intent, m)) && (anyMatch(res, en) || anyMatch(res, zh)) &&
			!anyMatch(rr.own[intent], en) && !anyMatch(rr.own[intent], zh) {
			if p.Has(intent) {
				p = without(p, intent)
			}
			settled |= intentBit(intent)
		}
	}
	// A claim to have paid already is not a payment now (早就还清了, "paid
	// it in full on the 12th"): a date it names is when it was paid, in
	// the past, not a date to pay by; unless the message also says what
	// the borrower will pay (still to come).
	// Chinese marks no tense: with a date, the paying must be said to be
	// done (10月底就还完了), or it is a date to pay by (12月3号还清).
	if (zh != "" && strings.ContainsAny(zh, "还结付") && anyMatch(rr.zhPaid, zh) && !anyMatch(rr.zhFuture, zh) &&
		(p.Date.IsZero() || anyMatch(rr.zhDone, zh))) ||
		(strings.Contains(en, "paid") || strings.Contains(en, "payed")) && anyMatch(rr.enPaid, en) && !anyMatch(rr.enFuture, en) {
		p = without(without(without(p, dialog.IntentPayNow), dialog.IntentPromise), dialog.IntentPlan)
		p.Date, p.Amount, p.Parts, p.Unclear, p.Installments = compliance.Date{}, compliance.Money{}, nil, false, 0
		if !p.Has(dialog.IntentAlreadyPaid) {
			p = with(p, dialog.IntentAlreadyPaid)
		}
		settled |= settledDispute
	}

	cease := match(rr.cease, rr.gCease, en) || match(rr.zhCease, rr.gZhCease, zh)
	if cease && (p.Has(dialog.IntentAttorney) || p.Has(dialog.IntentBankruptcy)) && (anyMatch(rr.redirect, en) || anyMatch(rr.redirect, zh)) {
		// "破产了 别找我了 找管理人", "stop calling, talk to my lawyer":
		// the borrower sends us to their representative; that is the
		// attorney or bankruptcy statement, not a cease of its own.
		cease = false
		settled |= settledCease
	}
	if cease && concreteOffer(p) && (!p.Date.IsZero() || p.Installments > 0 || len(p.Parts) > 0 ||
		anyMatch(rr.payWords, en) || anyMatch(rr.zhPayWords, zh)) && !anyMatch(rr.firm, en) && !anyMatch(rr.zhFirm, zh) {
		// "stop blowing up my phone, I'll pay on the 30th", 别催了明天就还:
		// annoyance next to a way to pay, not a request to stop. A firm
		// request (all contact, cease, in legal or written form) stands
		// whatever else the message offers; paying now with no word for
		// paying is no offer ("全部删掉" is not a payment in full).
		cease = false
		settled |= settledCease
	}
	if cease && p.Has(dialog.IntentPayNow) && !anyMatch(rr.payWords, en) && !anyMatch(rr.zhPayWords, zh) {
		// "全部删掉", "电话短信全部停": "all" beside a stop request, with
		// no word for paying, is not a payment in full.
		p = without(p, dialog.IntentPayNow)
	}
	switch {
	case cease && !p.Has(dialog.IntentCease):
		p = with(p, dialog.IntentCease)
	case !cease && p.Has(dialog.IntentCease):
		p = without(p, dialog.IntentCease)
	}
	if cease && (anyMatch(rr.allowance, en) || anyMatch(rr.zhAllowance, zh)) {
		// "don't call me, texts are fine": the request names its channels.
		var stopped []string
		for _, c := range []compliance.Channel{compliance.ChannelVoice, compliance.ChannelSMS, compliance.ChannelEmail, compliance.ChannelChat} {
			ch := string(c)
			if anyMatch(rr.channels[ch], en) || anyMatch(rr.channels[ch], zh) {
				stopped = append(stopped, ch)
			}
		}
		// A channel the message allows is not stopped; "texts are fine"
		// names sms too, so keep only the first-named kind of contact.
		if len(stopped) > 0 && len(stopped) < 4 {
			p.CeaseChannels = stopped[:1]
		}
	}

	if (rr.gValid.open(m) || rr.gZhValid.open(m) || mentions(dialog.IntentDispute, m)) &&
		(anyMatch(rr.notValidation, en) || anyMatch(rr.zhNotValidation, zh)) {
		// Proof of payment, a receipt, proof the borrower holds: not a
		// request for proof of the debt.
		settled |= settledValidation
	}
	valid := (match(rr.validation, rr.gValid, en) && !anyMatch(rr.notValidation, en)) ||
		(match(rr.zhValid, rr.gZhValid, zh) && !anyMatch(rr.zhNotValidation, zh))
	if valid {
		p.Validation = true
		if !p.Has(dialog.IntentDispute) {
			p = with(p, dialog.IntentDispute)
		}
	}
	if p.Has(dialog.IntentAttorney) && p.Attorney == "" {
		p.Attorney = attorneyDetails(raw)
	}
	return p, settled
}

// intentBit is the settled bit of a rights intent.
func intentBit(i dialog.Intent) uint8 {
	switch i {
	case dialog.IntentCease:
		return settledCease
	case dialog.IntentAttorney:
		return settledAttorney
	case dialog.IntentBankruptcy:
		return settledBankruptcy
	case dialog.IntentDispute:
		return settledDispute | settledValidation
	}
	return 0
}

// concreteOffer reports whether p offers a way to pay that the bot can
// read back: a date, pay now, a count of payments or a schedule read
// whole; "I'll pay when I can" is none, nor figures it could not read.
func concreteOffer(p dialog.Parse) bool {
	if p.Unclear {
		return false
	}
	return p.Has(dialog.IntentPayNow) || !p.Date.IsZero() || p.Installments > 0 || len(p.Parts) > 0
}

// hasOffer reports whether p carries a concrete way to pay.
func hasOffer(p dialog.Parse) bool {
	if p.Has(dialog.IntentPromise) || p.Has(dialog.IntentPlan) || p.Has(dialog.IntentPayNow) || p.Has(dialog.IntentExtension) {
		return true
	}
	return p.Installments > 0 || !p.Date.IsZero()
}

// with adds intent i to p: as the main intent when p had none or a
// lesser one (statements about rights come before negotiation), else as
// an alternative.
func with(p dialog.Parse, i dialog.Intent) dialog.Parse {
	switch p.Intent {
	case dialog.IntentUnknown:
		p.Intent = i
	case dialog.IntentDistress, dialog.IntentAbuse, dialog.IntentWrongParty, dialog.IntentCease,
		dialog.IntentAttorney, dialog.IntentBankruptcy, dialog.IntentDispute:
		p.Alts = append(slices.Clone(p.Alts), i)
	default:
		p.Alts = append([]dialog.Intent{p.Intent}, p.Alts...)
		p.Intent = i
	}
	p.Confidence = max(p.Confidence, 0.8)
	return p
}

// without removes intent i from p, promoting the first alternative.
func without(p dialog.Parse, i dialog.Intent) dialog.Parse {
	alts := slices.DeleteFunc(slices.Clone(p.Alts), func(a dialog.Intent) bool { return a == i })
	if p.Intent == i {
		p.Intent = dialog.IntentUnknown
		if len(alts) > 0 {
			p.Intent, alts = alts[0], alts[1:]
		}
	}
	if len(alts) == 0 {
		alts = nil
	}
	p.Alts = alts
	return p
}

var (
	phoneRe    = regexp.MustCompile(`\(?\+?\d[\d\-\s().]{6,}\d`)
	enLawyerRe = regexp.MustCompile(`\b(?i:attorney|lawyer|counsel)(?:'s name)?(?:\s+is|\s*[,:]|\s+named|\s+called)?\s+((?:(?:Mr|Mrs|Ms|Dr)\.?\s+)?[A-Z][a-z'’-]+(?:\s+[A-Z][a-z'’-]+){0,2})`)
	enNameIsRe = regexp.MustCompile(`\b(?:his|her|their) name is\s+([A-Z][a-z'’-]+(?:\s+[A-Z][a-z'’-]+){0,2})`)
	enLawyerIs = regexp.MustCompile(`\b(?:[Mm]y|[Oo]ur) (?:attorney|lawyer),?\s+([A-Z][a-z'’-]+(?:\s+[A-Z][a-z'’-]+){0,2})`)
	zhFirmRe   = regexp.MustCompile(`[\p{Han}]{2,10}律师事务所`)
	zhLawyerRe = regexp.MustCompile(`([\p{Han}])律师`)
)

// attorneyDetails picks what a message gives about the attorney: a name
// (capitalised: "counsel, do not contact me" names nobody) and a phone
// number ("My lawyer is David Osei, 312-555-0177";
// "张律师，电话13600001111"); "" when it gives neither.
func attorneyDetails(raw string) string {
	var parts []string
	for _, re := range []*regexp.Regexp{enLawyerIs, enLawyerRe, enNameIsRe} {
		if m := re.FindStringSubmatch(raw); m != nil {
			name := strings.TrimSpace(m[1])
			if w := strings.ToLower(strings.Fields(name)[0]); w != "i" && w != "is" && w != "and" && w != "the" {
				parts = append(parts, "name: "+name)
				break
			}
		}
	}
	if len(parts) == 0 {
		// 张律师, 赵律师: a surname before 律师, not a verb (委托律师,
		// 请了律师, 代理律师) or a word (的律师, 我律师).
		var zh []string
		if f := zhFirmRe.FindString(raw); f != "" {
			zh = append(zh, strings.TrimLeft(f, "是在的找"))
		}
		for _, m := range zhLawyerRe.FindAllStringSubmatch(raw, -1) {
			if !strings.Contains("托请找的我理给了位个名交是有师请跟和问", m[1]) {
				zh = append(zh, m[1]+"律师")
				break
			}
		}
		if len(zh) > 0 {
			parts = append(parts, "name: "+strings.Join(zh, " "))
		}
	}
	if m := phoneRe.FindString(raw); m != "" {
		parts = append(parts, "phone: "+strings.TrimSpace(m))
	}
	return strings.Join(parts, "; ")
}
