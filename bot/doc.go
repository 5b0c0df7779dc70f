// Package bot is the conversation runtime: one Session per conversation
// turns a borrower's message into the bot's replies by understanding it
// (rules, later a model), stepping the dialog engine, rendering the engine's
// acts from prompts/ templates, passing every word through the compliance
// guard, and persisting the turn, outcome and audit events before replying.
//
// It knows no transport: chat, in-app voice and phone calls all call the
// same Session methods. It depends on small interfaces (Store, Understander,
// Publisher, Clock) that cmd/collectagent wires to real implementations.
package bot
