package records

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/collectagent/collectagent/store"
)

var now = time.Date(2026, 11, 22, 9, 0, 0, 999, time.FixedZone("X", 3600))

func TestAccountsErrorsNamePositions(t *testing.T) {
	tests := []struct {
		name  string
		batch []store.Account
		want  string // "" for success
	}{
		{"ok", []store.Account{{ID: "a", Debts: []store.Debt{{ID: "d"}}}}, ""},
		{"empty id", []store.Account{{ID: "a"}, {ID: ""}}, "accounts[1].id"},
		{"dup account", []store.Account{{ID: "a"}, {ID: "a"}}, "accounts[1].id duplicates accounts[0]"},
		{"empty debt id", []store.Account{{ID: "a", Debts: []store.Debt{{ID: "d"}, {}}}}, "accounts[0].debts[1].id"},
		{"dup debt", []store.Account{{ID: "a", Debts: []store.Debt{{ID: "d"}}}, {ID: "b", Debts: []store.Debt{{ID: "d"}}}}, "accounts[1].debts[0].id duplicates"},
		{"foreign debt", []store.Account{{ID: "a", Debts: []store.Debt{{ID: "d", AccountID: "b"}}}}, "accounts[0].debts[0].account_id"},
		{"negative", []store.Account{{ID: "a", Debts: []store.Debt{{ID: "d", AmountMinor: -1}}}}, "negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Accounts(tc.batch, now)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if out[0].Debts[0].AccountID != "a" || !out[0].CreatedAt.Equal(Time(now)) || out[0].CreatedAt.Location() != time.UTC {
					t.Fatalf("defaults not filled: %+v", out[0])
				}
				if tc.batch[0].Debts[0].AccountID != "" {
					t.Fatal("input was modified")
				}
				return
			}
			if !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrInvalid naming %q", err, tc.want)
			}
		})
	}
}

func TestTurnCommitFillsConversation(t *testing.T) {
	c := store.TurnCommit{
		Conversation: store.Conversation{ID: "c", Version: 2},
		Turns:        []store.Turn{{Seq: 1}},
		Promises:     []store.Promise{{ID: "p", AccountID: "a"}},
		Plans:        []store.Plan{{ID: "pl", AccountID: "a"}},
		Escalations:  []store.Escalation{{ID: "e", AccountID: "a"}},
		Audit:        []store.AuditEvent{{Chain: "c", Seq: 1}},
		Contact:      &store.ContactAttempt{AccountID: "a", Channel: "chat"},
	}
	out, err := TurnCommit(c, now)
	if err != nil {
		t.Fatal(err)
	}
	if out.Turns[0].ConversationID != "c" || out.Promises[0].ConversationID != "c" ||
		out.Plans[0].ConversationID != "c" || out.Escalations[0].ConversationID != "c" {
		t.Fatalf("conversation id not filled: %+v", out)
	}
	if out.Contact.ID == "" || out.Contact == c.Contact {
		t.Fatal("contact attempt not copied with a new id")
	}
	if !out.Audit[0].At.Equal(Time(now)) || !out.Conversation.UpdatedAt.Equal(Time(now)) {
		t.Fatal("zero times not set from now")
	}

	bad := []func(*store.TurnCommit){
		func(c *store.TurnCommit) { c.Conversation.ID = "" },
		func(c *store.TurnCommit) { c.Conversation.Version = 0 },
		func(c *store.TurnCommit) { c.Turns[0].Seq = 0 },
		func(c *store.TurnCommit) { c.Turns[0].ConversationID = "other" },
		func(c *store.TurnCommit) { c.Promises[0].ID = "" },
		func(c *store.TurnCommit) { c.Plans[0].AccountID = "" },
		func(c *store.TurnCommit) { c.Escalations[0].ID = "" },
		func(c *store.TurnCommit) { c.Audit[0].Chain = "" },
		func(c *store.TurnCommit) { c.Contact = &store.ContactAttempt{AccountID: "a"} },
	}
	for i, mut := range bad {
		cc := c
		cc.Turns = append([]store.Turn(nil), c.Turns...)
		cc.Promises = append([]store.Promise(nil), c.Promises...)
		cc.Plans = append([]store.Plan(nil), c.Plans...)
		cc.Escalations = append([]store.Escalation(nil), c.Escalations...)
		cc.Audit = append([]store.AuditEvent(nil), c.Audit...)
		mut(&cc)
		if _, err := TurnCommit(cc, now); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("case %d: err = %v, want ErrInvalid", i, err)
		}
	}
}

func TestTimeText(t *testing.T) {
	in := time.Date(2026, 1, 2, 3, 4, 5, 6789, time.FixedZone("X", -5*3600))
	s := FormatTime(in)
	if s != "2026-01-02T08:04:05.000006Z" {
		t.Fatalf("FormatTime = %q", s)
	}
	back, err := ParseTime(s)
	if err != nil || !back.Equal(Time(in)) || back.Location() != time.UTC {
		t.Fatalf("ParseTime = %v, %v", back, err)
	}
	if _, err := ParseTime("yesterday"); err == nil {
		t.Fatal("ParseTime accepted garbage")
	}
	// Fixed width keeps text order equal to time order.
	a, b := FormatTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), FormatTime(time.Date(2026, 1, 1, 0, 0, 0, 1000, time.UTC))
	if !(a < b) {
		t.Fatalf("%q !< %q", a, b)
	}
}
