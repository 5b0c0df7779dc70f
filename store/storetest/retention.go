package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/collectagent/collectagent/store"
)

// auditEv is an audit event the retention tests append, with fake hashes
// (the store only keeps them).
func auditEv(chain string, seq int64, kind string, when time.Time) store.AuditEvent {
	return store.AuditEvent{Chain: chain, Seq: seq, Kind: kind, Data: json.RawMessage(`{"n":1}`), At: when,
		PrevHash: fmt.Sprintf("p%d", seq), Hash: fmt.Sprintf("h%d", seq)}
}

func testHolds(t *testing.T, s store.Store) {
	c := ctx(t)
	seedAccounts(t, s, "a-1", "a-2")
	h, err := s.PlaceHold(c, store.Hold{AccountID: "a-1", Reason: "litigation 24-113", PlacedBy: "api:1", PlacedAt: at(0)},
		[]store.AuditEvent{auditEv("account:a-1", 1, "hold.placed", at(0))})
	must(t, err, "PlaceHold")
	if h.ID == "" || !h.Active() || !h.PlacedAt.Equal(stored(at(0))) {
		t.Fatalf("placed hold: %+v", h)
	}
	_, err = s.PlaceHold(c, store.Hold{AccountID: "a-1", Reason: " "}, nil)
	wantErr(t, err, store.ErrInvalid, "hold without a reason")
	_, err = s.PlaceHold(c, store.Hold{AccountID: "nobody", Reason: "x"}, nil)
	wantErr(t, err, store.ErrInvalid, "hold on an unknown account")
	// The audit event goes with the hold, all or nothing.
	_, err = s.PlaceHold(c, store.Hold{AccountID: "a-1", Reason: "second"}, []store.AuditEvent{auditEv("account:a-1", 1, "hold.placed", at(0))})
	wantErr(t, err, store.ErrConflict, "hold with a stale audit seq")

	holds, err := s.ListHolds(c, "a-1")
	must(t, err, "ListHolds")
	equal(t, holds, []store.Hold{h}, "holds after the failed second")

	all, err := s.ListHolds(c, "")
	must(t, err, "ListHolds all")
	equal(t, all, []store.Hold{h}, "active holds")

	_, err = s.ReleaseHold(c, store.HoldRelease{AccountID: "a-1", ID: h.ID, By: "api:2"})
	wantErr(t, err, store.ErrInvalid, "release without a reason")
	_, err = s.ReleaseHold(c, store.HoldRelease{AccountID: "a-2", ID: h.ID, By: "api:2", Reason: "x"})
	wantErr(t, err, store.ErrNotFound, "release through another account")
	r, err := s.ReleaseHold(c, store.HoldRelease{AccountID: "a-1", ID: h.ID, By: "api:2", Reason: "case closed", At: at(time.Hour),
		Audit: []store.AuditEvent{auditEv("account:a-1", 2, "hold.released", at(time.Hour))}})
	must(t, err, "ReleaseHold")
	if r.Active() || !r.ReleasedAt.Equal(stored(at(time.Hour))) || r.ReleasedBy != "api:2" || r.ReleaseReason != "case closed" {
		t.Fatalf("released hold: %+v", r)
	}
	_, err = s.ReleaseHold(c, store.HoldRelease{AccountID: "a-1", ID: h.ID, By: "api:2", Reason: "again"})
	wantErr(t, err, store.ErrConflict, "release twice")
	holds, err = s.ListHolds(c, "a-1")
	must(t, err, "ListHolds")
	equal(t, holds, []store.Hold{r}, "holds after the release")
	all, err = s.ListHolds(c, "")
	must(t, err, "ListHolds all")
	equal(t, len(all), 0, "active holds after the release")
	evs, err := s.ListAudit(c, "account:a-1")
	must(t, err, "ListAudit")
	if len(evs) != 2 || evs[0].Kind != "hold.placed" || evs[1].Kind != "hold.released" {
		t.Fatalf("account chain: %+v", evs)
	}
}

// seedHistory gives account id a conversation with two steps (turns,
// audit events, an escalation with a packet) and a contact attempt, all
// around at(1h).
func seedHistory(t *testing.T, s store.Store, id string) string {
	t.Helper()
	c := ctx(t)
	conv := seedConversation(t, s, id+"-c1", id)
	must(t, s.CommitTurn(c, step(conv, 1)), "step 1")
	st := step(conv, 2)
	st.Escalations = []store.Escalation{{ID: id + "-e1", AccountID: id, Reason: "hardship", Status: "queued",
		Packet: json.RawMessage(`{"summary":"lost her job"}`), CreatedAt: at(time.Hour)}}
	must(t, s.CommitTurn(c, st), "step 2")
	must(t, s.RecordContactAttempt(c, store.ContactAttempt{ID: id + "-ca", AccountID: id, Channel: "phone", Result: "connected", At: at(time.Hour)}), "attempt")
	return conv.ID
}

