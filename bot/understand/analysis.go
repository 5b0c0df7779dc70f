package understand

import (
	"strings"

	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/dialog"
)

// hit is one intent phrase found in a message.
type hit struct {
	intent     intentID
	sub        uint8 // topic or reason
	start, end int
	typo       bool
	loc        uint8
	off        bool // suppressed by a longer phrase around it
}

// mentionKind is what slot a mention fills.
type mentionKind uint8

const (
	mNone   mentionKind = iota // consumed but fills nothing (a time, a past date)
	mDate                      // a date to pay by
	mDOB                       // a date of birth
	mAmount                    // money
	mInst                      // installment count
	mID                        // ID last 4
)

// mention is one slot value found in a message, with its token span.
type mention struct {
	kind       mentionKind
	start, end int
	date       compliance.Date
	minor      int64
	cur        string
	n          int
	id         string
	weak       bool // a bare number taken as an amount
	negated    bool
	week       bool // a date that names a week ("next week", 下周)
}

// Token flags used by negation scope.
const (
	fNeg     uint8 = 1 << iota // covered by an active negator
	fPostNeg                   // an active post-negator starts here
	fBreak                     // clause boundary
	fPhrase                    // inside an intent phrase ("chapter 7", 12378)
	fIgnore                    // inside an ignored phrase (今天天气, 十分)
)

// analysis is the per-message working state, pooled so that a message
// costs few allocations.
type analysis struct {
	r       *Rules
	req     *Request
	primary uint8
	today   compliance.Date
	wd      int // today's weekday, Sunday = 0
	cur     string
	norm    []byte
	text    string
	toks    []token
	flags   []uint8
	hits    []hit
	ments   []mention
	st      textStats
	has     [iCount]bool
	hitTypo [iCount]bool // every hit of the intent was a typo fix
	hitLoc  [iCount]uint8
	derived [iCount]bool
	name    string
	extras  []extra // schedule words (the rest, half, a week, now)
	topic   uint8   // of the first question phrase
	reason  uint8   // of the first reason phrase
	exp     mention // a slot read from the pending question
	vague   bool    // an amount said roughly (一千出头, "500 or so")
}

func (a *analysis) release() {
	// The pool must not keep the borrower's words.
	a.r, a.req, a.text, a.name = nil, nil, "", ""
	clear(a.norm)
	for i := range a.toks {
		a.toks[i].text = ""
	}
}

func (a *analysis) run(r *Rules, req *Request, loc uint8) {
	a.r, a.req = r, req
	a.norm = a.norm[:0]
	a.toks = a.toks[:0]
	a.flags = a.flags[:0]
	a.hits = a.hits[:0]
	a.ments = a.ments[:0]
	a.extras = a.extras[:0]
	a.topic, a.reason, a.vague = 0, 0, false
	a.st = textStats{}
	a.has = [iCount]bool{}
	a.hitTypo = [iCount]bool{}
	a.hitLoc = [iCount]uint8{}
	a.derived = [iCount]bool{}
	a.name = ""
	a.today = req.Today
	a.wd = int(req.Today.Time().Weekday())

	// Traditional characters are read as simplified ones (禮拜五還 is
	// 礼拜五还); strings.Map allocates only when something changes.
	a.norm = normalize(a.norm, compliance.Simplified(req.Text), &a.st)
	a.text = string(a.norm)
	a.toks = tokenize(a.toks, a.text)
	r.lookup(a.toks)

	a.primary = loc
	if loc == 0 {
		a.primary = locEN
		if a.st.han > a.st.latin/3 {
			a.primary = locZH
		}
	}
	a.cur = req.Currency
	if a.cur == "" {
		a.cur = "USD"
		if a.primary == locZH {
			a.cur = "CNY"
		}
	}
	a.matchIntents()
	a.scanSlots()
	a.collectIntents()
	a.scopeNegation()
	a.findName()
}

