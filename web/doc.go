// Package web is collectagent's HTTP edge: the versioned back-office API
// (accounts, sessions, conversations, promises, plans), the borrower chat
// WebSocket, health probes and the embedded borrower chat page.
//
// It turns requests and frames into calls on the bot runtime and the store,
// and maps every error to a client-visible code in one place (errors.go). It
// holds no conversation state of its own: a chat connection's reader
// goroutine owns its bot.Session and calls it one message at a time.
package web
