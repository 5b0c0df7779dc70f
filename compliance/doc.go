// Package compliance holds what the law and the lender's rules allow: the
// jurisdiction policy packs (US Regulation F / FDCPA, the China Banking
// Association collection guideline), the utterance guard with its fact-lock,
// the contact rules (hours, frequency, consent, do-not-contact) and the
// hash-chained audit trail.
//
// It imports only the standard library. It knows nothing of networks,
// storage, dialogs or models: callers hand it text and facts and it decides.
package compliance