// matchIntents finds every intent phrase, then switches off those lying
// inside a longer one ("no" inside "no problem", 不是 inside 这不是我的).
func (a *analysis) matchIntents() {
	r := a.r
	for i := range a.toks {
		id := a.toks[i].id
		if id < 0 || int(id) >= len(r.intents.byFirst) {
			continue
		}
		for _, pi := range r.intents.byFirst[id] {
			p := &r.intents.phrases[pi]
			if i+len(p.toks) > len(a.toks) || !matchAt(a.toks, i, p) {
				continue
			}
			h := hit{intent: p.intent, sub: p.sub, start: i, end: i + len(p.toks), loc: p.loc}
			for k := h.start; k < h.end; k++ {
				if a.toks[k].typo {
					h.typo = true
				}
			}
			a.hits = append(a.hits, h)
		}
	}
	// Hits are in order of start; a hit that contains h starts at most
	// maxLen tokens before it, so only a window is searched.
	maxLen := r.intents.maxLen
	for x := range a.hits {
		h := &a.hits[x]
		lo, hi := a.window(x, h.start-maxLen, h.end)
		for y := lo; y < hi; y++ {
			g := &a.hits[y]
			if x == y || g.start > h.start || g.end < h.end || g.end-g.start <= h.end-h.start {
				continue
			}
			if (h.intent == iReason) != (g.intent == iReason) {
				continue // a reason stands beside what else the words say (中风了 is hardship and illness)
			}
			// A negator inside "can't pay", 不行 or 还不了 still negates.
			if (h.intent == iNeg || h.intent == iPostNeg) && (g.intent == iCannotPay || g.intent == iDeny || g.intent == iPostNeg) {
				continue
			}
			h.off = true
			break
		}
	}
	// "can't pay by Friday": the promise phrase "pay by" overlapping a
	// cannot-pay phrase is not a promise.
	for x := range a.hits {
		h := &a.hits[x]
		if h.off || (h.intent != iPromise && h.intent != iPayNow) {
			continue
		}
		lo, hi := a.window(x, h.start-maxLen, h.end)
		for y := lo; y < hi; y++ {
			g := &a.hits[y]
			if !g.off && g.intent == iCannotPay && g.start < h.end && h.start < g.end {
				h.off = true
				break
			}
		}
	}
	// 现在还没钱, 现在还是下周: a look-alike that runs past the end of a
	// way-to-pay phrase (还没, 还是) takes its last word; the phrase is off.
	for x := range a.hits {
		h := &a.hits[x]
		if h.off || (h.intent != iPromise && h.intent != iPayNow) {
			continue
		}
		lo, hi := a.window(x, h.start-maxLen, h.end+maxLen)
		for y := lo; y < hi; y++ {
			g := &a.hits[y]
			if g.intent == iIgnore && g.start > h.start && g.start < h.end && g.end > h.end {
				h.off = true
				break
			}
		}
	}
	// "stop rushing me", 别催了: irritation, not a request to stop
	// contact; an emotional phrase switches off a cease phrase it overlaps.
	for x := range a.hits {
		h := &a.hits[x]
		if h.off || h.intent != iEmotion {
			continue
		}
		lo, hi := a.window(x, h.start-maxLen, h.end)
		for y := lo; y < hi; y++ {
			g := &a.hits[y]
			if (g.intent == iCease || g.intent == iComplaint) && g.start < h.end && h.start < g.end {
				g.off = true
			}
		}
	}
	if cap(a.flags) < len(a.toks) {
		a.flags = make([]uint8, len(a.toks))
	}
	a.flags = a.flags[:len(a.toks)]
	for i := range a.flags {
		a.flags[i] = 0
		if a.toks[i].kind == kBreak {
			a.flags[i] = fBreak
		}
	}
	for x := range a.hits {
		h := &a.hits[x]
		if h.off {
			continue
		}
		switch h.intent {
		case iNeg:
			for k := h.start; k < h.end; k++ {
				a.flags[k] |= fNeg
			}
		case iPostNeg:
			a.flags[h.start] |= fPostNeg
		case iBreak:
			for k := h.start; k < h.end; k++ {
				a.flags[k] |= fBreak
			}
		case iIgnore:
			for k := h.start; k < h.end; k++ {
				a.flags[k] |= fIgnore
			}
		case iCannotPay:
			// 周五还不上: a cannot-pay phrase after a date negates it.
			a.flags[h.start] |= fPostNeg
			for k := h.start; k < h.end; k++ {
				a.flags[k] |= fPhrase
			}
		default:
			for k := h.start; k < h.end; k++ {
				a.flags[k] |= fPhrase
			}
		}
	}
}

// recoveredLast reports that a recovery (not negated) is said at or after
// the end of the last hardship phrase.
func (a *analysis) recoveredLast() bool {
	hard, rec := -1, -1
	for x := range a.hits {
		h := &a.hits[x]
		switch {
		case h.off:
		case h.intent == iHardship:
			hard = max(hard, h.end)
		case h.intent == iRecovered && !a.negatedHit(h):
			rec = max(rec, h.end)
		}
	}
	return rec >= hard
}

// partialOffered reports a share offered: a phrase of it ("part of it",
// 一部分), or "something" or "a little" with a word of paying or an
// offer near it ("i can pay something friday", not "something had to
// wait").
func (a *analysis) partialOffered() bool {
	for x := range a.hits {
		h := &a.hits[x]
		if h.off || h.intent != iPartial || a.inReason(h) {
			continue // "something came up" is a reason
		}
		if a.toks[h.start].kind == kHan || h.end-h.start >= 2 {
			return true
		}
		for y := range a.hits {
			g := &a.hits[y]
			if g.off || g.intent != iPayWord && g.intent != iPromise && g.intent != iPayNow && g.intent != iPlan {
				continue
			}
			if g.end <= h.start && h.start-g.end <= 3 || g.start >= h.end && g.start-h.end <= 3 || g.start <= h.start && g.end >= h.end {
				return true
			}
		}
	}
	return false
}

// inReason reports that h lies inside a reason phrase.
func (a *analysis) inReason(h *hit) bool {
	for y := range a.hits {
		if g := &a.hits[y]; !g.off && g.intent == iReason && g.start <= h.start && g.end >= h.end {
			return true
		}
	}
	return false
}

// negatedHit reports a negator in the few words before h: "havent found
// a job yet", 还没找到工作 (还没 is absorbed as a whole, so the negator
// is looked for in the text).
func (a *analysis) negatedHit(h *hit) bool {
	for k := max(0, h.start-3); k < h.start; k++ {
		if a.flags[k]&fNeg != 0 {
			return true
		}
	}
	from := a.toks[max(0, h.start-3)].start
	if h.start == 0 {
		return false
	}
	before := a.text[from:a.toks[h.start].start]
	for _, w := range [...]string{"没", "未", "havent", "have not", "hasnt", "has not", "never", "not yet"} {
		if strings.Contains(before, w) {
			return true
		}
	}
	return false
}

// collectIntents records the intents of the active hits. A yes/no/hello
// word inside a slot ("k" in "2k") does not count.
func (a *analysis) collectIntents() {
	first := 0 // hits and mentions are both in order of start
	for x := range a.hits {
		h := &a.hits[x]
		if h.off {
			continue
		}
		switch h.intent {
		case iRecovered:
			// "not back at work yet", 还没找到工作: a recovery negated is none.
			a.has[iRecovered] = a.has[iRecovered] || !a.negatedHit(h)
		case iPartial, iHaving, iIf, iAsk, iIntense, iBecause, iHedge, iElsewhere:
			a.has[h.intent] = true
		case iQuestion:
			if a.topic == 0 {
				a.topic = h.sub
			}
		case iReason:
			if a.reason == 0 || reasonNames[a.reason] == dialog.LateOther && reasonNames[h.sub] != dialog.LateOther {
				a.reason = h.sub // a named reason over "other" (出差 ... 忘得死死的)
			}
		}
		if h.intent >= iNeg {
			continue
		}
		if h.intent == iAffirm || h.intent == iDeny || h.intent == iGreet {
			for first < len(a.ments) && a.ments[first].end <= h.start {
				first++
			}
			inside := false
			for y := first; y < len(a.ments); y++ {
				m := &a.ments[y]
				if m.start > h.start {
					break // mentions are in order
				}
				if m.kind != mNone && h.end <= m.end {
					inside = true
					break
				}
			}
			if inside {
				continue
			}
		}
		if !a.has[h.intent] {
			a.has[h.intent] = true
			a.hitTypo[h.intent] = h.typo
		} else if !h.typo {
			a.hitTypo[h.intent] = false
		}
		a.hitLoc[h.intent] |= h.loc
	}
}

