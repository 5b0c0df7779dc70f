package compliance

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func chainOf(n int) []AuditRecord {
	t0 := time.Date(2026, 11, 22, 15, 4, 5, 123456789, time.FixedZone("CST", -6*3600))
	var recs []AuditRecord
	var prev *AuditRecord
	for i := range n {
		r := Seal(prev, AuditRecord{
			Chain: "conv-1",
			Kind:  "guard.passed",
			Data:  []byte(fmt.Sprintf(`{"turn":%d}`, i)),
			At:    t0.Add(time.Duration(i) * time.Second),
		})
		recs = append(recs, r)
		prev = &recs[len(recs)-1]
	}
	return recs
}

func TestSeal(t *testing.T) {
	recs := chainOf(3)
	for i, r := range recs {
		if r.Seq != int64(i+1) || len(r.Hash) != 64 {
			t.Fatalf("record %d: %+v", i, r)
		}
		if r.At.Location() != time.UTC || r.At.Nanosecond()%1000 != 0 {
			t.Fatalf("record %d: At %v not UTC microseconds", i, r.At)
		}
	}
	if recs[0].PrevHash != "" || recs[1].PrevHash != recs[0].Hash || recs[2].PrevHash != recs[1].Hash {
		t.Fatal("records are not linked")
	}
	// The hash is deterministic and covers every field.
	base := recs[1]
	again := Seal(&recs[0], AuditRecord{Chain: base.Chain, Kind: base.Kind, Data: base.Data, At: base.At})
	if again.Hash != base.Hash {
		t.Fatal("sealing the same record twice gives two hashes")
	}
	changes := map[string]func(r *AuditRecord){
		"chain": func(r *AuditRecord) { r.Chain = "conv-2" },
		"kind":  func(r *AuditRecord) { r.Kind = "guard.blocked" },
		"data":  func(r *AuditRecord) { r.Data = []byte(`{"turn":9}`) },
		"at":    func(r *AuditRecord) { r.At = r.At.Add(time.Microsecond) },
	}
	for name, change := range changes {
		r := AuditRecord{Chain: base.Chain, Kind: base.Kind, Data: base.Data, At: base.At}
		change(&r)
		if Seal(&recs[0], r).Hash == base.Hash {
			t.Errorf("changing %s does not change the hash", name)
		}
	}
	// Field boundaries are unambiguous.
	a := Seal(nil, AuditRecord{Chain: "ab", Kind: "c", At: base.At})
	b := Seal(nil, AuditRecord{Chain: "a", Kind: "bc", At: base.At})
	if a.Hash == b.Hash {
		t.Error("moving bytes between fields keeps the hash")
	}
	// The chain is taken from prev when unset.
	if r := Seal(&recs[2], AuditRecord{Kind: "outcome"}); r.Chain != "conv-1" || r.Seq != 4 {
		t.Errorf("got %+v", r)
	}
}

