package postgres_test

import (
	"testing"

	"github.com/collectagent/collectagent/store/postgres"
	"github.com/collectagent/collectagent/store/storetest"
)

// BenchmarkCommitTurn: one conversation at a time ("serial") and 64 per CPU
// at once ("parallel64"), with the default pool and with 16 connections.
func BenchmarkCommitTurn(b *testing.B) {
	url := testURL(b)
	b.Run("serial", func(b *testing.B) { storetest.BenchCommitTurn(b, openFresh(b, url), 0) })
	b.Run("parallel64", func(b *testing.B) { storetest.BenchCommitTurn(b, openFresh(b, url), 64) })
	b.Run("parallel64/conns16", func(b *testing.B) {
		storetest.BenchCommitTurn(b, openFresh(b, url, postgres.WithMaxConns(16)), 64)
	})
}

// BenchmarkCommitTurnPaced offers 2,000 turns/s over 2,000 conversations
// (run with -benchtime=10000x).
func BenchmarkCommitTurnPaced(b *testing.B) {
	storetest.BenchCommitTurnPaced(b, openFresh(b, testURL(b)), 2000, 2000)
}

func BenchmarkGetConversation(b *testing.B) {
	storetest.BenchGetConversation(b, openFresh(b, testURL(b)))
}
