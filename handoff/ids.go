package handoff

import (
	"strconv"
	"strings"
)

// The bridge's message ids between nodes. A turn of a conversation has one
// id wherever it is published from (the node that committed it, a retry,
// another node replaying it), so JetStream's dedupe window drops a second
// publish and a borrower's connection shows the turn once.

// ReplyID is the bridge message id of a conversation's turn seq. It is
// one subject token (no dots).
func ReplyID(convID string, seq int64) string {
	return convID + "-t" + strconv.FormatInt(seq, 10)
}

// StatusID is the bridge message id of the status that follows the turn
// seq (the last of a delivery): one per turn and mode.
func StatusID(convID string, seq int64, mode string) string {
	return ReplyID(convID, seq) + "-" + mode
}

// TurnSeq reads the turn sequence back from a bridge message id of the
// conversation; 0 when the id names no turn of it.
func TurnSeq(convID, id string) int64 {
	rest, ok := strings.CutPrefix(id, convID+"-t")
	if !ok {
		return 0
	}
	n, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}