func TestVerifyChain(t *testing.T) {
	tests := []struct {
		name    string
		tamper  func([]AuditRecord) []AuditRecord
		wantSeq int64 // 0: verifies
	}{
		{"intact", func(r []AuditRecord) []AuditRecord { return r }, 0},
		{"empty", func(r []AuditRecord) []AuditRecord { return nil }, 0},
		{"data changed", func(r []AuditRecord) []AuditRecord { r[2].Data = []byte(`{"turn":"x"}`); return r }, 3},
		{"kind changed", func(r []AuditRecord) []AuditRecord { r[4].Kind = "guard.passed!"; return r }, 5},
		{"time changed", func(r []AuditRecord) []AuditRecord { r[0].At = r[0].At.Add(time.Second); return r }, 1},
		{"data changed and rehashed", func(r []AuditRecord) []AuditRecord {
			r[1].Data = []byte(`{}`)
			r[1] = Seal(&r[0], r[1])
			return r
		}, 3},
		{"order swapped", func(r []AuditRecord) []AuditRecord { r[2], r[3] = r[3], r[2]; return r }, 3},
		{"record deleted", func(r []AuditRecord) []AuditRecord { return append(r[:3:3], r[4:]...) }, 4},
		{"first deleted", func(r []AuditRecord) []AuditRecord { return r[1:] }, 1},
		{"record from another chain", func(r []AuditRecord) []AuditRecord { r[5].Chain = "conv-2"; return r }, 6},
		{"seq renumbered", func(r []AuditRecord) []AuditRecord { r[5].Seq = 7; return r }, 6},
		{"hash replaced", func(r []AuditRecord) []AuditRecord { r[5].Hash = strings.Repeat("0", 64); return r }, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs := tt.tamper(chainOf(8))
			err := VerifyChain(recs)
			if tt.wantSeq == 0 {
				if err != nil {
					t.Fatalf("VerifyChain: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrChainBroken) {
				t.Fatalf("VerifyChain = %v, want ErrChainBroken", err)
			}
			var ce *ChainError
			if !errors.As(err, &ce) || ce.Seq != tt.wantSeq {
				t.Fatalf("VerifyChain = %v, want seq %d", err, tt.wantSeq)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("seq %d", tt.wantSeq)) {
				t.Fatalf("error %q does not name seq %d", err, tt.wantSeq)
			}
		})
	}
}

func TestVerifyHead(t *testing.T) {
	recs := chainOf(5)
	if err := VerifyHead(recs, 5, recs[4].Hash); err != nil {
		t.Fatal(err)
	}
	var ce *ChainError
	if err := VerifyHead(recs[:4], 5, recs[4].Hash); !errors.As(err, &ce) || ce.Seq != 5 {
		t.Fatalf("truncated chain: %v", err)
	}
	if err := VerifyHead(recs, 5, strings.Repeat("a", 64)); !errors.As(err, &ce) || ce.Seq != 5 {
		t.Fatalf("wrong head: %v", err)
	}
}

func TestEraseData(t *testing.T) {
	recs := chainOf(5)
	recs[2].Data = EraseData(recs[2].Data)
	if d, ok := ErasedDigest(recs[2].Data); !ok || len(d) != 64 {
		t.Fatalf("erased data %s: digest %q, %v", recs[2].Data, d, ok)
	}
	if err := VerifyChain(recs); err != nil {
		t.Fatalf("a chain with an erased event does not verify: %v", err)
	}
	if again := EraseData(recs[2].Data); string(again) != string(recs[2].Data) {
		t.Fatalf("erasing twice changes the data: %s", again)
	}
	// An erased event holding another digest breaks its link.
	forged := slicesClone(recs)
	forged[2].Data = EraseData([]byte(`{"turn":7}`))
	var ce *ChainError
	if err := VerifyChain(forged); !errors.As(err, &ce) || ce.Seq != 3 {
		t.Fatalf("forged digest: %v, want broken at seq 3", err)
	}
	// Not erased data of the same shape is hashed as data.
	for _, data := range []string{`{"erased":true,"sha256":"XYZ"}`, `{"erased":true,"sha256":"` + strings.Repeat("A", 64) + `"}`} {
		if _, ok := ErasedDigest([]byte(data)); ok {
			t.Errorf("%s taken for erased data", data)
		}
	}
}

// TestVerifyChainV1 keeps chains sealed over the data itself (before
// digests) verifiable, and not forgeable into erased events.
func TestVerifyChainV1(t *testing.T) {
	recs := chainOf(3)
	for i := range recs {
		if i > 0 {
			recs[i].PrevHash = recs[i-1].Hash
		}
		recs[i].Hash = auditHashV1(&recs[i])
	}
	if err := VerifyChain(recs); err != nil {
		t.Fatalf("v1 chain: %v", err)
	}
	recs[1].Data = EraseData(recs[1].Data)
	if err := VerifyChain(recs); err == nil {
		t.Fatal("an erased v1 event verifies: its hash covers the data, not the digest")
	}
}

func slicesClone(r []AuditRecord) []AuditRecord { return append([]AuditRecord(nil), r...) }

func TestErase(t *testing.T) {
	recs := chainOf(2)
	got, ok := Erase(recs[1])
	if !ok {
		t.Fatal("a record sealed over its digest cannot be erased")
	}
	recs[1] = got
	if err := VerifyChain(recs); err != nil {
		t.Fatal(err)
	}
	old := recs[0]
	old.Hash = auditHashV1(&old)
	if kept, ok := Erase(old); ok || string(kept.Data) != string(old.Data) {
		t.Fatalf("a v1 record erased: %s, %v", kept.Data, ok)
	}
}
