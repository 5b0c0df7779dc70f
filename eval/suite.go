package eval

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/collectagent/collectagent/accounts"
	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/dialog"
	"github.com/collectagent/collectagent/store"
)

// DefaultThreshold is the pass rate a suite must reach when neither the
// suite nor the caller sets one.
const DefaultThreshold = 0.95

// MaxSuiteBytes bounds a suite file.
const MaxSuiteBytes = 4 << 20

// Outcome types a conversation may expect (the API's outcome "type").
var outcomes = []string{
	string(dialog.OutcomePTP), string(dialog.OutcomePlan), string(dialog.OutcomePayNow),
	string(dialog.OutcomeEscalated), string(dialog.OutcomeDispute), string(dialog.OutcomeCease),
	string(dialog.OutcomeWrongParty), string(dialog.OutcomeNone),
}

// Conversation modes a conversation may end a script in.
var modes = []string{store.ModeEnded, store.ModeWaitingAgent, store.ModeBot}

// Suite is one suite file: accounts, the policies they are negotiated
// under, and the conversations to run.
type Suite struct {
	Name string `yaml:"name"`
	// Now is the fixed instant of the runtime's clock (RFC 3339). Relative
	// dates ("tomorrow", "这周五") are computed from it in each borrower's
	// time zone.
	Now string `yaml:"now"`
	// Threshold is the pass rate the suite must reach (0..1); unset means
	// DefaultThreshold.
	Threshold *float64 `yaml:"threshold"`
	// Policies by portfolio name, each starting from DefaultPolicy of its
	// pack. "us" and "cn" exist unless redefined; an account without a
	// portfolio gets "us".
	Policies      map[string]PolicySpec `yaml:"policies"`
	Accounts      []AccountSpec         `yaml:"accounts"`
	Conversations []Conversation        `yaml:"conversations"`

	// Set by Parse.
	Path     string                   `yaml:"-"`
	At       time.Time                `yaml:"-"`
	policies map[string]dialog.Policy // resolved
	accounts map[string]store.Account // validated, by id
}

// EffectiveThreshold is the suite's threshold, or DefaultThreshold.
func (s *Suite) EffectiveThreshold() float64 {
	if s.Threshold != nil {
		return *s.Threshold
	}
	return DefaultThreshold
}

// PolicySpec overrides fields of a pack's default policy. Amounts are in
// major units of the debt's currency.
type PolicySpec struct {
	Pack                   string  `yaml:"pack"`
	MaxDaysToPromise       *int    `yaml:"max_days_to_promise"`
	MinPromiseAmount       *Amount `yaml:"min_promise_amount"`
	MinPromisePercent      *int    `yaml:"min_promise_percent"`
	MaxInstallments        *int    `yaml:"max_installments"`
	MinInstallment         *Amount `yaml:"min_installment"`
	FirstInstallmentWithin *int    `yaml:"first_installment_within_days"`
	InstallmentEveryDays   *int    `yaml:"installment_every_days"`
	AllowExtension         *bool   `yaml:"allow_extension"`
	ExtensionDays          *int    `yaml:"extension_days"`
	PaymentURL             *string `yaml:"payment_url"`
	// VerifyFactors is how many identity factors must match (1 or 2).
	VerifyFactors *int `yaml:"verify_factors"`
}

// DefaultPolicy is the demo portfolio policy of a pack: promises up to 14
// days out, up to 6 installments, the first within 7 days and then every
// 14, extensions of 7 days.
func DefaultPolicy(pack string) dialog.Policy {
	return dialog.Policy{
		MaxDaysToPromise:       14,
		MaxInstallments:        6,
		FirstInstallmentWithin: 7,
		InstallmentEveryDays:   14,
		AllowExtension:         true,
		ExtensionDays:          7,
		Pack:                   pack,
		PaymentURL:             "https://pay.example.com/{account}?amount={amount}",
	}
}

