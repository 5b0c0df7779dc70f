// Package respond turns the dialog engine's acts into words: it compiles the
// utterance templates of package prompts once and renders an act in the
// borrower's locale, formatting every amount and date itself (never a
// model), in the exact forms the compliance guard's fact-lock expects.
//
// It does no I/O beyond reading the embedded templates, and checks nothing:
// the caller passes the rendered text and the act's facts to the guard.
package respond
