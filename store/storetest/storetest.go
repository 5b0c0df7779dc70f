// Package storetest is the conformance suite every store.Store
// implementation must pass. An implementation's test calls Run with a
// function that opens a fresh, empty store; the suite closes it.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/collectagent/collectagent/store"
)

// Run runs the conformance suite. open returns a new, empty store for one
// subtest (each subtest gets its own); the suite closes it.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"AccountRoundTrip", testAccountRoundTrip},
		{"UpsertReplacesDebts", testUpsertReplacesDebts},
		{"UpsertAllOrNothing", testUpsertAllOrNothing},
		{"ListAccountsPagination", testListAccountsPagination},
		{"ConversationRoundTrip", testConversationRoundTrip},
		{"CreateConversationErrors", testCreateConversationErrors},
		{"ListConversations", testListConversations},
		{"CommitTurnRoundTrip", testCommitTurnRoundTrip},
		{"CommitTurnVersionConflict", testCommitTurnVersionConflict},
		{"CommitTurnAtomic", testCommitTurnAtomic},
		{"CommitTurnIdempotentMessageID", testIdempotentMessageID},
		{"CommitTurnConcurrentConversations", testConcurrentConversations},
		{"CommitTurnRace", testCommitTurnRace},
		{"CommitTurnBounded", testCommitTurnBounded},
		{"Outbox", testOutbox},
		{"Escalations", testEscalations},
		{"ContactAttempts", testContactAttempts},
		{"StopContact", testStopContact},
		{"Statements", testStatements},
		{"AuditChain", testAuditChain},
		{"Holds", testHolds},
		{"Purge", testPurge},
		{"Erase", testErase},
		{"Lease", testLease},
		{"NotFound", testNotFound},
		{"InvalidJSON", testInvalidJSON},
		{"CloseIsIdempotent", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			if tc.fn == nil {
				testClose(t, s)
				return
			}
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tc.fn(t, s)
		})
	}
}

// base is a time outside UTC with sub-microsecond digits: stores return it
// in UTC, truncated to the microsecond.
var base = time.Date(2026, 11, 22, 9, 30, 15, 123456789, time.FixedZone("CST", 8*3600))

func at(d time.Duration) time.Time { return base.Add(d) }

// stored is t as a store returns it.
func stored(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func must(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func wantErr(t *testing.T, err, want error, what string) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error %v, want %v", what, err, want)
	}
}

func equal(t *testing.T, got, want any, what string) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		gj, _ := json.MarshalIndent(got, "", " ")
		wj, _ := json.MarshalIndent(want, "", " ")
		t.Fatalf("%s:\n got  %s\n want %s", what, gj, wj)
	}
}

func account(id string, debts ...store.Debt) store.Account {
	return store.Account{
		ID: id, Name: "Maria Lopez " + id, DateOfBirth: "1988-07-21", IDLast4: "441X",
		Locale: "en-US", Timezone: "America/Chicago", Phone: "+13125550100", Email: id + "@example.com",
		Portfolio: "demo",
		Consent:   store.Consent{Chat: true, Voice: true, SMS: false, Recording: true},
		DoNotContact: store.DoNotContact{
			Chat: false, Voice: true, SMS: true, Email: false,
		},
		Flags:     store.Flags{Attorney: false, Dispute: true, Bankruptcy: false, Deceased: false},
		Debts:     debts,
		CreatedAt: at(0),
		UpdatedAt: at(time.Minute),
	}
}

func debt(id string, amount int64) store.Debt {
	return store.Debt{
		ID: id, Creditor: "Demo Finance", AmountMinor: amount, Currency: "USD",
		DueDate: "2026-11-13", DaysPastDue: 9, MinPaymentMinor: amount / 10,
	}
}

// want returns a as a store returns it.
func wantAccount(a store.Account) store.Account {
	a.CreatedAt = stored(a.CreatedAt)
	a.UpdatedAt = stored(a.UpdatedAt)
	debts := make([]store.Debt, len(a.Debts))
	for i, d := range a.Debts {
		d.AccountID = a.ID
		debts[i] = d
	}
	a.Debts = debts
	return a
}

func seedAccounts(t *testing.T, s store.Store, ids ...string) {
	t.Helper()
	accts := make([]store.Account, len(ids))
	for i, id := range ids {
		accts[i] = account(id, debt(id+"-d1", 24000))
	}
	must(t, s.UpsertAccounts(ctx(t), accts), "UpsertAccounts")
}

func conversation(id, account string) store.Conversation {
	return store.Conversation{
		ID: id, AccountID: account, DebtID: account + "-d1", Channel: "chat", Locale: "zh-CN",
		Mode: store.ModeBot, Stage: "greeting", State: json.RawMessage(`{"stage":"greeting","tries":0}`),
		Version: 1, CreatedAt: at(time.Hour), UpdatedAt: at(time.Hour),
	}
}

func wantConversation(c store.Conversation) store.Conversation {
	c.CreatedAt = stored(c.CreatedAt)
	c.UpdatedAt = stored(c.UpdatedAt)
	if c.EndedAt != nil {
		e := stored(*c.EndedAt)
		c.EndedAt = &e
	}
	return c
}

func seedConversation(t *testing.T, s store.Store, id, account string) store.Conversation {
	t.Helper()
	c := conversation(id, account)
	must(t, s.CreateConversation(ctx(t), c), "CreateConversation")
	return c
}

