// Package handoff carries conversations from the bot to human agents over
// NATS: a durable escalation queue on a JetStream work-queue stream, a case
// board agents claim from (exactly one agent wins a case), a live message
// bridge between a borrower's node and an agent's console that a
// reconnecting console can replay, lifecycle events, and an SLA watcher
// that expires cases nobody claimed in time.
//
// Subjects live under a configurable prefix (default "collect"):
//
//	<prefix>.handoff.<priority>           escalations, priority 1 (highest) .. 5
//	<prefix>.conv.<id>.borrower           the borrower's messages, for the agent
//	<prefix>.conv.<id>.agent              the agent's messages and status, for the borrower
//	<prefix>.events.<kind>                lifecycle and analytics events
//
// The package knows NATS and the runtime's records (store.Escalation, the
// dialog's proposal and disclosure types, the bot's handoff summary). It
// knows nothing of HTTP, WebSockets or SQL: transports call it, and
// cmd/collectagent wires it to the runtime.
package handoff
