// Package eval runs scripted conversations against the real runtime: each
// conversation of a suite (an account, the borrower's lines, the expected
// outcome) is played through bot.Runtime with a SQLite store in a
// temporary directory, the rule-based understanding (or another
// Understander) and the suite's fixed clock, and is judged on what the
// borrower would have seen and what was recorded: the outcome, the
// conversation mode, the promise or plan, the escalation, the words said,
// and the guard's blocks.
//
// Besides each conversation's own expectations, every conversation is
// held to rules no script may waive: nothing about the debt (its amount
// or creditor) is said before the borrower's identity is verified, and
// every borrower line is answered while the bot holds the conversation.
//
// It knows nothing of transports: it drives bot.Session directly, the way
// the chat WebSocket does.
package eval