// scopeNegation marks mentions inside the reach of a negator in the same
// clause: up to four tokens before ("not Friday", 不是周五) or after
// ("Friday doesn't work", 周五不行).
func (a *analysis) scopeNegation() {
	const reach = 4
	for x := range a.ments {
		m := &a.ments[x]
		if m.kind != mDate && m.kind != mAmount {
			continue
		}
		for k := m.start - 1; k >= 0 && k >= m.start-reach; k-- {
			if a.flags[k]&fBreak != 0 {
				break
			}
			if a.flags[k]&fNeg != 0 {
				m.negated = true
				break
			}
		}
		if m.negated {
			continue
		}
		for k := m.end; k < len(a.toks) && k < m.end+reach; k++ {
			if a.flags[k]&fBreak != 0 {
				break
			}
			if a.flags[k]&fPostNeg != 0 {
				m.negated = true
				break
			}
		}
	}
}

// findName reads "my name is Maria Lopez" / 我叫张三.
func (a *analysis) findName() {
	for i := range a.toks {
		end, _, ok := a.r.roleAt(a.toks, i, roleName)
		if !ok {
			continue
		}
		j := end
		if j >= len(a.toks) {
			return
		}
		if a.toks[j].kind == kHan {
			k := j
			for k < len(a.toks) && k < j+4 && a.toks[k].kind == kHan {
				k++
			}
			a.name = strings.Clone(a.text[a.toks[j].start:a.toks[k-1].end])
			return
		}
		var b strings.Builder
		for k := j; k < len(a.toks) && k < j+3 && a.toks[k].kind == kWord; k++ {
			w := a.text[a.toks[k].start:a.toks[k].end]
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			if isLower(w[0]) {
				b.WriteByte(w[0] - 'a' + 'A')
				w = w[1:]
			}
			b.WriteString(w)
		}
		a.name = b.String()
		return
	}
}

// Priority decides the main intent when several are found: safety first
// (distress), then what must stop or redirect collection (abuse, cease,
// attorney, bankruptcy, dispute, wrong party), then complaints and asks
// for a person, then the negotiation intents, then questions and the
// plain yes/no/hello. At the confirm stage yes/no come right after the
// escalations; at the verify stage an identity answer does.
var priority = []intentID{
	iDistress, iAbuse, iCease, iAttorney, iBankruptcy, iDispute, iWrongParty,
	iComplaint, iHuman,
	iAlreadyPaid, iPlan, iPayNow, iPromise, iExtension, iHardship, iCannotPay,
	iCallbackLater, iIdentify, iAskBalance, iAskHowToPay, iQuestion, iReason, iDeny, iAffirm, iGreet,
}

// escalations is the number of leading priority entries that always win.
const escalations = 9

func (a *analysis) order(dst []intentID) []intentID {
	dst = append(dst, priority[:escalations]...)
	switch a.req.Stage {
	case dialog.StageConfirm:
		dst = append(dst, iDeny, iAffirm)
	case dialog.StageVerify:
		dst = append(dst, iIdentify)
	}
	for _, id := range priority[escalations:] {
		dup := false
		for _, d := range dst {
			if d == id {
				dup = true
				break
			}
		}
		if !dup {
			dst = append(dst, id)
		}
	}
	return dst
}

