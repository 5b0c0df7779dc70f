package understand

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/collectagent/collectagent/dialog"
)

// The lexicons are data: one JSON file per locale, reviewed like code.
//
//go:embed lexicon/*.json
var lexiconFS embed.FS

// lexiconFile is the on-disk shape of lexicon/<locale>.json.
//
// intents maps a dialog.Intent (or a pseudo-intent: _neg, _postneg, _break,
// _ignore) to phrases; roles maps a grammar role ("rel:1", "wd:5",
// "cur:USD", "inst", ...) to phrases. A zh phrase starting with "=" matches
// only when it stands alone, not inside a longer run of Han characters; a
// phrase starting with "~" is a known misspelling, matched as written but
// never used as a target of typo correction.
type lexiconFile struct {
	Locale  string              `json:"locale"`
	Intents map[string][]string `json:"intents"`
	Roles   map[string][]string `json:"roles"`
	Common  []string            `json:"common"`
	NoTypo  []string            `json:"no_typo"`
}

// Locale bits: which lexicon a phrase came from.
const (
	locEN uint8 = 1 << iota
	locZH
)

// Pseudo-intents used only inside the matcher.
const (
	pNeg     = "_neg"     // negator before a slot ("not", "can't", 不)
	pPostNeg = "_postneg" // negator after a slot ("doesn't work", 不行)
	pBreak   = "_break"   // clause break ("but", 但是)
	pIgnore  = "_ignore"  // absorbs look-alikes (银行 holds 行)
	// pEmotion is irritation ("stop rushing me", 别催了): it switches off
	// a cease phrase it covers, since it is not a request to stop contact.
	pEmotion = "_emotion"
	// pPartial offers part of the balance without an amount ("something",
	// 一部分).
	pPartial = "_partial"
	// pRecovered says an illness is over ("all better now", 已经好了).
	pRecovered = "_recovered"
	// pHaving states what little the borrower has ("$12 in my account",
	// 就剩15块): a hardship, and its amount is not an offer.
	pHaving = "_having"
	// pIf marks a condition ("if I pay today", 的话): a question about
	// fees or consequences with it is not an offer.
	pIf = "_if"
	// pAsk marks a question form (what, why, 吗, 为什么): a message with
	// nothing else understood is then a question the bot answers in
	// general terms rather than a misunderstanding.
	pAsk = "_ask"
	// pIntense strengthens an inability to pay ("I really can't",
	// 真的还不上): with nothing offered, that is hardship.
	pIntense = "_intense"
	// pBecause introduces an explanation ("because", 因为): with nothing
	// else understood, the message is a reason for lateness.
	pBecause = "_because"
	// pCorrect corrects what was just said ("oh wait", "I mean", 不对):
	// of several dates, the one after it is meant.
	pCorrect = "_correct"
	// pPayWord is a word of paying ("pay", 还, 转): of several dates, the
	// one it stands next to is the date to pay by.
	pPayWord = "_payword"
	// pExpletive is swearing at nobody ("wtf", 妈的): next to a way to
	// pay it is venting, not abuse, even with "you" in the message.
	pExpletive = "_expletive"
	// pHedge weakens what it goes with ("might", "probably", "try", 可能,
	// 尽量): a yes hedged is not a yes that records a deal.
	pHedge = "_hedge"
	// pElsewhere is money that is not this payment (rent, a paycheck, 房租,
	// 工资): a figure beside it, with no word of paying, offers nothing.
	pElsewhere = "_elsewhere"
)

// Sub-kinds of intents, written "question:<topic>" and "reason:<code>"
// in the lexicons.
var topicNames = []dialog.Topic{"", dialog.TopicWho, dialog.TopicDebt, dialog.TopicBreakdown, dialog.TopicFees,
	dialog.TopicConsequence, dialog.TopicLegit, dialog.TopicWriting, dialog.TopicBot, dialog.TopicOptions}

var reasonNames = append([]string{""}, dialog.LateReasons()...)

// role names a grammar role; values are carried beside it.
type role uint8

