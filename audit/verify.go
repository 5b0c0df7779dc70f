package audit

import (
	"fmt"
	"slices"
	"time"

	"github.com/collectagent/collectagent/store"
)

// CheckHeads compares the chains in the store (chain -> events in seq
// order; every chain the store holds) with the signed checkpoints, and
// names what the store lost or gained since they were signed:
//
//   - a checkpointed chain with no events: the whole chain was deleted;
//   - a chain shorter than a checkpoint: events removed from its end;
//   - an event whose hash differs from the checkpointed one: events edited
//     and the hashes recomputed (re-sealed), somewhere after the last
//     checkpoint that still matches;
//   - events after the newest checkpoint of their chain (or a chain never
//     checkpointed): appended by someone without the key, or written less
//     than the checkpoint interval before a crash; they carry no signature
//     either way, and are reported with their times.
func CheckHeads(cps Checkpoints, chains map[string][]store.AuditEvent) []Finding {
	names := make([]string, 0, len(chains)+len(cps.Chains))
	for c := range chains {
		names = append(names, c)
	}
	for c := range cps.Chains {
		if _, ok := chains[c]; !ok {
			names = append(names, c)
		}
	}
	slices.Sort(names)
	var out []Finding
	for _, c := range names {
		out = append(out, checkChain(c, chains[c], cps.Chains[c])...)
	}
	return out
}

func checkChain(chain string, evs []store.AuditEvent, hs []SignedHead) []Finding {
	var out []Finding
	bad := func(what, problem string) { out = append(out, Finding{Chain: chain, What: what, Problem: problem}) }
	bySeq := make(map[int64]store.AuditEvent, len(evs))
	var last int64
	for _, ev := range evs {
		bySeq[ev.Seq] = ev
		last = max(last, ev.Seq)
	}
	if len(hs) == 0 {
		if len(evs) > 0 {
			bad(seqRange(1, last), "not checkpointed: "+unsigned(evs))
		}
		return out
	}
	top := hs[len(hs)-1]
	if len(evs) == 0 {
		bad("whole chain", fmt.Sprintf("missing: deleted (checkpointed up to seq %d at %s)", top.Seq, stamp(top.At)))
		return out
	}
	if top.Seq > last {
		bad(seqRange(last+1, top.Seq), fmt.Sprintf("missing: removed from the end (the chain ends at seq %d, checkpointed at seq %d at %s)", last, top.Seq, stamp(top.At)))
	}
	var good int64
	for _, h := range hs {
		ev, ok := bySeq[h.Seq]
		if !ok {
			continue // reported above as missing, or a gap VerifyChain names
		}
		if ev.Hash != h.Hash {
			bad(seqRange(good+1, h.Seq), fmt.Sprintf("altered: seq %d's hash differs from the one checkpointed at %s, so one of these events was edited and the chain re-sealed", h.Seq, stamp(h.At)))
			break
		}
		good = h.Seq
	}
	if last > top.Seq {
		var tail []store.AuditEvent
		for _, ev := range evs {
			if ev.Seq > top.Seq {
				tail = append(tail, ev)
			}
		}
		bad(seqRange(top.Seq+1, last), fmt.Sprintf("not checkpointed (the last checkpoint, at %s, is seq %d): %s", stamp(top.At), top.Seq, unsigned(tail)))
	}
	return out
}

func unsigned(evs []store.AuditEvent) string {
	first, last := evs[0].At, evs[0].At
	for _, ev := range evs {
		if ev.At.Before(first) {
			first = ev.At
		}
		if ev.At.After(last) {
			last = ev.At
		}
	}
	return fmt.Sprintf("%d events dated %s to %s, appended by someone without the key or written less than the checkpoint interval before a crash",
		len(evs), stamp(first), stamp(last))
}

func seqRange(a, b int64) string {
	if a == b {
		return fmt.Sprintf("event %d", a)
	}
	return fmt.Sprintf("events %d..%d", a, b)
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
