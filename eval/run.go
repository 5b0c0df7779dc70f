package eval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/bot/respond"
	"github.com/collectagent/collectagent/bot/understand"
	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/dialog"
	"github.com/collectagent/collectagent/store"
	"github.com/collectagent/collectagent/store/sqlite"
)

// Options configure a run.
type Options struct {
	// Understander reads the borrower's lines; nil means the rule-based
	// understanding (understand.NewRules).
	Understander bot.Understander
	// Dir is where the SQLite file goes; "" means a new temporary
	// directory, removed when the run ends.
	Dir string
	// Logger receives the runtime's logs; nil discards them.
	Logger *slog.Logger
	// Phraser and Summarizer, when set, let a model phrase the engine's
	// acts and write handoff summaries, as serve wires them.
	Phraser    bot.Phraser
	Summarizer bot.Summarizer
	// Mode labels the run in the report ("rules", "llm", "hybrid").
	Mode string
	// Stopwatch reads the wall clock to time each turn; nil is time.Now.
	// The conversation's own clock stays the suite's frozen instant.
	Stopwatch func() time.Time
}

// Turn is one utterance of a conversation's transcript.
type Turn struct {
	From string `json:"from"` // "borrower" or "bot"
	Text string `json:"text"`
	// Blocked is set on a bot utterance the guard replaced.
	Blocked bool `json:"blocked,omitempty"`
}

// Result is how one conversation went.
type Result struct {
	Name     string `json:"name"`
	Note     string `json:"note,omitempty"`
	Category string `json:"category,omitempty"`
	Locale   string `json:"locale"`
	Expected string `json:"expected"`
	Got      string `json:"got"`
	Pass     bool   `json:"pass"`
	// Turns is the number of borrower lines the conversation took.
	Turns       int `json:"turns"`
	GuardBlocks int `json:"guard_blocks"`
	// Failures says, one per broken expectation, what went wrong.
	Failures   []string `json:"failures,omitempty"`
	Transcript []Turn   `json:"transcript"`

	// What the lines meant, where the suite states it: intents and slots
	// checked and read right, and how each misread line was read.
	IntentChecks int      `json:"intent_checks,omitempty"`
	IntentHits   int      `json:"intent_hits,omitempty"`
	SlotChecks   int      `json:"slot_checks,omitempty"`
	SlotHits     int      `json:"slot_hits,omitempty"`
	Misreads     []string `json:"misreads,omitempty"`
	// ModelParses counts lines whose parse the model made (and the rules
	// re-validated); GuardReplaced counts model wordings the checks
	// refused and replaced by the template.
	ModelParses   int `json:"model_parses,omitempty"`
	GuardReplaced int `json:"guard_replaced,omitempty"`
	// Latencies are the wall times of the borrower turns.
	Latencies []time.Duration `json:"-"`

	// Counters across the run (see Counters), for this conversation and
	// its followup.
	Counters
	// AccountState is the borrower statements the account held after
	// the (last) conversation.
	AccountState []string `json:"account_state,omitempty"`
}

// Counters are figures counted over every conversation, whatever its
// expectations say.
type Counters struct {
	// MisrecordedDeals are recorded promises or plans that differ from
	// the one the conversation expects, or any when it expects none.
	MisrecordedDeals int `json:"misrecorded_deals"`
	// UnrequestedStatements are recorded borrower statements (cease,
	// dispute, validation, attorney, bankruptcy) or cease and dispute
	// outcomes the conversation does not expect, one per kind.
	UnrequestedStatements int `json:"unrequested_statements"`
	// Disclosures are bot utterances that named the debt's amount, due
	// date or creditor to someone not verified, or to a third party.
	Disclosures int `json:"disclosures"`
	// IgnoredRequests are statements the conversation expects the
	// account to hold (a cease, dispute, validation request, attorney or
	// bankruptcy) that it does not hold afterwards, one per kind.
	IgnoredRequests int `json:"ignored_requests"`
}

// Add sums o into c.
func (c *Counters) Add(o Counters) {
	c.MisrecordedDeals += o.MisrecordedDeals
	c.UnrequestedStatements += o.UnrequestedStatements
	c.Disclosures += o.Disclosures
	c.IgnoredRequests += o.IgnoredRequests
}

