// Package audit makes the hash-chained audit trail (compliance.Seal) hard
// to rewrite unnoticed.
//
// Two mechanisms:
//
//   - Coverage: every conversation step seals what it stored (each turn's
//     text by SHA-256, every promise, plan, borrower statement and
//     do-not-contact change) in a "records" event on the conversation's
//     chain, so the chain vouches for the transcript and the deals, not
//     only for its own events (RecordsOf, CheckRecords).
//   - Checkpoints: the heads of the chains are signed with a key kept
//     outside the database (HMAC-SHA256) and appended, in batches, to an
//     append-only file (Checkpointer, WrapStore). Verify compares the
//     database with them, which catches what a chain alone cannot: events
//     removed from the end, a whole chain deleted, events edited and the
//     hashes recomputed, events appended by someone without the key.
//
// It knows the store's records and compliance's chain; it knows nothing of
// dialogs, transports or the runtime.
package audit