// step returns a commit moving c to the next version with two turns (the
// borrower's and the bot's) and two audit events, like a typical turn.
func step(c store.Conversation, n int64) store.TurnCommit {
	c.Version = n + 1
	c.Stage = fmt.Sprintf("stage-%d", n)
	c.State = json.RawMessage(fmt.Sprintf(`{"turn":%d}`, n))
	c.UpdatedAt = at(time.Hour + time.Duration(n)*time.Second)
	return store.TurnCommit{
		Conversation: c,
		Turns: []store.Turn{
			{Seq: 2*n - 1, From: "borrower", Text: fmt.Sprintf("我下周五还 %d", n), MessageID: fmt.Sprintf("m-%d", n),
				At: c.UpdatedAt},
			{Seq: 2 * n, From: "bot", Text: fmt.Sprintf("reply %d", n), Meta: json.RawMessage(`{"act":"confirm"}`),
				At: c.UpdatedAt},
		},
		Audit: []store.AuditEvent{
			{Chain: c.ID, Seq: 2*n - 1, Kind: "guard.passed", Data: json.RawMessage(`{"z":1,"a":2}`), At: c.UpdatedAt,
				PrevHash: fmt.Sprintf("h%d", 2*n-2), Hash: fmt.Sprintf("h%d", 2*n-1)},
			{Chain: c.ID, Seq: 2 * n, Kind: "outcome", Data: json.RawMessage(`{"type":"none"}`), At: c.UpdatedAt,
				PrevHash: fmt.Sprintf("h%d", 2*n-1), Hash: fmt.Sprintf("h%d", 2*n)},
		},
	}
}

func testAccountRoundTrip(t *testing.T, s store.Store) {
	c := ctx(t)
	a := account("a-1", debt("a-1-d1", 24000), debt("a-1-d2", 86000))
	a.Debts[1].Currency = "CNY"
	a.Name = "王小明"
	b := account("a-2")
	b.Consent = store.Consent{SMS: true}
	b.Flags = store.Flags{Attorney: true, Bankruptcy: true, Deceased: true}
	b.DoNotContact = store.DoNotContact{Chat: true, Email: true}
	must(t, s.UpsertAccounts(c, []store.Account{a, b}), "UpsertAccounts")

	for _, want := range []store.Account{a, b} {
		got, err := s.GetAccount(c, want.ID)
		must(t, err, "GetAccount")
		equal(t, got, wantAccount(want), "GetAccount "+want.ID)
		if got.CreatedAt.Location() != time.UTC {
			t.Fatalf("CreatedAt location %v, want UTC", got.CreatedAt.Location())
		}
	}
}

func testUpsertReplacesDebts(t *testing.T, s store.Store) {
	c := ctx(t)
	a := account("a-1", debt("a-1-d1", 100), debt("a-1-d2", 200))
	must(t, s.UpsertAccounts(c, []store.Account{a}), "first upsert")

	a2 := account("a-1", debt("a-1-d3", 300))
	a2.Name = "Renamed"
	a2.CreatedAt = at(24 * time.Hour) // ignored: creation time stays
	a2.UpdatedAt = at(48 * time.Hour)
	must(t, s.UpsertAccounts(c, []store.Account{a2}), "second upsert")

	got, err := s.GetAccount(c, "a-1")
	must(t, err, "GetAccount")
	want := wantAccount(a2)
	want.CreatedAt = stored(a.CreatedAt)
	equal(t, got, want, "account after replace")

	// A debt id freed by the replacement may be used by another account.
	must(t, s.UpsertAccounts(c, []store.Account{account("a-2", debt("a-1-d1", 100))}), "reuse freed debt id")
}

func testUpsertAllOrNothing(t *testing.T, s store.Store) {
	c := ctx(t)
	must(t, s.UpsertAccounts(c, []store.Account{account("keep", debt("keep-d1", 100)), account("other", debt("other-d1", 5))}), "seed")

	tests := []struct {
		name  string
		batch []store.Account
	}{
		{"duplicate debt in account", []store.Account{
			account("new-1", debt("n-d1", 1)),
			account("new-2", debt("n-d2", 1), debt("n-d2", 2)),
		}},
		{"duplicate debt across accounts", []store.Account{
			account("new-1", debt("n-d1", 1)),
			account("new-2", debt("n-d1", 1)),
		}},
		{"debt of another stored account", []store.Account{
			account("new-1", debt("n-d1", 1)),
			account("new-2", debt("keep-d1", 1)),
		}},
		{"negative amount", []store.Account{
			account("new-1", debt("n-d1", 1)),
			account("new-2", debt("n-d2", -5)),
		}},
		{"empty account id", []store.Account{account("new-1"), account("")}},
		{"empty debt id", []store.Account{account("new-1"), account("new-2", debt("", 1))}},
		{"duplicate account", []store.Account{account("new-1"), account("new-1")}},
		{"debt naming another account", []store.Account{account("new-1", store.Debt{ID: "x", AccountID: "keep"})}},
		{"update then fail in the database", []store.Account{
			account("keep", debt("keep-d9", 9)),
			account("new-1"),
			account("new-2", debt("other-d1", 1)),
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := s.UpsertAccounts(c, tc.batch)
			wantErr(t, err, store.ErrInvalid, "UpsertAccounts")
			for _, id := range []string{"new-1", "new-2"} {
				_, err := s.GetAccount(c, id)
				wantErr(t, err, store.ErrNotFound, "GetAccount "+id+" after failed batch")
			}
			got, err := s.GetAccount(c, "keep")
			must(t, err, "GetAccount keep")
			equal(t, got, wantAccount(account("keep", debt("keep-d1", 100))), "untouched account")
		})
	}
}

func testListAccountsPagination(t *testing.T, s store.Store) {
	c := ctx(t)
	// Byte order, whatever the database's collation: upper case first,
	// punctuation by code point.
	ids := []string{"b", "a_1", "B", "a1", "a-1", "é", "c"}
	seedAccounts(t, s, ids...)
	var got []string
	after := ""
	pages := 0
	for {
		page, err := s.ListAccounts(c, after, 3)
		must(t, err, "ListAccounts")
		if len(page) > 3 {
			t.Fatalf("page of %d accounts, limit 3", len(page))
		}
		if len(page) == 0 {
			break
		}
		pages++
		for _, a := range page {
			if len(a.Debts) != 1 || a.Debts[0].ID != a.ID+"-d1" {
				t.Fatalf("account %s listed with debts %+v", a.ID, a.Debts)
			}
			got = append(got, a.ID)
		}
		after = page[len(page)-1].ID
	}
	equal(t, got, []string{"B", "a-1", "a1", "a_1", "b", "c", "é"}, "ids in pages")
	if pages != 3 {
		t.Fatalf("%d pages, want 3", pages)
	}
	all, err := s.ListAccounts(c, "", 0)
	must(t, err, "ListAccounts without limit")
	if len(all) != len(ids) {
		t.Fatalf("ListAccounts(limit 0) returned %d, want %d", len(all), len(ids))
	}
}

