package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/collectagent/collectagent/bot/understand"
	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/store"
	"github.com/collectagent/collectagent/store/sqlite"
)

// gateSuites are the suites every change must keep passing. The
// evaluation corpora beside them (docs/corpora.md) are measured, not
// gated: TestCorporaParse only checks they are valid.
var gateSuites = []string{"core.yaml", "meaning.yaml"}

func gatePaths() []string {
	out := make([]string, len(gateSuites))
	for i, n := range gateSuites {
		out[i] = filepath.Join("..", "testdata", "eval", n)
	}
	return out
}

// TestCorporaParse loads every suite under testdata/eval.
func TestCorporaParse(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("..", "testdata", "eval", "*.yaml"))
	if err != nil || len(paths) < len(gateSuites) {
		t.Fatalf("suites under testdata/eval: %v, %v", paths, err)
	}
	for _, p := range paths {
		if _, err := Load(p); err != nil {
			t.Error(err)
		}
	}
}

// TestShippedSuites runs the gate suites the way `collectagent eval` does
// and fails when one falls below its threshold or counts a misrecorded
// deal or an unrequested statement.
func TestShippedSuites(t *testing.T) {
	paths := gatePaths()
	rules, err := understand.Compile()
	if err != nil {
		t.Fatal(err)
	}
	reps, err := RunFiles(context.Background(), paths, nil, Options{Understander: rules, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, rep := range reps {
		total += len(rep.Results)
		var b bytes.Buffer
		if err := rep.WriteTable(&b, true); err != nil {
			t.Fatal(err)
		}
		if !rep.OK() {
			t.Errorf("suite %s: pass rate %.3f below its threshold %.2f\n%s", rep.Suite, rep.PassRate(), rep.Threshold, b.String())
		} else if rep.Passed() < len(rep.Results) {
			t.Logf("suite %s: %d/%d passed; failures:\n%s", rep.Suite, rep.Passed(), len(rep.Results), b.String())
		}
	}
	if total < 60 {
		t.Errorf("the shipped suites hold %d conversations, want at least 60", total)
	}
}

// TestShippedSuiteCoverage checks the shipped suites cover what they must:
// half the conversations in Chinese, every outcome, every escalation
// reason a borrower can cause.
func TestShippedSuiteCoverage(t *testing.T) {
	paths := gatePaths()
	zh, all := 0, 0
	seenOutcome := map[string]bool{}
	seenEsc := map[string]bool{}
	for _, p := range paths {
		s, err := Load(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range s.Conversations {
			all++
			if strings.HasPrefix(s.accounts[c.Account].Locale, "zh") {
				zh++
			}
			seenOutcome[c.Expect.Outcome] = true
			seenEsc[c.Expect.Escalation] = true
		}
	}
	if 2*zh < all {
		t.Errorf("%d of %d conversations in Chinese, want at least half", zh, all)
	}
	for _, o := range outcomes {
		if !seenOutcome[o] {
			t.Errorf("no conversation expects outcome %s", o)
		}
	}
	for _, r := range escalationReasons {
		if r == "deceased" {
			continue // a deceased account is never chatted with (Begin refuses it)
		}
		if !seenEsc[r] {
			t.Errorf("no conversation expects an escalation for %s", r)
		}
	}
}

const validHead = `
name: t
now: "2026-11-24T03:30:00Z"
accounts:
  - id: maria
    name: Maria Lopez
    date_of_birth: "1988-07-21"
    id_last4: "4417"
    locale: en-US
    timezone: America/Chicago
    portfolio: us
    debts:
      - {id: d1, creditor: Demo Finance, amount_due: 240.00, currency: USD, due_date: "2026-11-13", days_past_due: 10}
`

func TestParseValid(t *testing.T) {
	s, err := Parse("t.yaml", []byte(validHead+`
conversations:
  - name: one
    account: maria
    lines:
      - "07/21/1988"
      - say: "Friday"
        must_say: November 27, 2026
        must_not_say: ["January"]
    expect: {outcome: ptp, amount: 240, due_date: "2026-11-27"}
`))
	if err != nil {
		t.Fatal(err)
	}
	c := s.Conversations[0]
	if len(c.Lines) != 2 || c.Lines[1].Say != "Friday" || c.Lines[1].MustSay[0] != "November 27, 2026" || c.Lines[1].MustNotSay[0] != "January" {
		t.Errorf("lines %+v", c.Lines)
	}
	if c.Expect.Amount.Minor != 24000 || c.Expect.mode() != "ended" || s.EffectiveThreshold() != DefaultThreshold {
		t.Errorf("expect %+v, threshold %v", c.Expect, s.EffectiveThreshold())
	}
	if got := s.accounts["maria"].Debts[0].AmountMinor; got != 24000 {
		t.Errorf("amount due %d minor units", got)
	}
	if s.At.IsZero() || c.line == 0 {
		t.Errorf("now %v, line %d", s.At, c.line)
	}
}

// TestParseErrors checks that every invalid suite is refused with an error
// that names where the mistake is.
func TestParseErrors(t *testing.T) {
	conv := func(body string) string { return validHead + "conversations:\n" + body }
	tests := []struct {
		name string
		yaml string
		want []string // substrings of the error
	}{
		{"unknown expect field", conv(`
  - name: c1
    account: maria
    lines: ["hi"]
    expect: {outcome: ptp, amout: 240}
`), []string{`conversation "c1"`, "amout"}},
		{"unknown conversation field", conv(`
  - name: c2
    account: maria
    line: ["hi"]
    expect: {outcome: ptp}
`), []string{`conversation "c2"`, "field line not found"}},
		{"unknown intent", conv(`
  - name: m1
    account: maria
    lines: [{say: "hi", intent: pay_later}]
    expect: {outcome: none, mode: bot}
`), []string{`conversation "m1"`, "intent must be one of", "promise"}},
		{"line date not ISO", conv(`
  - name: m2
    account: maria
    lines: [{say: "friday", date: "Friday"}]
    expect: {outcome: none, mode: bot}
`), []string{`conversation "m2"`, `date "Friday"`}},
		{"line amount with three decimals", conv(`
  - name: m3
    account: maria
    lines: [{say: "240", amount: 240.001}]
    expect: {outcome: none, mode: bot}
`), []string{`conversation "m3"`, "240.001"}},
		{"line installments out of range", conv(`
  - name: m4
    account: maria
    lines: [{say: "40 payments", installments: 40}]
    expect: {outcome: none, mode: bot}
`), []string{`conversation "m4"`, "installments must be"}},
		{"unknown line key", conv(`
  - name: c3
    account: maria
    lines: [{sy: "hi"}]
    expect: {outcome: ptp}
`), []string{`conversation "c3"`, "sy"}},
		{"bad outcome", conv(`
  - name: c4
    account: maria
    lines: ["hi"]
    expect: {outcome: promise}
`), []string{`conversation "c4"`, "expect.outcome", `"promise"`}},
		{"missing outcome", conv(`
  - name: c5
    account: maria
    lines: ["hi"]
    expect: {}
`), []string{`conversation "c5"`, "expect.outcome: is required"}},
		{"unknown account", conv(`
  - name: c6
    account: nobody
    lines: ["hi"]
    expect: {outcome: none, mode: bot}
`), []string{`conversation "c6"`, "account", `"nobody"`}},
		{"no lines", conv(`
  - name: c7
    account: maria
    expect: {outcome: none, mode: bot}
`), []string{`conversation "c7"`, "lines"}},
		{"none without mode", conv(`
  - name: c8
    account: maria
    lines: ["hi"]
    expect: {outcome: none}
`), []string{`conversation "c8"`, "expect.mode"}},
		{"bad mode", conv(`
  - name: c9
    account: maria
    lines: ["hi"]
    expect: {outcome: ptp, mode: done}
`), []string{`conversation "c9"`, "expect.mode", `"done"`}},
		{"amount with three decimals", conv(`
  - name: c10
    account: maria
    lines: ["hi"]
    expect: {outcome: ptp, amount: 240.001}
`), []string{`conversation "c10"`, "240.001"}},
		{"bad due date", conv(`
  - name: c11
    account: maria
    lines: ["hi"]
    expect: {outcome: ptp, due_date: "27/11/2026"}
`), []string{`conversation "c11"`, "expect.due_date"}},
		{"due date on an escalation", conv(`
  - name: c12
    account: maria
    lines: ["hi"]
    expect: {outcome: escalated, due_date: "2026-11-27"}
`), []string{`conversation "c12"`, "expect.due_date"}},
		{"installments on a promise", conv(`
  - name: c13
    account: maria
    lines: ["hi"]
    expect: {outcome: ptp, installments: 3}
`), []string{`conversation "c13"`, "expect.installments"}},
		{"unknown escalation", conv(`
  - name: c14
    account: maria
    lines: ["hi"]
    expect: {outcome: escalated, escalation: angry}
`), []string{`conversation "c14"`, "expect.escalation", `"angry"`}},
		{"repeated name", conv(`
  - name: c15
    account: maria
    lines: ["hi"]
    expect: {outcome: ptp}
  - name: c15
    account: maria
    lines: ["hi"]
    expect: {outcome: ptp}
`), []string{`conversation "c15"`, "name: repeats"}},
		{"empty line", conv(`
  - name: c16
    account: maria
    lines: ["  "]
    expect: {outcome: ptp}
`), []string{`conversation "c16"`, "lines[0]"}},
		{"nameless conversation", conv(`
  - account: maria
    lines: ["hi"]
    expect: {outcome: ptp}
`), []string{"conversation #1", "name: is required"}},
		{"bad now", strings.Replace(validHead, `now: "2026-11-24T03:30:00Z"`, `now: "tomorrow"`, 1) + `conversations: [{name: c, account: maria, lines: [hi], expect: {outcome: ptp}}]`,
			[]string{"now", `"tomorrow"`}},
		{"bad threshold", validHead + "threshold: 1.5\nconversations: [{name: c, account: maria, lines: [hi], expect: {outcome: ptp}}]",
			[]string{"threshold"}},
		{"bad account field", strings.Replace(validHead, "locale: en-US", "locale: fr-FR", 1) + `conversations: [{name: c, account: maria, lines: [hi], expect: {outcome: ptp}}]`,
			[]string{`account "maria"`, "locale"}},
		{"bad debt amount", strings.Replace(validHead, "amount_due: 240.00", "amount_due: 0", 1) + `conversations: [{name: c, account: maria, lines: [hi], expect: {outcome: ptp}}]`,
			[]string{`account "maria"`, "debts[0].amount_due"}},
		{"unknown account field", strings.Replace(validHead, "    portfolio: us\n", "    portfolio: us\n    nickname: M\n", 1) + `conversations: [{name: c, account: maria, lines: [hi], expect: {outcome: ptp}}]`,
			[]string{"nickname"}},
		{"unknown portfolio", strings.Replace(validHead, "portfolio: us", "portfolio: eu", 1) + `conversations: [{name: c, account: maria, lines: [hi], expect: {outcome: ptp}}]`,
			[]string{`account "maria"`, "portfolio", `"eu"`}},
		{"bad policy", validHead + "policies: {strict: {pack: us, max_installments: 0}}\nconversations: [{name: c, account: maria, lines: [hi], expect: {outcome: ptp}}]",
			[]string{"policies.strict", "max_installments"}},
		{"no conversations", validHead, []string{"conversations"}},
		{"two documents", validHead + "conversations: [{name: c, account: maria, lines: [hi], expect: {outcome: ptp}}]\n---\nname: x\n",
			[]string{"more than one YAML document"}},
		{"not yaml", "name: [unclosed", []string{"t.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, ErrSuite) {
				t.Errorf("error %v does not wrap ErrSuite", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"240", 24000, true},
		{"240.5", 24050, true},
		{"240.05", 24005, true},
		{"0.01", 1, true},
		{" 1250.50 ", 125050, true},
		{"240.001", 0, false},
		{"-5", 0, false},
		{"1e3", 0, false},
		{"", 0, false},
		{"12345678901234", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseAmount(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseAmount(%q) = %d, %v; want %d, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// TestJudging runs conversations whose expectations are wrong on purpose
// and checks each broken expectation is reported.
func TestJudging(t *testing.T) {
	s, err := Parse("judge.yaml", []byte(validHead+`
conversations:
  - name: right
    account: maria
    lines: ["07/21/1988", "I can pay on Friday", "yes"]
    expect: {outcome: ptp, amount: 240.00, due_date: "2026-11-27", must_say: ["November 27, 2026"]}
  - name: wrong-figures
    account: maria
    lines: ["07/21/1988", "I can pay on Friday", "yes"]
    expect: {outcome: ptp, amount: 100.00, due_date: "2026-11-28"}
  - name: wrong-outcome
    account: maria
    lines: ["this is the wrong number"]
    expect: {outcome: ptp, escalation: dispute}
  - name: words
    account: maria
    lines:
      - say: "07/21/1988"
        must_say: ["Nonexistent phrase"]
        must_not_say: ["$240.00"]
      - "I can pay on Friday"
      - "yes"
    expect: {outcome: ptp, must_say: ["Another missing phrase"], must_not_say: ["November 27, 2026"]}
  - name: lines-after-end
    account: maria
    lines: ["07/21/1988", "stop contacting me", "hello?"]
    expect: {outcome: cease}
`))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), s, Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"right":           nil,
		"wrong-figures":   {"promise amount 240.00, want 100.00", "promise due 2026-11-27, want 2026-11-28"},
		"wrong-outcome":   {"outcome wrong_party, want ptp", "0 promises recorded", "want one for dispute"},
		"words":           {`line 1 "07/21/1988": reply lacks "Nonexistent phrase"`, `line 1 "07/21/1988": reply says "$240.00"`, `never said "Another missing phrase"`, `the bot said "November 27, 2026"`},
		"lines-after-end": {`line 3 "hello?": the conversation had already ended`},
	}
	if len(rep.Results) != len(want) {
		t.Fatalf("%d results", len(rep.Results))
	}
	for _, res := range rep.Results {
		w := want[res.Name]
		if res.Pass != (len(w) == 0) {
			t.Errorf("%s: pass %v, failures %q", res.Name, res.Pass, res.Failures)
		}
		joined := strings.Join(res.Failures, "\n")
		for _, f := range w {
			if !strings.Contains(joined, f) {
				t.Errorf("%s: failures lack %q:\n%s", res.Name, f, joined)
			}
		}
		if res.Turns == 0 || len(res.Transcript) == 0 {
			t.Errorf("%s: turns %d, transcript %d", res.Name, res.Turns, len(res.Transcript))
		}
	}
	if rep.Passed() != 1 || rep.OK() {
		t.Errorf("passed %d, ok %v", rep.Passed(), rep.OK())
	}
	var b bytes.Buffer
	if err := rep.WriteTable(&b, false); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"NAME", "GUARD BLOCKS", "wrong-outcome", "FAIL", "1/5 passed", "20.0%"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("table lacks %q:\n%s", w, b.String())
		}
	}
}

func TestLeakMarkers(t *testing.T) {
	s, err := Parse("t.yaml", []byte(validHead+"conversations: [{name: c, account: maria, lines: [hi], expect: {outcome: ptp}}]"))
	if err != nil {
		t.Fatal(err)
	}
	got := leakMarkers(s.accounts["maria"], "d1")
	if len(got) != 3 || got[0] != "240.00" || got[1] != "Demo Finance" || got[2] != "November 13, 2026" {
		t.Errorf("markers %q", got)
	}
}

// FuzzParse feeds arbitrary bytes to the suite parser: it must return a
// suite or an ErrSuite, never panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte(validHead + "conversations: [{name: c, account: maria, lines: [hi], expect: {outcome: ptp}}]"))
	f.Add([]byte("conversations: [{lines: [{say: x, must_say: [a]}]}]"))
	f.Add([]byte("name: [\n"))
	f.Add([]byte(validHead + "conversations: [{name: c, account: maria, lines: [{say: x, intent: promise, date: \"2026-11-27\", amount: 240.5, installments: 3}], expect: {outcome: none, mode: bot}}]"))
	f.Add([]byte("conversations: [{lines: [{say: x, intent: [a], amount: {b: 1}, installments: x}]}]"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Parse("fuzz.yaml", b)
		if err != nil && !errors.Is(err, ErrSuite) {
			t.Fatalf("error %v does not wrap ErrSuite", err)
		}
		if err == nil && (s == nil || len(s.Conversations) == 0) {
			t.Fatal("a suite without conversations was accepted")
		}
	})
}

// TestRecordRules checks the rules every conversation is held to on what
// was recorded, against records that break them.
func TestRecordRules(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, err := Parse("t.yaml", []byte(validHead+"conversations: [{name: c, account: maria, lines: [hi], expect: {outcome: ptp}}]"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.UpsertAccounts(ctx, []store.Account{s.accounts["maria"]}); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 24, 3, 30, 0, 0, time.UTC)
	act := func(kind string) json.RawMessage { return json.RawMessage(`{"act":"` + kind + `"}`) }
	tests := []struct {
		name  string
		acts  []string
		audit func(id string) []store.AuditEvent
		want  []string
	}{
		{"compliant", []string{"greeting", "recording_notice", "ask_verify", "verified", "mini_miranda", "balance"},
			func(id string) []store.AuditEvent {
				a := compliance.Seal(nil, compliance.AuditRecord{Chain: id, Kind: "outcome", Data: json.RawMessage(`{}`), At: now})
				return []store.AuditEvent{{Chain: a.Chain, Seq: a.Seq, Kind: a.Kind, Data: a.Data, At: a.At, PrevHash: a.PrevHash, Hash: a.Hash}}
			}, nil},
		{"no disclosures, balance first, no outcome event", []string{"ask_verify", "verified", "balance", "mini_miranda"},
			func(string) []store.AuditEvent { return nil },
			[]string{"AI and recording disclosures", "before the debt-collector disclosure", "without an audit event"}},
		{"tampered chain", []string{"greeting", "recording_notice", "ask_verify"},
			func(id string) []store.AuditEvent {
				a := compliance.Seal(nil, compliance.AuditRecord{Chain: id, Kind: "outcome", Data: json.RawMessage(`{}`), At: now})
				return []store.AuditEvent{{Chain: a.Chain, Seq: a.Seq, Kind: a.Kind, Data: json.RawMessage(`{"x":1}`), At: a.At, PrevHash: a.PrevHash, Hash: a.Hash}}
			}, []string{"audit chain"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := fmt.Sprintf("c-%d", i)
			conv := store.Conversation{ID: id, AccountID: "maria", DebtID: "d1", Channel: "chat", Locale: "en-US",
				Mode: store.ModeBot, Stage: "greeting", OutcomeType: "none", CreatedAt: now, UpdatedAt: now}
			if err := st.CreateConversation(ctx, conv); err != nil {
				t.Fatal(err)
			}
			conv.Version++
			conv.Outcome, conv.OutcomeType = json.RawMessage(`{"type":"ptp"}`), "ptp"
			c := store.TurnCommit{Conversation: conv, Audit: tt.audit(id)}
			for k, a := range tt.acts {
				c.Turns = append(c.Turns, store.Turn{ConversationID: id, Seq: int64(k + 1), From: "bot", Text: a, Meta: act(a), At: now})
			}
			if err := st.CommitTurn(ctx, c); err != nil {
				t.Fatal(err)
			}
			var got []string
			judgeRecords(ctx, st, id, "us", func(f string, args ...any) { got = append(got, fmt.Sprintf(f, args...)) })
			joined := strings.Join(got, "\n")
			if len(tt.want) == 0 && len(got) > 0 {
				t.Fatalf("failures on compliant records: %s", joined)
			}
			for _, w := range tt.want {
				if !strings.Contains(joined, w) {
					t.Errorf("failures lack %q:\n%s", w, joined)
				}
			}
		})
	}
}

// TestLeakRule checks that a creditor name said before verification never
// reaches the speaker: a creditor whose name the greeting happens to
// contain stands in for a leaking bot. The guard knows the creditor
// (Facts.Creditor) and replaces the greeting, so nothing is disclosed, and
// the replacement fails the conversation.
func TestLeakRule(t *testing.T) {
	head := strings.Replace(validHead, "creditor: Demo Finance", "creditor: automated assistant", 1)
	for _, line := range []string{"this is the wrong number", "hello"} {
		outcome := `{outcome: wrong_party}`
		if line == "hello" {
			outcome = `{outcome: none, mode: bot}`
		}
		s, err := Parse("leak.yaml", []byte(head+`conversations: [{name: leak, account: maria, lines: ["`+line+`"], expect: `+outcome+`}]`))
		if err != nil {
			t.Fatal(err)
		}
		rep, err := Run(context.Background(), s, Options{Dir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		res := rep.Results[0]
		if res.Pass || res.Disclosures != 0 || !strings.Contains(strings.Join(res.Failures, "\n"), "the creditor's name before verification") {
			t.Errorf("%q: pass %v, disclosures %d, failures %q", line, res.Pass, res.Disclosures, res.Failures)
		}
	}
}
