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
// How a case moves. The runtime publishes an escalation on the work-queue
// stream, with the escalation id as Nats-Msg-Id (JetStream drops a
// retry). Every node's Queue consumes that stream through one shared
// durable pull consumer ("intake") and acknowledges a message only after
// its case is on the case board, a key-value bucket with one key per
// escalation; a node that dies in between leaves the message to be
// redelivered to another node after AckWait. Agents list the board
// (waiting cases by priority, then time queued) and claim a case by id:
// the claim is a compare-and-swap on the key's revision, so of any number
// of agents on any number of nodes exactly one wins. A claim is a lease of
// AckWait that the agent's console renews; the SLA watcher puts a case
// whose lease ran out back in the queue, in its old place, and expires
// cases that waited longer than the SLA. Every change emits an event on
// <prefix>.events.handoff.<what> and tells the borrower's node on
// <prefix>.conv.<id>.agent (a status message with the new mode).
//
// The package knows NATS and the runtime's records (store.Escalation, the
// dialog's proposal and disclosure types, the bot's handoff summary). It
// knows nothing of HTTP, WebSockets or SQL: transports call it, and
// cmd/collectagent wires it to the runtime.
package handoff