func testConversationRoundTrip(t *testing.T, s store.Store) {
	c := ctx(t)
	seedAccounts(t, s, "a-1")
	conv := conversation("c-1", "a-1")
	ended := at(2 * time.Hour)
	conv.EndedAt = &ended
	conv.Mode = store.ModeEnded
	conv.Outcome = json.RawMessage(`{"type": "ptp",  "amount": 240}`) // kept byte for byte
	conv.OutcomeType = "ptp"
	conv.LateReason = "illness"
	must(t, s.CreateConversation(c, conv), "CreateConversation")
	got, err := s.GetConversation(c, "c-1")
	must(t, err, "GetConversation")
	equal(t, got, wantConversation(conv), "conversation")

	bare := store.Conversation{ID: "c-2", AccountID: "a-1", Version: 1, CreatedAt: at(0), UpdatedAt: at(0)}
	must(t, s.CreateConversation(c, bare), "CreateConversation bare")
	got, err = s.GetConversation(c, "c-2")
	must(t, err, "GetConversation bare")
	want := wantConversation(bare)
	want.Mode = store.ModeBot // the default mode
	equal(t, got, want, "bare conversation")
}

func testCreateConversationErrors(t *testing.T, s store.Store) {
	c := ctx(t)
	seedAccounts(t, s, "a-1")
	seedConversation(t, s, "c-1", "a-1")
	wantErr(t, s.CreateConversation(c, conversation("c-1", "a-1")), store.ErrConflict, "duplicate id")
	wantErr(t, s.CreateConversation(c, conversation("c-2", "nobody")), store.ErrInvalid, "unknown account")
	wantErr(t, s.CreateConversation(c, conversation("", "a-1")), store.ErrInvalid, "empty id")
}

func testListConversations(t *testing.T, s store.Store) {
	c := ctx(t)
	seedAccounts(t, s, "a-1", "a-2")
	for i, spec := range []struct{ id, acct, mode string }{
		{"c-1", "a-1", store.ModeBot}, {"c-2", "a-2", store.ModeAgent}, {"c-3", "a-1", store.ModeAgent},
		{"c-4", "a-1", store.ModeEnded}, {"c-5", "a-2", store.ModeBot},
	} {
		conv := conversation(spec.id, spec.acct)
		conv.Mode = spec.mode
		conv.CreatedAt = at(time.Duration(i) * time.Minute)
		must(t, s.CreateConversation(c, conv), "CreateConversation")
	}
	ids := func(cs []store.Conversation) []string {
		out := []string{}
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	tests := []struct {
		f    store.ConversationFilter
		want []string
	}{
		{store.ConversationFilter{}, []string{"c-5", "c-4", "c-3", "c-2", "c-1"}},
		{store.ConversationFilter{Limit: 2}, []string{"c-5", "c-4"}},
		{store.ConversationFilter{AccountID: "a-1"}, []string{"c-4", "c-3", "c-1"}},
		{store.ConversationFilter{Mode: store.ModeAgent}, []string{"c-3", "c-2"}},
		{store.ConversationFilter{AccountID: "a-2", Mode: store.ModeBot}, []string{"c-5"}},
		{store.ConversationFilter{AccountID: "nobody"}, []string{}},
	}
	for _, tc := range tests {
		got, err := s.ListConversations(c, tc.f)
		must(t, err, "ListConversations")
		equal(t, ids(got), tc.want, fmt.Sprintf("ListConversations(%+v)", tc.f))
	}
}

func testCommitTurnRoundTrip(t *testing.T, s store.Store) {
	c := ctx(t)
	seedAccounts(t, s, "a-1")
	conv := seedConversation(t, s, "c-1", "a-1")

	commit := step(conv, 1)
	ended := at(3 * time.Hour)
	commit.Conversation.Mode = store.ModeEnded
	commit.Conversation.Outcome = json.RawMessage(`{"type":"plan"}`)
	commit.Conversation.OutcomeType = "plan"
	commit.Conversation.LateReason = "job_loss" // a column of its own
	commit.Conversation.EndedAt = &ended
	commit.Promises = []store.Promise{{
		ID: "p-1", AccountID: "a-1", DebtID: "a-1-d1", AmountMinor: 24000, Currency: "USD",
		DueDate: "2026-11-27", Status: store.DealOpen, CreatedBy: "bot", CreatedAt: at(2 * time.Hour),
	}}
	commit.Plans = []store.Plan{{
		ID: "pl-1", AccountID: "a-1", DebtID: "a-1-d1", Currency: "CNY", TotalMinor: 86000,
		Installments: []store.PlanInstallment{{AmountMinor: 43000, DueDate: "2026-11-30"}, {AmountMinor: 43000, DueDate: "2026-12-30"}},
		Status:       "open", CreatedBy: "bot", CreatedAt: at(2 * time.Hour),
	}}
	commit.Escalations = []store.Escalation{{
		ID: "e-1", AccountID: "a-1", Reason: "hardship", Priority: 2, Status: "initiated",
		Packet: json.RawMessage(`{"summary":"lost job"}`), CreatedAt: at(2 * time.Hour), UpdatedAt: at(2 * time.Hour),
	}}
	commit.Contact = &store.ContactAttempt{ID: "ca-1", AccountID: "a-1", DebtID: "a-1-d1", Channel: "chat",
		Result: "conversation", At: at(2 * time.Hour)}
	must(t, s.CommitTurn(c, commit), "CommitTurn")

	got, err := s.GetConversation(c, "c-1")
	must(t, err, "GetConversation")
	wantConv := wantConversation(commit.Conversation)
	wantConv.CreatedAt = stored(conv.CreatedAt)
	equal(t, got, wantConv, "conversation after commit")

	turns, err := s.ListTurns(c, "c-1")
	must(t, err, "ListTurns")
	wantTurns := make([]store.Turn, len(commit.Turns))
	for i, tr := range commit.Turns {
		tr.ConversationID = "c-1"
		tr.At = stored(tr.At)
		wantTurns[i] = tr
	}
	equal(t, turns, wantTurns, "turns")

	promises, err := s.ListPromises(c, "a-1")
	must(t, err, "ListPromises")
	wp := commit.Promises[0]
	wp.ConversationID = "c-1"
	wp.CreatedAt = stored(wp.CreatedAt)
	equal(t, promises, []store.Promise{wp}, "promises")

	plans, err := s.ListPlans(c, "a-1")
	must(t, err, "ListPlans")
	wpl := commit.Plans[0]
	wpl.ConversationID = "c-1"
	wpl.CreatedAt = stored(wpl.CreatedAt)
	equal(t, plans, []store.Plan{wpl}, "plans")

	escs, err := s.ListEscalations(c, store.EscalationFilter{ConversationID: "c-1"})
	must(t, err, "ListEscalations")
	we := commit.Escalations[0]
	we.ConversationID = "c-1"
	we.CreatedAt = stored(we.CreatedAt)
	we.UpdatedAt = stored(we.UpdatedAt)
	equal(t, escs, []store.Escalation{we}, "escalations")

	audit, err := s.ListAudit(c, "c-1")
	must(t, err, "ListAudit")
	wantAudit := make([]store.AuditEvent, len(commit.Audit))
	for i, e := range commit.Audit {
		e.At = stored(e.At)
		wantAudit[i] = e
	}
	equal(t, audit, wantAudit, "audit")

	contacts, err := s.ListContactAttempts(c, "a-1", at(0))
	must(t, err, "ListContactAttempts")
	wc := *commit.Contact
	wc.At = stored(wc.At)
	equal(t, contacts, []store.ContactAttempt{wc}, "contact attempts")

	// The other account sees none of it.
	seedAccounts(t, s, "a-2")
	if ps, err := s.ListPromises(c, "a-2"); err != nil || len(ps) != 0 {
		t.Fatalf("ListPromises(a-2) = %v, %v; want none", ps, err)
	}
	if ps, err := s.ListPlans(c, "a-2"); err != nil || len(ps) != 0 {
		t.Fatalf("ListPlans(a-2) = %v, %v; want none", ps, err)
	}
}

func testCommitTurnVersionConflict(t *testing.T, s store.Store) {
	c := ctx(t)
	seedAccounts(t, s, "a-1")
	conv := seedConversation(t, s, "c-1", "a-1")
	must(t, s.CommitTurn(c, step(conv, 1)), "commit v2")

	tests := []struct {
		name    string
		version int64
	}{
		{"same version again", 2},
		{"skips a version", 4},
		{"stale", 1 + 1 - 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cm := step(conv, 7)
			cm.Conversation.Version = tc.version
			err := s.CommitTurn(c, cm)
			if tc.version < 1 {
				wantErr(t, err, store.ErrInvalid, "CommitTurn")
				return
			}
			wantErr(t, err, store.ErrConflict, "CommitTurn")
			got, err := s.GetConversation(c, "c-1")
			must(t, err, "GetConversation")
			if got.Version != 2 || got.Stage != "stage-1" {
				t.Fatalf("conversation moved to version %d stage %q after conflict", got.Version, got.Stage)
			}
			turns, err := s.ListTurns(c, "c-1")
			must(t, err, "ListTurns")
			if len(turns) != 2 {
				t.Fatalf("%d turns after conflict, want 2", len(turns))
			}
		})
	}
	must(t, s.CommitTurn(c, step(conv, 2)), "commit v3 after conflicts")
}