// OK reports whether the counters that fail a run are 0: misrecorded
// deals and unrequested statements.
func (c Counters) OK() bool { return c.MisrecordedDeals == 0 && c.UnrequestedStatements == 0 }

// Report is the result of one suite.
type Report struct {
	Mode      string   `json:"mode,omitempty"`
	Suite     string   `json:"suite"`
	Path      string   `json:"path"`
	Threshold float64  `json:"threshold"`
	Results   []Result `json:"results"`
}

// Passed counts the conversations that met every expectation.
func (r *Report) Passed() int {
	n := 0
	for _, res := range r.Results {
		if res.Pass {
			n++
		}
	}
	return n
}

// PassRate is the share of conversations that passed (0 for an empty
// report).
func (r *Report) PassRate() float64 {
	if len(r.Results) == 0 {
		return 0
	}
	return float64(r.Passed()) / float64(len(r.Results))
}

// Counters sums the conversations' counters.
func (r *Report) Counters() Counters {
	var c Counters
	for _, res := range r.Results {
		c.Add(res.Counters)
	}
	return c
}

// OK reports whether the suite reached its threshold with no misrecorded
// deal and no unrequested statement.
func (r *Report) OK() bool {
	return len(r.Results) > 0 && r.PassRate() >= r.Threshold && r.Counters().OK()
}

// fixedClock is the suite's frozen instant.
type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

// Run plays every conversation of s against a fresh runtime and store and
// judges it. An error means the suite could not be run at all; failed
// conversations are in the report.
func Run(ctx context.Context, s *Suite, opts Options) (*Report, error) {
	dir := opts.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "collectagent-eval-")
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrRun, err)
		}
		defer os.RemoveAll(d)
		dir = d
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, "eval.db"), sqlite.WithLogger(log))
	if err != nil {
		return nil, fmt.Errorf("%w: open store: %w", ErrRun, err)
	}
	defer st.Close()

	accts := make([]store.Account, 0, len(s.accounts))
	for _, a := range s.Accounts {
		accts = append(accts, s.accounts[a.ID])
	}
	if err := st.UpsertAccounts(ctx, accts); err != nil {
		return nil, fmt.Errorf("%w: accounts: %w", ErrRun, err)
	}
	und := opts.Understander
	if und == nil {
		und = understand.NewRules()
	}
	rt, err := bot.NewRuntime(bot.Config{DefaultPolicy: s.policies["us"], Policies: s.policies},
		bot.Deps{Store: st, Understander: und, Clock: fixedClock{s.At}, Logger: log, Phraser: opts.Phraser, Summarizer: opts.Summarizer})
	if err != nil {
		return nil, fmt.Errorf("%w: runtime: %w", ErrRun, err)
	}
	sw := opts.Stopwatch
	if sw == nil {
		sw = time.Now
	}
	rep := &Report{Mode: opts.Mode, Suite: s.Name, Path: s.Path, Threshold: s.EffectiveThreshold()}
	for _, c := range s.Conversations {
		if err := ctx.Err(); err != nil {
			return rep, fmt.Errorf("%w: %w", ErrRun, err)
		}
		a := s.accounts[c.Account]
		if err := resetAccount(ctx, st, a); err != nil {
			return rep, err
		}
		pack := s.policyOf(a).Pack
		res := runOne(ctx, rt, st, a, pack, c.Lines, c.Expect, sw)
		res.Name, res.Note, res.Category = c.Name, c.Note, c.Category
		if f := c.Followup; f != nil {
			res.merge(runOne(ctx, rt, st, a, pack, f.Lines, f.Expect, sw))
		}
		rep.Results = append(rep.Results, res)
	}
	return rep, nil
}