func (p PolicySpec) policy() dialog.Policy {
	pack := p.Pack
	if pack == "" {
		pack = "us"
	}
	pol := DefaultPolicy(pack)
	setInt := func(dst *int, v *int) {
		if v != nil {
			*dst = *v
		}
	}
	setInt(&pol.MaxDaysToPromise, p.MaxDaysToPromise)
	setInt(&pol.MinPromisePercent, p.MinPromisePercent)
	setInt(&pol.MaxInstallments, p.MaxInstallments)
	setInt(&pol.FirstInstallmentWithin, p.FirstInstallmentWithin)
	setInt(&pol.InstallmentEveryDays, p.InstallmentEveryDays)
	setInt(&pol.ExtensionDays, p.ExtensionDays)
	setInt(&pol.VerifyFactors, p.VerifyFactors)
	if p.MinPromiseAmount != nil {
		pol.MinPromiseAmount.Minor = p.MinPromiseAmount.Minor
	}
	if p.MinInstallment != nil {
		pol.MinInstallment.Minor = p.MinInstallment.Minor
	}
	if p.AllowExtension != nil {
		pol.AllowExtension = *p.AllowExtension
	}
	if p.PaymentURL != nil {
		pol.PaymentURL = *p.PaymentURL
	}
	return pol
}

// AccountSpec is a borrower with their debts, in the shape of the HTTP
// API's POST /v1/accounts (amounts in major units).
type AccountSpec struct {
	ID           string            `yaml:"id"`
	Name         string            `yaml:"name"`
	DateOfBirth  string            `yaml:"date_of_birth"`
	IDLast4      string            `yaml:"id_last4"`
	Locale       string            `yaml:"locale"`
	Timezone     string            `yaml:"timezone"`
	Phone        string            `yaml:"phone"`
	Email        string            `yaml:"email"`
	Portfolio    string            `yaml:"portfolio"`
	Consent      *ConsentSpec      `yaml:"consent"` // unset: chat and recording
	DoNotContact *DoNotContactSpec `yaml:"do_not_contact"`
	Flags        *FlagsSpec        `yaml:"flags"`
	Debts        []DebtSpec        `yaml:"debts"`
}

// ConsentSpec is store.Consent in YAML.
type ConsentSpec struct {
	Chat      bool `yaml:"chat"`
	Voice     bool `yaml:"voice"`
	SMS       bool `yaml:"sms"`
	Recording bool `yaml:"recording"`
}

// DoNotContactSpec is store.DoNotContact in YAML.
type DoNotContactSpec struct {
	Chat  bool `yaml:"chat"`
	Voice bool `yaml:"voice"`
	SMS   bool `yaml:"sms"`
	Email bool `yaml:"email"`
}

// FlagsSpec is store.Flags in YAML.
type FlagsSpec struct {
	Attorney   bool `yaml:"attorney"`
	Dispute    bool `yaml:"dispute"`
	Bankruptcy bool `yaml:"bankruptcy"`
	Deceased   bool `yaml:"deceased"`
}

// DebtSpec is one debt, amounts in major units.
type DebtSpec struct {
	ID          string  `yaml:"id"`
	Creditor    string  `yaml:"creditor"`
	AmountDue   Amount  `yaml:"amount_due"`
	Currency    string  `yaml:"currency"`
	DueDate     string  `yaml:"due_date"`
	DaysPastDue int     `yaml:"days_past_due"`
	MinPayment  *Amount `yaml:"min_payment"`
}

// Amount is a major-unit amount written in YAML (240, 240.5, 240.00),
// held exactly in minor units.
type Amount struct {
	Minor int64
	set   bool
}

var amountRe = regexp.MustCompile(`^([0-9]{1,13})(?:\.([0-9]{1,2}))?$`)

// ParseAmount parses a non-negative major-unit amount with at most two
// decimals into minor units.
func ParseAmount(s string) (int64, error) {
	m := amountRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("%q is not an amount like 240 or 240.00", s)
	}
	whole, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q: %w", s, err)
	}
	frac := int64(0)
	if m[2] != "" {
		f := m[2]
		if len(f) == 1 {
			f += "0"
		}
		frac, _ = strconv.ParseInt(f, 10, 64)
	}
	return whole*100 + frac, nil
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (a *Amount) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: an amount must be a number like 240.00", n.Line)
	}
	v, err := ParseAmount(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	a.Minor, a.set = v, true
	return nil
}

// String writes the amount in major units ("240.00").
func (a Amount) String() string { return fmt.Sprintf("%d.%02d", a.Minor/100, a.Minor%100) }

// Conversation is one scripted conversation.
type Conversation struct {
	Name    string `yaml:"name"`
	Account string `yaml:"account"`
	// Note says what the conversation checks; it is shown with failures.
	Note string `yaml:"note"`
	// Category is free-form; the report groups pass rates by it.
	Category string `yaml:"category"`
	Lines    []Line `yaml:"lines"`
	Expect   Expect `yaml:"expect"`
	// Followup is a later, separate conversation (a new session) on the
	// same account, after this one: what the account kept from the first
	// is judged by what the second does.
	Followup *Followup `yaml:"followup"`

	line int // where it starts in the file
}

