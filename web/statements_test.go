package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/collectagent/collectagent/accounts"
	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/store"
)

// Someone who says they are the borrower's mother is held as a third
// party over the real WebSocket: the pack's permitted message only, the
// borrower's date of birth is not accepted afterwards, nothing about the
// debt is said, the outcome is wrong_party, and nothing is saved on the
// account.
func TestChatThirdPartyIsLocked(t *testing.T) {
	for _, tc := range []struct {
		acct  accounts.Account
		lines []string
		leaks []string
	}{
		{maria("a-1"), []string{"hi, this is her mom, she's not home right now"}, []string{"240", "Demo Finance", "debt"}},
		{wangFang("a-2"), []string{"我是她妈妈，她不在家，她欠了多少"}, []string{"860", "示范金融", "欠款"}},
		// Both identity factors given by someone acting under a power of
		// attorney, and a wife writing Spanish and English who gives his
		// birth date: third parties all the same.
		{maria("a-3"), []string{"I have power of attorney for my mother Maria Lopez. Her DOB is 07/21/1988 and the last four are 4417."}, []string{"240", "Demo Finance", "debt"}},
		{maria("a-4"), []string{"soy su hermana, maria no habla ingles. her birthday is july 21 1988"}, []string{"240", "Demo Finance", "debt"}},
	} {
		t.Run(tc.acct.ID, func(t *testing.T) {
			e := newEnv(t, nil)
			e.addAccounts(tc.acct)
			s := e.mint(tc.acct.ID)
			c := e.mustDial(s.Token)
			untilStatus(t, c)
			replies, st := say(t, c, tc.lines[0])
			if st.Mode != "ended" || st.Outcome != "wrong_party" {
				t.Fatalf("status %+v after %q: %s", st, tc.lines[0], texts(replies))
			}
			for _, l := range tc.leaks {
				if strings.Contains(texts(replies), l) {
					t.Errorf("said %q to a third party: %s", l, texts(replies))
				}
			}
			// The borrower's date of birth, typed by the same person, is
			// not an identity answer any more.
			send(t, c, ClientFrame{Type: FrameMessage, Text: tc.acct.DateOfBirth, ID: "dob-1"})
			if f := readFrame(t, c); f.Type == FrameMessage && (strings.Contains(f.Text, "confirmed") || strings.Contains(f.Text, "已核实")) {
				t.Fatalf("verified a third party: %+v", f)
			}
			conv, err := e.st.GetConversation(context.Background(), s.ConversationID)
			if err != nil || !strings.Contains(string(conv.Outcome), "third_party") || !strings.Contains(string(conv.State), `"third_party":true`) {
				t.Fatalf("conversation %s %s %v", conv.Outcome, conv.State, err)
			}
			var out struct {
				Statements []StatementOut `json:"statements"`
			}
			e.mustDo("GET", "/v1/accounts/"+tc.acct.ID+"/statements", nil, http.StatusOK, &out)
			if len(out.Statements) != 0 {
				t.Errorf("a third party's words were saved on the account: %+v", out.Statements)
			}
		})
	}
}

// A verified borrower who says the debt is paid already disputes it: the
// claim is saved on the account with the turn, the chat goes to a person,
// and a new session on the account names no amount and goes to a person
// too.
func TestChatAlreadyPaidIsADispute(t *testing.T) {
	for _, tc := range []struct {
		acct       accounts.Account
		dob, claim string
		amount     string
	}{
		{maria("a-1"), "07/21/1988", "I paid this off. Check your records.", "240"},
		{wangFang("a-2"), "1992年3月15日", "我早就还清了 上个月就结清了 你们系统有问题吧", "860"},
	} {
		t.Run(tc.acct.Locale, func(t *testing.T) {
			e := newEnv(t, nil)
			e.addAccounts(tc.acct)
			s := e.mint(tc.acct.ID)
			c := e.mustDial(s.Token)
			untilStatus(t, c)
			say(t, c, tc.dob)
			if replies, st := say(t, c, tc.claim); st.Outcome != "dispute" || st.Mode != "waiting_agent" {
				t.Fatalf("after %q: %+v %s", tc.claim, st, texts(replies))
			}
			c.Close()
			var list struct {
				Statements []StatementOut `json:"statements"`
			}
			e.mustDo("GET", "/v1/accounts/"+tc.acct.ID+"/statements", nil, http.StatusOK, &list)
			if len(list.Statements) != 1 || list.Statements[0].Kind != store.StatementDispute || list.Statements[0].ConversationID != s.ConversationID {
				t.Fatalf("statements %+v", list.Statements)
			}
			c2 := e.mustDial(e.mint(tc.acct.ID).Token)
			untilStatus(t, c2)
			replies, st := say(t, c2, tc.dob)
			if strings.Contains(texts(replies), tc.amount) || st.Mode != "waiting_agent" {
				t.Fatalf("a new session on an account paid by the borrower's word: %+v %s", st, texts(replies))
			}
		})
	}
}

