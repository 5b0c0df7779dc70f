package understand

import (
	"context"
	"fmt"
	"io/fs"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/dialog"
)

// MaxTextBytes is the longest message Understand accepts.
const MaxTextBytes = 4096

// Source is the Parse.Source of rule-based parses.
const Source = "rules"

// Rules is the rule-based Understander for en-US and zh-CN. It is built
// once by NewRules from the embedded lexicons and is safe for concurrent use.
//
// Both lexicons are always active, so a message that switches language
// (中文 in an en-US session, English words in a zh-CN one) is understood;
// the session's locale decides which lexicon's matches count as primary
// (confidence), the default currency and, for an empty locale, nothing:
// the script of the text decides.
type Rules struct {
	vocab   map[string]int32
	words   []string
	intents matcher
	roles   matcher
	typo    *typoIndex
	party   *partyReader
	rights  *rightsReader
	pool    sync.Pool
}

// NewRules compiles the embedded lexicons. It panics if they are broken,
// which a test catches before release; use Compile to get the error.
func NewRules() *Rules {
	r, err := Compile()
	if err != nil {
		panic(err)
	}
	return r
}

// Compile is NewRules returning the lexicon error instead of panicking.
func Compile() (*Rules, error) {
	return compileFS(lexiconFS)
}

func compileFS(fsys fs.FS) (*Rules, error) {
	r := &Rules{}
	if err := r.compile(fsys); err != nil {
		return nil, fmt.Errorf("understand: compile: %w", err)
	}
	pr, err := compileParty()
	if err != nil {
		return nil, fmt.Errorf("understand: compile: %w", err)
	}
	r.party = pr
	if r.rights, err = compileRights(); err != nil {
		return nil, fmt.Errorf("understand: compile: %w", err)
	}
	r.pool.New = func() any { return new(analysis) }
	return r, nil
}

// Understand parses one borrower message. It satisfies bot.Understander.
// The weekday is always derived from req.Today (req.Weekday is not read).
// Errors: ErrUnsupportedLocale, ErrTextTooLong, ErrNoToday, or the
// context's error; a message it cannot make sense of is not an error but a
// Parse with no intent and a low confidence.
func (r *Rules) Understand(ctx context.Context, req Request) (dialog.Parse, error) {
	if err := ctx.Err(); err != nil {
		return dialog.Parse{}, fmt.Errorf("understand: %w", err)
	}
	if len(req.Text) > MaxTextBytes {
		return dialog.Parse{}, fmt.Errorf("understand: %d bytes: %w", len(req.Text), ErrTextTooLong)
	}
	loc, ok := localeBits(req.Locale)
	if !ok {
		return dialog.Parse{}, fmt.Errorf("understand: locale %q: %w", req.Locale, ErrUnsupportedLocale)
	}
	if req.Today.IsZero() || !validDate(req.Today.Year, int(req.Today.Month), req.Today.Day) {
		return dialog.Parse{}, fmt.Errorf("understand: %w", ErrNoToday)
	}
	// The lexicons are simplified Chinese: 還款 reads as 还款.
	req.Text = compliance.Simplified(req.Text)
	a := r.pool.Get().(*analysis)
	// Statute, case and phone numbers are not amounts or dates (see
	// concern.go): the slots are read without them.
	slots := req
	slots.Text = maskRefs(req.Text)
	a.run(r, &slots, loc)
	p := a.result()
	a.release()
	r.pool.Put(a)
	en, zh := mendChat(englishForm(req.Text, req.Names)), chineseForm(req.Text, req.Names)
	m := newForms(req.Text, en, zh)
	m.named = len(req.Names) > 0
	p, settled := r.rights.apply(p, m)
	if p.Has(dialog.IntentAbuse) && hasOffer(p) && !addressed(m) {
		// "妈的 又来 月底还行了吧", "ugh fml ill pay friday": swearing at
		// nobody next to a way to pay is venting, not abuse.
		p = without(p, dialog.IntentAbuse)
	}
	if !p.Has(dialog.IntentExtension) && !p.Has(dialog.IntentCannotPay) && !hasOffer(p) && len(p.Parts) == 0 && p.Amount.Minor == 0 && asksDelay(m) {
		// Only a request for time alone: "half now and push the rest back
		// a week" is a schedule, read as such.
		p = with(p, dialog.IntentExtension)
	}
	if party := r.party.detect(m); party != "" {
		p = withParty(p, party)
	} else if p.Has(dialog.IntentWrongParty) {
		p.Party = dialog.PartyWrongNumber
	}
	if !p.Has(dialog.IntentWrongParty) {
		p.Concern = concern(p, m, settled)
	}
	return p, nil
}

// ParseDate returns the first date mentioned in text (absolute or relative
// to today), as Understand would fill Parse.Date. A past date of birth is
// not returned.
func (r *Rules) ParseDate(text, locale string, today compliance.Date) (compliance.Date, bool) {
	p, err := r.Understand(context.Background(), Request{Text: text, Locale: locale, Today: today, Stage: dialog.StageNegotiate})
	if err != nil || p.Date.IsZero() {
		return compliance.Date{}, false
	}
	return p.Date, true
}

