//go:build unix

package main

import (
	"log/slog"
	"syscall"
)

// fdReserve is the file descriptors the process needs besides client
// connections: the store, NATS, the admin listener, logs, the binary.
const fdReserve = 256

// checkFDLimit warns when the open-file limit cannot hold the connection
// cap (Go raises the soft limit to the hard one at start on Linux; this
// reads what it got). Past the limit accept fails for everyone, borrowers
// already connected included.
func checkFDLimit(maxConns int, log *slog.Logger) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return
	}
	if need := uint64(maxConns + fdReserve); rl.Cur < need {
		log.Warn("the open-file limit is below what web.max_conns needs: raise it (ulimit -n, LimitNOFILE=) or lower web.max_conns",
			"limit", rl.Cur, "need", need, "max_conns", maxConns)
	}
}