func testPurge(t *testing.T, s store.Store) {
	c := ctx(t)
	seedAccounts(t, s, "a-1", "a-2", "a-3", "a-4")
	for _, id := range []string{"a-1", "a-2", "a-3"} {
		seedHistory(t, s, id)
	}
	// a-2 is active again later; a-3 is under hold; a-4 has no history.
	must(t, s.RecordContactAttempt(c, store.ContactAttempt{ID: "late", AccountID: "a-2", Channel: "sms", At: at(48 * time.Hour)}), "late attempt")
	_, err := s.PlaceHold(c, store.Hold{AccountID: "a-3", Reason: "subpoena"}, nil)
	must(t, err, "PlaceHold")

	cut := at(24 * time.Hour)
	for _, kind := range store.PurgeKinds {
		got, err := s.PurgeCandidates(c, kind, cut, "", 0)
		must(t, err, "PurgeCandidates "+kind)
		want := []store.PurgeCandidate{{AccountID: "a-1", Conversations: []string{"a-1-c1"}}}
		if kind == store.KindContactAttempts {
			want[0].Conversations = nil
		}
		equal(t, got, want, "candidates for "+kind)
	}
	none, err := s.PurgeCandidates(c, store.KindTranscripts, cut, "a-1", 10)
	must(t, err, "PurgeCandidates after a-1")
	equal(t, len(none), 0, "candidates after a-1")
	_, err = s.PurgeCandidates(c, "everything", cut, "", 0)
	wantErr(t, err, store.ErrInvalid, "unknown kind")

	// The store checks again: a held or active account is not purged.
	_, err = s.Purge(c, store.Purge{AccountID: "a-3", Kind: store.KindTranscripts, Before: cut, Conversations: []string{"a-3-c1"}})
	wantErr(t, err, store.ErrHeld, "purge under hold")
	_, err = s.Purge(c, store.Purge{AccountID: "a-2", Kind: store.KindTranscripts, Before: cut, Conversations: []string{"a-2-c1"}})
	wantErr(t, err, store.ErrConflict, "purge after activity")

	res, err := s.Purge(c, store.Purge{AccountID: "a-1", Kind: store.KindTranscripts, Before: cut,
		Conversations: []string{"a-1-c1", "a-2-c1"}, // another account's conversation is ignored
		Audit:         []store.AuditEvent{auditEv("account:a-1", 1, "retention.purged", at(30*time.Hour))}})
	must(t, err, "Purge transcripts")
	equal(t, res, store.PurgeResult{Turns: 4}, "transcripts purged")
	turns, err := s.ListTurns(c, "a-1-c1")
	must(t, err, "ListTurns")
	equal(t, len(turns), 0, "a-1's turns")
	turns, err = s.ListTurns(c, "a-2-c1")
	must(t, err, "ListTurns a-2")
	equal(t, len(turns), 4, "a-2's turns")
	conv, err := s.GetConversation(c, "a-1-c1")
	must(t, err, "GetConversation")
	if conv.State != nil || conv.Version != 3 {
		t.Fatalf("purged conversation: state %s, version %d", conv.State, conv.Version)
	}
	escs, err := s.ListEscalations(c, store.EscalationFilter{ConversationID: "a-1-c1"})
	must(t, err, "ListEscalations")
	if len(escs) != 1 || escs[0].Packet != nil || escs[0].Reason != "hardship" {
		t.Fatalf("purged escalation: %+v", escs)
	}
	got, err := s.PurgeCandidates(c, store.KindTranscripts, cut, "", 0)
	must(t, err, "PurgeCandidates again")
	equal(t, len(got), 0, "transcript candidates once purged")

	res, err = s.Purge(c, store.Purge{AccountID: "a-1", Kind: store.KindAudit, Before: cut, Conversations: []string{"a-1-c1"},
		Audit: []store.AuditEvent{auditEv("account:a-1", 2, "retention.purged", at(30*time.Hour))}})
	must(t, err, "Purge audit")
	equal(t, res, store.PurgeResult{AuditEvents: 4}, "audit purged")
	evs, err := s.ListAudit(c, "a-1-c1")
	must(t, err, "ListAudit")
	equal(t, len(evs), 0, "a-1-c1's chain")
	evs, err = s.ListAudit(c, "account:a-1")
	must(t, err, "ListAudit account")
	equal(t, len(evs), 2, "the account chain keeps the purge records")

	res, err = s.Purge(c, store.Purge{AccountID: "a-1", Kind: store.KindContactAttempts, Before: cut})
	must(t, err, "Purge attempts")
	equal(t, res, store.PurgeResult{ContactAttempts: 1}, "attempts purged")
	atts, err := s.ListContactAttempts(c, "a-2", time.Time{})
	must(t, err, "ListContactAttempts a-2")
	equal(t, len(atts), 2, "a-2's attempts")
	// Promises, plans, statements and the account stay.
	if _, err := s.GetAccount(c, "a-1"); err != nil {
		t.Fatalf("GetAccount after purges: %v", err)
	}
}

