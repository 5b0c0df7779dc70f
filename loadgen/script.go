package loadgen

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"
)

// script is what a borrower of one locale says, in order, after the
// greeting: the date of birth, a promise to pay in full tomorrow, and the
// confirmation. Tomorrow is inside any sane policy and never today (the
// whole balance today is a payment now, not a promise).
type script struct {
	portfolio string // selects the jurisdiction's compliance pack
	timezone  string
	currency  string
	formatDOB func(time.Time) string
	promise   string
	confirm   string
	names     []string
}

var scripts = map[string]script{
	LocaleEnUS: {
		portfolio: "us",
		timezone:  "America/Chicago",
		currency:  "USD",
		formatDOB: func(t time.Time) string { return t.Format("01/02/2006") },
		promise:   "I can pay the full amount tomorrow",
		confirm:   "yes",
		names:     []string{"Maria Lopez", "James Carter", "Aisha Khan", "Daniel Kim", "Emily Novak", "Luis Ortega"},
	},
	LocaleZhCN: {
		portfolio: "cn",
		timezone:  "Asia/Shanghai",
		currency:  "CNY",
		formatDOB: func(t time.Time) string {
			return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day())
		},
		promise: "我明天还全款",
		confirm: "是的",
		names:   []string{"王芳", "李伟", "张敏", "刘洋", "陈静", "杨磊"},
	},
}

// borrower is one generated account and what its borrower knows.
type borrower struct {
	account account
	dob     time.Time
}

// lines is the borrower's side of the conversation after the greeting.
func (b borrower) lines() []string {
	s := scripts[b.account.Locale]
	return []string{s.formatDOB(b.dob), s.promise, s.confirm}
}

// account is the POST /v1/accounts wire format of one borrower.
type account struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	DateOfBirth string   `json:"date_of_birth"`
	IDLast4     string   `json:"id_last4"`
	Locale      string   `json:"locale"`
	Timezone    string   `json:"timezone"`
	Phone       string   `json:"phone"`
	Email       string   `json:"email"`
	Portfolio   string   `json:"portfolio,omitempty"`
	Consent     consent  `json:"consent"`
	Debts       []debtIn `json:"debts"`
}

type consent struct {
	Chat      bool `json:"chat"`
	Voice     bool `json:"voice"`
	Recording bool `json:"recording"`
}

type debtIn struct {
	ID          string `json:"id"`
	Creditor    string `json:"creditor"`
	AmountDue   cents  `json:"amount_due"`
	Currency    string `json:"currency"`
	DueDate     string `json:"due_date"`
	DaysPastDue int    `json:"days_past_due"`
}

// cents is an amount in minor units that marshals as a JSON number with two
// decimals (240.00), as the API expects.
type cents int64

// MarshalJSON implements json.Marshaler.
func (c cents) MarshalJSON() ([]byte, error) {
	sign := ""
	v := int64(c)
	if v < 0 {
		sign, v = "-", -v
	}
	return []byte(sign + strconv.FormatInt(v/100, 10) + "." + fmt.Sprintf("%02d", v%100)), nil
}

// generator makes accounts for a run: ids unique to the run, details drawn
// from a seeded source so that a seed reproduces the same borrowers.
type generator struct {
	runID string
	mix   LocaleMix
	now   time.Time
	rng   *rand.Rand
	next  uint64
}

func newGenerator(runID string, mix LocaleMix, now time.Time, seed uint64) *generator {
	return &generator{runID: runID, mix: mix, now: now, rng: rand.New(rand.NewPCG(seed, 0x6c6f616467656e))}
}

// borrower returns the next generated borrower. Not safe for concurrent use.
func (g *generator) borrower() borrower {
	k := g.next
	g.next++
	locale := g.mix.Pick(k)
	s := scripts[locale]
	// Days 1..28 exist in every month.
	dob := time.Date(1950+g.rng.IntN(55), time.Month(1+g.rng.IntN(12)), 1+g.rng.IntN(28), 0, 0, 0, 0, time.UTC)
	dpd := 3 + g.rng.IntN(28)
	due := g.now.AddDate(0, 0, -dpd)
	if loc, err := time.LoadLocation(s.timezone); err == nil {
		due = g.now.In(loc).AddDate(0, 0, -dpd)
	}
	id := fmt.Sprintf("lg-%s-%d", g.runID, k)
	phone := fmt.Sprintf("+1312555%04d", g.rng.IntN(10000))
	if locale == LocaleZhCN {
		phone = fmt.Sprintf("+86138%08d", g.rng.IntN(100000000))
	}
	return borrower{
		dob: dob,
		account: account{
			ID:          id,
			Name:        s.names[g.rng.IntN(len(s.names))],
			DateOfBirth: dob.Format(time.DateOnly),
			IDLast4:     fmt.Sprintf("%04d", g.rng.IntN(10000)),
			Locale:      locale,
			Timezone:    s.timezone,
			Phone:       phone,
			Email:       id + "@example.com",
			Portfolio:   s.portfolio,
			Consent:     consent{Chat: true, Voice: true, Recording: true},
			Debts: []debtIn{{
				ID:          id + "-d1",
				Creditor:    "Demo Finance",
				AmountDue:   cents(5000 + g.rng.IntN(200000)),
				Currency:    s.currency,
				DueDate:     due.Format(time.DateOnly),
				DaysPastDue: dpd,
			}},
		},
	}
}
