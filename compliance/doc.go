// Package compliance holds what the law and the lender's rules allow: the
// jurisdiction policy packs (US Regulation F / FDCPA, the China Banking
// Association collection guideline), the utterance guard with its fact-lock,
// the contact rules (hours, frequency, consent, do-not-contact) and the
// hash-chained audit trail.
//
// It imports only the standard library and golang.org/x/text. It knows nothing of networks,
// storage, dialogs or models: callers hand it text and facts and it decides.
//
// Packs are data (packs/us.json, packs/cn.json, with the shared banned-phrase
// lexicon packs/lexicon.json); every rule in them names its source. LoadPack
// reads one, NewGuard compiles its lexicons into one automaton, Guard.Check
// judges an utterance, Pack.MayContact judges a contact attempt, and Seal and
// VerifyChain keep the audit trail. What the fact-lock counts as a figure is
// documented on Figure.
package compliance
