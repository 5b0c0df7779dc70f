// Package understand turns a borrower's words into a dialog.Parse: the
// intent, the slots (dates, amounts, installment counts, identity answers),
// negation and sentiment, in en-US and zh-CN. The rule-based Understander
// here needs no network; a model-backed one satisfies the same interface.
//
// # Rules
//
// Rules (NewRules) reads the lexicons under lexicon/ (one JSON file per
// locale, embedded): phrases per intent, and grammar words per role
// (weekdays, months, number words, currency words, units). Both lexicons
// are always active, so code-switching works; the session locale decides
// which matches count as primary, and the default currency.
//
// When a message carries several intents, the main one is chosen by this
// priority, the rest go to Parse.Alts in the same order:
//
//	distress > abuse > cease > attorney > bankruptcy > dispute > wrong_party
//	> complaint > human > already_paid > plan > pay_now > promise > extension
//	> hardship > cannot_pay > callback_later > identify > ask_balance
//	> ask_how_to_pay > question > reason > deny > affirm > greet
//
// Statements about rights are read over the whole message, with figures
// in statutes, case, account and phone numbers blanked before the slots
// (concern.go), so no offer read from them outranks the statement; a
// rights concept the readers could neither read as a statement nor set
// aside is Parse.Concern, for a person to read.
//
// A question carries its topic (Parse.Topic) and a stated reason for
// lateness its code (Parse.Reason); a reason is kept beside whatever else
// the message says. A schedule of several payments is Parse.Parts (see
// docs/understanding.md), and Request.Expect, what the bot's last question
// waits for, decides how a short answer reads.
//
// At the confirm stage deny and affirm move up to just after human; at the
// verify stage identify does. A promise with a future date outranks pay_now
// ("I'll pay it all on Friday").
//
// Slots:
//   - Dates resolve against Request.Today and are never before it. A bare
//     weekday is its next occurrence after today (today is "today"); "next Wednesday" and
//     下周三 are the Wednesday of the following Monday-to-Sunday week; a day
//     of the month that has passed ("the 5th", 5号) is next month's.
//   - A full date with a year is a date of birth when it lies ten years or
//     more back (any past date at the verify stage); a past date that is not
//     a birth date fills nothing.
//   - Numbers consumed by a date, an installment count, an ID or a unit
//     (3 pm, 35 years) are not amounts; at the verify stage bare integers
//     are not amounts either, and a bare four-digit number is an ID's last 4.
//   - Negation is scoped to the clause: a negator up to four tokens before a
//     date or amount ("not Friday", "can't pay Friday", 不是周五) or after it
//     ("Friday doesn't work", 周五不行) negates it. With no date left
//     standing, the parse is cannot_pay with Negated set.
//   - Unknown Latin words of five letters or more are corrected to the one
//     lexicon word within a single edit (tomorow, fridya, lawer).
package understand

import (
	"time"

	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/dialog"
)

// Request is one message to understand, with the context that resolves it:
// relative dates ("next Friday", 下周五) are resolved against Today in the
// borrower's zone; Currency is the debt's, for bare amounts ("240").
type Request struct {
	Text     string          `json:"text"`
	Locale   string          `json:"locale"`
	Today    compliance.Date `json:"today"`
	Weekday  time.Weekday    `json:"-"` // of Today; derived when zero
	Currency string          `json:"currency"`
	Stage    dialog.Stage    `json:"stage"`
	// Expect is what the bot's last question waits for: a short answer
	// ("6", "the 4th", "250") is read against it first.
	Expect dialog.Expect `json:"expect,omitempty"`
	// Week is a week the borrower named as a whole and the bot read back
	// (下周 as Dec 1): a bare weekday ("周三") is read inside its Monday
	// to Sunday week, when that is not before today.
	Week compliance.Date `json:"week,omitzero"`
	// Names are the account holder's names as the lender has them, so
	// that "I'm Kevin's brother" or 我是陈静的爸爸 is read as someone
	// else speaking.
	Names []string `json:"names,omitempty"`
}
