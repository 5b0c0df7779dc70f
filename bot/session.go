package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/collectagent/collectagent/bot/respond"
	"github.com/collectagent/collectagent/bot/understand"
	"github.com/collectagent/collectagent/clock"
	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/dialog"
	"github.com/collectagent/collectagent/handoff/packet"
	"github.com/collectagent/collectagent/logmask"
	"github.com/collectagent/collectagent/prompts"
	"github.com/collectagent/collectagent/redact"
	"github.com/collectagent/collectagent/store"
)

// MaxMessageRunes bounds one borrower message.
const MaxMessageRunes = 2000

// Who speaks a turn.
const (
	FromBorrower = "borrower"
	FromBot      = "bot"
	FromAgent    = "agent"
	FromSystem   = "system"
)

// Runtime creates and resumes conversations. It is safe for concurrent use;
// a Session is not: one goroutine (the transport's reader) owns it.
type Runtime struct {
	cfg    Config
	deps   Deps
	flow   dialog.Flow
	render *respond.Renderer
	guards map[string]*compliance.Guard // by pack name
	log    *slog.Logger

	zones sync.Map // time zone name -> *time.Location
}

// NewRuntime checks cfg and deps, loads the flow, templates and policy packs,
// and returns a runtime.
func NewRuntime(cfg Config, deps Deps) (*Runtime, error) {
	if deps.Store == nil {
		return nil, fmt.Errorf("%w: a store is required", ErrConfig)
	}
	if deps.Understander == nil {
		return nil, fmt.Errorf("%w: an understander is required", ErrConfig)
	}
	if deps.Clock == nil {
		deps.Clock = clock.System{}
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if err := dialog.ValidatePolicy(cfg.DefaultPolicy); err != nil {
		return nil, fmt.Errorf("%w: default_policy: %w", ErrConfig, err)
	}
	for name, p := range cfg.Policies {
		if err := dialog.ValidatePolicy(p); err != nil {
			return nil, fmt.Errorf("%w: policies.%s: %w", ErrConfig, name, err)
		}
	}
	flow, r, err := loadPrompts(deps.Prompts)
	if err != nil {
		return nil, err
	}
	guards := make(map[string]*compliance.Guard)
	for _, name := range compliance.PackNames() {
		p, err := compliance.LoadPack(name)
		if err != nil {
			return nil, fmt.Errorf("%w: pack %s: %w", ErrConfig, name, err)
		}
		guards[name] = compliance.NewGuard(p)
	}
	return &Runtime{cfg: cfg, deps: deps, flow: flow, render: r, guards: guards, log: deps.Logger}, nil
}

// loadPrompts parses the flow and compiles the templates of fsys (nil: the
// embedded ones), and checks that every act kind and notice has wording
// in every locale: a gap would only show when a borrower reaches it.
func loadPrompts(fsys fs.FS) (dialog.Flow, *respond.Renderer, error) {
	var (
		w   *prompts.Wording
		raw []byte
		err error
	)
	if fsys == nil {
		w, err = prompts.Embedded()
		raw = prompts.FlowJSON()
	} else {
		if raw, err = fs.ReadFile(fsys, "flow.json"); err == nil {
			w, err = prompts.Load(fsys)
		}
	}
	if err != nil {
		return dialog.Flow{}, nil, fmt.Errorf("%w: prompts: %w", ErrConfig, err)
	}
	flow, err := dialog.ParseFlow(raw)
	if err != nil {
		return dialog.Flow{}, nil, fmt.Errorf("%w: flow.json: %w", ErrConfig, err)
	}
	r, err := respond.NewFromWording(w)
	if err != nil {
		return dialog.Flow{}, nil, fmt.Errorf("%w: templates: %w", ErrConfig, err)
	}
	if err := r.Complete(w.Locales()); err != nil {
		return dialog.Flow{}, nil, fmt.Errorf("%w: templates: %w", ErrConfig, err)
	}
	return flow, r, nil
}

// Guard returns the guard of a compliance pack ("us", "cn").
func (r *Runtime) Guard(pack string) (*compliance.Guard, bool) {
	g, ok := r.guards[pack]
	return g, ok
}

// policyFor returns the policy of a portfolio.
func (r *Runtime) policyFor(portfolio string) dialog.Policy {
	if p, ok := r.cfg.Policies[portfolio]; ok && portfolio != "" {
		return p
	}
	return r.cfg.DefaultPolicy
}

// channelAllowed tells whether an account may hold a conversation on a
// channel at all: its consent and do-not-contact for that kind of contact.
func channelAllowed(a store.Account, ch Channel) (bool, string) {
	switch ch.Contact() {
	case compliance.ChannelChat:
		if !a.Consent.Chat {
			return false, compliance.ReasonNoConsent
		}
		if a.DoNotContact.Chat {
			return false, compliance.ReasonDoNotContact
		}
	case compliance.ChannelVoice:
		if !a.Consent.Voice {
			return false, compliance.ReasonNoConsent
		}
		if a.DoNotContact.Voice {
			return false, compliance.ReasonDoNotContact
		}
	default:
		return false, compliance.ReasonUnknownChannel
	}
	if a.Flags.Deceased {
		return false, compliance.FlagDeceased
	}
	return true, ""
}

// Begin creates a conversation for an account on a channel about its most
// overdue debt. It fails with ErrNotFound for an unknown account, ErrInvalid
// for a channel no conversation runs on, and ErrNotAllowed when the
// borrower may not be contacted on that channel (a *ContactRefusedError
// says why).
//
// by says who starts it. A conversation the borrower opens (ByBorrower)
// needs consent and no do-not-contact on the channel. An Outbound one is
// the collector's contact: the compliance pack's MayContact decides (hours
// in the borrower's zone, frequency caps, a cease, dispute, attorney or
// bankruptcy statement on the account), and a refusal is recorded as a
// blocked contact attempt. The attempt that goes ahead is recorded when
// the conversation starts (Session.Start).
func (r *Runtime) Begin(ctx context.Context, accountID string, ch Channel, by Initiator) (store.Conversation, error) {
	if !ch.Conversational() {
		return store.Conversation{}, fmt.Errorf("begin: %w: channel %q", ErrInvalid, ch)
	}
	a, err := r.deps.Store.GetAccount(ctx, accountID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return store.Conversation{}, fmt.Errorf("account %q: %w", accountID, ErrNotFound)
		}
		return store.Conversation{}, fmt.Errorf("begin: %w", err)
	}
	if ok, why := channelAllowed(a, ch); !ok {
		return store.Conversation{}, &ContactRefusedError{Channel: ch, Decision: compliance.ContactDecision{Reason: why}}
	}
	if len(a.Debts) == 0 {
		return store.Conversation{}, fmt.Errorf("account %q has no debt: %w", accountID, ErrNotAllowed)
	}
	debt := a.Debts[0]
	for _, d := range a.Debts[1:] {
		if d.DaysPastDue > debt.DaysPastDue {
			debt = d
		}
	}
	if by == Outbound {
		if err := r.mayReach(ctx, a, ch, debt.ID); err != nil {
			return store.Conversation{}, err
		}
	}
	st, err := json.Marshal(dialog.NewState())
	if err != nil {
		return store.Conversation{}, fmt.Errorf("begin: %w", err)
	}
	now := r.deps.Clock.Now().UTC()
	c := store.Conversation{
		ID:          newID("c"),
		AccountID:   a.ID,
		DebtID:      debt.ID,
		Channel:     string(ch),
		Locale:      normLocale(a.Locale),
		Mode:        store.ModeBot,
		Stage:       string(dialog.StageGreeting),
		State:       st,
		OutcomeType: string(dialog.OutcomeNone),
		CreatedAt:   now,
		UpdatedAt:   now,
	}
	if err := r.deps.Store.CreateConversation(ctx, c); err != nil {
		return store.Conversation{}, fmt.Errorf("begin: %w", err)
	}
	return c, nil
}

