package understand

import (
	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/dialog"
)

// extraKind is a schedule word found between the slot mentions.
type extraKind uint8

const (
	xRest  extraKind = iota + 1 // the rest, 剩下的
	xFrac                       // half, a third, 四分之一
	xEvery                      // a week, every other Friday, 每周五
	xNow                        // now, ahora, 现在
	xTimes                      // 四次: a count of recurring payments
)

// extra is one schedule word with its token span.
type extra struct {
	kind       extraKind
	start, end int
	num, den   int // xFrac
	days       int // xEvery
	wd         int // xEvery: the weekday it is pinned to, or -1
	n          int // xTimes
}

// scanExtra reads a schedule word at i (before the slots are tried, so
// that "a week" in "$50 a week" is a cadence, not a date).
func (a *analysis) scanExtra(i int) (extra, bool) {
	r, toks := a.r, a.toks
	if e, v, ok := r.roleAt(toks, i, roleEvery); ok && !(e < len(toks) && (toks[e].text == "from" || toks[e].text == "after" && !(e+1 < len(toks) && toks[e+1].text == "that"))) {
		// ("a week from Friday" is a date, not a cadence; "100 every
		// week after that" is one)
		x := extra{kind: xEvery, start: i, end: e, days: int(v), wd: -1}
		// every Friday, 每周五, 每个周五, every other friday
		if e2, wd, ok := r.roleAt(toks, e, roleWeekday); ok {
			x.wd, x.end = int(wd), e2
		} else if wd, ok := a.zhWeekday(e); ok && toks[e].kind == kHan && x.days == 7 && !a.hanMultAt(e+1) {
			x.wd, x.end = wd, e+1 // 每周五, but not 每周五十 (fifty a week)
		} else if e2, _, ok := r.roleAt(toks, e, roleWkPrefix); ok {
			if wd, ok := a.zhWeekday(e2); ok && !a.hanMultAt(e2+1) {
				x.wd, x.end = wd, e2+1
			}
		}
		return x, true
	}
	// 一周五十, 一个月八百: an amount a week or a month
	if toks[i].r == '一' && i+1 < len(toks) {
		j := i + 1
		if toks[j].r == '个' {
			j++
		}
		days := 0
		e, _, ok := r.roleAt(toks, j, roleWkPrefix)
		if ok {
			days = 7
		} else if e, _, ok = r.roleAt(toks, j, roleMonthUnit); ok {
			days = 30
		}
		if days > 0 && e < len(toks) {
			if n, ok := a.number(e); ok && (n.form == fDigits || n.n >= 2) && n.val >= 1000 {
				return extra{kind: xEvery, start: i, end: e, days: days, wd: -1}, true
			}
		}
	}
	// 四个周五: four Fridays in a row
	if toks[i].kind == kHan || toks[i].kind == kNum {
		if n, e, ok := a.smallInt(i, 36); ok && n >= 2 {
			if e < len(toks) && toks[e].r == '个' {
				e++
			}
			if e2, _, ok := r.roleAt(toks, e, roleWkPrefix); ok {
				if wd, ok := a.zhWeekday(e2); ok {
					return extra{kind: xEvery, start: i, end: e2 + 1, days: 7, wd: wd, n: n}, true
				}
			}
		}
	}
	// "Fridays", "the next three Fridays": every week on that day
	if t := &toks[i]; t.kind == kWord && len(t.text) > 4 && t.text[len(t.text)-1] == 's' {
		if wd, ok := r.weekdayWord(t.text[:len(t.text)-1]); ok {
			return extra{kind: xEvery, start: i, end: i + 1, days: 7, wd: wd}, true
		}
	}
	if e, _, ok := r.roleAt(toks, i, roleRest); ok {
		return extra{kind: xRest, start: i, end: e}, true
	}
	if e, v, ok := r.roleAt(toks, i, roleFrac); ok {
		return extra{kind: xFrac, start: i, end: e, num: 1, den: int(v)}, true
	}
	// 四分之一, 三分之二
	if toks[i].kind == kHan {
		if den, e, ok := a.smallInt(i, 10); ok && den >= 2 && e+2 < len(toks) && toks[e].r == '分' && toks[e+1].r == '之' {
			if num, e2, ok := a.smallInt(e+2, 10); ok && num >= 1 && num < den {
				return extra{kind: xFrac, start: i, end: e2, num: num, den: den}, true
			}
		}
	}
	return extra{}, false
}