func testErase(t *testing.T, s store.Store) {
	c := ctx(t)
	seedAccounts(t, s, "a-1", "a-2")
	conv := seedHistory(t, s, "a-1")
	seedHistory(t, s, "a-2")
	st := step(store.Conversation{ID: conv, AccountID: "a-1", Mode: store.ModeBot}, 3)
	st.Turns, st.Audit = st.Turns[:1], st.Audit[:1]
	st.Turns[0].Seq, st.Audit[0].Seq = 5, 5
	st.Promises = []store.Promise{{ID: "p-1", AccountID: "a-1", DebtID: "a-1-d1", AmountMinor: 12000, Currency: "USD", DueDate: "2026-12-11", Status: store.DealOpen, CreatedBy: "bot"}}
	st.Statements = []store.Statement{{ID: "s-1", AccountID: "a-1", Kind: store.StatementDispute, Channel: "chat", TurnSeq: 5}}
	must(t, s.CommitTurn(c, st), "step 3")

	redact := func(ev store.AuditEvent) []byte {
		if ev.Kind == "outcome" {
			return ev.Data
		}
		return []byte(`{"erased":true}`)
	}
	_, err := s.Erase(c, store.Erasure{AccountID: "a-1", Conversations: []string{conv}})
	wantErr(t, err, store.ErrInvalid, "erasure without RedactAudit")
	_, err = s.Erase(c, store.Erasure{AccountID: "nobody", RedactAudit: redact})
	wantErr(t, err, store.ErrNotFound, "erasure of an unknown account")
	_, err = s.Erase(c, store.Erasure{AccountID: "a-1", RedactAudit: redact})
	wantErr(t, err, store.ErrConflict, "erasure that misses a conversation")
	h, err := s.PlaceHold(c, store.Hold{AccountID: "a-1", Reason: "litigation"}, nil)
	must(t, err, "PlaceHold")
	_, err = s.Erase(c, store.Erasure{AccountID: "a-1", Conversations: []string{conv}, RedactAudit: redact})
	wantErr(t, err, store.ErrHeld, "erasure under hold")
	a, err := s.GetAccount(c, "a-1")
	must(t, err, "GetAccount")
	if a.Name == "" {
		t.Fatal("a failed erasure changed the account")
	}
	_, err = s.ReleaseHold(c, store.HoldRelease{AccountID: "a-1", ID: h.ID, By: "x", Reason: "done"})
	must(t, err, "ReleaseHold")

	res, err := s.Erase(c, store.Erasure{AccountID: "a-1", Conversations: []string{conv}, RedactAudit: redact, At: at(72 * time.Hour),
		Audit: []store.AuditEvent{auditEv("account:a-1", 1, "erasure", at(72*time.Hour))}})
	must(t, err, "Erase")
	equal(t, res, store.ErasureResult{Conversations: 1, Turns: 5, AuditEvents: 3, Escalations: 1}, "erasure counts")

	a, err = s.GetAccount(c, "a-1")
	must(t, err, "GetAccount")
	if a.Name != "" || a.DateOfBirth != "" || a.IDLast4 != "" || a.Phone != "" || a.Email != "" {
		t.Fatalf("erased account keeps personal data: %+v", a)
	}
	if !(a.DoNotContact.Chat && a.DoNotContact.Voice && a.DoNotContact.SMS && a.DoNotContact.Email) || a.Consent.Recording {
		t.Fatalf("erased account may still be contacted: %+v %+v", a.DoNotContact, a.Consent)
	}
	if len(a.Debts) != 1 || a.Debts[0].AmountMinor != 24000 {
		t.Fatalf("erased account lost its debts: %+v", a.Debts)
	}
	turns, err := s.ListTurns(c, conv)
	must(t, err, "ListTurns")
	if len(turns) != 5 {
		t.Fatalf("erasure removed turns: %d left", len(turns))
	}
	for _, tu := range turns {
		if tu.Text != "" || tu.Meta != nil || tu.From == "" || tu.At.IsZero() {
			t.Fatalf("erased turn: %+v", tu)
		}
	}
	cv, err := s.GetConversation(c, conv)
	must(t, err, "GetConversation")
	if cv.State != nil || cv.Outcome != nil || cv.Channel != "chat" {
		t.Fatalf("erased conversation: %+v", cv)
	}
	evs, err := s.ListAudit(c, conv)
	must(t, err, "ListAudit")
	for _, ev := range evs {
		want := `{"erased":true}`
		if ev.Kind == "outcome" {
			want = `{"type":"none"}`
		}
		if string(ev.Data) != want || ev.Hash == "" {
			t.Fatalf("audit event %d (%s) after erasure: %s", ev.Seq, ev.Kind, ev.Data)
		}
	}
	ps, err := s.ListPromises(c, "a-1")
	must(t, err, "ListPromises")
	sts, err := s.ListStatements(c, "a-1")
	must(t, err, "ListStatements")
	atts, err := s.ListContactAttempts(c, "a-1", time.Time{})
	must(t, err, "ListContactAttempts")
	if len(ps) != 1 || len(sts) != 1 || len(atts) != 1 {
		t.Fatalf("erasure removed records the lender keeps: %d promises, %d statements, %d attempts", len(ps), len(sts), len(atts))
	}
	// The other borrower is untouched.
	other, err := s.ListTurns(c, "a-2-c1")
	must(t, err, "ListTurns a-2")
	if other[0].Text == "" {
		t.Fatal("erasure reached another account")
	}
	// An import of the erased account updates its debts and brings none
	// of its personal data back.
	again := account("a-1", debt("a-1-d1", 30000))
	must(t, s.UpsertAccounts(c, []store.Account{again}), "re-import")
	a, err = s.GetAccount(c, "a-1")
	must(t, err, "GetAccount after the re-import")
	if a.Name != "" || a.Phone != "" || a.Email != "" || a.DateOfBirth != "" || !a.DoNotContact.Chat || a.Consent.Chat || a.Debts[0].AmountMinor != 30000 {
		t.Fatalf("re-imported erased account: %+v", a)
	}
	b, err := s.GetAccount(c, "a-2")
	must(t, err, "GetAccount a-2")
	if b.Name == "" {
		t.Fatal("the other account lost its name")
	}
	// Erasing again finds nothing left to redact.
	res, err = s.Erase(c, store.Erasure{AccountID: "a-1", Conversations: []string{conv}, RedactAudit: redact})
	must(t, err, "Erase again")
	equal(t, res, store.ErasureResult{Conversations: 1}, "second erasure")
}

