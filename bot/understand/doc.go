// Package understand turns a borrower's words into a dialog.Parse: the
// intent, the slots (dates, amounts, installment counts, identity answers),
// negation and sentiment, in en-US and zh-CN. The rule-based Understander
// here needs no network; a model-backed one satisfies the same interface.
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
}