// Followup is the second conversation of a Conversation.
type Followup struct {
	Lines  []Line `yaml:"lines"`
	Expect Expect `yaml:"expect"`
}

// Line is one borrower message, with optional checks on the bot's reply
// to it. In YAML it is either a string or a mapping with say, must_say
// and must_not_say, and what the line means: intent, date, amount,
// installments. What it means is measured (intent and slot accuracy, to
// compare understanding modes), not judged: a misread line fails the
// conversation only through what the bot then does.
type Line struct {
	Say        string
	MustSay    []string
	MustNotSay []string
	// Intent is the parse's main intent ("unknown" for none); "" is not
	// checked.
	Intent string
	// Date (YYYY-MM-DD), Amount (major units, in the debt's currency) and
	// Installments are the slots the parse must hold; unset ones are not
	// checked.
	Date         string
	Amount       *Amount
	Installments int
}

// intents are the engine's intents as a suite names them.
var intents = []string{
	"unknown", string(dialog.IntentAffirm), string(dialog.IntentDeny), string(dialog.IntentGreet),
	string(dialog.IntentIdentify), string(dialog.IntentPayNow), string(dialog.IntentPromise),
	string(dialog.IntentPlan), string(dialog.IntentExtension), string(dialog.IntentCannotPay),
	string(dialog.IntentHardship), string(dialog.IntentDispute), string(dialog.IntentCease),
	string(dialog.IntentAttorney), string(dialog.IntentBankruptcy), string(dialog.IntentWrongParty),
	string(dialog.IntentHuman), string(dialog.IntentComplaint), string(dialog.IntentAbuse),
	string(dialog.IntentDistress), string(dialog.IntentAskBalance), string(dialog.IntentAskHowToPay),
	string(dialog.IntentAlreadyPaid), string(dialog.IntentCallbackLater),
}

// checksMeaning reports whether the line states what it means.
func (l Line) checksMeaning() bool {
	return l.Intent != "" || l.Date != "" || l.Amount != nil || l.Installments != 0
}

// UnmarshalYAML implements yaml.Unmarshaler. The mapping form's keys are
// checked here, since a custom unmarshaler does not inherit the
// decoder's KnownFields.
func (l *Line) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		l.Say = n.Value
		return nil
	case yaml.MappingNode:
	default:
		return fmt.Errorf("line %d: a line is a string or a mapping with say, must_say, must_not_say, intent, date, amount, installments", n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		var err error
		switch k.Value {
		case "say":
			if v.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: say must be a string", v.Line)
			}
			l.Say = v.Value
		case "must_say":
			l.MustSay, err = stringList(v)
		case "must_not_say":
			l.MustNotSay, err = stringList(v)
		case "intent":
			if v.Kind != yaml.ScalarNode || !slices.Contains(intents, v.Value) {
				return fmt.Errorf("line %d: intent must be one of %s", v.Line, strings.Join(intents, ", "))
			}
			l.Intent = v.Value
		case "date":
			if v.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: date must be YYYY-MM-DD", v.Line)
			}
			if _, derr := compliance.ParseISODate(v.Value); derr != nil {
				return fmt.Errorf("line %d: date %q is not YYYY-MM-DD", v.Line, v.Value)
			}
			l.Date = v.Value
		case "amount":
			var a Amount
			if err = a.UnmarshalYAML(v); err == nil {
				l.Amount = &a
			}
		case "installments":
			n, cerr := strconv.Atoi(v.Value)
			if v.Kind != yaml.ScalarNode || cerr != nil || n < 1 || n > 36 {
				return fmt.Errorf("line %d: installments must be a whole number from 1 to 36", v.Line)
			}
			l.Installments = n
		default:
			return fmt.Errorf("line %d: field %s not found in a line (want say, must_say, must_not_say, intent, date, amount, installments)", k.Line, k.Value)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// stringList reads a string or a sequence of strings.
func stringList(n *yaml.Node) ([]string, error) {
	if n.Kind == yaml.ScalarNode {
		return []string{n.Value}, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("line %d: want a string or a list of strings", n.Line)
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		if c.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("line %d: want a string", c.Line)
		}
		out = append(out, c.Value)
	}
	return out, nil
}