// Open loads a conversation so it can continue, on any node.
func (r *Runtime) Open(ctx context.Context, conversationID string) (*Session, error) {
	s := &Session{rt: r}
	if err := s.load(ctx, conversationID, false); err != nil {
		return nil, err
	}
	return s, nil
}

// Session is one conversation in progress. Not safe for concurrent use.
type Session struct {
	rt      *Runtime
	conv    store.Conversation
	channel Channel
	sacct   store.Account
	acct    dialog.Account
	state   dialog.State
	// pending is the state the commit being made records, applied once
	// it is durable (set by record.commit, reset by every new record).
	pending *dialog.State
	loc     *time.Location
	guard   *compliance.Guard
	log     *slog.Logger

	seq       int64                   // last turn's seq
	lastAudit *compliance.AuditRecord // head of this conversation's chain
	seen      map[string]bool         // message ids already recorded
	history   []Reply
}

// load (re)reads everything the session holds from the store. A
// conversation at version 0 has had no turn committed (every commit
// raises the version, and turns are only written by commits), so it has
// no turns and, but for an event appended beside the turns, no chain:
// unless full is set, those reads are skipped for it. Were an event there
// after all, the first commit would conflict on the chain and reload in
// full, as every conflicting commit does.
func (s *Session) load(ctx context.Context, id string, full bool) error {
	st := s.rt.deps.Store
	c, err := st.GetConversation(ctx, id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("conversation %q: %w", id, ErrNotFound)
		}
		return fmt.Errorf("open: %w", err)
	}
	a, err := st.GetAccount(ctx, c.AccountID)
	if err != nil {
		return fmt.Errorf("open: account: %w", err)
	}
	var state dialog.State
	if len(c.State) > 0 {
		if err := json.Unmarshal(c.State, &state); err != nil {
			return fmt.Errorf("open: state: %w", err)
		}
	} else {
		state = dialog.NewState()
	}
	var (
		turns []store.Turn
		head  store.AuditEvent
	)
	if full || c.Version > 0 {
		if turns, err = st.ListTurns(ctx, id); err != nil {
			return fmt.Errorf("open: turns: %w", err)
		}
		if head, err = st.LastAudit(ctx, id); err != nil {
			return fmt.Errorf("open: audit: %w", err)
		}
	}
	acct, err := s.rt.dialogAccount(a, c.DebtID)
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	as, err := s.rt.readAccountState(ctx, a.ID, c.ID)
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	ch, err := ParseChannel(c.Channel)
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	as.apply(&acct, ch)
	guard, ok := s.rt.guards[acct.Policy.Pack]
	if !ok {
		return fmt.Errorf("open: pack %q: %w", acct.Policy.Pack, ErrConfig)
	}
	s.conv, s.sacct, s.acct, s.state, s.guard, s.channel = c, a, acct, state, guard, ch
	s.loc = s.rt.zone(a.Timezone, acct.Locale)
	s.log = s.rt.log.With("conversation", c.ID, "channel", c.Channel, "account", maskRef(a.ID))
	s.seen = make(map[string]bool)
	s.history = s.history[:0]
	s.seq = 0
	for _, t := range turns {
		if t.MessageID != "" {
			s.seen[t.MessageID] = true
		}
		s.seq = max(s.seq, t.Seq)
		s.history = append(s.history, Reply{From: t.From, Name: TurnName(t), Text: t.Text, Seq: t.Seq, Act: turnAct(t)})
	}
	s.lastAudit = nil
	if head.Seq > 0 {
		rec := auditRecord(head)
		s.lastAudit = &rec
	}
	return nil
}

