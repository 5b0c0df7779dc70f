package compliance

// Facts is what the dialog engine allows one utterance to state. The guard's
// fact-lock checks every amount, date and percentage in the text against it:
// a number that is not here is a number the bot may not say.
type Facts struct {
	// Verified is true once the right party has been verified. Before that,
	// nothing about the debt may be said (Reg F 1006.6(d), CN guideline:
	// no disclosure to third parties).
	Verified bool `json:"verified"`
	// Creditor is the name of the creditor of the debt. Before
	// verification the utterance may not name it (it would tell a third
	// party whose debt this is).
	Creditor string `json:"creditor,omitempty"`
	// Amounts, Dates, Percents and Counts are the only figures the utterance
	// may contain.
	Amounts  []Money `json:"amounts,omitempty"`
	Dates    []Date  `json:"dates,omitempty"`
	Percents []int   `json:"percents,omitempty"`
	Counts   []int   `json:"counts,omitempty"`
	// Offers names the kinds of offer this act makes (e.g. "ptp", "plan",
	// "extension", "pay_now"). Words that offer anything else (a waiver, a
	// discount, a settlement) are blocked.
	Offers []string `json:"offers,omitempty"`
	// Disclosure marks an exact, required template (AI notice, recording
	// notice, mini-Miranda): it may never be rephrased.
	Disclosure bool `json:"disclosure,omitempty"`
}