func testLease(t *testing.T, s store.Store) {
	c := ctx(t)
	got, err := s.AcquireLease(c, "purge", "node-a", at(0), at(time.Minute))
	must(t, err, "acquire")
	equal(t, got, true, "first holder")
	got, err = s.AcquireLease(c, "purge", "node-b", at(30*time.Second), at(90*time.Second))
	must(t, err, "acquire b")
	equal(t, got, false, "second holder while held")
	got, err = s.AcquireLease(c, "purge", "node-a", at(45*time.Second), at(2*time.Minute))
	must(t, err, "renew")
	equal(t, got, true, "renewal")
	got, err = s.AcquireLease(c, "purge", "node-b", at(90*time.Second), at(3*time.Minute))
	must(t, err, "acquire b before the renewed expiry")
	equal(t, got, false, "b before the renewed expiry")
	got, err = s.AcquireLease(c, "purge", "node-b", at(2*time.Minute), at(3*time.Minute))
	must(t, err, "take over")
	equal(t, got, true, "b once expired")
	got, err = s.AcquireLease(c, "other", "node-a", at(2*time.Minute), at(3*time.Minute))
	must(t, err, "other lease")
	equal(t, got, true, "leases are independent")
	_, err = s.AcquireLease(c, "", "node-a", at(0), at(1))
	if !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("lease without a name: %v", err)
	}
}