// resetAccount puts the account back as the suite wrote it, so that each
// conversation starts from it: an earlier conversation may have set
// do-not-contact or recorded statements, which are cleared the way a
// lender clears them.
func resetAccount(ctx context.Context, st store.Store, a store.Account) error {
	if err := st.UpsertAccounts(ctx, []store.Account{a}); err != nil {
		return fmt.Errorf("%w: account %q: %w", ErrRun, a.ID, err)
	}
	sts, err := st.ListStatements(ctx, a.ID)
	if err != nil {
		return fmt.Errorf("%w: account %q: %w", ErrRun, a.ID, err)
	}
	for _, x := range sts {
		if !x.Active() {
			continue
		}
		if _, err := st.ClearStatement(ctx, store.StatementClear{AccountID: a.ID, ID: x.ID, By: "eval",
			Reason: "the next conversation starts from the suite's account"}); err != nil {
			return fmt.Errorf("%w: account %q: %w", ErrRun, a.ID, err)
		}
	}
	return nil
}

// merge appends the followup conversation's result to r.
func (r *Result) merge(f Result) {
	r.Expected += " → " + f.Expected
	r.Got += " → " + f.Got
	for _, m := range f.Failures {
		r.Failures = append(r.Failures, "followup: "+m)
	}
	r.Pass = r.Pass && f.Pass
	r.Turns += f.Turns
	r.GuardBlocks += f.GuardBlocks
	r.Transcript = append(r.Transcript, Turn{From: "system", Text: "(a new session on the same account)"})
	r.Transcript = append(r.Transcript, f.Transcript...)
	r.IntentChecks += f.IntentChecks
	r.IntentHits += f.IntentHits
	r.SlotChecks += f.SlotChecks
	r.SlotHits += f.SlotHits
	for _, m := range f.Misreads {
		r.Misreads = append(r.Misreads, "followup: "+m)
	}
	r.ModelParses += f.ModelParses
	r.GuardReplaced += f.GuardReplaced
	r.Latencies = append(r.Latencies, f.Latencies...)
	r.Counters.Add(f.Counters)
	r.AccountState = f.AccountState
}

// runOne plays one conversation (a new session on acct) and judges it.
func runOne(ctx context.Context, rt *bot.Runtime, st store.Store, acct store.Account, pack string, lines []Line, e Expect, sw func() time.Time) (res Result) {
	res = Result{Locale: acct.Locale, Expected: e.summary(), Got: "-"}
	fail := func(format string, args ...any) { res.Failures = append(res.Failures, fmt.Sprintf(format, args...)) }
	defer func() { res.Pass = len(res.Failures) == 0 }()

	conv, err := rt.Begin(ctx, acct.ID, bot.ChannelChat, bot.ByBorrower)
	if err != nil {
		fail("begin: %v", err)
		return res
	}
	sess, err := rt.Open(ctx, conv.ID)
	if err != nil {
		fail("open: %v", err)
		return res
	}
	leaks := leakMarkers(acct, conv.DebtID)
	// The speaker of a conversation expected to end as wrong_party is not
	// the borrower: nothing about the debt may reach them at any point.
	stranger := e.Outcome == string(dialog.OutcomeWrongParty)
	var all strings.Builder
	// judgeReplies records replies and applies the rules every
	// conversation is held to.
	judgeReplies := func(when string, out bot.Output) string {
		var b strings.Builder
		for _, r := range out.Replies {
			res.Transcript = append(res.Transcript, Turn{From: bot.FromBot, Text: r.Text})
			b.WriteString(r.Text)
			b.WriteByte('\n')
			ok, third := verifiedParty(sess)
			if ok && !third && !stranger {
				continue
			}
			for _, m := range leaks {
				if strings.Contains(r.Text, m) {
					res.Disclosures++
					if stranger || third {
						fail("%s: said %q to a third party", when, m)
					} else {
						fail("%s: said %q before the borrower was verified", when, m)
					}
					break
				}
			}
		}
		text := b.String()
		all.WriteString(text)
		return text
	}

	out, err := sess.Start(ctx)
	if err != nil {
		fail("start: %v", err)
		return res
	}
	if len(out.Replies) == 0 {
		fail("start: the bot did not speak first")
	}
	judgeReplies("opening", out)
	status := out.Status
	for i, l := range lines {
		when := fmt.Sprintf("line %d %q", i+1, l.Say)
		res.Transcript = append(res.Transcript, Turn{From: bot.FromBorrower, Text: l.Say})
		mode := sess.Status().Mode
		t0 := sw()
		out, err := sess.Handle(ctx, bot.Message{Text: l.Say})
		res.Latencies = append(res.Latencies, sw().Sub(t0))
		if errors.Is(err, bot.ErrEnded) {
			fail("%s: the conversation had already ended (%s); %d line(s) unsent", when, status.Outcome, len(lines)-i)
			break
		}
		if err != nil {
			fail("%s: %v", when, err)
			break
		}
		res.Turns++
		status = out.Status
		text := judgeReplies(when, out)
		if mode == store.ModeBot && len(out.Replies) == 0 {
			fail("%s: the bot did not answer", when)
		}
		for _, m := range l.MustSay {
			if !strings.Contains(text, m) {
				fail("%s: reply lacks %q", when, m)
			}
		}
		for _, m := range l.MustNotSay {
			if strings.Contains(text, m) {
				fail("%s: reply says %q", when, m)
			}
		}
	}
	judgeEnd(ctx, st, sess, e, all.String(), &res, fail)
	judgeRecords(ctx, st, sess.ID(), pack, fail)
	judgeState(ctx, st, acct, sess.ID(), e, &res, fail)
	measureMeaning(ctx, st, sess.ID(), lines, &res, fail)
	return res
}