// dialogAccount builds what the engine knows of a borrower.
func (r *Runtime) dialogAccount(a store.Account, debtID string) (dialog.Account, error) {
	var d *store.Debt
	for i := range a.Debts {
		if a.Debts[i].ID == debtID {
			d = &a.Debts[i]
		}
	}
	if d == nil {
		return dialog.Account{}, fmt.Errorf("debt %q of account %q: %w", debtID, a.ID, ErrNotFound)
	}
	due, err := compliance.ParseISODate(d.DueDate)
	if err != nil {
		return dialog.Account{}, fmt.Errorf("debt %q: %w", d.ID, err)
	}
	var dob compliance.Date
	if a.DateOfBirth != "" {
		if dob, err = compliance.ParseISODate(a.DateOfBirth); err != nil {
			return dialog.Account{}, fmt.Errorf("account %q: %w", a.ID, err)
		}
	}
	pol := r.policyFor(a.Portfolio)
	// Policy minimums are configured without a currency: they are in the
	// debt's own currency.
	pol.MinPromiseAmount.Currency = d.Currency
	pol.MinInstallment.Currency = d.Currency
	return dialog.Account{
		ID:      a.ID,
		Name:    a.Name,
		DOB:     dob,
		IDLast4: a.IDLast4,
		Locale:  normLocale(a.Locale),
		Debt: dialog.Debt{
			ID:          d.ID,
			Creditor:    d.Creditor,
			AmountDue:   compliance.Money{Minor: d.AmountMinor, Currency: d.Currency},
			DueDate:     due,
			DaysPastDue: d.DaysPastDue,
			MinPayment:  compliance.Money{Minor: d.MinPaymentMinor, Currency: d.Currency},
		},
		Policy:          pol,
		Attorney:        a.Flags.Attorney,
		Dispute:         a.Flags.Dispute,
		Bankruptcy:      a.Flags.Bankruptcy,
		Deceased:        a.Flags.Deceased,
		CrisisResources: r.cfg.CrisisResources[normLocale(a.Locale)],
		SupportContact:  r.cfg.SupportContact[normLocale(a.Locale)],
	}, nil
}