const (
	roleNone role = iota
	roleRel
	roleWeekday
	roleMonth
	roleNum
	roleMult
	roleOrd
	roleCur
	roleInst
	roleSplit
	roleOver
	roleThis
	roleNext
	roleNextWeek
	roleThisWeek
	roleWkPrefix
	roleNextMonth
	roleThisMonth
	roleIn
	roleDayUnit
	roleWeekUnit
	roleMonthUnit
	roleAfter
	roleEOM
	roleEONM
	roleThe
	roleOf
	roleOfNext
	roleLast4
	roleTime
	roleName
	roleAnd
	roleA
	roleDom
	roleMonSuffix
	roleYearSuffix
	rolePass
	roleOnBy
	roleAtTime
	roleOrdNoun
	roleCount
	roleRest    // the rest, the other half, 剩下的
	roleFrac    // a share of the balance: half (2), a third (3), a quarter (4)
	roleEvery   // a cadence: a week (7), every other week (14), a month (30)
	roleFest    // a named day: 双十二 (1212), Christmas (1225), ...
	roleMid     // the middle of the month (15): 月中, mid-month
	roleEarly   // the start of next month: 月初, early next month
	roleWeekend // the weekend: its Saturday (6 this week, 13 next)
	roleNow     // now, ahora, 现在: a payment today
	roleTimes   // 次, times: the unit of a count of recurring payments
)

var roleNames = map[string]role{
	"rel": roleRel, "wd": roleWeekday, "month": roleMonth, "num": roleNum,
	"mult": roleMult, "ord": roleOrd, "cur": roleCur, "inst": roleInst,
	"split": roleSplit, "over": roleOver, "this": roleThis, "next": roleNext,
	"nextweek": roleNextWeek, "thisweek": roleThisWeek, "wkprefix": roleWkPrefix,
	"nextmonth": roleNextMonth, "thismonth": roleThisMonth, "in": roleIn,
	"dayunit": roleDayUnit, "weekunit": roleWeekUnit, "monthunit": roleMonthUnit,
	"after": roleAfter, "eom": roleEOM, "eonm": roleEONM, "the": roleThe,
	"of": roleOf, "ofnext": roleOfNext, "last4": roleLast4, "time": roleTime,
	"name": roleName, "and": roleAnd, "a": roleA, "dom": roleDom,
	"monsuffix": roleMonSuffix, "yearsuffix": roleYearSuffix, "pass": rolePass,
	"onby": roleOnBy, "at": roleAtTime, "ordnoun": roleOrdNoun,
	"rest": roleRest, "frac": roleFrac, "every": roleEvery, "fest": roleFest,
	"mid": roleMid, "early": roleEarly, "weekend": roleWeekend, "now": roleNow,
	"times": roleTimes,
}

// intent indexes: the dialog intents plus the pseudo-intents, as bits.
type intentID uint8

const (
	iNone intentID = iota
	iAffirm
	iDeny
	iGreet
	iIdentify
	iPayNow
	iPromise
	iPlan
	iExtension
	iCannotPay
	iHardship
	iDispute
	iCease
	iAttorney
	iBankruptcy
	iWrongParty
	iHuman
	iComplaint
	iAbuse
	iDistress
	iAskBalance
	iAskHowToPay
	iAlreadyPaid
	iCallbackLater
	iQuestion
	iReason
	iNeg
	iPostNeg
	iBreak
	iIgnore
	iEmotion
	iPartial
	iRecovered
	iHaving
	iIf
	iAsk
	iIntense
	iBecause
	iCorrect
	iPayWord
	iExpletive
	iHedge
	iElsewhere
	iCount
)

var intentOf = [iCount]dialog.Intent{
	iAffirm: dialog.IntentAffirm, iDeny: dialog.IntentDeny, iGreet: dialog.IntentGreet,
	iIdentify: dialog.IntentIdentify, iPayNow: dialog.IntentPayNow, iPromise: dialog.IntentPromise,
	iPlan: dialog.IntentPlan, iExtension: dialog.IntentExtension, iCannotPay: dialog.IntentCannotPay,
	iHardship: dialog.IntentHardship, iDispute: dialog.IntentDispute, iCease: dialog.IntentCease,
	iAttorney: dialog.IntentAttorney, iBankruptcy: dialog.IntentBankruptcy,
	iWrongParty: dialog.IntentWrongParty, iHuman: dialog.IntentHuman,
	iComplaint: dialog.IntentComplaint, iAbuse: dialog.IntentAbuse,
	iDistress: dialog.IntentDistress, iAskBalance: dialog.IntentAskBalance,
	iAskHowToPay: dialog.IntentAskHowToPay, iAlreadyPaid: dialog.IntentAlreadyPaid,
	iCallbackLater: dialog.IntentCallbackLater, iQuestion: dialog.IntentQuestion,
	iReason: dialog.IntentReason,
}