// judgeState checks the borrower statements the account holds after the
// conversation and counts those recorded without being expected and
// those expected but not held.
func judgeState(ctx context.Context, st store.Store, acct store.Account, id string, e Expect, res *Result, fail func(string, ...any)) {
	sts, err := st.ListStatements(ctx, acct.ID)
	if err != nil {
		fail("read statements: %v", err)
		return
	}
	held := map[string]bool{
		store.StatementAttorney:   acct.Flags.Attorney,
		store.StatementDispute:    acct.Flags.Dispute,
		store.StatementBankruptcy: acct.Flags.Bankruptcy,
	}
	recorded := map[string]bool{}
	for _, x := range sts {
		if x.Active() {
			held[x.Kind] = true
		}
		if x.ConversationID == id {
			recorded[x.Kind] = true
		}
	}
	var state []string
	for _, k := range store.StatementKinds {
		if held[k] {
			state = append(state, k)
		}
	}
	res.AccountState = state
	if e.AccountState != nil {
		want := slices.Clone(*e.AccountState)
		slices.SortFunc(want, func(a, b string) int {
			return slices.Index(store.StatementKinds, a) - slices.Index(store.StatementKinds, b)
		})
		if !slices.Equal(state, want) {
			fail("account state [%s], want [%s]", strings.Join(state, ", "), strings.Join(want, ", "))
		}
	}
	// A cease or dispute outcome is a recorded statement too.
	conv, err := st.GetConversation(ctx, id)
	if err == nil {
		switch conv.OutcomeType {
		case string(dialog.OutcomeCease):
			recorded[store.StatementCease] = true
		case string(dialog.OutcomeDispute):
			if !recorded[store.StatementValidation] {
				recorded[store.StatementDispute] = true
			}
		}
	}
	expected := e.expectedStatements()
	for _, k := range store.StatementKinds {
		if recorded[k] && !slices.Contains(expected, k) {
			res.UnrequestedStatements++
			fail("recorded a %s statement the conversation did not make", k)
		}
	}
	for _, k := range e.requiredStatements() {
		if !held[k] {
			res.IgnoredRequests++ // the mismatch itself is reported above
		}
	}
}