// result turns the analysis into a dialog.Parse.
func (a *analysis) result() dialog.Parse {
	p := dialog.Parse{Source: Source, Sentiment: "neutral"}
	a.dropRestated()
	if a.has[iHardship] {
		// "家里每个月给800生活费 ... 真的没办法还": beside a hardship, a
		// figure with no word of paying next to it describes it.
		for x := range a.ments {
			if m := &a.ments[x]; m.kind == mAmount && !a.payNear(m) {
				m.kind = mNone
			}
		}
	}
	a.dropVague()
	if a.has[iElsewhere] {
		a.dropElsewhere()
	}
	if (a.has[iHardship] || a.topic > 0) && !a.paySaid() {
		// "我爸癌症在化疗 每个月药费七八千", "1.2万对我现在就是天文数字",
		// "Why is my balance 1250.50? I only borrowed 1000.": with a
		// hardship or a question and no word of paying, the figures
		// describe it; they offer nothing. (A date still may: 这个月实在
		// 没钱，下个月5号吧.)
		for x := range a.ments {
			if m := &a.ments[x]; m.kind == mAmount {
				m.kind = mNone
			}
		}
	}
	var posDate, negDate, posAmt, negAmt, inst *mention
	for x := range a.ments {
		m := &a.ments[x]
		switch m.kind {
		case mDate:
			if m.negated {
				if negDate == nil {
					negDate = m
				}
			} else if posDate == nil || m.start == posDate.end {
				posDate = m // "Friday the 4th": the second names the day more precisely
			}
		case mAmount:
			if m.negated {
				if negAmt == nil {
					negAmt = m
				}
			} else if posAmt == nil || (posAmt.weak && !m.weak) {
				posAmt = m
			}
		case mInst:
			if p.Installments == 0 {
				p.Installments, inst = m.n, m
			}
		case mDOB:
			if p.DOB.IsZero() {
				p.DOB = m.date
			}
		case mID:
			if p.IDLast4 == "" {
				p.IDLast4 = m.id
			}
		}
	}
	unsureDate := false
	if posDate != nil {
		posDate, unsureDate = a.pickDate(posDate)
	}
	if unsureDate {
		// "pay the full balance ... on X or Y": with the date unsure, not
		// now either; the bot asks which day.
		a.has[iPayNow] = false
	}
	negated := false
	switch {
	case posDate != nil:
		p.Date, p.Week = posDate.date, posDate.week
	case negDate != nil:
		p.Date, negated = negDate.date, true
	}
	switch {
	case posAmt != nil:
		p.Amount = compliance.Money{Minor: posAmt.minor, Currency: posAmt.cur}
	case negAmt != nil:
		p.Amount = compliance.Money{Minor: negAmt.minor, Currency: negAmt.cur}
		if posDate == nil {
			negated = true
		}
	}
	p.Name = a.name
	has := &a.has
	if a.ownsAmount() {
		has[iHaving] = true
	}
	if has[iHaving] {
		// "$12 in my account", 就剩15块: what they have is not an offer.
		has[iHardship] = true
		has[iPromise], has[iPayNow], has[iPlan] = false, false, false
		posAmt, negAmt = nil, nil
		p.Amount = compliance.Money{}
	} else if parts := a.findParts(); len(parts) > 0 {
		p.Parts = parts
		has[iPlan] = true
		p.Amount, p.Date = compliance.Money{}, compliance.Date{}
		posAmt, posDate = nil, nil
	}
	if !has[iHaving] && len(p.Parts) == 0 && posAmt != nil {
		if m, unsure := a.pickAmount(posAmt); unsure {
			p.Unclear = true // two amounts and one payment: ask, don't guess
		} else if m != posAmt {
			posAmt = m
			p.Amount = compliance.Money{Minor: m.minor, Currency: m.cur}
		}
	}
	if !has[iHaving] && len(p.Parts) == 0 && !p.Unclear && posAmt != nil && a.unaccounted() {
		// "400 then and 400 after", "400 each, first one friday": more
		// payments said than one promise holds; ask for each.
		p.Unclear = true
	}
	if !has[iHaving] && (p.Unclear || a.unclearSchedule(p.Parts)) {
		// Better to ask for each payment than to read back a guess.
		p.Unclear, p.Parts = true, nil
		has[iPlan] = true
		p.Amount, p.Date = compliance.Money{}, compliance.Date{}
		posAmt, posDate = nil, nil
	}
	a.expected(&p, &posAmt, &posDate)
	if t := topicNames[a.topic]; (t == dialog.TopicFees || t == dialog.TopicConsequence) && has[iIf] && len(p.Parts) == 0 {
		// "Is there a discount if I pay today?", 现在还了还会上征信吗: a
		// question about a way to pay, not an offer to pay.
		has[iPromise], has[iPayNow], has[iPlan], has[iCannotPay] = false, false, false, false
		posAmt, posDate, negAmt, negDate = nil, nil, nil, nil
		p.Amount, p.Date, p.Installments = compliance.Money{}, compliance.Date{}, 0
	}
	if has[iHardship] && posDate == nil && posAmt == nil && len(p.Parts) == 0 && p.Installments == 0 && !has[iPlan] && !has[iPayNow] && !has[iExtension] {
		// "i want to pay but i got nothing": wanting to pay, with no way
		// named, is no offer.
		has[iPromise] = false
	}
	if has[iHedge] && has[iAffirm] {
		// "yes, but i might be a day or two late", 好的 不过可能晚两天: a yes
		// hedged does not confirm a read-back; the bot asks again.
		has[iAffirm] = false
	}
	if has[iRecovered] && !has[iCannotPay] && !has[iHaving] && a.recoveredLast() {
		// "got laid off in october but i start a new job monday", 病好了,
		// 卡解冻了: a hardship that is over is the reason for lateness,
		// not a reason to stop negotiating. The last said stands: "had
		// surgery and now i cant work" is still hardship.
		has[iHardship] = false
	}
	if has[iHardship] && has[iHedge] && (has[iCannotPay] || has[iPromise] || posDate != nil) && len(p.Parts) == 0 {
		// "Maybe I scrape 50 together sometime next month but I honestly
		// can't promise that, my wife lost her job": an offer hedged
		// beside a hardship is no offer; hardship handling, not a demand.
		has[iPromise], has[iPayNow], has[iPlan], has[iExtension] = false, false, false, false
		posAmt, posDate, negAmt, negDate = nil, nil, nil, nil
		p.Amount, p.Date, p.Installments, p.Unclear, negated = compliance.Money{}, compliance.Date{}, 0, false, false
	}
	if a.topic > 0 {
		p.Topic = topicNames[a.topic]
	}
	if a.reason > 0 {
		p.Reason = reasonNames[a.reason]
	}
	p.Partial = (has[iPartial] && a.partialOffered() || a.vague) && posAmt == nil
	if r := reasonNames[a.reason]; (r == dialog.LateJobLoss || r == dialog.LateIllness) && has[iCannotPay] && !has[iRecovered] &&
		posAmt == nil && posDate == nil && len(p.Parts) == 0 && p.Installments == 0 && !has[iPromise] && !has[iPlan] && !has[iPayNow] && !has[iExtension] {
		// "me despidieron in october ... i cant pay": a job lost or an
		// illness, and no way to pay: hardship, not a question of when.
		has[iHardship] = true
	}
	if has[iCannotPay] && has[iIntense] && posAmt == nil && posDate == nil && len(p.Parts) == 0 && p.Installments == 0 &&
		!has[iPromise] && !has[iPlan] && !has[iPayNow] && !has[iExtension] {
		// "I really can't pay anything", 真的还不上: nothing offered and
		// no way to pay is hardship, not a question of when.
		has[iHardship] = true
	}
	if posDate == nil && len(p.Parts) == 0 && a.hasExtra(xNow) && !has[iCannotPay] && (posAmt != nil || has[iPromise] && !has[iPlan] && a.payNow()) {
		has[iPayNow] = true // "I'll pay 250.50 right now", 现在能先还888, "I'll pay it right now"
	}

	if has[iAbuse] && !a.insulted() && (posDate != nil || posAmt != nil || len(p.Parts) > 0 || has[iPromise] || has[iPayNow] || has[iPlan]) {
		// "wtf is wrong with yall its been like 10 days chill. friday":
		// swearing with no insult, next to a way to pay, is venting.
		has[iAbuse] = false
	}

	// Intents implied by slots.
	derive := func(i intentID) {
		if !has[i] {
			has[i], a.derived[i] = true, true
		}
	}
	if !p.DOB.IsZero() || p.IDLast4 != "" {
		derive(iIdentify)
	}
	if p.Installments >= 2 {
		derive(iPlan)
	}
	if posDate != nil && !has[iPlan] && !has[iExtension] && !has[iCallbackLater] && !has[iAlreadyPaid] && !has[iPayNow] {
		derive(iPromise)
	}
	if posAmt != nil && posDate == nil && !has[iPlan] && !has[iPayNow] && !has[iExtension] && !has[iAlreadyPaid] &&
		!has[iDispute] && !has[iAskBalance] && !has[iCannotPay] && !has[iPromise] && !has[iHardship] && !has[iQuestion] {
		derive(iPromise)
	}
	if negated {
		derive(iCannotPay)
	}
	if unsureDate && !has[iPlan] && !has[iExtension] && !has[iCallbackLater] && !has[iAlreadyPaid] && !has[iHardship] {
		derive(iPromise) // several dates, none clearly meant: the bot asks which
	}

	var buf [iCount]intentID
	ord := a.order(buf[:0])
	var found [iCount]intentID
	nf := 0
	for _, id := range ord {
		if has[id] {
			found[nf] = id
			nf++
		}
	}
	// "I'll pay it all on Friday" is a promise of the full amount.
	if posDate != nil && has[iPayNow] && posDate.date.After(a.today) {
		derive(iPromise)
		nf = 0
		for _, id := range ord {
			if has[id] && id != iPayNow {
				found[nf] = id
				nf++
			}
		}
		found[nf] = iPayNow
		nf++
		sortPromiseFirst(found[:nf])
	}
	if nf == 0 && has[iAsk] && a.req.Stage != dialog.StageConfirm {
		// A question the lexicons do not know: answered in general terms
		// (what the debt is), then back to the pending question.
		found[0], nf = iQuestion, 1
		a.derived[iQuestion] = true
	}
	if nf == 0 && (a.req.Expect == dialog.ExpectReason && len(a.toks) > 2 || has[iBecause] && len(a.toks) > 3) {
		// Whatever answers "what made it hard to pay?" is the reason,
		// even in words the lexicons do not know.
		found[0], nf = iReason, 1
		a.derived[iReason] = true
		p.Reason = dialog.LateOther
	}
	if nf == 0 {
		if len(a.toks) > 0 {
			p.Confidence = 0.1
		}
		p.Sentiment = a.sentiment()
		return p
	}
	main := found[0]
	p.Intent = intentOf[main]
	if nf > 1 {
		p.Alts = make([]dialog.Intent, 0, nf-1)
		for _, id := range found[1:nf] {
			p.Alts = append(p.Alts, intentOf[id])
		}
	}
	p.Negated = negated || main == iCannotPay
	p.Confidence = a.confidence(main, nf, posAmt, posDate != nil, inst)
	p.Sentiment = a.sentiment()
	return p
}