// ID returns the conversation id.
func (s *Session) ID() string { return s.conv.ID }

// Conversation returns the conversation's stored header as of the last turn.
func (s *Session) Conversation() store.Conversation { return s.conv }

// History returns every turn so far, borrower's included (From "borrower"),
// in order: a reconnecting client replays it.
func (s *Session) History(ctx context.Context) ([]Reply, error) {
	return append([]Reply(nil), s.history...), nil
}

// Status returns the conversation's current status.
func (s *Session) Status() Status {
	out := s.conv.OutcomeType
	if out == string(dialog.OutcomeNone) {
		out = ""
	}
	return Status{Mode: s.conv.Mode, Stage: s.conv.Stage, Outcome: out}
}

// Start opens a new conversation: the bot speaks first. On a conversation
// that already has turns it returns no replies, only the status.
func (s *Session) Start(ctx context.Context) (Output, error) {
	if s.seq > 0 || s.conv.Mode == store.ModeEnded {
		return Output{Status: s.Status()}, nil
	}
	return s.step(ctx, dialog.EventStart, nil)
}

// Resume continues a conversation the borrower came back to (a reconnect,
// a call back in): the bot welcomes them back and restates where they
// were. A conversation with no turns yet starts instead. While a person
// holds the conversation nothing is said (the status tells the client);
// an ended conversation fails with ErrEnded.
func (s *Session) Resume(ctx context.Context) (Output, error) {
	if s.seq == 0 && s.conv.Mode != store.ModeEnded {
		return s.step(ctx, dialog.EventStart, nil)
	}
	if s.conv.Mode == store.ModeEnded {
		return Output{}, ErrEnded
	}
	if s.conv.Mode != store.ModeBot {
		return Output{Status: s.Status()}, nil
	}
	// A call is recorded anew: its resume restates the recording notice.
	return s.stepInput(ctx, dialog.Input{Kind: dialog.EventResume, Spoken: s.channel.Spoken()}, nil)
}

// Silence is the borrower saying nothing for the channel's timeout after
// the bot finished: the bot asks whether they are still there, or, when
// final (the channel gives up next, a call hangs up), says goodbye. The
// conversation itself stays open for the borrower to come back to. While a
// person holds the conversation it says nothing.
func (s *Session) Silence(ctx context.Context, final bool) (Output, error) {
	if s.conv.Mode == store.ModeEnded {
		return Output{}, ErrEnded
	}
	if s.conv.Mode != store.ModeBot {
		return Output{Status: s.Status()}, nil
	}
	return s.stepInput(ctx, dialog.Input{Kind: dialog.EventTimeout, Final: final}, nil)
}

// Channel returns the conversation's channel.
func (s *Session) Channel() Channel { return s.channel }

// Expect is what the bot's last question waits for (a date, an amount, a
// yes or no, the identity answer): a voice channel tunes its recogniser
// and keypad to it.
func (s *Session) Expect() dialog.Expect { return s.state.Expect }

// Handle processes one borrower message and returns the replies, which are
// durable when Handle returns.
func (s *Session) Handle(ctx context.Context, m Message) (Output, error) {
	text := strings.TrimSpace(m.Text)
	if text == "" {
		return Output{}, ErrEmptyMessage
	}
	if utf8.RuneCountInString(text) > MaxMessageRunes {
		return Output{}, fmt.Errorf("%d characters, at most %d: %w", utf8.RuneCountInString(text), MaxMessageRunes, ErrMessageTooLong)
	}
	m.Text = text
	return s.step(ctx, dialog.EventMessage, &m)
}

