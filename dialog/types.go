package dialog

import "github.com/collectagent/collectagent/compliance"

// Stage is where a conversation stands in the script; the stages below are
// the conversation's, in order (docs/architecture.md).
type Stage string

// The stages, in order.
const (
	StageGreeting   Stage = "greeting"   // AI + recording disclosure
	StageVerify     Stage = "verify"     // right-party verification
	StageDisclosure Stage = "disclosure" // required disclosure (US: mini-Miranda)
	StageBalance    Stage = "balance"    // balance, due date, days past due
	StageIntent     Stage = "intent"     // reason and intent
	StageNegotiate  Stage = "negotiate"  // negotiation inside policy
	StageConfirm    Stage = "confirm"    // read-back; only an explicit yes records
	StageClosed     Stage = "closed"     // summary given, conversation over
)

// Intent is what the borrower means by one message.
type Intent string

// Intents understood by the engine.
const (
	IntentUnknown       Intent = ""
	IntentAffirm        Intent = "affirm"
	IntentDeny          Intent = "deny"
	IntentGreet         Intent = "greet"
	IntentIdentify      Intent = "identify"  // gives DOB or ID last 4
	IntentPayNow        Intent = "pay_now"   // pay in full now
	IntentPromise       Intent = "promise"   // promise to pay by a date
	IntentPlan          Intent = "plan"      // installments
	IntentExtension     Intent = "extension" // more time
	IntentCannotPay     Intent = "cannot_pay"
	IntentHardship      Intent = "hardship"
	IntentDispute       Intent = "dispute"
	IntentCease         Intent = "cease" // stop contacting me
	IntentAttorney      Intent = "attorney"
	IntentBankruptcy    Intent = "bankruptcy"
	IntentWrongParty    Intent = "wrong_party"
	IntentHuman         Intent = "human"
	IntentComplaint     Intent = "complaint"
	IntentAbuse         Intent = "abuse"
	IntentDistress      Intent = "distress" // self-harm, crisis
	IntentAskBalance    Intent = "ask_balance"
	IntentAskHowToPay   Intent = "ask_how_to_pay"
	IntentAlreadyPaid   Intent = "already_paid"
	IntentCallbackLater Intent = "callback_later"
	// IntentQuestion is a question the engine answers from its facts and
	// the lender's configuration (Parse.Topic says which), then returns to
	// where the conversation was.
	IntentQuestion Intent = "question"
	// IntentReason states why the borrower is late (Parse.Reason).
	IntentReason Intent = "reason"
)

// Topic is what a borrower's question is about (Parse.Topic).
type Topic string

// Question topics.
const (
	TopicNone        Topic = ""
	TopicWho         Topic = "who"         // who are you, what is this about
	TopicDebt        Topic = "debt"        // which debt, who is the creditor, when was it due
	TopicBreakdown   Topic = "breakdown"   // why this much, interest, how it is made up
	TopicFees        Topic = "fees"        // waive fees or interest, discounts
	TopicConsequence Topic = "consequence" // what happens if I don't pay
	TopicLegit       Topic = "legit"       // is this a scam, how do I know you are genuine
	TopicWriting     Topic = "writing"     // a letter, a receipt, something in writing
	TopicBot         Topic = "bot"         // am I talking to a person
	TopicOptions     Topic = "options"     // the latest date, how many payments
)

// Late reasons (Parse.Reason, State.LateReason): why the borrower is late.
const (
	LateJobLoss           = "job_loss"
	LateReducedIncome     = "reduced_income"
	LateIllness           = "illness"
	LatePaydayTiming      = "payday_timing"
	LateUnexpectedExpense = "unexpected_expense"
	LateFamily            = "family"
	LateForgot            = "forgot"
	LateDispute           = "dispute"
	LateOther             = "other"
)

// LateReasons returns every late-reason code, in a fixed order.
func LateReasons() []string {
	return []string{LateJobLoss, LateReducedIncome, LateIllness, LatePaydayTiming,
		LateUnexpectedExpense, LateFamily, LateForgot, LateDispute, LateOther}
}