func testCommitTurnAtomic(t *testing.T, s store.Store) {
	c := ctx(t)
	seedAccounts(t, s, "a-1")
	conv := seedConversation(t, s, "c-1", "a-1")
	must(t, s.CommitTurn(c, step(conv, 1)), "commit v2")

	bad := []struct {
		name string
		mut  func(*store.TurnCommit)
		want error
	}{
		{"promise of unknown account", func(cm *store.TurnCommit) {
			cm.Promises = []store.Promise{{ID: "p-x", AccountID: "nobody", AmountMinor: 1}}
		}, store.ErrInvalid},
		{"audit seq taken", func(cm *store.TurnCommit) {
			cm.Audit[1].Seq = 1
		}, store.ErrConflict},
		{"turn seq taken by another message", func(cm *store.TurnCommit) {
			cm.Turns[1].Seq = 1
		}, nil},
		{"turn of another conversation", func(cm *store.TurnCommit) {
			cm.Turns[0].ConversationID = "other"
		}, store.ErrInvalid},
		{"invalid state JSON", func(cm *store.TurnCommit) {
			cm.Conversation.State = json.RawMessage(`{"broken"`)
		}, store.ErrInvalid},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			cm := step(conv, 2)
			cm.Contact = &store.ContactAttempt{ID: "ca-x", AccountID: "a-1", Channel: "chat", At: at(0)}
			tc.mut(&cm)
			err := s.CommitTurn(c, cm)
			if err == nil {
				t.Fatal("CommitTurn succeeded, want an error")
			}
			if tc.want != nil {
				wantErr(t, err, tc.want, "CommitTurn")
			}
			got, err := s.GetConversation(c, "c-1")
			must(t, err, "GetConversation")
			if got.Version != 2 {
				t.Fatalf("version %d after failed commit, want 2", got.Version)
			}
			turns, _ := s.ListTurns(c, "c-1")
			audit, _ := s.ListAudit(c, "c-1")
			contacts, _ := s.ListContactAttempts(c, "a-1", time.Time{})
			if len(turns) != 2 || len(audit) != 2 || len(contacts) != 0 {
				t.Fatalf("failed commit left %d turns, %d audit, %d contacts; want 2, 2, 0",
					len(turns), len(audit), len(contacts))
			}
		})
	}
}