// scanExtraAfter reads the schedule words tried after the slots: now,
// and a count of times (四次, 4 times).
func (a *analysis) scanExtraAfter(i int) (extra, bool) {
	r, toks := a.r, a.toks
	if e, _, ok := r.roleAt(toks, i, roleNow); ok {
		return extra{kind: xNow, start: i, end: e}, true
	}
	if n, e, ok := a.smallInt(i, 36); ok && n >= 2 {
		if e2, _, ok := r.roleAt(toks, e, roleTimes); ok {
			return extra{kind: xTimes, start: i, end: e2, n: n}, true
		}
	}
	return extra{}, false
}

// part is a schedule part being built.
type partB struct {
	p       dialog.Part
	amt     bool // has an amount, a share or the rest
	dated   bool
	aligned bool // the date only pins a recurring payment to a weekday
	seen    bool
	at      int // where its first item was seen
	atEnd   int
	gap     int // tokens between its amount and its date
}

// findParts reads a schedule of several payments: each amount (or share,
// or "the rest") pairs with the date next to it, in either order; a
// cadence makes a payment recurring. It returns nil unless the message
// proposes more than one payment.
func (a *analysis) findParts() []dialog.Part {
	if len(a.extras) == 0 && len(a.ments) < 3 {
		return nil // two mentions are one payment at most
	}
	neg := 0
	for x := range a.ments {
		if a.ments[x].negated {
			neg++
		}
	}
	if neg > 0 && len(a.extras) == 0 {
		return nil // "not 100 on Friday": no schedule to read
	}
	if ps, ok := a.splitInto(); ok {
		return ps
	}
	parts, count, countAt := a.pair(pairGreedy)
	best := score(parts)
	for _, mode := range [...]pairMode{pairAmountFirst, pairDateFirst} {
		if ps, c, ca := a.pair(mode); score(ps) > best {
			parts, count, countAt, best = ps, c, ca, score(ps)
		}
	}
	if ps, ok := a.eachOnDates(count); ok {
		return ps
	}
	if count >= 2 && count <= 36 {
		// "4 payments of 215 every other Friday", "今天888 然后每周五500 四次"
		rec := -1
		for i := range parts {
			if parts[i].p.Every > 0 {
				rec = i
			}
		}
		switch {
		case rec >= 0:
			parts[rec].p.Count = count
		case len(parts) == 1 && parts[0].p.Amount.Minor > 0 && countAt == 0:
			// "4 payments of 215" (the count before the amount), at the
			// policy's interval
			parts[0].p.Count = count
		}
	}
	amounts := 0
	for _, b := range parts {
		if b.amt {
			amounts++
		}
	}
	out := make([]dialog.Part, 0, len(parts))
	for i, b := range parts {
		if !b.amt && b.p.Every == 0 && amounts >= 2 && count == 0 {
			continue // a date said in passing ("next check is this Friday")
		}
		if !b.dated && b.p.Every == 0 && b.p.Amount.Minor > 0 && a.sameAmountDated(parts, i) {
			continue // 我现在手上有两千二 先还两千二: one figure said twice
		}
		if b.p.Rest && !b.dated && i > 0 && parts[i-1].p.Every > 0 && parts[i-1].p.Count == 0 {
			continue // "每月800 四个月还完", "50 a week till the rest is paid": the cadence pays it
		}
		if i == 0 && !b.dated && b.p.Every == 0 && len(parts) > 1 && a.firstAt(b.at) {
			b.p.Date, b.dated = a.today, true // 我先还一半 月中再还剩下的: 先 is now
		}
		out = append(out, b.p)
	}
	if len(out) < len(parts) {
		amounts = len(out)
		for _, p := range out {
			if p.Amount.Minor == 0 && p.Den == 0 && !p.Rest {
				amounts--
			}
		}
	}
	switch {
	case len(out) == 1 && (out[0].Every > 0 || out[0].Count > 0) && out[0].Amount.Minor > 0:
		return out
	case len(out) == 1 && out[0].Den > 0 && out[0].Every == 0 && !out[0].Date.IsZero():
		return out // "half on Friday", "a quarter of it tomorrow"
	case len(out) >= 2 && amounts == len(out):
		return out
	case len(out) >= 2 && amounts == 0 && count == len(out):
		// "2 payments: Friday and the 4th"
		for i := range out {
			if out[i].Date.IsZero() {
				return nil
			}
		}
		return out
	}
	return nil
}

