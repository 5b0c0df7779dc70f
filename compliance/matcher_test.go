package compliance

import (
	"fmt"
	"testing"
)

// Packs whose lexicons differ only in what they cite share one automaton.
func TestPacksShareAutomaton(t *testing.T) {
	us, cn := NewGuard(MustLoadPack("us")), NewGuard(MustLoadPack("cn"))
	if us.m.automaton != cn.m.automaton {
		t.Error("the us and cn guards compiled the same phrases twice")
	}
	if us.m.delta16 == nil {
		t.Errorf("%d states: want the 16-bit table", len(us.m.out))
	}
}

// An automaton too large for 16-bit states uses the 32-bit table and finds
// the same phrases.
func TestMatcherLargeTable(t *testing.T) {
	var phr []phrase
	for i := 0; len(phr) < 20000; i++ {
		if p, ok := newPhrase(fmt.Sprintf("w%07dx", i*7919%10000000), phraseBanned, "test", ""); ok {
			phr = append(phr, p)
		}
	}
	m := newMatcher(phr)
	if m.delta32 == nil || len(m.out) <= 1<<16 {
		t.Fatalf("%d states, 32-bit table %v: want more than 65536 states in the 32-bit table", len(m.out), m.delta32 != nil)
	}
	want := phr[len(phr)-1].norm
	var found []string
	m.scan([]byte("say "+want+" and w0000000y"), func(id, start, end int) { found = append(found, m.phr[id].norm) })
	if len(found) != 1 || found[0] != want {
		t.Fatalf("found %q, want [%q]", found, want)
	}
}