func testIdempotentMessageID(t *testing.T, s store.Store) {
	c := ctx(t)
	seedAccounts(t, s, "a-1")
	conv := seedConversation(t, s, "c-1", "a-1")
	must(t, s.CommitTurn(c, step(conv, 1)), "commit v2")

	// The borrower's message m-1 arrives again (a client resend) in the next
	// step: it is skipped, the rest of the step is written.
	cm := step(conv, 2)
	cm.Turns[0].MessageID = "m-1"
	cm.Turns[0].Text = "resent"
	must(t, s.CommitTurn(c, cm), "commit with a repeated message id")
	turns, err := s.ListTurns(c, "c-1")
	must(t, err, "ListTurns")
	var seqs []int64
	for _, tr := range turns {
		seqs = append(seqs, tr.Seq)
		if tr.Text == "resent" {
			t.Fatalf("duplicate message stored: %+v", tr)
		}
	}
	equal(t, seqs, []int64{1, 2, 4}, "turn seqs")

	// The same message id in another conversation is a different message.
	conv2 := seedConversation(t, s, "c-2", "a-1")
	must(t, s.CommitTurn(c, step(conv2, 1)), "commit c-2")
	turns2, err := s.ListTurns(c, "c-2")
	must(t, err, "ListTurns c-2")
	if len(turns2) != 2 {
		t.Fatalf("c-2 has %d turns, want 2", len(turns2))
	}

	// Turns without a message id never collide with each other.
	cm = step(conv, 3)
	cm.Turns[0].MessageID = ""
	must(t, s.CommitTurn(c, cm), "commit without message ids")
	turns, err = s.ListTurns(c, "c-1")
	must(t, err, "ListTurns")
	if len(turns) != 5 {
		t.Fatalf("%d turns, want 5", len(turns))
	}
}