// step runs one engine step and commits it.
func (s *Session) step(ctx context.Context, kind dialog.EventKind, m *Message) (Output, error) {
	return s.stepInput(ctx, dialog.Input{Kind: kind}, m)
}

// stepInput runs one engine step on in (its Today and Parse are filled
// here) and commits it.
func (s *Session) stepInput(ctx context.Context, in dialog.Input, m *Message) (Output, error) {
	kind := in.Kind
	return s.commit(ctx, func() (Output, *store.TurnCommit, error) {
		if m != nil && m.MessageID != "" && s.seen[m.MessageID] {
			return Output{Status: s.Status()}, nil, nil
		}
		// Another connection started the conversation first (the commit
		// conflicted and the session reloaded): the greeting is said.
		if kind == dialog.EventStart && s.seq > 0 {
			return Output{Status: s.Status()}, nil, nil
		}
		// A conversation locked into third-party handling goes on answering
		// with the permitted message only, so that whoever is typing never
		// gets anything else.
		if s.conv.Mode == store.ModeEnded && !(s.state.ThirdParty && m != nil) {
			return Output{}, nil, ErrEnded
		}
		return s.prepare(ctx, in, m)
	})
}

// commit runs prep and durably records the commit it builds. A version
// conflict means another node (a borrower's, an agent's) moved the
// conversation on: reload and run prep once more on the fresh state. prep
// returning a nil commit means there is nothing to record.
func (s *Session) commit(ctx context.Context, prep func() (Output, *store.TurnCommit, error)) (Output, error) {
	for attempt := 0; ; attempt++ {
		out, c, err := prep()
		if err != nil || c == nil {
			return out, err
		}
		evs := s.events(*c)
		if s.rt.deps.Events != nil {
			c.Events = evs // the outbox: committed with the step
		}
		err = s.rt.deps.Store.CommitTurn(ctx, *c)
		if errors.Is(err, store.ErrConflict) && attempt == 0 {
			s.log.Info("conversation moved on elsewhere; reloading")
			if err := s.load(ctx, s.conv.ID, true); err != nil {
				return Output{}, err
			}
			continue
		}
		if err != nil {
			return Output{}, fmt.Errorf("commit turn: %w", err)
		}
		s.applied(*c, out.Replies)
		s.publish(ctx, *c, evs)
		out.Status = s.Status()
		return out, nil
	}
}

// Reload rereads the conversation from the store: a transport calls it when
// it learns (over NATS) that another node changed the conversation.
func (s *Session) Reload(ctx context.Context) error { return s.load(ctx, s.conv.ID, true) }

