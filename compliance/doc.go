// Package compliance holds what the law and the lender's rules allow: the
// jurisdiction policy packs (US Regulation F / FDCPA, the China Banking
// Association collection guideline), the utterance guard with its fact-lock,
// the contact rules (hours, frequency, consent, do-not-contact) and the
// hash-chained audit trail.
//
// It imports only the standard library and golang.org/x/text. It knows
// nothing of networks, storage, dialogs or models: callers hand it text and
// facts and it decides.
//
// Packs are data (packs/us.json, packs/cn.json, with the shared banned-phrase
// lexicon packs/lexicon.json, the concept rules packs/concepts.json and the
// generated pinyin of their Chinese phrases packs/pinyin.json); every rule in
// them names its source. The guard normalises a text before it reads it
// (normalize.go: NFKC, the UTS #39 confusables skeleton, leetspeak,
// separators, traditional to simplified Chinese), detects concepts with
// their polarity rather than phrases (concepts.go) and binds every figure to
// the kind of fact it may state (figures.go); docs/guard.md describes it.
// LoadPack reads a pack, NewGuard compiles its lexicons into one automaton, Guard.Check
// judges an utterance, Pack.MayContact judges a contact attempt, and Seal and
// VerifyChain keep the audit trail. What the fact-lock counts as a figure is
// documented on Figure.
package compliance