func testConcurrentConversations(t *testing.T, s store.Store) {
	c := ctx(t)
	const convs, steps = 16, 8
	seedAccounts(t, s, "a-1")
	var wg sync.WaitGroup
	errs := make(chan error, convs)
	for i := range convs {
		conv := seedConversation(t, s, fmt.Sprintf("c-%02d", i), "a-1")
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := int64(1); n <= steps; n++ {
				if err := s.CommitTurn(c, step(conv, n)); err != nil {
					errs <- fmt.Errorf("%s step %d: %w", conv.ID, n, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i := range convs {
		id := fmt.Sprintf("c-%02d", i)
		got, err := s.GetConversation(c, id)
		must(t, err, "GetConversation")
		if got.Version != steps+1 {
			t.Errorf("%s at version %d, want %d", id, got.Version, steps+1)
		}
		turns, err := s.ListTurns(c, id)
		must(t, err, "ListTurns")
		if len(turns) != 2*steps {
			t.Errorf("%s has %d turns, want %d", id, len(turns), 2*steps)
		}
		audit, err := s.ListAudit(c, id)
		must(t, err, "ListAudit")
		for k, e := range audit {
			if e.Seq != int64(k+1) {
				t.Fatalf("%s audit[%d].seq = %d", id, k, e.Seq)
			}
		}
	}
}

// testCommitTurnRace has nodes race to commit the same version: exactly one
// wins, the others get ErrConflict.
func testCommitTurnRace(t *testing.T, s store.Store) {
	c := ctx(t)
	seedAccounts(t, s, "a-1")
	conv := seedConversation(t, s, "c-1", "a-1")
	const racers = 8
	results := make(chan error, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cm := step(conv, 1)
			cm.Turns[0].MessageID = fmt.Sprintf("racer-%d", i)
			cm.Turns[1].Text = fmt.Sprintf("racer %d", i)
			results <- s.CommitTurn(c, cm)
		}()
	}
	wg.Wait()
	close(results)
	wins := 0
	for err := range results {
		switch {
		case err == nil:
			wins++
		case errors.Is(err, store.ErrConflict):
		default:
			t.Errorf("racer: unexpected error %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d racers won, want exactly 1", wins)
	}
	turns, err := s.ListTurns(c, "c-1")
	must(t, err, "ListTurns")
	if len(turns) != 2 {
		t.Fatalf("%d turns after race, want 2", len(turns))
	}
}

func testEscalations(t *testing.T, s store.Store) {
	c := ctx(t)
	seedAccounts(t, s, "a-1")
	conv := seedConversation(t, s, "c-1", "a-1")
	conv2 := seedConversation(t, s, "c-2", "a-1")
	cm := step(conv, 1)
	cm.Escalations = []store.Escalation{
		{ID: "e-1", AccountID: "a-1", Reason: "human", Status: "queued", CreatedAt: at(time.Minute), UpdatedAt: at(time.Minute)},
		{ID: "e-2", AccountID: "a-1", Reason: "dispute", Status: "initiated", CreatedAt: at(2 * time.Minute), UpdatedAt: at(2 * time.Minute)},
	}
	must(t, s.CommitTurn(c, cm), "commit c-1")
	cm2 := step(conv2, 1)
	cm2.Escalations = []store.Escalation{
		{ID: "e-3", AccountID: "a-1", Reason: "abuse", Status: "queued", CreatedAt: at(0), UpdatedAt: at(0)},
	}
	must(t, s.CommitTurn(c, cm2), "commit c-2")

	ids := func(f store.EscalationFilter) []string {
		es, err := s.ListEscalations(c, f)
		must(t, err, "ListEscalations")
		out := []string{}
		for _, e := range es {
			out = append(out, e.ID)
		}
		return out
	}
	equal(t, ids(store.EscalationFilter{}), []string{"e-3", "e-1", "e-2"}, "all, oldest first")
	equal(t, ids(store.EscalationFilter{Status: "queued"}), []string{"e-3", "e-1"}, "queued")
	equal(t, ids(store.EscalationFilter{ConversationID: "c-1"}), []string{"e-1", "e-2"}, "of c-1")
	equal(t, ids(store.EscalationFilter{ConversationID: "c-1", Status: "queued"}), []string{"e-1"}, "queued of c-1")
	equal(t, ids(store.EscalationFilter{Limit: 1}), []string{"e-3"}, "limit 1")

	upd := cm.Escalations[0]
	upd.ConversationID = "c-1"
	upd.Status = "accepted"
	upd.AgentID = "agent-7"
	upd.Priority = 5
	upd.Packet = json.RawMessage(`{"note":"call back"}`)
	upd.UpdatedAt = at(time.Hour)
	must(t, s.UpdateEscalation(c, upd), "UpdateEscalation")
	es, err := s.ListEscalations(c, store.EscalationFilter{Status: "accepted"})
	must(t, err, "ListEscalations accepted")
	upd.CreatedAt = stored(upd.CreatedAt)
	upd.UpdatedAt = stored(upd.UpdatedAt)
	equal(t, es, []store.Escalation{upd}, "updated escalation")
}

func testContactAttempts(t *testing.T, s store.Store) {
	c := ctx(t)
	seedAccounts(t, s, "a-1", "a-2")
	var want []store.ContactAttempt
	for i, r := range []string{"no_answer", "voicemail", "blocked", "connected"} {
		a := store.ContactAttempt{ID: fmt.Sprintf("ca-%d", i), AccountID: "a-1", DebtID: "a-1-d1", Channel: "phone",
			Result: r, At: at(time.Duration(i) * time.Hour)}
		if r == "blocked" {
			a.Reason = "quiet hours"
		}
		must(t, s.RecordContactAttempt(c, a), "RecordContactAttempt")
		a.At = stored(a.At)
		want = append(want, a)
	}
	must(t, s.RecordContactAttempt(c, store.ContactAttempt{ID: "other", AccountID: "a-2", Channel: "sms", At: at(0)}), "other account")

	got, err := s.ListContactAttempts(c, "a-1", time.Time{})
	must(t, err, "ListContactAttempts all")
	equal(t, got, want, "all attempts")
	got, err = s.ListContactAttempts(c, "a-1", at(2*time.Hour))
	must(t, err, "ListContactAttempts since")
	equal(t, got, want[2:], "attempts since the third (inclusive)")

	// An attempt without an id gets one.
	must(t, s.RecordContactAttempt(c, store.ContactAttempt{AccountID: "a-2", Channel: "chat", At: at(time.Hour)}), "no id")
	got, err = s.ListContactAttempts(c, "a-2", time.Time{})
	must(t, err, "ListContactAttempts a-2")
	if len(got) != 2 || got[1].ID == "" {
		t.Fatalf("attempts of a-2: %+v", got)
	}
	wantErr(t, s.RecordContactAttempt(c, store.ContactAttempt{ID: "x", AccountID: "nobody", Channel: "chat"}),
		store.ErrInvalid, "unknown account")
}

func testAuditChain(t *testing.T, s store.Store) {
	c := ctx(t)
	last, err := s.LastAudit(c, "system")
	must(t, err, "LastAudit on empty chain")
	equal(t, last, store.AuditEvent{}, "empty chain")

	ev := func(chain string, seq int64) store.AuditEvent {
		return store.AuditEvent{Chain: chain, Seq: seq, Kind: "contact.blocked",
			Data: json.RawMessage(fmt.Sprintf(`{"n": %d, "why":"22:00-08:00 禁止"}`, seq)),
			At:   at(time.Duration(seq) * time.Second), PrevHash: fmt.Sprintf("%s-%d", chain, seq-1),
			Hash: fmt.Sprintf("%s-%d", chain, seq)}
	}
	// Appended out of chain order, in several calls.
	must(t, s.AppendAudit(c, []store.AuditEvent{ev("system", 1), ev("b", 1)}), "append 1")
	must(t, s.AppendAudit(c, []store.AuditEvent{ev("system", 2), ev("system", 3)}), "append 2")
	must(t, s.AppendAudit(c, []store.AuditEvent{ev("a", 1), ev("b", 2)}), "append 3")
	must(t, s.AppendAudit(c, nil), "append nothing")

	last, err = s.LastAudit(c, "system")
	must(t, err, "LastAudit")
	w := ev("system", 3)
	w.At = stored(w.At)
	equal(t, last, w, "last of system")

	all, err := s.ListAudit(c, "")
	must(t, err, "ListAudit all")
	var keys []string
	for _, e := range all {
		keys = append(keys, fmt.Sprintf("%s/%d", e.Chain, e.Seq))
	}
	equal(t, keys, []string{"a/1", "b/1", "b/2", "system/1", "system/2", "system/3"}, "all events by chain, seq")

	sys, err := s.ListAudit(c, "system")
	must(t, err, "ListAudit system")
	for i, e := range sys {
		want := ev("system", int64(i+1))
		want.At = stored(want.At)
		equal(t, e, want, "system event")
	}

	// A writer that linked to a stale head loses, and nothing of its batch
	// is kept.
	err = s.AppendAudit(c, []store.AuditEvent{ev("a", 2), ev("system", 3)})
	wantErr(t, err, store.ErrConflict, "append over a taken seq")
	last, err = s.LastAudit(c, "a")
	must(t, err, "LastAudit a")
	if last.Seq != 1 {
		t.Fatalf("chain a at seq %d after failed append, want 1", last.Seq)
	}
	wantErr(t, s.AppendAudit(c, []store.AuditEvent{{Chain: "", Seq: 1, Kind: "x"}}), store.ErrInvalid, "empty chain")
	wantErr(t, s.AppendAudit(c, []store.AuditEvent{{Chain: "x", Seq: 0, Kind: "x"}}), store.ErrInvalid, "seq 0")
}

func testNotFound(t *testing.T, s store.Store) {
	c := ctx(t)
	seedAccounts(t, s, "a-1")
	_, err := s.GetAccount(c, "nobody")
	wantErr(t, err, store.ErrNotFound, "GetAccount")
	_, err = s.GetConversation(c, "nothing")
	wantErr(t, err, store.ErrNotFound, "GetConversation")
	cm := step(conversation("nothing", "a-1"), 1)
	wantErr(t, s.CommitTurn(c, cm), store.ErrNotFound, "CommitTurn")
	wantErr(t, s.UpdateEscalation(c, store.Escalation{ID: "nothing", Status: "accepted"}), store.ErrNotFound, "UpdateEscalation")

	// Lists of nothing are empty, not errors.
	if ts, err := s.ListTurns(c, "nothing"); err != nil || len(ts) != 0 {
		t.Fatalf("ListTurns = %v, %v", ts, err)
	}
	if es, err := s.ListAudit(c, "nothing"); err != nil || len(es) != 0 {
		t.Fatalf("ListAudit = %v, %v", es, err)
	}
}

func testInvalidJSON(t *testing.T, s store.Store) {
	c := ctx(t)
	seedAccounts(t, s, "a-1")
	conv := conversation("c-1", "a-1")
	conv.State = json.RawMessage(`not json`)
	wantErr(t, s.CreateConversation(c, conv), store.ErrInvalid, "CreateConversation")
	wantErr(t, s.AppendAudit(c, []store.AuditEvent{{Chain: "x", Seq: 1, Kind: "k", Data: json.RawMessage(`{`)}}),
		store.ErrInvalid, "AppendAudit")
}

func testClose(t *testing.T, s store.Store) {
	c := ctx(t)
	must(t, s.Ping(c), "Ping")
	must(t, s.Close(), "Close")
	must(t, s.Close(), "second Close")
	if err := s.Ping(c); err == nil {
		t.Fatal("Ping after Close succeeded")
	}
	if err := s.UpsertAccounts(c, []store.Account{account("a-1")}); err == nil {
		t.Fatal("UpsertAccounts after Close succeeded")
	}
}

// testStopContact: a turn that acknowledges "stop contacting me" sets
// do-not-contact in the same transaction; a bad channel fails the whole
// commit.
func testStopContact(t *testing.T, s store.Store) {
	seedAccounts(t, s, "a-1")
	c := seedConversation(t, s, "c-1", "a-1")
	bad := step(c, 1)
	bad.StopContact = &store.StopContact{AccountID: "a-1", Channels: []string{"chat", "pigeon"}}
	wantErr(t, s.CommitTurn(ctx(t), bad), store.ErrInvalid, "CommitTurn with an unknown channel")
	a, err := s.GetAccount(ctx(t), "a-1")
	must(t, err, "GetAccount")
	before := account("a-1").DoNotContact // voice and sms set, chat and email not
	equal(t, a.DoNotContact, before, "do-not-contact after a failed commit")

	ok := step(c, 1)
	ok.StopContact = &store.StopContact{AccountID: "a-1", Channels: []string{"chat"}}
	must(t, s.CommitTurn(ctx(t), ok), "CommitTurn")
	a, err = s.GetAccount(ctx(t), "a-1")
	must(t, err, "GetAccount")
	before.Chat = true
	equal(t, a.DoNotContact, before, "do-not-contact")
}

// testStatements: a borrower's statements are written with the turn that
// stated them (a bad one fails the whole commit), survive a re-import of
// the account, come back oldest first with their details, and are cleared
// once, with a reason, together with an audit event.
func testStatements(t *testing.T, s store.Store) {
	seedAccounts(t, s, "a-1", "a-2")
	c := seedConversation(t, s, "c-1", "a-1")

	bad := step(c, 1)
	bad.Statements = []store.Statement{{AccountID: "a-1", Kind: store.StatementDispute, Channels: []string{"chat"}}}
	wantErr(t, s.CommitTurn(ctx(t), bad), store.ErrInvalid, "CommitTurn with a channel-limited dispute")
	bad.Statements = []store.Statement{{AccountID: "a-1", Kind: "lawsuit"}}
	wantErr(t, s.CommitTurn(ctx(t), bad), store.ErrInvalid, "CommitTurn with an unknown kind")
	got, err := s.ListStatements(ctx(t), "a-1")
	must(t, err, "ListStatements")
	if len(got) != 0 {
		t.Fatalf("a failed commit left statements: %+v", got)
	}
	turns, err := s.ListTurns(ctx(t), "c-1")
	must(t, err, "ListTurns")
	if len(turns) != 0 {
		t.Fatalf("a failed commit left turns: %+v", turns)
	}

	ok := step(c, 1)
	ok.Statements = []store.Statement{
		{ID: "st-1", AccountID: "a-1", Kind: store.StatementCease, Channels: []string{"voice", "sms"}, TurnSeq: 1,
			Channel: "chat", At: at(2 * time.Hour)},
		{ID: "st-2", AccountID: "a-1", Kind: store.StatementAttorney, TurnSeq: 1, Channel: "chat",
			Details: json.RawMessage(`{"name":"Jane Roe","phone":"+13125550199"}`), At: at(2*time.Hour + time.Second)},
	}
	must(t, s.CommitTurn(ctx(t), ok), "CommitTurn with statements")
	// A lender's re-import does not erase what the borrower stated.
	seedAccounts(t, s, "a-1")
	want := []store.Statement{
		{ID: "st-1", AccountID: "a-1", Kind: store.StatementCease, Channels: []string{"voice", "sms"}, ConversationID: "c-1",
			TurnSeq: 1, Channel: "chat", At: stored(at(2 * time.Hour))},
		{ID: "st-2", AccountID: "a-1", Kind: store.StatementAttorney, ConversationID: "c-1", TurnSeq: 1, Channel: "chat",
			Details: json.RawMessage(`{"name":"Jane Roe","phone":"+13125550199"}`), At: stored(at(2*time.Hour + time.Second))},
	}
	got, err = s.ListStatements(ctx(t), "a-1")
	must(t, err, "ListStatements")
	equal(t, got, want, "statements")
	other, err := s.ListStatements(ctx(t), "a-2")
	must(t, err, "ListStatements a-2")
	if len(other) != 0 {
		t.Fatalf("another account's statements: %+v", other)
	}

	clr := store.StatementClear{AccountID: "a-1", ID: "st-2", By: "lender-api", At: at(3 * time.Hour),
		Audit: []store.AuditEvent{{Chain: "account:a-1", Seq: 1, Kind: "statement.cleared", Data: json.RawMessage(`{"id":"st-2"}`)}}}
	noReason := clr
	_, err = s.ClearStatement(ctx(t), noReason)
	wantErr(t, err, store.ErrInvalid, "ClearStatement without a reason")
	clr.Reason = "attorney confirmed withdrawal in writing"
	wrong := clr
	wrong.AccountID = "a-2"
	_, err = s.ClearStatement(ctx(t), wrong)
	wantErr(t, err, store.ErrNotFound, "ClearStatement on another account")
	cleared, err := s.ClearStatement(ctx(t), clr)
	must(t, err, "ClearStatement")
	if cleared.Active() || !cleared.ClearedAt.Equal(stored(at(3*time.Hour))) || cleared.ClearedBy != "lender-api" || cleared.ClearReason != clr.Reason {
		t.Fatalf("cleared statement: %+v", cleared)
	}
	evs, err := s.ListAudit(ctx(t), "account:a-1")
	must(t, err, "ListAudit")
	if len(evs) != 1 || evs[0].Kind != "statement.cleared" {
		t.Fatalf("audit with the clear: %+v", evs)
	}
	again := clr
	again.Audit = []store.AuditEvent{{Chain: "account:a-1", Seq: 2, Kind: "statement.cleared"}}
	_, err = s.ClearStatement(ctx(t), again)
	wantErr(t, err, store.ErrConflict, "ClearStatement twice")
	evs, err = s.ListAudit(ctx(t), "account:a-1")
	must(t, err, "ListAudit")
	if len(evs) != 1 {
		t.Fatalf("a refused clear left audit events: %+v", evs)
	}
	got, err = s.ListStatements(ctx(t), "a-1")
	must(t, err, "ListStatements")
	if len(got) != 2 || !got[0].Active() || got[1].Active() {
		t.Fatalf("after clearing st-2: %+v", got)
	}
}

// testCommitTurnBounded: a conversation holds at most store.MaxTurns
// turns; the commit past it is refused whole with ErrLimit.
func testCommitTurnBounded(t *testing.T, s store.Store) {
	seedAccounts(t, s, "acct-bound")
	c := seedConversation(t, s, "conv-bound", "acct-bound")
	c.Version = 2
	c.UpdatedAt = at(time.Hour)
	ok := store.TurnCommit{Conversation: c, Turns: []store.Turn{{Seq: store.MaxTurns, From: "bot", Text: "last", At: c.UpdatedAt}}}
	must(t, s.CommitTurn(ctx(t), ok), "CommitTurn at the bound")
	c.Version = 3
	over := store.TurnCommit{Conversation: c, Turns: []store.Turn{{Seq: store.MaxTurns + 1, From: "borrower", Text: "one more", At: c.UpdatedAt}}}
	wantErr(t, s.CommitTurn(ctx(t), over), store.ErrLimit, "CommitTurn past the bound")
	got, err := s.GetConversation(ctx(t), c.ID)
	must(t, err, "GetConversation")
	equal(t, got.Version, int64(2), "version after the refused commit")
}

// testOutbox: a step's events are stored with it and only with it (a
// failed commit leaves none), come back oldest first up to a time and a
// limit, and are gone once deleted; deleting unknown ids is no error.
func testOutbox(t *testing.T, s store.Store) {
	c := ctx(t)
	seedAccounts(t, s, "a-1")
	conv := seedConversation(t, s, "c-1", "a-1")
	cm := step(conv, 1)
	cm.Events = []store.Event{
		{ID: "ev-1", Kind: "ptp.created", At: at(2 * time.Hour), Data: json.RawMessage(`{"id":"p-1","amount_minor":24000}`)},
		{ID: "ev-2", Kind: "conv.ended", At: at(2 * time.Hour), Data: json.RawMessage(`{"conversation_id":"c-1"}`)},
	}
	must(t, s.CommitTurn(c, cm), "CommitTurn")
	later := step(conv, 2)
	later.Events = []store.Event{{Kind: "plan.created", At: at(3 * time.Hour), Data: json.RawMessage(`[1,2]`)}}
	must(t, s.CommitTurn(c, later), "CommitTurn v3")

	failed := step(conv, 2) // version 3 again: a conflict writes nothing
	failed.Events = []store.Event{{ID: "ev-lost", Kind: "conv.ended", Data: json.RawMessage(`{}`)}}
	wantErr(t, s.CommitTurn(c, failed), store.ErrConflict, "stale CommitTurn")
	bad := step(conv, 3)
	bad.Events = []store.Event{{ID: "ev-bad", Kind: "x", Data: json.RawMessage(`{"broken"`)}}
	wantErr(t, s.CommitTurn(c, bad), store.ErrInvalid, "CommitTurn with invalid event data")

	all, err := s.PendingEvents(c, at(4*time.Hour), 0)
	must(t, err, "PendingEvents")
	if len(all) != 3 {
		t.Fatalf("PendingEvents: %d events, want 3: %+v", len(all), all)
	}
	if all[2].ID == "" {
		t.Fatal("an event without id was stored without one")
	}
	want := append([]store.Event(nil), cm.Events...)
	want = append(want, store.Event{ID: all[2].ID, Kind: "plan.created", At: at(3 * time.Hour), Data: json.RawMessage(`[1,2]`)})
	for i := range want {
		want[i].At = stored(want[i].At)
	}
	equal(t, all, want, "pending events")

	until, err := s.PendingEvents(c, at(2*time.Hour), 0)
	must(t, err, "PendingEvents until the first step")
	equal(t, until, want[:2], "events committed by then")
	first, err := s.PendingEvents(c, at(4*time.Hour), 1)
	must(t, err, "PendingEvents limit 1")
	equal(t, first, want[:1], "the oldest event")

	must(t, s.DeleteEvents(c, []string{"ev-1", all[2].ID, "never-stored"}), "DeleteEvents")
	must(t, s.DeleteEvents(c, nil), "DeleteEvents of nothing")
	left, err := s.PendingEvents(c, at(4*time.Hour), 0)
	must(t, err, "PendingEvents after delete")
	equal(t, left, want[1:2], "events left")
}
