// Package dialog is the collections flow engine: stages, intents, slots,
// the lender's policy and the transitions between them.
//
// It is pure and deterministic:
//
//	next, res := dialog.Step(flow, acct, state, input)
//
// takes the script data (a Flow, parsed once from prompts' flow.json with
// ParseFlow), the account with its debt and policy, the saved State and an
// Input (the borrower's parse and today's local date), and returns the next
// State and the acts the bot must perform, with any outcome or escalation.
// It does no I/O, reads no clock and starts no goroutines; it imports only
// compliance types. Every amount and date the bot states comes from here,
// never from a model, and every act lists them in its compliance.Facts.
package dialog