// sortPromiseFirst moves promise ahead of pay now and the other
// negotiation intents, leaving escalations in front.
func sortPromiseFirst(f []intentID) {
	pi := -1
	for i, id := range f {
		if id == iPromise {
			pi = i
		}
	}
	if pi < 0 {
		return
	}
	target := pi
	for i := 0; i < pi; i++ {
		if isNegotiation(f[i]) {
			target = i
			break
		}
	}
	copy(f[target+1:pi+1], f[target:pi])
	f[target] = iPromise
}

func isNegotiation(i intentID) bool {
	switch i {
	case iAlreadyPaid, iPlan, iPayNow, iExtension:
		return true
	}
	return false
}

func (a *analysis) confidence(main intentID, n int, amt *mention, dated bool, inst *mention) float64 {
	c := 0.9
	switch {
	case a.derived[main]:
		c = 0.75
		if (main == iIdentify && a.req.Stage == dialog.StageVerify) || (main == iPlan) {
			c = 0.85
		}
		if main == iPromise && amt != nil && amt.weak && !dated {
			c = 0.5
		}
		if main == iPlan && inst != nil && inst.weak {
			c = 0.6 // a bare "3"
		}
	case a.hitTypo[main]:
		c = 0.7
	}
	if !a.derived[main] && a.primary != 0 && a.hitLoc[main]&a.primary == 0 {
		c -= 0.05 // understood through the other language's lexicon
	}
	if n >= 3 {
		c -= 0.05
	}
	if c < 0 {
		c = 0
	}
	if c > 1 {
		c = 1
	}
	return c
}

func (a *analysis) sentiment() string {
	h := &a.has
	switch {
	case h[iDistress]:
		return "distressed"
	case h[iAbuse]:
		return "angry"
	case h[iComplaint] && (a.st.exclaims > 0 || a.st.upperWords > 0):
		return "angry"
	case a.st.exclaims >= 3 || a.st.upperWords >= 3:
		return "angry"
	case h[iComplaint], h[iCease], h[iDispute], h[iHardship], h[iCannotPay], h[iWrongParty]:
		return "negative"
	case a.st.exclaims >= 2:
		return "negative"
	}
	return "neutral"
}

// window returns the range of hits, around index x, whose start lies in
// [from, to).
func (a *analysis) window(x, from, to int) (int, int) {
	lo := x
	for lo > 0 && a.hits[lo-1].start >= from {
		lo--
	}
	hi := x + 1
	for hi < len(a.hits) && a.hits[hi].start < to {
		hi++
	}
	return lo, hi
}