// prepare computes one step without changing the session: the replies, and
// the commit that records them.
func (s *Session) prepare(ctx context.Context, in dialog.Input, m *Message) (Output, *store.TurnCommit, error) {
	kind := in.Kind
	r := s.newRecord()
	if m != nil {
		r.turn(FromBorrower, "", m.Text, m.MessageID, nil)
	}
	// While a person holds (or is about to hold) the conversation, the bot
	// only records what the borrower says.
	if m != nil && r.conv.Mode != store.ModeBot && !(r.conv.Mode == store.ModeEnded && s.state.ThirdParty) {
		return r.commit(nil)
	}

	// The model calls of this turn (if any) are recorded with it.
	ti := TurnInfo{
		ConversationID: r.conv.ID, Channel: s.channel, AmountDue: s.acct.Debt.AmountDue,
		Names: []string{s.acct.Name}, Trace: &ModelTrace{},
	}
	ctx = WithTurnInfo(ctx, ti)

	in.Today = r.today
	if m != nil {
		p, err := s.rt.deps.Understander.Understand(ctx, understand.Request{
			Text:     m.Text,
			Locale:   s.acct.Locale,
			Today:    r.today,
			Currency: s.acct.Debt.AmountDue.Currency,
			Stage:    s.state.Stage,
			Expect:   s.state.Expect,
			Week:     s.state.Week,
			Names:    []string{s.acct.Name},
		})
		if err != nil {
			// Understanding failed (a model down, say): the engine treats it
			// as not understood, which re-asks or escalates.
			s.log.Warn("understanding failed", "err", err)
			p = dialog.Parse{}
		}
		in.Parse = p
	}

	next, res := dialog.Step(s.rt.flow, s.acct, s.state, in)

	last := ""
	if m != nil {
		last = m.Text
	}
	for _, act := range res.Acts {
		if err := s.say(ctx, r, act, next.Stage, last, in.Parse.Sentiment); err != nil {
			return Output{}, nil, err
		}
	}
	if m != nil {
		// The borrower's turn carries the parse and every model call of
		// the turn (understanding and phrasing), for replay and audit.
		r.setMeta(0, borrowerTurnMeta{Parse: &in.Parse, ModelCalls: ti.Trace.Calls(), Voice: m.Voice})
	}
	if next.LateReason != "" && next.LateReason != s.state.LateReason {
		// The reason for lateness is kept with the conversation (its
		// state), audited, and handed to agents in the handoff packet.
		if err := r.addAudit("late_reason", map[string]any{"reason": next.LateReason}); err != nil {
			return Output{}, nil, err
		}
	}
	if len(res.Statements) > 0 {
		var seq int64
		if m != nil {
			seq = r.c.Turns[0].Seq
		}
		if err := r.statements(res.Statements, seq); err != nil {
			return Output{}, nil, err
		}
	}
	if res.Outcome != nil {
		if err := r.outcome(*res.Outcome, FromBot); err != nil {
			return Output{}, nil, err
		}
	}
	if res.Escalation != nil {
		transcript := append([]Reply(nil), s.history...)
		if m != nil {
			transcript = append(transcript, Reply{From: FromBorrower, Text: m.Text})
		}
		transcript = append(transcript, r.out.Replies...)
		e := s.escalation(ctx, *res.Escalation, next, r.now, transcript)
		r.c.Escalations = append(r.c.Escalations, e)
		if err := r.addAudit("escalation", map[string]any{"id": e.ID, "reason": e.Reason, "priority": e.Priority}); err != nil {
			return Output{}, nil, err
		}
		r.conv.Mode = store.ModeWaitingAgent
	}
	if res.Ended && r.conv.Mode == store.ModeBot {
		r.end()
	}
	if res.VerifyFailed || res.VerifyPassed {
		if err := r.addAudit("verification", verificationAudit{Passed: res.VerifyPassed, Failures: next.VerifyFailures}); err != nil {
			return Output{}, nil, err
		}
	}
	if kind == dialog.EventStart {
		a := contactAttempt(r.conv.AccountID, r.conv.DebtID, s.channel, compliance.ResultConversation, "", r.now)
		r.c.Contact = &a
	}
	return r.commit(&next)
}

// say renders one act (phrased by a model when one is configured), passes
// it through the guard, audits the decision and appends the bot's turn.
func (s *Session) say(ctx context.Context, r *record, act dialog.Act, stage dialog.Stage, last, sentiment string) error {
	// The guard knows whose debt this is, so that nothing names the
	// creditor before verification (nor does a model's wording).
	act.Facts.Creditor = s.acct.Debt.Creditor
	text, err := s.rt.render.Render(act, s.acct.Locale, s.channel, s.acct)
	src := compliance.SourceTemplate
	var ph PhraseResult
	if err == nil && s.rt.deps.Phraser != nil {
		ph = PhraseAct(ctx, s.rt.deps.Phraser, s.guard, PhraseRequest{
			Act: act.Kind, Locale: s.acct.Locale, Stage: s.state.Stage, Channel: s.channel,
			Template: text, Facts: act.Facts, LastMessage: last, Sentiment: sentiment,
		})
		text, src = ph.Text, ph.Source
		if ph.Replaced {
			s.log.Warn("model wording replaced by the template", "act", act.Kind, "violations", len(ph.Decision.Violations))
			if err := r.addAudit("guard.replaced", map[string]any{
				"act": act.Kind, "source": compliance.SourceModel, "violations": ph.Decision.Violations, "model_text": ph.ModelText,
			}); err != nil {
				return err
			}
		}
	}
	var dec compliance.Decision
	if err != nil {
		s.log.Error("render failed", "act", act.Kind, "err", err)
		dec = compliance.Decision{Violations: []compliance.Violation{{Rule: "render_failed", Detail: err.Error()}}}
	} else {
		dec = s.guard.Check(compliance.Utterance{Text: text, Locale: s.acct.Locale, Channel: s.channel, Stage: string(stage), Source: src, Facts: act.Facts})
	}
	blocked := !dec.Allowed
	kind := "guard.passed"
	if blocked {
		text = s.guard.SafeText(s.acct.Locale, act.Facts.Verified)
		kind = "guard.blocked"
		s.log.Warn("guard blocked an utterance", "act", act.Kind, "violations", len(dec.Violations))
	}
	if err := r.addAudit(kind, guardAudit{Act: act.Kind, Source: src, Violations: dec.Violations, Text: text}); err != nil {
		return err
	}
	r.turn(FromBot, "", text, "", botTurnMeta{Act: act.Kind, Blocked: blocked, Source: src, Replaced: ph.Replaced})
	rep := &r.out.Replies[len(r.out.Replies)-1]
	rep.Act, rep.Disclosure = string(act.Kind), act.Facts.Disclosure
	if s.channel.Spoken() && !blocked {
		rep.Link = act.Link
	}
	return nil
}

