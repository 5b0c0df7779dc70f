// Package dialog is the collections flow engine: stages, intents, slots,
// the lender's policy and the transitions between them.
//
// It is pure and deterministic: Step takes a State and an Input (which
// carries the borrower's parse and today's date) and returns the next State
// and the acts the bot must perform. It does no I/O, reads no clock and
// starts no goroutines; it imports only compliance types. Every amount and
// date the bot states comes from here, never from a model.
package dialog
