package packet

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/collectagent/collectagent/dialog"
)

// TestRoundTrip: what the runtime writes is what handoff reads, field for
// field, with the JSON names agents' tools rely on.
func TestRoundTrip(t *testing.T) {
	p := Packet{
		ConversationID: "c-1", AccountRef: "a-1", Reason: "hardship", Priority: 2, Locale: "en-US", Channel: "chat",
		Verified: true, Disclosures: []dialog.ActKind{"disclose_ai"}, LateReason: "job_loss", Stage: "negotiate",
		Summary:   &Summary{Reason: "hardship", Text: "Lost her job.", Source: "extractive"},
		CreatedAt: time.Date(2026, 11, 22, 15, 0, 0, 0, time.UTC),
		Callback:  json.RawMessage(`{"at":"2026-11-23T15:00:00Z"}`),
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"conversation_id", "account_ref", "reason", "priority", "locale", "channel", "verified", "disclosures", "late_reason", "stage", "summary", "created_at", "callback"} {
		if !strings.Contains(string(b), `"`+name+`":`) {
			t.Errorf("packet JSON lacks %s: %s", name, b)
		}
	}
	var got Packet
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.ConversationID != p.ConversationID || got.LateReason != p.LateReason || got.Summary == nil || got.Summary.Text != p.Summary.Text || got.Summary.Source != p.Summary.Source ||
		string(got.Callback) != string(p.Callback) || !got.CreatedAt.Equal(p.CreatedAt) || got.Disclosures[0] != "disclose_ai" {
		t.Fatalf("round trip = %+v", got)
	}
}

// TestSummaryFromString: older packets hold the note as a bare string.
func TestSummaryFromString(t *testing.T) {
	var p Packet
	if err := json.Unmarshal([]byte(`{"conversation_id":"c-1","summary":"Wants a human."}`), &p); err != nil {
		t.Fatal(err)
	}
	if p.Summary == nil || p.Summary.Text != "Wants a human." {
		t.Fatalf("summary = %+v", p.Summary)
	}
	if err := json.Unmarshal([]byte(`{"summary":7}`), &p); err == nil {
		t.Fatal("a number as summary was accepted")
	}
}