// ParseAmount returns the first amount mentioned in text; a bare number
// takes currency (or the locale's: USD for en, CNY for zh).
func (r *Rules) ParseAmount(text, locale, currency string) (compliance.Money, bool) {
	p, err := r.Understand(context.Background(), Request{
		Text: text, Locale: locale, Currency: currency,
		Today: compliance.Date{Year: 2000, Month: time.January, Day: 1}, Stage: dialog.StageNegotiate,
	})
	if err != nil || p.Amount.IsZero() {
		return compliance.Money{}, false
	}
	return p.Amount, true
}

// localeBits maps a locale to its lexicon; empty means "decide by script".
func localeBits(l string) (uint8, bool) {
	switch {
	case l == "":
		return 0, true
	case strings.HasPrefix(l, "en"):
		return locEN, true
	case strings.HasPrefix(l, "zh"):
		return locZH, true
	}
	return 0, false
}

// lookup assigns vocabulary ids to tokens, correcting typos in unknown
// Latin words of five letters or more.
func (r *Rules) lookup(toks []token) {
	for i := range toks {
		t := &toks[i]
		if id, ok := r.vocab[t.text]; ok {
			t.id = id
			continue
		}
		if t.kind == kWord && len(t.text) >= 5 {
			if id := r.typo.correct(t.text); id >= 0 {
				t.id, t.text, t.typo = id, r.words[id], true
			}
		}
	}
}

// roleAt returns the end of the longest phrase of role want starting at
// token i, and its value.
func (r *Rules) roleAt(toks []token, i int, want role) (int, int64, bool) {
	if i < 0 || i >= len(toks) || toks[i].id < 0 || int(toks[i].id) >= len(r.roles.byFirst) {
		return 0, 0, false
	}
	for _, pi := range r.roles.byFirst[toks[i].id] {
		p := &r.roles.phrases[pi]
		if p.role != want || i+len(p.toks) > len(toks) {
			continue
		}
		if matchAt(toks, i, p) {
			return i + len(p.toks), p.val, true
		}
	}
	return 0, 0, false
}

func matchAt(toks []token, i int, p *phrase) bool {
	for k, id := range p.toks {
		if toks[i+k].id != id {
			return false
		}
	}
	if p.standalone {
		if i > 0 && toks[i-1].kind == kHan {
			return false
		}
		if e := i + len(p.toks); e < len(toks) && toks[e].kind == kHan {
			return false
		}
	}
	return true
}

// validDate reports whether y-m-d is a calendar date.
func validDate(y, m, d int) bool {
	if y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 {
		return false
	}
	return d <= daysIn(y, time.Month(m))
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// A request to pay later by a stated span (晚一周还, 延期两周, 推迟10天,
// push it back a week, two more weeks): an extension, whatever the verb
// and the number.
var (
	zhDelay = regexp.MustCompile(`(?:晚|延期|推迟|延后|宽限|缓|往后推|推)(?:我|一下)?(?:个|上)?(?:[一二两三四五六七八九十几半0-9]+)(?:个)?(?:天|日|周|星期|礼拜|月)`)
	enDelay = regexp.MustCompile(`\b(?:push(?:ed)?(?: it| this| that| the payment| the date)? back|move(?: it| the date)? back|postpone(?: it| this)?|delay(?: it| this| the payment)?|extend(?: it| the date)?|extension of)(?: by)? (?:a|an|one|two|three|four|a few|a couple(?: of)?|\d+)(?: more)? (?:days?|weeks?|months?)\b`)
)

// enMore asks for more time by a span: "an extra 7 days", "a few more
// days", "another week".
var enMore = regexp.MustCompile(`\b(?:(?:an? |\d+ |one |two |three |a few |a couple(?: of)? )?(?:extra|more|additional) (?:\d+ |one |two |three |few )?|another )(?:days?|weeks?)\b`)

// zhGive asks to be given more time: 再给俺一个礼拜, 畀多一個禮拜我, 多给我几天.
var zhGive = regexp.MustCompile(`(?:再给|多给|给多|再畀|畀多|多畀)(?:我|俺|咱|我们)?(?:多)?(?:个|上)?(?:[一二两三四五六七八九十几半0-9]+)(?:个)?(?:天|日|周|星期|礼拜|月)`)

func asksDelay(m *forms) bool {
	return (m.zh != "" && (zhDelay.MatchString(m.zh) || zhGive.MatchString(m.zh))) || (m.en != "" && (enDelay.MatchString(m.en) || enMore.MatchString(m.en)))
}

var (
	zhAddressee = regexp.MustCompile(`你|您|尼玛|你妈|nmsl|sb|傻|狗|畜|滚`)
	enAddressee = regexp.MustCompile(`\b(?:you|your|youre|u|ur|ya|yall|people|bot|idiot|idiots|moron|morons|bitch|bastard|bastards|scum|loser|losers|clown|clowns)\b`)
)

// addressed reports whether the message speaks to or names someone: an
// insult needs an addressee; an expletive alone does not have one.
func addressed(m *forms) bool {
	return zhAddressee.MatchString(m.zh) || zhAddressee.MatchString(m.raw) || enAddressee.MatchString(m.en)
}