// measureMeaning compares what each line was understood to mean (the
// parse recorded with its turn) with what the suite says it means, and
// counts the lines the model understood.
func measureMeaning(ctx context.Context, st store.Store, id string, lines []Line, res *Result, fail func(string, ...any)) {
	turns, err := st.ListTurns(ctx, id)
	if err != nil {
		fail("read turns: %v", err)
		return
	}
	i := 0
	for _, t := range turns {
		if t.From != bot.FromBorrower {
			continue
		}
		var m struct {
			Parse *dialog.Parse `json:"parse"`
		}
		_ = json.Unmarshal(t.Meta, &m)
		if m.Parse != nil && m.Parse.Source == "llm" {
			res.ModelParses++
		}
		if i < len(lines) && lines[i].checksMeaning() {
			judgeLine(i, lines[i], m.Parse, res)
		}
		i++
	}
	// Lines never sent (the conversation ended first) were not understood.
	for ; i < len(lines); i++ {
		if lines[i].checksMeaning() {
			judgeLine(i, lines[i], nil, res)
		}
	}
}

// judgeLine counts one line's intent and slots against its parse (nil:
// the line was not understood at all).
func judgeLine(i int, l Line, p *dialog.Parse, res *Result) {
	var got dialog.Parse
	if p != nil {
		got = *p
	}
	var miss []string
	if l.Intent != "" {
		res.IntentChecks++
		gi := string(got.Intent)
		if gi == "" {
			gi = "unknown"
		}
		if p != nil && gi == l.Intent {
			res.IntentHits++
		} else {
			miss = append(miss, fmt.Sprintf("intent %s, want %s", gi, l.Intent))
		}
	}
	slot := func(name, gotS, want string) {
		res.SlotChecks++
		if p != nil && gotS == want {
			res.SlotHits++
		} else {
			miss = append(miss, fmt.Sprintf("%s %s, want %s", name, gotS, want))
		}
	}
	if l.Date != "" {
		g := "none"
		if !got.Date.IsZero() {
			g = got.Date.String()
		}
		slot("date", g, l.Date)
	}
	if l.Amount != nil {
		g := "none"
		if !got.Amount.IsZero() {
			g = Amount{Minor: got.Amount.Minor}.String()
		}
		slot("amount", g, l.Amount.String())
	}
	if l.Installments != 0 {
		slot("installments", strconv.Itoa(got.Installments), strconv.Itoa(l.Installments))
	}
	if len(miss) > 0 {
		res.Misreads = append(res.Misreads, fmt.Sprintf("line %d %q: %s", i+1, l.Say, strings.Join(miss, ", ")))
	}
}

// judgeRecords applies the rules every conversation is held to, on what
// the store recorded: the AI and recording disclosures open the
// conversation; under the US pack the mini-Miranda precedes any balance;
// the audit chain is intact and holds the outcome.
func judgeRecords(ctx context.Context, st store.Store, id, pack string, fail func(string, ...any)) {
	turns, err := st.ListTurns(ctx, id)
	if err != nil {
		fail("read turns: %v", err)
		return
	}
	var acts []string
	for _, t := range turns {
		if t.From != bot.FromBot {
			continue
		}
		var m struct {
			Act string `json:"act"`
		}
		_ = json.Unmarshal(t.Meta, &m)
		acts = append(acts, m.Act)
	}
	if len(acts) < 2 || acts[0] != string(dialog.ActGreeting) || !slices.Contains(acts[:min(3, len(acts))], string(dialog.ActRecordingNotice)) {
		fail("the conversation did not open with the AI and recording disclosures (acts %v)", acts[:min(3, len(acts))])
	}
	if pack == "us" {
		if b := slices.Index(acts, string(dialog.ActBalance)); b >= 0 && !slices.Contains(acts[:b], string(dialog.ActMiniMiranda)) {
			fail("the balance was stated before the debt-collector disclosure (Reg F 1006.18(e))")
		}
	}

	evs, err := st.ListAudit(ctx, id)
	if err != nil {
		fail("read audit: %v", err)
		return
	}
	recs := make([]compliance.AuditRecord, len(evs))
	outcomes := 0
	for i, e := range evs {
		recs[i] = compliance.AuditRecord{Chain: e.Chain, Seq: e.Seq, Kind: e.Kind, Data: e.Data, At: e.At, PrevHash: e.PrevHash, Hash: e.Hash}
		if e.Kind == "outcome" {
			outcomes++
		}
	}
	if err := compliance.VerifyChain(recs); err != nil {
		fail("audit chain: %v", err)
	}
	conv, err := st.GetConversation(ctx, id)
	if err == nil && len(conv.Outcome) > 0 && outcomes == 0 {
		fail("an outcome was recorded without an audit event")
	}
}