func intentByName(name string) (intentID, uint8, bool) {
	if t, ok := strings.CutPrefix(name, "question:"); ok {
		for i, n := range topicNames {
			if i > 0 && string(n) == t {
				return iQuestion, uint8(i), true
			}
		}
		return iNone, 0, false
	}
	if r, ok := strings.CutPrefix(name, "reason:"); ok {
		for i, n := range reasonNames {
			if i > 0 && n == r {
				return iReason, uint8(i), true
			}
		}
		return iNone, 0, false
	}
	id, ok := pseudoOrIntent(name)
	return id, 0, ok
}

func pseudoOrIntent(name string) (intentID, bool) {
	switch name {
	case pEmotion:
		return iEmotion, true
	case pPartial:
		return iPartial, true
	case pRecovered:
		return iRecovered, true
	case pHaving:
		return iHaving, true
	case pIf:
		return iIf, true
	case pHedge:
		return iHedge, true
	case pElsewhere:
		return iElsewhere, true
	case pAsk:
		return iAsk, true
	case pIntense:
		return iIntense, true
	case pBecause:
		return iBecause, true
	case pCorrect:
		return iCorrect, true
	case pPayWord:
		return iPayWord, true
	case pExpletive:
		return iExpletive, true
	case pNeg:
		return iNeg, true
	case pPostNeg:
		return iPostNeg, true
	case pBreak:
		return iBreak, true
	case pIgnore:
		return iIgnore, true
	}
	for i := iAffirm; i < iNeg; i++ {
		if i == iQuestion || i == iReason {
			continue // only with a sub-kind
		}
		if string(intentOf[i]) == name {
			return i, true
		}
	}
	return iNone, false
}

// phrase is one lexicon entry, as vocabulary ids.
type phrase struct {
	toks       []int32
	intent     intentID // for intent phrases
	sub        uint8    // the topic or reason of a question or reason phrase
	role       role     // for role phrases
	val        int64    // role value (days, weekday, month, number, currency index)
	standalone bool     // must not touch other Han characters
	loc        uint8
}

// matcher finds phrases by their first token.
type matcher struct {
	maxLen  int // tokens in the longest phrase
	phrases []phrase
	byFirst [][]int32 // vocab id -> indexes into phrases, longest first
}

// currencies known to the lexicons, indexed by roleCur values.
var currencyCodes = []string{"USD", "CNY"}