// Part is one element of a schedule the borrower proposes: a payment
// (an amount, a share of the balance, or the rest, on a date) or a
// recurring payment (Every > 0: Amount every Every days, Count times or
// until the balance is paid, from Date).
type Part struct {
	Amount compliance.Money `json:"amount,omitzero"`
	// Num/Den is a share of the balance ("half": 1/2); zero when absent.
	Num int `json:"num,omitempty"`
	Den int `json:"den,omitempty"`
	// Rest is "the rest", "the other half", 剩下的.
	Rest bool            `json:"rest,omitempty"`
	Date compliance.Date `json:"date,omitzero"`
	// Every is the interval in days of a recurring payment (7, 14; 30
	// means monthly, on the same day of the month).
	Every int `json:"every,omitempty"`
	// Count is how many times a recurring payment is made (0: until paid).
	Count int `json:"count,omitempty"`
}

// Expect is what the bot's last question waits for; understanding reads a
// short answer against it first ("6" after "how many payments?" is a
// count, after "how much?" an amount).
type Expect string

// Expectations.
const (
	ExpectNone     Expect = ""
	ExpectIdentity Expect = "identity" // date of birth or ID digits
	ExpectChoice   Expect = "choice"   // one of the offered ways to pay
	ExpectDate     Expect = "date"     // a date to pay by
	ExpectAmount   Expect = "amount"   // how much
	ExpectCount    Expect = "count"    // how many payments (or yes/no to a plan)
	ExpectYesNo    Expect = "yes_no"   // a read-back
	ExpectReason   Expect = "reason"   // why the borrower is late
)

// Parse is what understanding (rules or a model) makes of one borrower
// message. Slots are zero when absent.
type Parse struct {
	Intent Intent   `json:"intent"`
	Alts   []Intent `json:"alts,omitempty"` // further intents found in the same message
	// Negated is set when the message denies the intent's slot
	// ("I can't pay Friday").
	Negated      bool             `json:"negated,omitempty"`
	Date         compliance.Date  `json:"date,omitzero"`
	Amount       compliance.Money `json:"amount,omitzero"`
	Installments int              `json:"installments,omitempty"`
	DOB          compliance.Date  `json:"dob,omitzero"`
	IDLast4      string           `json:"id_last4,omitempty"`
	Name         string           `json:"name,omitempty"`
	// Parts is a schedule of several payments the borrower proposed
	// ("half on Friday and the rest on the 15th", "$50 a week").
	Parts []Part `json:"parts,omitempty"`
	// Topic is what a question (IntentQuestion) asks about.
	Topic Topic `json:"topic,omitempty"`
	// Reason is the stated reason for lateness (a Late* code).
	Reason string `json:"reason,omitempty"`
	// Week is set when Date stands for a week, not a day ("next week",
	// 下周): a weekday said next is read inside that week.
	Week bool `json:"week,omitempty"`
	// Unclear is set when the borrower proposes several payments that
	// understanding could not read whole (a share, "the rest", an amount
	// or a date left over): the bot asks for each payment rather than
	// read back a guess.
	Unclear bool `json:"unclear,omitempty"`
	// Partial is set when the borrower offers part of the balance without
	// saying how much ("I can put something down Friday").
	Partial   bool   `json:"partial,omitempty"`
	Sentiment string `json:"sentiment,omitempty"` // "neutral", "negative", "angry", "distressed"
	// Party says who the speaker is when IntentWrongParty is found:
	// PartyThirdParty (someone who knows the borrower: a relative, a
	// roommate, someone asking on their behalf) or PartyWrongNumber.
	Party string `json:"party,omitempty"`
	// Validation is set on a dispute that asks for proof of the debt.
	Validation bool `json:"validation,omitempty"`
	// CeaseChannels limits a cease to the channels named ("voice", "sms",
	// "chat", "email"); empty means every channel.
	CeaseChannels []string `json:"cease_channels,omitempty"`
	// Attorney is the attorney's details as the message gives them (name,
	// firm, phone).
	Attorney string `json:"attorney,omitempty"`
	// Concern is a statement about the borrower's rights the message
	// seems to make but understanding could not read with confidence (a
	// Statement* kind: it mentions stopping contact, proof, a lawyer,
	// bankruptcy or fraud, and is neither read as the statement nor as a
	// question, a joke or someone else's). The engine hands such a message
	// to a person instead of answering it with a payment demand; nothing
	// is recorded on the account for it.
	Concern    string  `json:"concern,omitempty"`
	Confidence float64 `json:"confidence"`
	Source     string  `json:"source,omitempty"` // "rules", "llm"
}

// Has reports whether p carries intent i, as main intent or alternative.
func (p Parse) Has(i Intent) bool {
	if p.Intent == i {
		return true
	}
	for _, a := range p.Alts {
		if a == i {
			return true
		}
	}
	return false
}