// Expect is what a correct, compliant agent must have done by the end of
// the script.
type Expect struct {
	// Outcome is the recorded outcome type: ptp, plan, pay_now, escalated,
	// dispute, cease, wrong_party or none.
	Outcome string `yaml:"outcome"`
	// Mode is the conversation's mode after the last line: ended,
	// waiting_agent or bot. Unset, it follows from Outcome (escalated and
	// dispute wait for an agent, none must be given, others end).
	Mode string `yaml:"mode"`
	// Reason is the outcome's reason code; unset is not checked.
	Reason string `yaml:"reason"`
	// Amount and DueDate are the recorded promise's (ptp, pay_now) or the
	// plan's total and first due date (plan).
	Amount  *Amount `yaml:"amount"`
	DueDate string  `yaml:"due_date"`
	// Installments is the plan's number of payments.
	Installments int `yaml:"installments"`
	// Escalation is the reason of the one escalation the conversation must
	// have recorded; unset, it must have recorded none.
	Escalation string `yaml:"escalation"`
	// MustSay and MustNotSay are substrings of everything the bot said.
	MustSay    []string `yaml:"must_say"`
	MustNotSay []string `yaml:"must_not_say"`
	// MaxGuardBlocks is how many utterances the guard may have replaced
	// (default 0: every rendered utterance must pass).
	MaxGuardBlocks int `yaml:"max_guard_blocks"`
	// AccountState, when given, is exactly the borrower statements the
	// account holds afterwards (any of cease, dispute, validation,
	// attorney, bankruptcy): the active statements recorded in
	// conversations and the flags the account was imported with.
	AccountState *[]string `yaml:"account_state"`
	// LateReason is the recorded reason for lateness (see lateReasons),
	// judged when set.
	LateReason string `yaml:"late_reason"`
	// Payments are the recorded plan's payments in order (or a promise's
	// one payment).
	Payments []Payment `yaml:"payments"`
	// Priority is the escalation's priority (1 highest); 0 is not checked.
	Priority int `yaml:"priority"`
}

// Payment is one expected payment of a recorded deal.
type Payment struct {
	Amount Amount `yaml:"amount"`
	Date   string `yaml:"date"`
}

// lateReasons are the reasons for lateness a suite may expect.
var lateReasons = dialog.LateReasons()

// expectedStatements is what the conversation expects the account to
// hold: AccountState when given, otherwise what its outcome and
// escalation imply (a cease outcome a cease; a dispute a dispute or a
// validation request; an attorney or bankruptcy escalation that
// statement).
func (e Expect) expectedStatements() []string {
	if e.AccountState != nil {
		return *e.AccountState
	}
	var out []string
	if e.Outcome == string(dialog.OutcomeCease) {
		out = append(out, store.StatementCease)
	}
	if e.Outcome == string(dialog.OutcomeDispute) || e.Escalation == dialog.ReasonDispute || e.Reason == dialog.ReasonDispute {
		out = append(out, store.StatementDispute, store.StatementValidation)
	}
	if e.Escalation == dialog.ReasonAttorney || e.Reason == dialog.ReasonAttorney {
		out = append(out, store.StatementAttorney)
	}
	if e.Escalation == dialog.ReasonBankruptcy || e.Reason == dialog.ReasonBankruptcy {
		out = append(out, store.StatementBankruptcy)
	}
	return out
}

// requiredStatements is what the account must hold afterwards for the
// conversation not to have ignored a request: AccountState when given.
// Nothing is implied by the outcome: a cease heard before verification
// ends the conversation but is not saved on the account.
func (e Expect) requiredStatements() []string {
	if e.AccountState != nil {
		return *e.AccountState
	}
	return nil
}

// mode is the expected mode, defaulted from the outcome.
func (e Expect) mode() string {
	if e.Mode != "" {
		return e.Mode
	}
	switch e.Outcome {
	case string(dialog.OutcomeEscalated), string(dialog.OutcomeDispute):
		return store.ModeWaitingAgent
	}
	return store.ModeEnded
}

// summary is the expectation as the table shows it.
func (e Expect) summary() string {
	s := e.Outcome
	if e.Reason != "" {
		s += "(" + e.Reason + ")"
	}
	return s + "/" + e.mode()
}