// expected reads a short answer against what the bot's question waits
// for: after "how many payments?" a bare number is a count ("ok 5 then",
// "six please"), after "by what date?" a day of the month ("28").
func (a *analysis) expected(p *dialog.Parse, posAmt, posDate **mention) {
	if len(p.Parts) > 0 || *posDate != nil {
		return
	}
	switch a.req.Expect {
	case dialog.ExpectCount:
		if p.Installments != 0 {
			return
		}
		if m := *posAmt; m != nil {
			if v := m.minor / 100; m.weak && m.minor%100 == 0 && v >= 1 && v <= 36 {
				p.Installments, p.Amount, *posAmt = int(v), compliance.Money{}, nil
			}
			return
		}
		if len(a.toks) > 6 {
			return
		}
		for i := range a.toks {
			if t := &a.toks[i]; t.kind == kNum {
				if v := int(t.val / 100); !t.frac && !t.group && t.ndig <= 2 && v >= 1 && v <= 36 {
					p.Installments = v
				}
				return
			}
			if n, ok := a.number(i); ok && n.n == 1 {
				if v, ok := n.integer(); ok && v >= 1 && v <= 36 {
					p.Installments = v
					return
				}
			}
		}
	case dialog.ExpectDate:
		m := *posAmt
		if m == nil || !m.weak || m.minor%100 != 0 {
			return
		}
		if d := int(m.minor / 100); d >= 1 && d <= 31 {
			if dt, ok := a.dom(d); ok {
				a.exp = mention{kind: mDate, date: dt, start: m.start, end: m.end}
				p.Date, p.Amount = dt, compliance.Money{}
				*posAmt, *posDate = nil, &a.exp
			}
		}
	}
}

// pairMode is how findParts pairs amounts with dates.
type pairMode uint8

const (
	pairGreedy      pairMode = iota // either order, a new amount or date starts a new payment
	pairAmountFirst                 // "100 Friday and 140 on the 4th"
	pairDateFirst                   // 今天先还120 7号还剩下的
)

// score rates a pairing: two for each complete payment, less one for
// each incomplete one, two when it is the last (an amount or a date left
// over at the end means the pairing ran out of step).
func score(parts []partB) int {
	n := 0
	for _, p := range parts {
		if p.amt && (p.dated || p.p.Every > 0) {
			n += 200 - min(p.gap, 99) // nearer pairs read more naturally
		} else {
			n -= 100
		}
	}
	return n
}