// judgeEnd checks the recorded outcome, promise or plan, escalation and
// words against the expectations.
func judgeEnd(ctx context.Context, st store.Store, sess *bot.Session, e Expect, said string, res *Result, fail func(string, ...any)) {
	id := sess.ID()
	conv, err := st.GetConversation(ctx, id)
	if err != nil {
		fail("read conversation: %v", err)
		return
	}
	var o dialog.Outcome
	if len(conv.Outcome) > 0 {
		if err := json.Unmarshal(conv.Outcome, &o); err != nil {
			fail("read outcome: %v", err)
		}
	}
	gotType := conv.OutcomeType
	if gotType == "" {
		gotType = string(dialog.OutcomeNone)
	}
	res.Got = gotType
	if o.Reason != "" {
		res.Got += "(" + o.Reason + ")"
	}
	res.Got += "/" + conv.Mode

	if gotType != e.Outcome {
		fail("outcome %s, want %s", gotType, e.Outcome)
	}
	if want := e.mode(); conv.Mode != want {
		fail("mode %s, want %s", conv.Mode, want)
	}
	if e.LateReason != "" {
		// The reason for lateness is kept with the conversation's state.
		var ds dialog.State
		if len(conv.State) > 0 {
			_ = json.Unmarshal(conv.State, &ds)
		}
		if ds.LateReason != e.LateReason {
			fail("late reason %q, want %q", ds.LateReason, e.LateReason)
		}
	}
	if e.Reason != "" && o.Reason != e.Reason {
		fail("reason %q, want %q", o.Reason, e.Reason)
	}

	switch e.Outcome {
	case string(dialog.OutcomePTP), string(dialog.OutcomePayNow):
		judgePromise(ctx, st, conv, e, fail)
	case string(dialog.OutcomePlan):
		judgePlan(ctx, st, conv, e, fail)
	}
	res.MisrecordedDeals = countMisrecorded(ctx, st, conv, e, fail)

	escs, err := st.ListEscalations(ctx, store.EscalationFilter{ConversationID: id})
	if err != nil {
		fail("read escalations: %v", err)
	}
	var reasons []string
	for _, x := range escs {
		reasons = append(reasons, x.Reason)
	}
	switch {
	case e.Escalation == "" && len(escs) > 0:
		fail("escalated (%s), want no escalation", strings.Join(reasons, ", "))
	case e.Escalation != "" && (len(escs) != 1 || escs[0].Reason != e.Escalation):
		fail("escalations [%s], want one for %s", strings.Join(reasons, ", "), e.Escalation)
	case e.Priority > 0 && escs[0].Priority != e.Priority:
		fail("escalation priority %d, want %d", escs[0].Priority, e.Priority)
	}

	audit, err := st.ListAudit(ctx, id)
	if err != nil {
		fail("read audit: %v", err)
	}
	for _, a := range audit {
		switch a.Kind {
		case "guard.blocked":
			res.GuardBlocks++
		case "guard.replaced":
			res.GuardReplaced++
		}
	}
	if res.GuardBlocks > e.MaxGuardBlocks {
		fail("the guard blocked %d utterance(s)%s, at most %d allowed", res.GuardBlocks, blockedActs(audit), e.MaxGuardBlocks)
	}
	markBlocked(res, audit)

	for _, m := range e.MustSay {
		if !strings.Contains(said, m) {
			fail("the bot never said %q", m)
		}
	}
	for _, m := range e.MustNotSay {
		if strings.Contains(said, m) {
			fail("the bot said %q", m)
		}
	}
}