// applied moves the session to the state a successful commit recorded.
// replies are the commit's replies, built in this process: their names
// and acts are taken from them rather than decoded again from the turns'
// meta.
func (s *Session) applied(c store.TurnCommit, replies []Reply) {
	s.conv = c.Conversation
	if s.pending != nil {
		s.state, s.pending = *s.pending, nil
	} else if len(c.Conversation.State) > 0 {
		var st dialog.State
		if err := json.Unmarshal(c.Conversation.State, &st); err == nil {
			s.state = st
		}
	}
	for _, t := range c.Turns {
		s.seq = max(s.seq, t.Seq)
		if t.MessageID != "" {
			s.seen[t.MessageID] = true
		}
		s.history = append(s.history, historyReply(t, replies))
	}
	if n := len(c.Audit); n > 0 {
		rec := auditRecord(c.Audit[n-1])
		s.lastAudit = &rec
	}
}

// events are what a step tells the outside world, built before its
// commit so that they are committed with it (the outbox). Nothing is
// built when nobody listens.
func (s *Session) events(c store.TurnCommit) []store.Event {
	if s.rt.deps.Events == nil && s.rt.deps.Publisher == nil {
		return nil
	}
	now := s.rt.deps.Clock.Now().UTC()
	var evs []store.Event
	ev := func(kind string, data any) {
		raw, err := json.Marshal(data)
		if err != nil {
			s.log.Warn("event data does not encode", "kind", kind, "err", err)
			return
		}
		evs = append(evs, store.Event{ID: newID("ev"), Kind: kind, At: now, Data: raw})
	}
	for _, pr := range c.Promises {
		ev("ptp.created", pr)
	}
	for _, pl := range c.Plans {
		ev("plan.created", pl)
	}
	for _, a := range c.Audit {
		if a.Kind == "guard.blocked" {
			ev("guard.blocked", blockedEvent{ConversationID: a.Chain, Seq: a.Seq})
		}
	}
	if c.Conversation.Mode == store.ModeEnded {
		ev("conv.ended", endedEvent{ConversationID: c.Conversation.ID, Outcome: c.Conversation.OutcomeType})
	}
	return evs
}

// blockedEvent and endedEvent are the data of guard.blocked and
// conv.ended.
type (
	blockedEvent struct {
		ConversationID string `json:"conversation_id"`
		Seq            int64  `json:"seq"`
	}
	endedEvent struct {
		ConversationID string `json:"conversation_id"`
		Outcome        string `json:"outcome"`
	}
)

// publish tells the outside world what a committed step did. The store is
// the record: a failed publish is logged, never fatal to the turn. With
// an outbox relay the events, committed with the step, go to the relay,
// to be published after the reply.
func (s *Session) publish(ctx context.Context, c store.TurnCommit, evs []store.Event) {
	if r := s.rt.deps.Events; r != nil && len(c.Events) > 0 {
		r.Committed(c.Events)
	}
	p := s.rt.deps.Publisher
	if p == nil {
		return
	}
	for _, e := range c.Escalations {
		if err := p.PublishEscalation(ctx, e); err != nil {
			s.log.Warn("publish escalation failed; it stays queued in the store", "err", err)
		}
	}
	if s.rt.deps.Events != nil {
		return
	}
	for _, e := range evs {
		if err := p.PublishEvent(ctx, e.Kind, e.Data); err != nil {
			s.log.Warn("publish event failed", "kind", e.Kind, "err", err)
		}
	}
}