// Policy is the lender's negotiation policy for a portfolio.
type Policy struct {
	MaxDaysToPromise int `json:"max_days_to_promise" yaml:"max_days_to_promise" validate:"min=0,max=90"`
	// VerifyFactors is how many identity factors (date of birth, ID last
	// 4) must match before anything about the debt is said; 0 means 1.
	VerifyFactors          int              `json:"verify_factors,omitempty" yaml:"verify_factors" validate:"min=0,max=2"`
	MinPromiseAmount       compliance.Money `json:"min_promise_amount" yaml:"min_promise_amount"`                            // in the debt's currency
	MinPromisePercent      int              `json:"min_promise_percent" yaml:"min_promise_percent" validate:"min=0,max=100"` // of amount due; 100 = full balance only
	MaxInstallments        int              `json:"max_installments" yaml:"max_installments" validate:"min=1,max=36"`
	MinInstallment         compliance.Money `json:"min_installment" yaml:"min_installment"` // in the debt's currency
	FirstInstallmentWithin int              `json:"first_installment_within_days" yaml:"first_installment_within_days" validate:"min=0,max=60"`
	InstallmentEveryDays   int              `json:"installment_every_days" yaml:"installment_every_days" validate:"min=1,max=31"`
	AllowExtension         bool             `json:"allow_extension" yaml:"allow_extension"`
	ExtensionDays          int              `json:"extension_days" yaml:"extension_days" validate:"min=0,max=60"`
	Pack                   string           `json:"pack" yaml:"pack" validate:"oneof=us cn"`
	PaymentURL             string           `json:"payment_url" yaml:"payment_url"` // may hold {account} and {amount}
}

// Debt is the debt under discussion.
type Debt struct {
	ID          string           `json:"id"`
	Creditor    string           `json:"creditor"`
	AmountDue   compliance.Money `json:"amount_due"`
	DueDate     compliance.Date  `json:"due_date"`
	DaysPastDue int              `json:"days_past_due"`
	MinPayment  compliance.Money `json:"min_payment"`
}

// Account is what the engine knows of the borrower. It is built by the
// runtime from the store; the engine never sees storage.
type Account struct {
	ID      string          `json:"id"`
	Name    string          `json:"name"`
	DOB     compliance.Date `json:"dob"`
	IDLast4 string          `json:"id_last4"`
	Locale  string          `json:"locale"` // "en-US", "zh-CN"
	Debt    Debt            `json:"debt"`
	Policy  Policy          `json:"policy"`
	// Flags that change the script: an attorney-represented, disputed,
	// bankrupt or deceased account is not negotiated with.
	Attorney   bool `json:"attorney,omitempty"`
	Dispute    bool `json:"dispute,omitempty"`
	Bankruptcy bool `json:"bankruptcy,omitempty"`
	Deceased   bool `json:"deceased,omitempty"`
	// CrisisResources is what the lender configured to give a borrower in
	// crisis, in the borrower's locale ("" when none).
	CrisisResources string `json:"crisis_resources,omitempty"`
	// SupportContact is how the borrower reaches a person (a phone number
	// and hours), as the lender configured it for their locale; said when
	// chat can no longer verify them.
	SupportContact string `json:"support_contact,omitempty"`
	// Cease is set when the borrower asked that the conversation's channel
	// (or every channel) not be used; Validation when they asked for
	// proof of the debt that has not been given.
	Cease      bool `json:"cease,omitempty"`
	Validation bool `json:"validation,omitempty"`
	// PriorVerifyFailures counts failed identity answers in the account's
	// earlier sessions since its last successful verification.
	PriorVerifyFailures int `json:"prior_verify_failures,omitempty"`
}

// EventKind is what happened that the engine must react to.
type EventKind string

// Event kinds.
const (
	EventStart    EventKind = "start"     // conversation opened: the bot speaks first
	EventMessage  EventKind = "message"   // the borrower said something (Parse is set)
	EventResume   EventKind = "resume"    // borrower reconnected; restate where we are
	EventHandBack EventKind = "hand_back" // a human agent handed the conversation back
	EventTimeout  EventKind = "timeout"   // borrower silent too long
)

// Input is one step's input. Today is the borrower's local date, computed
// by the caller from an injected clock and the borrower's time zone.
type Input struct {
	Kind  EventKind       `json:"kind"`
	Parse Parse           `json:"parse"`
	Today compliance.Date `json:"today"`
	// Final marks the last EventTimeout before the channel gives up (a
	// call hangs up): the bot says goodbye instead of asking again.
	Final bool `json:"final,omitempty"`
	// Spoken marks an EventResume on a call (voice, phone): the pack's
	// on_call_resume disclosures are said again.
	Spoken bool `json:"spoken,omitempty"`
}

