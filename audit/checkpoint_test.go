package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/store"
)

func testKey(t testing.TB) Key {
	k, err := NewKey([]byte(strings.Repeat("k", MinKeyLen)))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// chain seals n events of one chain.
func chain(name string, n int) []store.AuditEvent {
	var prev *compliance.AuditRecord
	var evs []store.AuditEvent
	at := time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)
	for i := range n {
		r := compliance.Seal(prev, compliance.AuditRecord{Chain: name, Kind: "k", Data: []byte(fmt.Sprintf(`{"i":%d}`, i)), At: at.Add(time.Duration(i) * time.Second)})
		prev = &r
		evs = append(evs, store.AuditEvent{Chain: r.Chain, Seq: r.Seq, Kind: r.Kind, Data: r.Data, At: r.At, PrevHash: r.PrevHash, Hash: r.Hash})
	}
	return evs
}

func TestNewKey(t *testing.T) {
	if _, err := NewKey([]byte("short")); err == nil {
		t.Fatal("a short key was accepted")
	}
	k := testKey(t)
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "key", k)
	if strings.Contains(buf.String(), "kkkk") || strings.Contains(fmt.Sprint(k), "kkkk") || strings.Contains(fmt.Sprintf("%+v", k), "kkkk") {
		t.Fatalf("the key printed: %s", buf.String())
	}
}