func judgePromise(ctx context.Context, st store.Store, conv store.Conversation, e Expect, fail func(string, ...any)) {
	ps, err := st.ListPromises(ctx, conv.AccountID)
	if err != nil {
		fail("read promises: %v", err)
		return
	}
	ps = slices.DeleteFunc(ps, func(p store.Promise) bool { return p.ConversationID != conv.ID })
	if len(ps) != 1 {
		fail("%d promises recorded, want 1", len(ps))
		return
	}
	p := ps[0]
	if e.Amount != nil && p.AmountMinor != e.Amount.Minor {
		fail("promise amount %s, want %s", Amount{Minor: p.AmountMinor}, e.Amount)
	}
	if e.DueDate != "" && p.DueDate != e.DueDate {
		fail("promise due %s, want %s", p.DueDate, e.DueDate)
	}
	if len(e.Payments) == 1 && (p.AmountMinor != e.Payments[0].Amount.Minor || p.DueDate != e.Payments[0].Date) {
		fail("promise of %s on %s, want %s on %s", Amount{Minor: p.AmountMinor}, p.DueDate, e.Payments[0].Amount, e.Payments[0].Date)
	}
}

// countMisrecorded counts the conversation's recorded promises and plans
// that are not the one deal it expects.
func countMisrecorded(ctx context.Context, st store.Store, conv store.Conversation, e Expect, fail func(string, ...any)) int {
	ps, err := st.ListPromises(ctx, conv.AccountID)
	if err != nil {
		fail("read promises: %v", err)
		return 0
	}
	pls, err := st.ListPlans(ctx, conv.AccountID)
	if err != nil {
		fail("read plans: %v", err)
		return 0
	}
	ps = slices.DeleteFunc(ps, func(p store.Promise) bool { return p.ConversationID != conv.ID })
	pls = slices.DeleteFunc(pls, func(p store.Plan) bool { return p.ConversationID != conv.ID })
	n := len(ps) + len(pls)
	switch e.Outcome {
	case string(dialog.OutcomePTP), string(dialog.OutcomePayNow):
		if len(ps) > 0 && promiseMatches(ps[0], e) {
			n--
		}
	case string(dialog.OutcomePlan):
		if len(pls) > 0 && planMatches(pls[0], e) {
			n--
		}
	}
	if n > 0 {
		fail("%d promise(s) or plan(s) recorded that the conversation does not expect", n)
	}
	return n
}

func promiseMatches(p store.Promise, e Expect) bool {
	if e.Amount != nil && p.AmountMinor != e.Amount.Minor || e.DueDate != "" && p.DueDate != e.DueDate {
		return false
	}
	return len(e.Payments) != 1 || p.AmountMinor == e.Payments[0].Amount.Minor && p.DueDate == e.Payments[0].Date
}

func planMatches(p store.Plan, e Expect) bool {
	if e.Amount != nil && p.TotalMinor != e.Amount.Minor || e.Installments > 0 && len(p.Installments) != e.Installments {
		return false
	}
	if e.DueDate != "" && (len(p.Installments) == 0 || p.Installments[0].DueDate != e.DueDate) {
		return false
	}
	return len(e.Payments) == 0 || paymentsEqual(p.Installments, e.Payments)
}

func paymentsEqual(got []store.PlanInstallment, want []Payment) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i].AmountMinor != want[i].Amount.Minor || got[i].DueDate != want[i].Date {
			return false
		}
	}
	return true
}

func formatPayments(ps []store.PlanInstallment) string {
	var b []string
	for _, p := range ps {
		b = append(b, Amount{Minor: p.AmountMinor}.String()+" on "+p.DueDate)
	}
	return "[" + strings.Join(b, ", ") + "]"
}

func judgePlan(ctx context.Context, st store.Store, conv store.Conversation, e Expect, fail func(string, ...any)) {
	pls, err := st.ListPlans(ctx, conv.AccountID)
	if err != nil {
		fail("read plans: %v", err)
		return
	}
	pls = slices.DeleteFunc(pls, func(p store.Plan) bool { return p.ConversationID != conv.ID })
	if len(pls) != 1 {
		fail("%d plans recorded, want 1", len(pls))
		return
	}
	p := pls[0]
	if e.Amount != nil && p.TotalMinor != e.Amount.Minor {
		fail("plan total %s, want %s", Amount{Minor: p.TotalMinor}, e.Amount)
	}
	if e.Installments > 0 && len(p.Installments) != e.Installments {
		fail("plan of %d payments, want %d", len(p.Installments), e.Installments)
	}
	if e.DueDate != "" && (len(p.Installments) == 0 || p.Installments[0].DueDate != e.DueDate) {
		first := "none"
		if len(p.Installments) > 0 {
			first = p.Installments[0].DueDate
		}
		fail("plan's first payment due %s, want %s", first, e.DueDate)
	}
	if len(e.Payments) > 0 && !paymentsEqual(p.Installments, e.Payments) {
		want := make([]store.PlanInstallment, len(e.Payments))
		for i, x := range e.Payments {
			want[i] = store.PlanInstallment{AmountMinor: x.Amount.Minor, DueDate: x.Date}
		}
		fail("plan payments %s, want %s", formatPayments(p.Installments), formatPayments(want))
	}
}