// hasExtra reports whether a schedule word of kind k was found.
func (a *analysis) hasExtra(k extraKind) bool {
	for i := range a.extras {
		if a.extras[i].kind == k {
			return true
		}
	}
	return false
}

// pickDate chooses the date to pay by when a message names several that
// differ ("i start a new job monday, can i pay the 4th", 双十一那会儿花超了
// 下个月初还): the last one after a self-correction ("oh wait", 不对);
// else the only one a word of paying stands next to. With neither, it
// returns nil and unsure: the bot asks for the date rather than guess.
// first is the date result() chose (the first one).
func (a *analysis) pickDate(first *mention) (*mention, bool) {
	if a.req.Stage == dialog.StageVerify {
		return first, false
	}
	var dates [8]*mention
	n := 0
	var prevEnd = -1
	distinct := false
	for x := range a.ments {
		m := &a.ments[x]
		if m.kind != mDate || m.negated {
			continue
		}
		if n > 0 && m.start == prevEnd {
			dates[n-1] = m // "Friday the 4th": one day, named twice
			prevEnd = m.end
			continue
		}
		if n == len(dates) {
			break
		}
		if n > 0 && m.date != dates[0].date {
			distinct = true
		}
		dates[n], prevEnd = m, m.end
		n++
	}
	if !distinct {
		return first, false
	}
	corr := -1
	for x := range a.hits {
		if a.hits[x].intent == iCorrect && !a.hits[x].off && a.hits[x].end > corr {
			corr = a.hits[x].end
		}
	}
	if corr >= 0 {
		var last *mention
		for _, m := range dates[:n] {
			if m.start >= corr {
				last = m
			}
		}
		if last != nil {
			return last, false
		}
	}
	if a.alternatives() {
		return nil, true // "friday? or monday?": the borrower's choice to make
	}
	var anchored *mention
	for _, m := range dates[:n] {
		if a.payNear(m) {
			if anchored != nil && anchored.date != m.date {
				return nil, true
			}
			anchored = m
		}
	}
	if anchored == nil {
		// "the week of thanksgiving?? ... ugh ok, the 30th": a date in a
		// clause that asks or exclaims is weighed, not offered; one date
		// said outside such a clause is the offer.
		for _, m := range dates[:n] {
			if a.askedAt(m.end) {
				continue
			}
			if anchored != nil && anchored.date != m.date {
				return nil, true
			}
			anchored = m
		}
		if anchored != nil && anchored != dates[n-1] && !a.askedAt(dates[n-1].end) {
			anchored = nil
		}
		if anchored == nil {
			return nil, true
		}
		return anchored, false
	}
	if anchored != nil {
		for _, m := range dates[:n] {
			if m.date != anchored.date && (a.joined(anchored, m) || a.joined(m, anchored)) {
				// "100 this friday and next friday": dates joined by
				// "and" are alike; the word of paying is both's.
				return nil, true
			}
		}
		return anchored, false
	}
	return nil, true
}

// askedAt reports that the clause going on at i ends in "?" (or "?!").
func (a *analysis) askedAt(i int) bool {
	for k := i; k < len(a.toks); k++ {
		if a.toks[k].kind == kBreak {
			return a.toks[k].text == "?"
		}
	}
	return false
}

// joined reports that mention m is followed by n with only a word of
// joining between them ("and", "then", "plus", 和, 跟, 再, a comma).
func (a *analysis) joined(m, n *mention) bool {
	if n.start < m.end || n.start-m.end > 3 {
		return false
	}
	if n.start == m.end {
		return false // one day named twice ("Friday the 4th")
	}
	for k := m.end; k < n.start; k++ {
		switch t := &a.toks[k]; {
		case t.kind == kBreak && t.text == ",":
		case t.kind == kHan && (t.r == '和' || t.r == '跟' || t.r == '再' || t.r == '、' || t.r == '及'):
		default:
			switch t.text {
			case "and", "then", "plus", "&", "n", "an":
			default:
				return false
			}
		}
	}
	return true
}

// unaccounted reports amounts a single promise would leave out: two
// offered amounts joined as payments ("400 then and 400 after", 先还500
// 再还500), or an amount said per payment ("400 each", 每期400) with no
// count of payments.
func (a *analysis) unaccounted() bool {
	var prev *mention
	for x := range a.ments {
		m := &a.ments[x]
		if m.kind != mAmount || m.negated {
			continue
		}
		if m.end < len(a.toks) && a.req.Expect != dialog.ExpectAmount {
			switch a.toks[m.end].text {
			case "each", "apiece":
				if !a.hasInst() {
					return true
				}
			}
		}
		if prev != nil && a.payBetween(prev, m) {
			return true
		}
		prev = m
	}
	return false
}

// alternatives reports "or" between two of the figures: 200 on friday or
// 300 on the 4th, 周五500或者下周一800.
func (a *analysis) alternatives() bool {
	first, last := -1, -1
	for x := range a.ments {
		if k := a.ments[x].kind; k == mAmount || k == mDate {
			if first < 0 {
				first = a.ments[x].end
			}
			last = a.ments[x].start
		}
	}
	for k := max(first, 0); k < last; k++ {
		t := &a.toks[k]
		if t.text == "or" || t.kind == kHan && t.r == '或' || t.kind == kHan && t.r == '还' && k+1 < len(a.toks) && a.toks[k+1].r == '是' {
			return true
		}
	}
	return false
}

