// Package web is collectagent's HTTP edge: the versioned back-office API
// (accounts, sessions, conversations, promises, plans), the borrower chat
// WebSocket, health probes and the embedded borrower chat page.
//
// It turns requests and frames into calls on the bot runtime, the live
// layer and the store, and maps every error to a client-visible code in one
// place (errors.go). It holds no conversation state of its own: the chat
// WebSocket is a channel of package live (a live.Output over frames), whose
// reader calls its live.Conn one message at a time.
package web
