package handoff_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/collectagent/collectagent/dialog"
	"github.com/collectagent/collectagent/handoff"
	"github.com/collectagent/collectagent/store"
)

// runtimePacket is the JSON the runtime stores with an escalation (the
// field names of bot's escalation packet).
const runtimePacket = `{"account_ref":"a-1","channel":"chat","conversation_id":"c-1",
"created_at":"2026-11-22T15:00:00Z","disclosures":["ai_disclosure","mini_miranda"],"locale":"zh-CN",
"offers":[{"kind":"ptp","amount":{"minor":24000,"currency":"USD"},"date":"2026-11-27"}],
"priority":2,"reason":"hardship","stage":"negotiate","verified":true}`

func TestPacketOf(t *testing.T) {
	at := time.Date(2026, 11, 22, 15, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		e       store.Escalation
		want    func(handoff.Packet) bool
		wantErr error
	}{
		{"runtime packet", store.Escalation{ID: "e-1", ConversationID: "c-1", AccountID: "a-1", Priority: 2, Packet: json.RawMessage(runtimePacket)},
			func(p handoff.Packet) bool {
				return p.EscalationID == "e-1" && p.AccountRef == "a-1" && p.Reason == "hardship" && p.Locale == "zh-CN" &&
					p.Verified && len(p.Disclosures) == 2 && p.Disclosures[1] == dialog.ActKind("mini_miranda") &&
					len(p.Offers) == 1 && p.Offers[0].Kind == dialog.ProposalPTP && p.Stage == "negotiate" &&
					p.CreatedAt.Equal(at) && p.TranscriptRef == "/v1/conversations/c-1"
			}, nil},
		{"no packet", store.Escalation{ID: "e-2", ConversationID: "c-2", AccountID: "a-2", Reason: "dispute", CreatedAt: at},
			func(p handoff.Packet) bool {
				return p.ConversationID == "c-2" && p.AccountRef == "a-2" && p.Reason == "dispute" && p.Priority == handoff.DefaultPriority && p.CreatedAt.Equal(at)
			}, nil},
		{"priority clamped", store.Escalation{ID: "e-3", ConversationID: "c-3", Priority: 9},
			func(p handoff.Packet) bool { return p.Priority == handoff.MaxPriority }, nil},
		{"summary as text", store.Escalation{ID: "e-4", ConversationID: "c-4", Packet: json.RawMessage(`{"summary":"lost job, can pay 1st"}`)},
			func(p handoff.Packet) bool { return p.Summary != nil && p.Summary.Text == "lost job, can pay 1st" }, nil},
		{"summary as object", store.Escalation{ID: "e-5", ConversationID: "c-5", Packet: json.RawMessage(`{"summary":{"reason":"hardship","text":"note","source":"extractive","offers":["$240.00 by November 27, 2026"]}}`)},
			func(p handoff.Packet) bool {
				return p.Summary.Text == "note" && p.Summary.Source == "extractive" && len(p.Summary.Offers) == 1
			}, nil},
		{"bad json", store.Escalation{ID: "e-6", ConversationID: "c-6", Packet: json.RawMessage(`{`)}, nil, handoff.ErrInvalid},
		{"conversation id with a dot", store.Escalation{ID: "e-7", ConversationID: "c.7"}, nil, handoff.ErrInvalid},
		{"no id", store.Escalation{ConversationID: "c-8"}, nil, handoff.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := handoff.PacketOf(tt.e)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err %v, want %v", err, tt.wantErr)
			}
			if tt.want != nil && !tt.want(p) {
				t.Fatalf("packet %+v", p)
			}
			if err != nil {
				return
			}
			// What PublishEscalation sends parses back the same.
			b, _ := json.Marshal(p)
			back, err := handoff.ParsePacket(b)
			if err != nil || !tt.want(back) {
				t.Fatalf("round trip %+v %v", back, err)
			}
		})
	}
}

func FuzzParsePacket(f *testing.F) {
	f.Add([]byte(runtimePacket))
	f.Add([]byte(`{"escalation_id":"e-1","conversation_id":"c-1","priority":1,"summary":"x"}`))
	f.Add([]byte(`{"summary":{"text":1}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := handoff.ParsePacket(b)
		if err != nil {
			if !errors.Is(err, handoff.ErrInvalid) {
				t.Fatalf("error not ErrInvalid: %v", err)
			}
			return
		}
		if p.Priority < handoff.MinPriority || p.Priority > handoff.MaxPriority || p.EscalationID == "" || p.ConversationID == "" {
			t.Fatalf("accepted %+v", p)
		}
		again, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := handoff.ParsePacket(again); err != nil {
			t.Fatalf("re-parse: %v", err)
		}
	})
}

func FuzzDecodeMessage(f *testing.F) {
	f.Add([]byte(`{"id":"m-1","conversation_id":"c-1","type":"message","from":"agent","text":"你好"}`))
	f.Add([]byte(`{"id":"m-2","conversation_id":"c-1","type":"status","mode":"agent"}`))
	f.Add([]byte(`{"id":"m.*","conversation_id":"c-1","type":"message","text":"x"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := handoff.DecodeMessage(b)
		if err != nil {
			if !errors.Is(err, handoff.ErrInvalid) {
				t.Fatalf("error not ErrInvalid: %v", err)
			}
			return
		}
		if m.ID == "" || m.ConversationID == "" || len(m.Text) > handoff.MaxTextBytes {
			t.Fatalf("accepted %+v", m)
		}
		if m.Type != handoff.TypeMessage && m.Type != handoff.TypeStatus {
			t.Fatalf("accepted type %q", m.Type)
		}
	})
}

func FuzzParseEvent(f *testing.F) {
	f.Add([]byte(`{"kind":"handoff.queued","at":"2026-11-22T15:00:00Z","data":{}}`))
	f.Add([]byte(`{"kind":"a..b"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := handoff.ParseEvent(b)
		if err != nil {
			if !errors.Is(err, handoff.ErrInvalid) {
				t.Fatalf("error not ErrInvalid: %v", err)
			}
			return
		}
		if e.Kind == "" {
			t.Fatal("accepted an empty kind")
		}
	})
}