// dropElsewhere drops figures of other money ("my rent is 900 on the
// 1st", 房租1500, "i make 1200 a month") with no word of paying next to
// them; a date that went with one is left for the schedule check, which
// asks when there are more days than payments.
func (a *analysis) dropElsewhere() {
	out := a.extras[:0]
	for _, x := range a.extras {
		if x.kind == xFrac && a.nearElsewhere(x.start, x.end) {
			continue // "her half of rent": a share of something else
		}
		out = append(out, x)
	}
	a.extras = out
	for x := range a.ments {
		m := &a.ments[x]
		if m.kind != mAmount || a.payNear(m) {
			continue
		}
		for y := range a.hits {
			h := &a.hits[y]
			if h.off || h.intent != iElsewhere {
				continue
			}
			if h.end <= m.start && m.start-h.end <= 2 && !a.breakIn(h.end, m.start) ||
				h.start >= m.end && h.start-m.end <= 1 && !a.breakIn(m.end, h.start) {
				m.kind = mNone
				a.dropCadence(m.end)
				break
			}
		}
	}
}

// nearElsewhere reports a phrase of other money within two tokens of
// [start, end) in its clause.
func (a *analysis) nearElsewhere(start, end int) bool {
	for y := range a.hits {
		h := &a.hits[y]
		if h.off || h.intent != iElsewhere {
			continue
		}
		if h.start >= end && h.start-end <= 2 && !a.breakIn(end, h.start) || h.end <= start && start-h.end <= 2 && !a.breakIn(h.end, start) {
			return true
		}
	}
	return false
}

// elsewhere reports that h lies inside a phrase of other money: "i get
// paid" is not a word of paying us.
func (a *analysis) elsewhere(h *hit) bool {
	for y := range a.hits {
		if g := &a.hits[y]; !g.off && g.intent == iElsewhere && g.start <= h.start && g.end >= h.end {
			return true
		}
	}
	return false
}

// dropCadence drops a cadence right after a dropped figure: "i make 1200
// a month" says how often they are paid, not how often they would pay.
func (a *analysis) dropCadence(at int) {
	out := a.extras[:0]
	for _, x := range a.extras {
		if x.kind == xEvery && x.start >= at && x.start-at <= 1 && !a.amountNear(x.end) {
			continue
		}
		out = append(out, x)
	}
	a.extras = out
}

// hasInst reports a count of payments in the message.
func (a *analysis) hasInst() bool {
	for x := range a.ments {
		if a.ments[x].kind == mInst {
			return true
		}
	}
	return false
}

// payBetween reports two amounts said as two payments: a word of joining
// or of sequence between them ("and", "then", "after that", 再, 然后).
func (a *analysis) payBetween(m, n *mention) bool {
	for k := m.end; k < n.start; k++ {
		t := &a.toks[k]
		if t.kind == kHan {
			if t.r == '再' || t.r == '和' || t.r == '跟' {
				return true
			}
			continue
		}
		switch t.text {
		case "and", "then", "plus", "after", "later", "next":
			return true
		}
	}
	return false
}

// payNear reports whether a word of paying (or a promise phrase) stands
// next to m in its clause: up to three tokens before it ("can i pay the
// 4th") or two after (下个月初还).
func (a *analysis) payNear(m *mention) bool {
	for x := range a.hits {
		h := &a.hits[x]
		if h.off || (h.intent != iPayWord && h.intent != iPromise && h.intent != iPayNow) || a.has[iElsewhere] && a.elsewhere(h) {
			continue
		}
		if h.end <= m.start && m.start-h.end <= 3 && !a.breakIn(h.end, m.start) {
			return true
		}
		if h.start >= m.end && h.start-m.end <= 2 && !a.breakIn(m.end, h.start) && !(m.kind == mAmount && a.amountAfter(m, h.end)) {
			return true
		}
	}
	return false
}

// amountAfter reports another amount within three tokens after i: "my
// check is 600 so i can do 300": the word of paying is the second's.
func (a *analysis) amountAfter(m *mention, i int) bool {
	for x := range a.ments {
		n := &a.ments[x]
		if n != m && n.kind == mAmount && n.start >= i && n.start-i <= 3 {
			return true
		}
	}
	return false
}

// amountNear reports an amount starting within two tokens after i
// (每月还500: the cadence is that amount's).
func (a *analysis) amountNear(i int) bool {
	for x := range a.ments {
		if n := &a.ments[x]; n.kind == mAmount && n.start >= i && n.start-i <= 2 {
			return true
		}
	}
	return false
}

// breakIn reports a clause break among the tokens [from, to).
func (a *analysis) breakIn(from, to int) bool {
	for k := from; k < to && k < len(a.flags); k++ {
		if a.flags[k]&fBreak != 0 {
			return true
		}
	}
	return false
}

// ownsAmount reports an amount the borrower says they have, not one they
// offer: "$12 left", 余额3块5, 零钱12, 两千块收入.
func (a *analysis) ownsAmount() bool {
	for x := range a.ments {
		m := &a.ments[x]
		if m.kind != mAmount {
			continue
		}
		if m.end < len(a.toks) {
			rest := a.text[a.toks[m.end].start:]
			if hasPrefixAny(rest, "收入", "的收入") {
				return true
			}
			if strings.HasPrefix(rest, "left") && m.start > 0 {
				// "i have $12 left", "only got 20 left"
				before := strings.TrimRight(a.text[:a.toks[m.start].start], " ")
				if hasSuffixAny(before, "have", "got", "only", "have only", "has") {
					return true
				}
			}
		}
		if m.start > 0 {
			before := a.text[:a.toks[m.start].start]
			if hasSuffixAny(strings.TrimRight(before, " "), "余额", "零钱", "余额只有", "零钱只有", "余额就", "零钱就") {
				return true
			}
		}
	}
	return false
}

// insulted reports an abuse phrase that is not mere swearing: an insult
// ("fuck you", 傻逼), not an expletive ("wtf", 妈的).
func (a *analysis) insulted() bool {
	for x := range a.hits {
		h := &a.hits[x]
		if h.off || h.intent != iAbuse {
			continue
		}
		covered := false
		for y := range a.hits {
			g := &a.hits[y]
			if !g.off && g.intent == iExpletive && g.start <= h.start && g.end >= h.end {
				covered = true
				break
			}
		}
		if !covered {
			return true
		}
	}
	return false
}