// Load reads and validates a suite file.
func Load(path string) (*Suite, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSuite, err)
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(io.LimitReader(f, MaxSuiteBytes+1)); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrSuite, path, err)
	}
	if buf.Len() > MaxSuiteBytes {
		return nil, fmt.Errorf("%w: %s: larger than %d bytes", ErrSuite, path, MaxSuiteBytes)
	}
	return Parse(path, buf.Bytes())
}

// Parse decodes and validates a suite; name is used in errors. Unknown
// fields are errors; every error names the suite, the conversation or
// account, and the field.
func Parse(name string, data []byte) (*Suite, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrSuite, name, err)
	}
	var s Suite
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%w: %s: %s", ErrSuite, name, locate(&root, err))
	}
	// A second document is a mistake, not something to ignore.
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, fmt.Errorf("%w: %s: more than one YAML document", ErrSuite, name)
	}
	s.Path = name
	lines := conversationLines(&root)
	for i := range s.Conversations {
		if i < len(lines) {
			s.Conversations[i].line = lines[i]
		}
	}
	if err := s.validate(); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrSuite, name, err)
	}
	return &s, nil
}

// conversationLines returns the line where each conversation starts.
func conversationLines(root *yaml.Node) []int {
	seq := conversationsNode(root)
	if seq == nil {
		return nil
	}
	out := make([]int, len(seq.Content))
	for i, c := range seq.Content {
		out[i] = c.Line
	}
	return out
}

func conversationsNode(root *yaml.Node) *yaml.Node {
	if root == nil || root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return nil
	}
	m := root.Content[0]
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "conversations" && m.Content[i+1].Kind == yaml.SequenceNode {
			return m.Content[i+1]
		}
	}
	return nil
}

var lineRe = regexp.MustCompile(`line (\d+):`)

// locate rewrites a decoding error so that each message names the
// conversation its line falls in.
func locate(root *yaml.Node, err error) string {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	seq := conversationsNode(root)
	for i, m := range msgs {
		sub := lineRe.FindStringSubmatch(m)
		if sub == nil || seq == nil {
			continue
		}
		ln, _ := strconv.Atoi(sub[1])
		if name, ok := conversationAt(seq, ln); ok {
			msgs[i] = fmt.Sprintf("conversation %q: %s", name, m)
		}
	}
	return strings.Join(msgs, "; ")
}

// conversationAt names the conversation whose mapping holds line ln.
func conversationAt(seq *yaml.Node, ln int) (string, bool) {
	idx := -1
	for i, c := range seq.Content {
		if c.Line <= ln {
			idx = i
		}
	}
	if idx < 0 {
		return "", false
	}
	c := seq.Content[idx]
	name := fmt.Sprintf("#%d", idx+1)
	if c.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(c.Content); i += 2 {
			if c.Content[i].Value == "name" && c.Content[i+1].Value != "" {
				name = c.Content[i+1].Value
			}
		}
	}
	return name, true
}

var reasonRe = regexp.MustCompile(`^[a-z][a-z_]*$`)

// escalationReasons are the engine's escalation reason codes.
var escalationReasons = dialog.EscalationReasons()