// pair reads the schedule items in order and groups them into payments.
func (a *analysis) pair(mode pairMode) ([]partB, int, int) {
	var parts []partB
	var cur partB
	count, countAt := 0, -1
	flush := func() {
		if cur.amt || cur.dated || cur.p.Every > 0 {
			parts = append(parts, cur)
		}
		cur = partB{}
	}
	mi, xi := 0, 0
	// nextIsAmount: the next slot is an amount (a cadence written
	// before it: 每周还300).
	nextIsAmount := func() bool { return mi < len(a.ments) && a.ments[mi].kind == mAmount }
	// the previous item, for "Friday the 4th" and 剩下的700
	lastEnd, lastDate, lastRest := -1, false, false
	for mi < len(a.ments) || xi < len(a.extras) {
		useM := xi >= len(a.extras) || (mi < len(a.ments) && a.ments[mi].start < a.extras[xi].start)
		if useM {
			m := &a.ments[mi]
			mi++
			if m.negated {
				continue // "the rest next friday. not this friday": what is not meant
			}
			switch m.kind {
			case mAmount:
				if cur.p.Rest && lastRest && m.start-lastEnd <= 1 {
					// 剩下的700, "the other 400": the rest, stated
					cur.p.Rest, cur.p.Amount = false, compliance.Money{Minor: m.minor, Currency: m.cur}
					break
				}
				if cur.amt || (mode == pairAmountFirst && cur.dated && !cur.aligned) || (mode == pairDateFirst && !cur.dated) {
					flush()
				}
				cur.p.Amount = compliance.Money{Minor: m.minor, Currency: m.cur}
				cur.amt = true
				cur.mark(m.start, m.end, a)
			case mDate:
				// "Friday the 4th": a date right after another names the
				// same day more precisely.
				adjacent := lastDate && m.start == lastEnd
				if (cur.dated && !cur.aligned && !adjacent) || (mode == pairAmountFirst && !cur.amt && !adjacent && !cur.aligned && cur.p.Every == 0) ||
					(mode == pairDateFirst && cur.amt && !adjacent) {
					flush()
				}
				cur.p.Date, cur.dated, cur.aligned = m.date, true, false
				cur.mark(m.start, m.end, a)
			case mInst:
				count, countAt = m.n, len(parts)
				if cur.amt || cur.dated {
					countAt++
				}
			}
			lastEnd, lastDate, lastRest = m.end, m.kind == mDate, false
			continue
		}
		x := a.extras[xi]
		xi++
		lastEnd, lastDate, lastRest = x.end, false, x.kind == xRest
		switch x.kind {
		case xRest, xFrac:
			if cur.amt || (mode == pairAmountFirst && cur.dated && !cur.aligned) || (mode == pairDateFirst && !cur.dated) {
				flush()
			}
			cur.amt = true
			cur.mark(x.start, x.end, a)
			if x.kind == xRest {
				cur.p.Rest = true
			} else {
				cur.p.Num, cur.p.Den = x.num, x.den
			}
		case xNow:
			if (cur.dated && !cur.aligned) || (mode == pairAmountFirst && !cur.amt) || (mode == pairDateFirst && cur.amt) {
				flush()
			}
			cur.p.Date, cur.dated, cur.aligned = a.today, true, false
			cur.mark(x.start, x.end, a)
			lastDate = true
		case xEvery:
			if cur.p.Every > 0 || (!cur.amt && !nextIsAmount() && x.n == 0 && !a.eachAfter(x.end)) {
				continue // "I get paid every other Friday": no amount goes with it
			}
			if cur.amt && cur.dated && nextIsAmount() {
				flush()
			}
			cur.p.Every = x.days
			if x.n > 0 {
				count, countAt = x.n, len(parts)
			}
			if x.wd >= 0 && !cur.dated {
				cur.p.Date, cur.dated, cur.aligned = a.upcomingOrToday(x.wd), true, true
			}
		case xTimes:
			count, countAt = x.n, len(parts)
		}
	}
	flush()
	flush()
	return parts, count, countAt
}

// mark records where an item of the payment was seen: the first sets its
// place, the second the distance to it (a clause break counts as far).
func (b *partB) mark(start, end int, a *analysis) {
	if !b.seen {
		b.seen, b.at, b.atEnd = true, start, end
		return
	}
	lo, hi := b.atEnd, start
	if start < b.at {
		lo, hi = end, b.at
	}
	b.gap = max(hi-lo, 0)
	for k := lo; k < hi && k < len(a.toks); k++ {
		if a.toks[k].kind == kBreak {
			b.gap += 5
		}
	}
}

// eachOnDates reads "2 payments of 900, 11/27 and 12/4": one amount, a
// count, and exactly that many dates.
func (a *analysis) eachOnDates(count int) ([]dialog.Part, bool) {
	if count < 2 || len(a.extras) > 0 {
		return nil, false
	}
	var amt *mention
	var dates []compliance.Date
	for x := range a.ments {
		switch m := &a.ments[x]; m.kind {
		case mAmount:
			if amt != nil {
				return nil, false
			}
			amt = m
		case mDate:
			dates = append(dates, m.date)
		}
	}
	if amt == nil || len(dates) != count {
		return nil, false
	}
	out := make([]dialog.Part, count)
	for i, d := range dates {
		out[i] = dialog.Part{Amount: compliance.Money{Minor: amt.minor, Currency: amt.cur}, Date: d}
	}
	return out, true
}