func hasPrefixAny(s string, ps ...string) bool {
	for _, p := range ps {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func hasSuffixAny(s string, ps ...string) bool {
	for _, p := range ps {
		if strings.HasSuffix(s, p) {
			return true
		}
	}
	return false
}

// unclearSchedule reports a proposal of several payments that was not
// read whole: an amount, a share or "the rest" that no payment took, or
// more dates than payments ("300 today and the rest next friday. not
// this friday the one after", 剩下的2000分两次 12月14号跟12月28号).
func (a *analysis) unclearSchedule(parts []dialog.Part) bool {
	switch a.req.Stage {
	case dialog.StageVerify, dialog.StageConfirm:
		if len(parts) == 0 {
			return false
		}
	}
	if a.req.Expect == dialog.ExpectDate || a.req.Expect == dialog.ExpectAmount || a.req.Expect == dialog.ExpectIdentity {
		return false
	}
	if len(parts) >= 2 && a.alternatives() {
		return true // "200 on friday or 300 on the 4th": a choice, not a schedule
	}
	items, shares := 0, 0
	// the distinct days named ("Friday the 27th" is one, and so is a
	// day said twice)
	var days [8]compliance.Date
	dates := 0
	addDay := func(d compliance.Date) {
		for _, x := range days[:dates] {
			if x == d {
				return
			}
		}
		if dates < len(days) {
			days[dates] = d
			dates++
		}
	}
	for x := range a.ments {
		m := &a.ments[x]
		switch {
		case m.negated:
		case m.kind == mAmount:
			if !a.restBefore(m.start) {
				items++
			}
		case m.kind == mDate:
			if x+1 < len(a.ments) && a.ments[x+1].kind == mDate && a.ments[x+1].start == m.end {
				continue // "Friday the 4th": the second names the day
			}
			addDay(m.date)
		}
	}
	for i := range a.extras {
		switch a.extras[i].kind {
		case xRest, xFrac:
			items++
			shares++
		case xNow:
			if dates == 0 {
				addDay(a.today) // "马上还" after 15号 is "then, at once"
			}
		}
	}
	if len(parts) == 0 {
		return shares > 0 && items >= 2 && dates >= 1
	}
	used, recurring := 0, false
	for i, pt := range parts {
		if pt.Rest && i < len(parts)-1 {
			return true // "the rest" is what is left after every other payment
		}
		if pt.Amount.Minor > 0 || pt.Den > 0 || pt.Rest {
			used++
		}
		if pt.Every > 0 {
			recurring = true
			if pt.Count == 0 && shares > 0 {
				used++ // paid until nothing is left: "the rest" is in it
			}
		}
	}
	return items > used || (!recurring && dates > len(parts))
}

// restBefore reports "the rest" right before token i (剩下的700: the
// rest, stated).
func (a *analysis) restBefore(i int) bool {
	for x := range a.extras {
		if e := &a.extras[x]; e.kind == xRest && i-e.end <= 1 && i >= e.end {
			return true
		}
	}
	return false
}

// pickAmount chooses the amount of a single payment when a message names
// several that differ ("1.2k is too much at once, can i pay 400 friday",
// 两千五是吧 今天转一千): the only one a word of paying stands next to.
// With none or several, it returns unsure.
func (a *analysis) pickAmount(first *mention) (*mention, bool) {
	if a.req.Stage == dialog.StageVerify || a.req.Expect == dialog.ExpectAmount {
		return first, false
	}
	distinct := false
	for x := range a.ments {
		m := &a.ments[x]
		if m.kind == mAmount && !m.negated && m.minor != first.minor && !a.restBefore(m.start) {
			distinct = true
		}
	}
	if !distinct {
		return first, false
	}
	var anchored *mention
	for x := range a.ments {
		m := &a.ments[x]
		if m.kind != mAmount || m.negated || !a.payNear(m) {
			continue
		}
		if anchored != nil && anchored.minor != m.minor {
			return nil, true
		}
		anchored = m
	}
	if anchored == nil {
		return nil, true
	}
	return anchored, false
}

// dropRestated drops amounts the borrower restates or weighs rather than
// offers: "1.2k is too much at once", 两千五是吧.
func (a *analysis) dropRestated() {
	for x := range a.ments {
		m := &a.ments[x]
		if m.kind != mAmount || m.end >= len(a.toks) || a.payNear(m) {
			continue
		}
		rest := a.text[a.toks[m.end].start:]
		if hasPrefixAny(rest, "是吧", "对吧", "是吗", "对吗", "is too much", "too much", "is a lot", "is way too much", "太多", "太高", "对我") {
			m.kind = mNone
		}
	}
}

// paySaid reports a word of paying, or an offer, anywhere in the message.
func (a *analysis) paySaid() bool {
	for x := range a.hits {
		h := &a.hits[x]
		if h.off {
			continue
		}
		switch h.intent {
		case iPayWord, iPromise, iPayNow, iPlan, iExtension:
			return true
		}
	}
	return false
}

// dropVague drops an amount said roughly ("一千出头", "一千多块", "500 or
// so"): the bot asks how much rather than record a guess.
func (a *analysis) dropVague() {
	for x := range a.ments {
		m := &a.ments[x]
		if m.kind != mAmount || m.end >= len(a.toks) {
			continue
		}
		rest := a.text[a.toks[m.end].start:]
		if hasPrefixAny(rest, "出头", "多", "来块", "左右", "ish", "or so", "give or take", "something") {
			// A rough figure next to a word of paying asks how much;
			// one in a story (被骗走了三万多) is only gone.
			m.kind = mNone
			a.vague = a.vague || a.payNear(m) || a.reason == 0 && !a.has[iHardship]
		}
	}
}

// payNow reports "now" said with a word of paying next to it ("I'll pay it
// right now"), not "now" as in "at the moment" (现在手头紧 过几天还).
func (a *analysis) payNow() bool {
	for i := range a.extras {
		x := &a.extras[i]
		if x.kind == xNow && a.payNear(&mention{start: x.start, end: x.end}) {
			return true
		}
	}
	return false
}