// escalation builds the escalation record and its handoff packet.
func (s *Session) escalation(ctx context.Context, e dialog.Escalation, st dialog.State, now time.Time, transcript []Reply) store.Escalation {
	facts := HandoffFactsOf(e.Reason, s.acct.Locale, s.channel, st)
	summary := ExtractSummary(transcript, facts)
	if sm := s.rt.deps.Summarizer; sm != nil {
		if ms, err := sm.Summarize(ctx, transcript, facts); err == nil {
			summary = ms
		}
	}
	// The note goes to the agents' board: no verification answer or
	// identity number in it, whoever wrote it.
	summary.Text, summary.Situation = redact.Text(summary.Text, now), redact.Text(summary.Situation, now)
	pk, _ := json.Marshal(packet.Packet{
		Summary:        &summary,
		ConversationID: s.conv.ID,
		AccountRef:     s.conv.AccountID,
		Reason:         e.Reason,
		Priority:       e.Priority,
		Locale:         s.acct.Locale,
		Channel:        string(s.channel),
		Verified:       st.Verified,
		Disclosures:    st.Disclosed,
		Offers:         st.Offers,
		LateReason:     st.LateReason,
		Stage:          string(st.Stage),
		CreatedAt:      now.UTC(),
	})
	return store.Escalation{
		ID: newID("e"), ConversationID: s.conv.ID, AccountID: s.conv.AccountID,
		Reason: e.Reason, Priority: e.Priority, Status: store.EscalationQueued, Packet: pk,
		CreatedAt: now.UTC(), UpdatedAt: now.UTC(),
	}
}

func auditEvent(r compliance.AuditRecord) store.AuditEvent {
	return store.AuditEvent{Chain: r.Chain, Seq: r.Seq, Kind: r.Kind, Data: r.Data, At: r.At, PrevHash: r.PrevHash, Hash: r.Hash}
}

func auditRecord(e store.AuditEvent) compliance.AuditRecord {
	return compliance.AuditRecord{Chain: e.Chain, Seq: e.Seq, Kind: e.Kind, Data: e.Data, At: e.At, PrevHash: e.PrevHash, Hash: e.Hash}
}

// TurnName is the display name kept in an agent's turn (empty for
// anyone else's).
func TurnName(t store.Turn) string {
	if t.From != FromAgent || len(t.Meta) == 0 {
		return ""
	}
	var m struct {
		Name string `json:"name"`
	}
	_ = json.Unmarshal(t.Meta, &m)
	return m.Name
}

// historyReply is turn t as the session's history keeps it, named and
// with its act from the reply of the same sequence when one is given.
func historyReply(t store.Turn, replies []Reply) Reply {
	for _, r := range replies {
		if r.Seq == t.Seq {
			return Reply{From: t.From, Name: r.Name, Text: t.Text, Seq: t.Seq, Act: r.Act}
		}
	}
	return Reply{From: t.From, Name: TurnName(t), Text: t.Text, Seq: t.Seq, Act: turnAct(t)}
}

// turnAct is the act a bot's turn rendered (empty for anyone else's).
func turnAct(t store.Turn) string {
	if t.From != FromBot || len(t.Meta) == 0 {
		return ""
	}
	var m struct {
		Act string `json:"act"`
	}
	_ = json.Unmarshal(t.Meta, &m)
	return m.Act
}

// zone returns the borrower's time zone, falling back on the locale's
// usual zone when the account's is missing or unknown.
func (r *Runtime) zone(name, locale string) *time.Location {
	if name == "" {
		if strings.HasPrefix(locale, "zh") {
			name = "Asia/Shanghai"
		} else {
			name = "America/New_York"
		}
	}
	if l, ok := r.zones.Load(name); ok {
		return l.(*time.Location)
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		r.log.Warn("unknown time zone; using UTC", "zone", name)
		l = time.UTC
	}
	r.zones.Store(name, l)
	return l
}

// normLocale maps "zh", "zh-Hans", "zh_CN" to "zh-CN" and everything else to "en-US".
func normLocale(l string) string {
	if strings.HasPrefix(strings.ToLower(l), "zh") {
		return respond.LocaleZH
	}
	return respond.LocaleEN
}

// maskRef keeps an account reference recognisable in logs without
// spelling it out (the one rule, logmask.Ref).
func maskRef(id string) string { return logmask.Ref(id) }

func newID(prefix string) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])
}