// weekdayWord reports the weekday a single word names ("friday").
func (r *Rules) weekdayWord(w string) (int, bool) {
	id, ok := r.vocab[w]
	if !ok || int(id) >= len(r.roles.byFirst) {
		return 0, false
	}
	for _, pi := range r.roles.byFirst[id] {
		if p := &r.roles.phrases[pi]; p.role == roleWeekday && len(p.toks) == 1 {
			return int(p.val), true
		}
	}
	return 0, false
}

// eachAfter reports an amount after token i said to be paid each time
// ("every 2 weeks then, starting friday, 200 each", 每次300): the
// cadence before it is that amount's.
func (a *analysis) eachAfter(i int) bool {
	for x := range a.ments {
		m := &a.ments[x]
		if m.kind != mAmount || m.start < i {
			continue
		}
		if m.end < len(a.toks) {
			switch a.toks[m.end].text {
			case "each", "apiece", "per":
				return true
			}
		}
		if m.start >= 2 && a.toks[m.start-2].r == '每' && (a.toks[m.start-1].r == '次' || a.toks[m.start-1].r == '期') {
			return true
		}
	}
	return false
}

// hanMultAt reports a Chinese multiplier (十, 百, 千, 万) at i: the
// numeral before it is part of a number, not a weekday.
func (a *analysis) hanMultAt(i int) bool {
	if i >= len(a.toks) || a.toks[i].kind != kHan {
		return false
	}
	_, _, ok := a.r.roleAt(a.toks, i, roleMult)
	return ok
}

// firstAt reports 先 ("first") just before token i: 我先还一半, 先转500.
// Said of the first of several payments with no date, it means now.
func (a *analysis) firstAt(i int) bool {
	for k := i - 1; k >= 0 && k >= i-3; k-- {
		if a.toks[k].kind == kBreak {
			return false
		}
		if a.toks[k].r == '先' {
			return true
		}
	}
	return false
}

// splitInto reads an amount split into a count of payments on as many
// dates, after any payments before it: 先还1200 下周一 剩下的2000分两次
// 12月14号跟12月28号, "the other 600 in 2 payments, the 4th and the
// 18th".
func (a *analysis) splitInto() ([]dialog.Part, bool) {
	k := -1
	for x := range a.ments {
		if a.ments[x].negated {
			return nil, false
		}
		if a.ments[x].kind == mInst && k < 0 {
			k = x
		}
	}
	if k < 1 || a.ments[k-1].kind != mAmount || a.ments[k].start-a.ments[k-1].end > 1 {
		return nil, false
	}
	n := a.ments[k].n
	dates := a.ments[k+1:]
	if n < 2 || len(dates) != n {
		return nil, false
	}
	for x := range dates {
		if dates[x].kind != mDate {
			return nil, false
		}
	}
	amt := a.ments[k-1]
	// the payments before it, read as any schedule is
	var before []dialog.Part
	if k > 1 {
		ments, extras := a.ments, a.extras
		a.ments = ments[:k-1]
		a.extras = a.extras[:0:0]
		for _, x := range extras {
			if x.start < amt.start && x.kind != xRest {
				a.extras = append(a.extras, x)
			}
		}
		parts, _, _ := a.pair(pairGreedy)
		a.ments, a.extras = ments, extras
		for _, b := range parts {
			if !b.amt || !b.dated || b.p.Every > 0 {
				return nil, false
			}
			before = append(before, b.p)
		}
	}
	out := make([]dialog.Part, 0, len(before)+n)
	out = append(out, before...)
	each := amt.minor / int64(n)
	for x := range dates {
		v := each
		if x == n-1 {
			v = amt.minor - each*int64(n-1)
		}
		out = append(out, dialog.Part{Amount: compliance.Money{Minor: v, Currency: amt.cur}, Date: dates[x].date})
	}
	return out, true
}

// sameAmountDated reports another, dated payment of the same amount as
// parts[i].
func (a *analysis) sameAmountDated(parts []partB, i int) bool {
	for j := range parts {
		if j != i && parts[j].dated && parts[j].p.Amount.Minor == parts[i].p.Amount.Minor && parts[j].p.Every == 0 {
			return true
		}
	}
	return false
}