// compile loads both lexicons from fsys into r.
func (r *Rules) compile(fsys fs.FS) error {
	r.vocab = make(map[string]int32, 4096)
	type entry struct {
		text string
		loc  uint8
		ph   phrase
	}
	var intentEntries, roleEntries []entry
	noTypo := map[string]bool{}
	for _, f := range []struct {
		name string
		loc  uint8
	}{{"lexicon/en-US.json", locEN}, {"lexicon/zh-CN.json", locZH}} {
		b, err := fs.ReadFile(fsys, f.name)
		if err != nil {
			return fmt.Errorf("read %s: %w: %w", f.name, ErrBadLexicon, err)
		}
		var lf lexiconFile
		if err := json.Unmarshal(b, &lf); err != nil {
			return fmt.Errorf("parse %s: %w: %w", f.name, ErrBadLexicon, err)
		}
		for name, list := range lf.Intents {
			id, sub, ok := intentByName(name)
			if !ok {
				return fmt.Errorf("%s: unknown intent %q: %w", f.name, name, ErrBadLexicon)
			}
			for _, p := range list {
				intentEntries = append(intentEntries, entry{p, f.loc, phrase{intent: id, sub: sub}})
			}
		}
		for key, list := range lf.Roles {
			name, val, _ := strings.Cut(key, ":")
			ro, ok := roleNames[name]
			if !ok {
				return fmt.Errorf("%s: unknown role %q: %w", f.name, key, ErrBadLexicon)
			}
			var v int64
			if ro == roleCur {
				v = -1
				for i, c := range currencyCodes {
					if c == val {
						v = int64(i)
					}
				}
				if v < 0 {
					return fmt.Errorf("%s: unknown currency %q: %w", f.name, key, ErrBadLexicon)
				}
			} else if val != "" {
				n, err := strconv.ParseInt(val, 10, 64)
				if err != nil {
					return fmt.Errorf("%s: role value %q: %w", f.name, key, ErrBadLexicon)
				}
				v = n
			}
			for _, p := range list {
				roleEntries = append(roleEntries, entry{p, f.loc, phrase{role: ro, val: v}})
			}
		}
		for _, w := range lf.Common {
			r.intern(normalizeWord(w))
		}
		for _, w := range lf.NoTypo {
			noTypo[normalizeWord(w)] = true
		}
	}
	build := func(entries []entry) (matcher, error) {
		var m matcher
		seen := map[string]int{}
		for _, e := range entries {
			text := e.text
			standalone := strings.HasPrefix(text, "=")
			text = strings.TrimPrefix(text, "=")
			if variant, ok := strings.CutPrefix(text, "~"); ok {
				// a known misspelling: matched, never a typo target
				text = variant
				noTypo[normalizeWord(text)] = true
			}
			toks := r.internPhrase(text)
			if len(toks) == 0 {
				return m, fmt.Errorf("empty phrase %q: %w", e.text, ErrBadLexicon)
			}
			key := fmt.Sprint(toks, e.ph.intent, e.ph.sub, e.ph.role, e.ph.val, standalone)
			if i, ok := seen[key]; ok {
				m.phrases[i].loc |= e.loc
				continue
			}
			ph := e.ph
			ph.toks, ph.standalone, ph.loc = toks, standalone, e.loc
			seen[key] = len(m.phrases)
			m.phrases = append(m.phrases, ph)
		}
		return m, nil
	}
	var err error
	if r.intents, err = build(intentEntries); err != nil {
		return err
	}
	if r.roles, err = build(roleEntries); err != nil {
		return err
	}
	for _, m := range []*matcher{&r.intents, &r.roles} {
		m.byFirst = make([][]int32, len(r.words))
		for i, p := range m.phrases {
			m.maxLen = max(m.maxLen, len(p.toks))
			m.byFirst[p.toks[0]] = append(m.byFirst[p.toks[0]], int32(i))
		}
		for _, l := range m.byFirst {
			sort.SliceStable(l, func(a, b int) bool { return len(m.phrases[l[a]].toks) > len(m.phrases[l[b]].toks) })
		}
	}
	// Typo targets: Latin lexicon words of five letters or more, except
	// those listed as no_typo and the abuse words (a typo must never turn
	// an ordinary word into an insult).
	abuse := map[int32]bool{}
	for _, p := range r.intents.phrases {
		if p.intent == iAbuse {
			for _, t := range p.toks {
				abuse[t] = true
			}
		}
	}
	r.typo = newTypoIndex()
	inLexicon := map[int32]bool{}
	for _, m := range []*matcher{&r.intents, &r.roles} {
		for _, p := range m.phrases {
			for _, t := range p.toks {
				inLexicon[t] = true
			}
		}
	}
	for id, w := range r.words {
		if !inLexicon[int32(id)] || abuse[int32(id)] || noTypo[w] || len(w) < 5 || !isASCIIWord(w) {
			continue
		}
		r.typo.add(w, int32(id))
	}
	return nil
}

func isASCIIWord(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] < 'a' || w[i] > 'z' {
			return false
		}
	}
	return true
}

// normalizeWord normalizes one lexicon word the way messages are.
func normalizeWord(w string) string {
	return string(normalize(nil, w, nil))
}

// intern returns the vocabulary id of w, adding it.
func (r *Rules) intern(w string) int32 {
	if id, ok := r.vocab[w]; ok {
		return id
	}
	id := int32(len(r.words))
	r.vocab[w] = id
	r.words = append(r.words, w)
	return id
}

// internPhrase tokenizes a lexicon phrase into vocabulary ids.
func (r *Rules) internPhrase(text string) []int32 {
	norm := string(normalize(nil, text, nil))
	var toks []token
	toks = tokenize(toks, norm)
	ids := make([]int32, 0, len(toks))
	for _, t := range toks {
		ids = append(ids, r.intern(t.text))
	}
	return ids
}