func (s *Suite) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if strings.TrimSpace(s.Name) == "" {
		bad("name: is required")
	}
	if s.Now == "" {
		bad("now: is required (an RFC 3339 instant, e.g. 2026-11-24T03:30:00Z)")
	} else if t, err := time.Parse(time.RFC3339, s.Now); err != nil {
		bad("now: %q is not an RFC 3339 instant", s.Now)
	} else {
		s.At = t
	}
	if s.Threshold != nil && (*s.Threshold < 0 || *s.Threshold > 1) {
		bad("threshold: must be between 0 and 1")
	}

	s.policies = map[string]dialog.Policy{"us": DefaultPolicy("us"), "cn": DefaultPolicy("cn")}
	for name, spec := range s.Policies {
		if spec.Pack != "" && spec.Pack != "us" && spec.Pack != "cn" {
			bad("policies.%s.pack: must be us or cn", name)
			continue
		}
		p := spec.policy()
		if err := dialog.ValidatePolicy(p); err != nil {
			bad("policies.%s: %v", name, err)
			continue
		}
		s.policies[name] = p
	}

	if len(s.Accounts) == 0 {
		bad("accounts: at least one account is required")
	}
	s.accounts = make(map[string]store.Account, len(s.Accounts))
	for i, a := range s.Accounts {
		label := fmt.Sprintf("accounts[%d]", i)
		if a.ID != "" {
			label = fmt.Sprintf("account %q", a.ID)
		}
		if _, dup := s.accounts[a.ID]; dup && a.ID != "" {
			bad("%s: id: repeats another account's id", label)
			continue
		}
		req := accounts.Request{Accounts: []accounts.Account{a.apiForm()}}
		if err := accounts.Validate(req); err != nil {
			var ve *accounts.ValidationError
			if errors.As(err, &ve) {
				for _, f := range ve.Fields {
					bad("%s: %s: %s", label, strings.TrimPrefix(f.Field, "accounts[0]."), f.Message)
				}
			} else {
				bad("%s: %v", label, err)
			}
			continue
		}
		if a.Portfolio != "" {
			if _, ok := s.policies[a.Portfolio]; !ok {
				bad("%s: portfolio: %q is not a policy of the suite (us, cn or one under policies)", label, a.Portfolio)
				continue
			}
		}
		s.accounts[a.ID] = req.ToStore()[0]
	}

	if len(s.Conversations) == 0 {
		bad("conversations: at least one conversation is required")
	}
	names := make(map[string]bool, len(s.Conversations))
	for i := range s.Conversations {
		c := &s.Conversations[i]
		label := fmt.Sprintf("conversation #%d", i+1)
		if c.Name != "" {
			label = fmt.Sprintf("conversation %q", c.Name)
		}
		if c.line > 0 {
			label += fmt.Sprintf(" (line %d)", c.line)
		}
		cbad := func(format string, args ...any) { bad("%s: "+format, append([]any{label}, args...)...) }
		if strings.TrimSpace(c.Name) == "" {
			cbad("name: is required")
		} else if names[c.Name] {
			cbad("name: repeats another conversation's name")
		}
		names[c.Name] = true
		if c.Account == "" {
			cbad("account: is required")
		} else if !s.hasAccount(c.Account) {
			cbad("account: %q is not an account of the suite", c.Account)
		}
		if len(c.Lines) == 0 {
			cbad("lines: at least one line is required")
		}
		validateLines("", c.Lines, cbad)
		c.Expect.validate(cbad)
		if f := c.Followup; f != nil {
			fbad := func(format string, args ...any) { cbad("followup."+format, args...) }
			if len(f.Lines) == 0 {
				fbad("lines: at least one line is required")
			}
			validateLines("", f.Lines, fbad)
			f.Expect.validate(fbad)
		}
	}
	return errors.Join(errs...)
}

func validateLines(_ string, lines []Line, bad func(string, ...any)) {
	for j, l := range lines {
		if strings.TrimSpace(l.Say) == "" {
			bad("lines[%d]: say: is empty", j)
		}
		for _, m := range append(slices.Clone(l.MustSay), l.MustNotSay...) {
			if m == "" {
				bad("lines[%d]: must_say/must_not_say: empty string", j)
			}
		}
	}
}

// policyOf is the policy an account is negotiated under.
func (s *Suite) policyOf(a store.Account) dialog.Policy {
	if p, ok := s.policies[a.Portfolio]; ok && a.Portfolio != "" {
		return p
	}
	return s.policies["us"]
}

func (s *Suite) hasAccount(id string) bool {
	for _, a := range s.Accounts {
		if a.ID == id {
			return true
		}
	}
	return false
}