// A verified borrower's dispute, said in the chat, is on the account; the
// lender reads it and clears it with a reason over the API (audited on the
// account's chain), after which a new session collects again.
func TestStatementsAPI(t *testing.T) {
	e := newEnv(t, nil)
	e.addAccounts(maria("a-1"))
	s := e.mint("a-1")
	c := e.mustDial(s.Token)
	untilStatus(t, c)
	say(t, c, "07/21/1988")
	if _, st := say(t, c, "I dispute this, it is not my debt"); st.Outcome != "dispute" {
		t.Fatalf("after the dispute: %+v", st)
	}
	c.Close()

	var list struct {
		Statements []StatementOut `json:"statements"`
	}
	e.mustDo("GET", "/v1/accounts/a-1/statements", nil, http.StatusOK, &list)
	if len(list.Statements) != 1 {
		t.Fatalf("statements %+v", list.Statements)
	}
	st := list.Statements[0]
	if st.Kind != store.StatementDispute || !st.Active || st.ConversationID != s.ConversationID || st.Channel != "chat" || st.TurnSeq == 0 {
		t.Fatalf("statement %+v", st)
	}
	// A new session on a disputed account says nothing about the debt
	// and goes to a person.
	c2 := e.mustDial(e.mint("a-1").Token)
	untilStatus(t, c2)
	replies, st2 := say(t, c2, "07/21/1988")
	if strings.Contains(texts(replies), "240") || st2.Mode != "waiting_agent" {
		t.Fatalf("a new session on a disputed account: %+v %s", st2, texts(replies))
	}
	c2.Close()

	if code, _ := e.do("GET", "/v1/accounts/a-1/statements", nil, ""); code != http.StatusUnauthorized {
		t.Errorf("without the API key: %d", code)
	}
	if code, _ := e.do("POST", "/v1/accounts/a-1/statements/"+st.ID+"/clear", ClearStatementRequest{Reason: "x"}, "wrong-key-0123456789"); code != http.StatusUnauthorized {
		t.Errorf("clear with a wrong key: %d", code)
	}
	code, b := e.do("POST", "/v1/accounts/a-1/statements/"+st.ID+"/clear", ClearStatementRequest{Reason: "  "}, testKey)
	if code != http.StatusUnprocessableEntity || decodeError(t, b).Error.Code != CodeInvalid {
		t.Errorf("clear without a reason: %d %s", code, b)
	}
	if code, _ := e.do("POST", "/v1/accounts/a-1/statements/nope/clear", ClearStatementRequest{Reason: "verified"}, testKey); code != http.StatusNotFound {
		t.Errorf("clear an unknown statement: %d", code)
	}
	if code, _ := e.do("GET", "/v1/accounts/nobody/statements", nil, testKey); code != http.StatusNotFound {
		t.Errorf("statements of an unknown account: %d", code)
	}
	reason := "debt verified; validation notice mailed 2026-11-30"
	var cleared struct {
		Statement StatementOut `json:"statement"`
	}
	e.mustDo("POST", "/v1/accounts/a-1/statements/"+st.ID+"/clear", ClearStatementRequest{Reason: reason}, http.StatusOK, &cleared)
	if cleared.Statement.Active || cleared.Statement.ClearReason != reason || !strings.HasPrefix(cleared.Statement.ClearedBy, "api:") ||
		strings.Contains(cleared.Statement.ClearedBy, testKey) || cleared.Statement.ClearedAt == nil {
		t.Fatalf("cleared %+v", cleared.Statement)
	}
	if code, b := e.do("POST", "/v1/accounts/a-1/statements/"+st.ID+"/clear", ClearStatementRequest{Reason: reason}, testKey); code != http.StatusConflict {
		t.Errorf("clear twice: %d %s", code, b)
	}
	evs, err := e.st.ListAudit(context.Background(), "account:a-1")
	if err != nil || len(evs) != 1 || evs[0].Kind != "statement.cleared" || !strings.Contains(string(evs[0].Data), reason) {
		t.Fatalf("audit %+v %v", evs, err)
	}
	recs := []compliance.AuditRecord{{Chain: evs[0].Chain, Seq: evs[0].Seq, Kind: evs[0].Kind, Data: evs[0].Data, At: evs[0].At, PrevHash: evs[0].PrevHash, Hash: evs[0].Hash}}
	if err := compliance.VerifyChain(recs); err != nil {
		t.Errorf("account chain: %v", err)
	}
	// Cleared, the account is collected on again.
	c3 := e.mustDial(e.mint("a-1").Token)
	untilStatus(t, c3)
	if replies, _ := say(t, c3, "07/21/1988"); !strings.Contains(texts(replies), "$240.00") {
		t.Errorf("after clearing: %s", texts(replies))
	}
	var after struct {
		Statements []json.RawMessage `json:"statements"`
	}
	e.mustDo("GET", "/v1/accounts/a-1/statements", nil, http.StatusOK, &after)
	if len(after.Statements) != 1 {
		t.Errorf("a cleared statement is kept: %d", len(after.Statements))
	}
}