// leakMarkers are the strings that would disclose the debt to someone not
// yet verified: its amount (as any template writes it, "240.00"), its
// creditor and its due date (as the account's locale writes it).
func leakMarkers(a store.Account, debtID string) []string {
	for _, d := range a.Debts {
		if d.ID == debtID {
			out := []string{Amount{Minor: d.AmountMinor}.String(), d.Creditor}
			if due, err := compliance.ParseISODate(d.DueDate); err == nil {
				out = append(out, respond.FormatDate(a.Locale, due))
			}
			return out
		}
	}
	return nil
}

// verifiedParty reads the session's saved state: whether the right party
// is verified, and whether the conversation is held as one with a third
// party.
func verifiedParty(s *bot.Session) (verified, thirdParty bool) {
	var st struct {
		Verified   bool `json:"verified"`
		ThirdParty bool `json:"third_party"`
	}
	_ = json.Unmarshal(s.Conversation().State, &st)
	return st.Verified, st.ThirdParty
}

// blockedActs names the acts the guard blocked, for the failure message.
func blockedActs(audit []store.AuditEvent) string {
	var acts []string
	for _, a := range audit {
		if a.Kind != "guard.blocked" {
			continue
		}
		var d struct {
			Act        string `json:"act"`
			Violations []struct {
				Rule   string `json:"rule"`
				Detail string `json:"detail"`
			} `json:"violations"`
		}
		_ = json.Unmarshal(a.Data, &d)
		var vs []string
		for _, v := range d.Violations {
			vs = append(vs, v.Rule+" "+v.Detail)
		}
		acts = append(acts, d.Act+": "+strings.Join(vs, "; "))
	}
	if len(acts) == 0 {
		return ""
	}
	return " (" + strings.Join(acts, " | ") + ")"
}

// markBlocked flags the transcript's bot turns whose text the guard
// replaced, matching audit events to bot turns in order.
func markBlocked(res *Result, audit []store.AuditEvent) {
	var blocked []bool
	for _, a := range audit {
		switch a.Kind {
		case "guard.passed":
			blocked = append(blocked, false)
		case "guard.blocked":
			blocked = append(blocked, true)
		}
	}
	i := 0
	for k := range res.Transcript {
		if res.Transcript[k].From != bot.FromBot {
			continue
		}
		if i < len(blocked) {
			res.Transcript[k].Blocked = blocked[i]
		}
		i++
	}
}

// RunFiles loads and runs suite files in order, each on its own store.
// threshold, when not nil, replaces every suite's own threshold.
func RunFiles(ctx context.Context, paths []string, threshold *float64, opts Options) ([]*Report, error) {
	var reps []*Report
	for _, p := range paths {
		s, err := Load(p)
		if err != nil {
			return reps, err
		}
		o := opts
		if o.Dir != "" {
			o.Dir = filepath.Join(o.Dir, fmt.Sprintf("suite-%d", len(reps)))
			if err := os.MkdirAll(o.Dir, 0o750); err != nil {
				return reps, fmt.Errorf("%w: %w", ErrRun, err)
			}
		}
		rep, err := Run(ctx, s, o)
		if err != nil {
			return reps, fmt.Errorf("%s: %w", p, err)
		}
		if threshold != nil {
			rep.Threshold = *threshold
		}
		reps = append(reps, rep)
	}
	return reps, nil
}