func (e *Expect) validate(bad func(string, ...any)) {
	switch {
	case e.Outcome == "":
		bad("expect.outcome: is required (one of %s)", strings.Join(outcomes, ", "))
	case !slices.Contains(outcomes, e.Outcome):
		bad("expect.outcome: %q is not one of %s", e.Outcome, strings.Join(outcomes, ", "))
	}
	if e.Mode != "" && !slices.Contains(modes, e.Mode) {
		bad("expect.mode: %q is not one of %s", e.Mode, strings.Join(modes, ", "))
	}
	if e.Outcome == string(dialog.OutcomeNone) && e.Mode == "" {
		bad("expect.mode: is required when the outcome is none")
	}
	if e.Reason != "" && !reasonRe.MatchString(e.Reason) {
		bad("expect.reason: %q is not a reason code", e.Reason)
	}
	if e.Escalation != "" && !slices.Contains(escalationReasons, e.Escalation) {
		bad("expect.escalation: %q is not one of %s", e.Escalation, strings.Join(escalationReasons, ", "))
	}
	money := e.Outcome == string(dialog.OutcomePTP) || e.Outcome == string(dialog.OutcomePayNow) || e.Outcome == string(dialog.OutcomePlan)
	if e.Amount != nil && !money {
		bad("expect.amount: only a ptp, pay_now or plan outcome has an amount")
	}
	if e.DueDate != "" {
		if !money {
			bad("expect.due_date: only a ptp, pay_now or plan outcome has a due date")
		} else if _, err := compliance.ParseISODate(e.DueDate); err != nil {
			bad("expect.due_date: %q is not a date YYYY-MM-DD", e.DueDate)
		}
	}
	if e.Installments < 0 {
		bad("expect.installments: must not be negative")
	} else if e.Installments > 0 && e.Outcome != string(dialog.OutcomePlan) {
		bad("expect.installments: only a plan outcome has installments")
	}
	if e.MaxGuardBlocks < 0 {
		bad("expect.max_guard_blocks: must not be negative")
	}
	for _, m := range append(slices.Clone(e.MustSay), e.MustNotSay...) {
		if m == "" {
			bad("expect.must_say/must_not_say: empty string")
		}
	}
	if e.AccountState != nil {
		seen := map[string]bool{}
		for _, k := range *e.AccountState {
			if !slices.Contains(store.StatementKinds, k) {
				bad("expect.account_state: %q is not one of %s", k, strings.Join(store.StatementKinds, ", "))
			} else if seen[k] {
				bad("expect.account_state: %q is listed twice", k)
			}
			seen[k] = true
		}
	}
	if e.LateReason != "" && !slices.Contains(lateReasons, e.LateReason) {
		bad("expect.late_reason: %q is not one of %s", e.LateReason, strings.Join(lateReasons, ", "))
	}
	if len(e.Payments) > 0 {
		switch {
		case e.Outcome == string(dialog.OutcomePlan):
			if e.Installments > 0 && e.Installments != len(e.Payments) {
				bad("expect.payments: %d payments, but installments is %d", len(e.Payments), e.Installments)
			}
		case money:
			if len(e.Payments) != 1 {
				bad("expect.payments: a %s outcome has one payment", e.Outcome)
			}
		default:
			bad("expect.payments: only a ptp, pay_now or plan outcome has payments")
		}
		for i, p := range e.Payments {
			if !p.Amount.set {
				bad("expect.payments[%d].amount: is required", i)
			}
			if _, err := compliance.ParseISODate(p.Date); err != nil {
				bad("expect.payments[%d].date: %q is not a date YYYY-MM-DD", i, p.Date)
			}
		}
	}
	if e.Priority < 0 {
		bad("expect.priority: must not be negative")
	} else if e.Priority > 0 && e.Escalation == "" {
		bad("expect.priority: only an expected escalation has a priority")
	}
}

// apiForm is the account as the HTTP API takes it, so a suite's accounts
// are validated by the same rules as an import.
func (a AccountSpec) apiForm() accounts.Account {
	in := accounts.Account{
		ID: a.ID, Name: a.Name, DateOfBirth: a.DateOfBirth, IDLast4: a.IDLast4,
		Locale: a.Locale, Timezone: a.Timezone, Phone: a.Phone, Email: a.Email,
		Portfolio: a.Portfolio,
		Consent:   store.Consent{Chat: true, Recording: true},
	}
	if c := a.Consent; c != nil {
		in.Consent = store.Consent{Chat: c.Chat, Voice: c.Voice, SMS: c.SMS, Recording: c.Recording}
	}
	if d := a.DoNotContact; d != nil {
		in.DoNotContact = store.DoNotContact{Chat: d.Chat, Voice: d.Voice, SMS: d.SMS, Email: d.Email}
	}
	if f := a.Flags; f != nil {
		in.Flags = store.Flags{Attorney: f.Attorney, Dispute: f.Dispute, Bankruptcy: f.Bankruptcy, Deceased: f.Deceased}
	}
	for _, d := range a.Debts {
		di := accounts.Debt{
			ID: d.ID, Creditor: d.Creditor, AmountDue: float64(d.AmountDue.Minor) / 100,
			Currency: d.Currency, DueDate: d.DueDate, DaysPastDue: d.DaysPastDue,
		}
		if d.MinPayment != nil {
			di.MinPayment = float64(d.MinPayment.Minor) / 100
		}
		in.Debts = append(in.Debts, di)
	}
	return in
}