// TestCheckpointerBatches: events wait for the interval, or for MaxEvents;
// Close writes the rest; a reopened file continues the numbering and the
// links; each line names only the chains that moved.
func TestCheckpointerBatches(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	key := testKey(t)
	cp, err := Open(Config{Path: path, Interval: time.Hour, MaxEvents: 5}, key, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	a, b := chain("a", 8), chain("b", 2)
	cp.Observe(a[:2])
	cp.Observe(b)
	if n := lines(t, path); n != 0 {
		t.Fatalf("%d lines before the interval or MaxEvents", n)
	}
	cp.Observe(a[2:6]) // 8 waiting: past MaxEvents
	waitFor(t, func() bool { return lines(t, path) == 1 })
	cp.Observe(a[6:])
	if err := cp.Close(); err != nil {
		t.Fatal(err)
	}
	if err := cp.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	cp.Observe(chain("c", 1)) // after Close: ignored, no panic

	cp, err = Open(Config{Path: path, Interval: time.Hour}, key, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	c := chain("c", 3)
	cp.Observe(c)
	if err := cp.Close(); err != nil {
		t.Fatal(err)
	}
	cps, fs, err := ReadFiles(key, path)
	if err != nil || len(fs) > 0 {
		t.Fatalf("read: %v %v", err, fs)
	}
	if cps.Lines != 3 {
		t.Fatalf("%d lines, want 3", cps.Lines)
	}
	want := map[string][]int64{"a": {6, 8}, "b": {2}, "c": {3}}
	for ch, seqs := range want {
		hs := cps.Chains[ch]
		if len(hs) != len(seqs) {
			t.Fatalf("chain %s: heads %+v, want seqs %v", ch, hs, seqs)
		}
		for i, h := range hs {
			if h.Seq != seqs[i] {
				t.Fatalf("chain %s: heads %+v, want seqs %v", ch, hs, seqs)
			}
		}
	}
	chains := map[string][]store.AuditEvent{"a": a, "b": b, "c": c}
	if fs := CheckHeads(cps, chains); len(fs) > 0 {
		t.Fatalf("intact chains: %v", fs)
	}
}

// TestCheckpointerTornLine: a line cut short by a crash is dropped when the
// file is reopened, and checkpoints continue from the last whole line.
func TestCheckpointerTornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	key := testKey(t)
	cp, err := Open(Config{Path: path}, key, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	a := chain("a", 4)
	cp.Observe(a[:2])
	if err := cp.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"body":{"n":2,"at":`)
	f.Close()
	cp, err = Open(Config{Path: path}, key, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	cp.Observe(a[2:])
	if err := cp.Close(); err != nil {
		t.Fatal(err)
	}
	cps, fs, err := ReadFiles(key, path)
	if err != nil || len(fs) > 0 || cps.Lines != 2 {
		t.Fatalf("after a torn line: %d lines, %v %v", cps.Lines, fs, err)
	}
	if fs := CheckHeads(cps, map[string][]store.AuditEvent{"a": a}); len(fs) > 0 {
		t.Fatal(fs)
	}
}

// TestCheckHeads names each way a chain can differ from its checkpoints.
func TestCheckHeads(t *testing.T) {
	a := chain("a", 6)
	at := time.Date(2026, 11, 23, 15, 1, 0, 0, time.UTC)
	signed := func(evs []store.AuditEvent, seqs ...int64) []SignedHead {
		var hs []SignedHead
		for _, s := range seqs {
			e := evs[s-1]
			hs = append(hs, SignedHead{Head: Head{Chain: e.Chain, Seq: e.Seq, Hash: e.Hash}, At: at})
		}
		return hs
	}
	resealed := chain("a", 6)
	resealed[2].Data = []byte(`{"i":"edited"}`)
	var prev *compliance.AuditRecord
	for i := range resealed {
		e := resealed[i]
		r := compliance.Seal(prev, compliance.AuditRecord{Chain: e.Chain, Kind: e.Kind, Data: e.Data, At: e.At})
		prev = &r
		resealed[i].PrevHash, resealed[i].Hash = r.PrevHash, r.Hash
	}
	tests := []struct {
		name   string
		chains map[string][]store.AuditEvent
		heads  map[string][]SignedHead
		want   string
	}{
		{"intact", map[string][]store.AuditEvent{"a": a}, map[string][]SignedHead{"a": signed(a, 2, 6)}, ""},
		{"cut short", map[string][]store.AuditEvent{"a": a[:4]}, map[string][]SignedHead{"a": signed(a, 2, 6)}, "events 5..6: missing: removed from the end"},
		{"deleted", map[string][]store.AuditEvent{}, map[string][]SignedHead{"a": signed(a, 2, 6)}, "whole chain: missing: deleted"},
		{"re-sealed", map[string][]store.AuditEvent{"a": resealed}, map[string][]SignedHead{"a": signed(a, 2, 4, 6)}, "events 3..4: altered"},
		{"appended", map[string][]store.AuditEvent{"a": a}, map[string][]SignedHead{"a": signed(a, 2, 4)}, "events 5..6: not checkpointed"},
		{"never checkpointed", map[string][]store.AuditEvent{"a": a}, nil, "events 1..6: not checkpointed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := CheckHeads(Checkpoints{Chains: tt.heads}, tt.chains)
			if tt.want == "" {
				if len(fs) > 0 {
					t.Fatalf("findings %v", fs)
				}
				return
			}
			if len(fs) != 1 || !strings.Contains(fs[0].String(), tt.want) {
				t.Fatalf("findings %v, want one saying %q", fs, tt.want)
			}
		})
	}
}

func lines(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Count(b, []byte("\n"))
}

// waitFor polls cond for up to five seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestAppendRecords: the hand-written encoding reads back as RecordsOf.
func TestAppendRecords(t *testing.T) {
	c := store.TurnCommit{
		Turns:       []store.Turn{{Seq: 1, From: "borrower", Text: "hi \"there\"\n"}, {Seq: 2, From: "agent", Text: "你好"}},
		Promises:    []store.Promise{{ID: "p-1", DebtID: "d", AmountMinor: 5000, Currency: "USD", DueDate: "2026-11-27", CreatedBy: "ag\"ent\x01<é>"}},
		Plans:       []store.Plan{{ID: "l-1", Currency: "CNY", TotalMinor: 300, Installments: []store.PlanInstallment{{AmountMinor: 100, DueDate: "2026-11-27"}, {AmountMinor: 200, DueDate: "2026-12-27"}}, CreatedBy: "bot"}},
		Statements:  []store.Statement{{ID: "s-1", Kind: "cease", Channels: []string{"chat"}, Channel: "chat", TurnSeq: 1, Details: []byte(`{"text":"x"}`)}, {ID: "s-2", Kind: "dispute", Channel: "voice"}},
		StopContact: &store.StopContact{Channels: []string{"chat", "voice"}},
	}
	b, ok := AppendRecords(nil, &c)
	if !ok {
		t.Fatal("nothing appended")
	}
	want, _ := RecordsOf(&c)
	var got Records
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if !equalJSON(got, want) {
		gb, _ := json.Marshal(got)
		wb, _ := json.Marshal(want)
		t.Fatalf("got  %s\nwant %s", gb, wb)
	}
	if _, ok := AppendRecords(nil, &store.TurnCommit{}); ok {
		t.Fatal("an empty commit has records")
	}
	for _, one := range []store.TurnCommit{{Promises: c.Promises}, {Plans: c.Plans}, {Statements: c.Statements}, {StopContact: c.StopContact}} {
		b, _ := AppendRecords(nil, &one)
		if !json.Valid(b) {
			t.Fatalf("invalid JSON %s", b)
		}
	}
}

// flakyMirror refuses its first publishes, then keeps every line.
type flakyMirror struct {
	refuse int
	got    []MirrorLine
}

func (m *flakyMirror) PublishCheckpoint(_ context.Context, l MirrorLine) error {
	if m.refuse > 0 {
		m.refuse--
		return errors.New("mirror down")
	}
	m.got = append(m.got, l)
	return nil
}

// Every line reaches the mirror exactly once and in order, the lines
// written before SetMirror and those it refused included; they are the
// file's bytes.
func TestCheckpointerMirror(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	cp, err := Open(Config{Path: path, Interval: time.Hour}, testKey(t), Deps{Node: "n1"})
	if err != nil {
		t.Fatal(err)
	}
	evs := chain("c", 4)
	cp.Observe(evs[:1])
	if err := cp.Flush(); err != nil {
		t.Fatal(err)
	}
	m := &flakyMirror{refuse: 2}
	cp.SetMirror(m) // line 1: refused
	cp.Observe(evs[1:2])
	if err := cp.Flush(); err != nil { // lines 1, 2: refused once more, then nothing
		t.Fatal(err)
	}
	if len(m.got) != 0 {
		t.Fatalf("mirror got %d lines while down", len(m.got))
	}
	cp.Observe(evs[2:3])
	if err := cp.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := cp.Flush(); err != nil { // nothing new: nothing copied twice
		t.Fatal(err)
	}
	cp.Observe(evs[3:])
	if err := cp.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(m.got) != len(lines) || len(lines) != 4 {
		t.Fatalf("mirror got %d lines, file has %d, want 4", len(m.got), len(lines))
	}
	for i, l := range m.got {
		if l.N != int64(i+1) || l.Node != "n1" || string(l.Line) != lines[i] {
			t.Errorf("mirror line %d: %d %s %q, file %q", i, l.N, l.Node, l.Line, lines[i])
		}
	}
	// The copy read back agrees with the file.
	cps, fs, err := ReadFiles(testKey(t), path)
	if err != nil || len(fs) != 0 {
		t.Fatalf("read file: %v %v", fs, err)
	}
	copyLines := make([][]byte, len(m.got))
	for i, l := range m.got {
		copyLines[len(m.got)-1-i] = l.Line // any order
	}
	if fs := ReadCopy(testKey(t), copyLines, &cps); len(fs) != 0 {
		t.Fatalf("copy against file: %v", fs)
	}
	cut, _, _ := ReadFiles(testKey(t), path)
	cut.macs["n1"] = map[int64]string{1: cut.macs["n1"][1]}
	fs = ReadCopy(testKey(t), copyLines, &cut)
	if len(fs) != 1 || !strings.Contains(fs[0].String(), "checkpoint lines 2..4 of node n1: missing from the checkpoint files") {
		t.Fatalf("copy against a file cut to line 1: %v", fs)
	}
}
