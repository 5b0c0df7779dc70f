package handoff

import (
	"strings"
	"testing"
)

func TestTurnSeq(t *testing.T) {
	for _, tc := range []struct {
		id   string
		want int64
	}{
		{ReplyID("c-1", 7), 7},
		{"c-1-t", 0},
		{"c-1-t-3", 0},
		{"c-2-t7", 0},
		{"c-1-t7-agent", 0},
		{StatusID("c-1", 7, "agent"), 0},
		{"", 0},
	} {
		if got := TurnSeq("c-1", tc.id); got != tc.want {
			t.Errorf("TurnSeq(%q) = %d, want %d", tc.id, got, tc.want)
		}
	}
}

func FuzzTurnSeq(f *testing.F) {
	f.Add("c-1", "c-1-t7")
	f.Add("c-1", "c-1-t-7")
	f.Add("c-1", "c-1-t99999999999999999999")
	f.Add("", "-t1")
	f.Fuzz(func(t *testing.T, conv, id string) {
		n := TurnSeq(conv, id)
		if n < 0 {
			t.Fatalf("negative sequence %d", n)
		}
		if n > 0 && ReplyID(conv, n) != id && !strings.HasPrefix(id, conv+"-t") {
			t.Fatalf("TurnSeq(%q, %q) = %d from a foreign id", conv, id, n)
		}
		if n > 0 {
			if got := TurnSeq(conv, ReplyID(conv, n)); got != n {
				t.Fatalf("round trip %d -> %d", n, got)
			}
		}
	})
}