// ActKind names what the bot does; each maps to an utterance template per
// locale under prompts/.
type ActKind string

// Act is one thing the bot says, with the facts that it may state. The
// runtime renders it from a template (or lets a model phrase it), then the
// guard checks the words against Facts.
type Act struct {
	Kind ActKind `json:"kind"`
	// Vars fill the template: amounts and dates pre-formatted by the runtime
	// from the typed fields below, never by a model.
	Amount       compliance.Money `json:"amount,omitzero"`
	Date         compliance.Date  `json:"date,omitzero"`
	Installments []Installment    `json:"installments,omitempty"`
	Count        int              `json:"count,omitempty"`
	// Days is a span in days the act states (an extension's length, or
	// how far out a promise may be); Link is the payment link, already
	// filled in from Policy.PaymentURL.
	Days int    `json:"days,omitempty"`
	Link string `json:"link,omitempty"`
	// Note is configured text the act carries verbatim (crisis resources).
	Note  string           `json:"note,omitempty"`
	Facts compliance.Facts `json:"facts"`
}

// Installment is one payment of a plan.
type Installment struct {
	Amount  compliance.Money `json:"amount"`
	DueDate compliance.Date  `json:"due_date"`
}

// OutcomeType is how a conversation ended, as reported over the API.
type OutcomeType string

// Outcome types (the API's "type" field).
const (
	OutcomeNone       OutcomeType = "none"
	OutcomePTP        OutcomeType = "ptp"
	OutcomePlan       OutcomeType = "plan"
	OutcomePayNow     OutcomeType = "pay_now"
	OutcomeEscalated  OutcomeType = "escalated"
	OutcomeDispute    OutcomeType = "dispute"
	OutcomeCease      OutcomeType = "cease"
	OutcomeWrongParty OutcomeType = "wrong_party"
)

// Outcome is what the conversation achieved.
type Outcome struct {
	Type         OutcomeType      `json:"type"`
	Reason       string           `json:"reason,omitempty"`
	Amount       compliance.Money `json:"amount,omitzero"`
	DueDate      compliance.Date  `json:"due_date,omitzero"`
	Installments []Installment    `json:"installments,omitempty"`
}

// Escalation asks for a human. Reason is a stable code
// ("human_requested", "dispute", "hardship", "distress", "abuse",
// "complaint", "attorney", "bankruptcy", "misunderstood", "off_policy",
// "rights_unclear").
type Escalation struct {
	Reason   string `json:"reason"`
	Priority int    `json:"priority"` // 1 highest
}

// Result is what one Step produced besides the next state.
type Result struct {
	Acts []Act `json:"acts"`
	// Outcome is set when the step recorded an outcome (a confirmed promise,
	// a plan, a dispute...). A recorded promise or plan must be persisted
	// before the reply is sent.
	Outcome    *Outcome    `json:"outcome,omitempty"`
	Escalation *Escalation `json:"escalation,omitempty"`
	Ended      bool        `json:"ended,omitempty"`
	// Statements are what the verified borrower stated about their rights
	// in this step; the runtime saves them on the account with the turn.
	Statements []Statement `json:"statements,omitempty"`
	// VerifyFailed is set when an identity answer did not match.
	VerifyFailed bool `json:"verify_failed,omitempty"`
	// VerifyPassed is set when the right party was verified.
	VerifyPassed bool `json:"verify_passed,omitempty"`
}

// Statement kinds (Statement.Kind).
const (
	StatementCease      = "cease"
	StatementDispute    = "dispute"
	StatementValidation = "validation"
	StatementAttorney   = "attorney"
	StatementBankruptcy = "bankruptcy"
)

// Statement is something the borrower stated about their rights.
type Statement struct {
	Kind string `json:"kind"`
	// Channels limits a cease; empty means every channel.
	Channels []string `json:"channels,omitempty"`
	// Details are what the borrower gave with it (an attorney's name and
	// phone).
	Details string `json:"details,omitempty"`
}

// Who the speaker is when they are not the borrower (Parse.Party, and
// the reason of a wrong_party outcome).
const (
	PartyThirdParty  = "third_party"
	PartyWrongNumber = "wrong_number"
)
