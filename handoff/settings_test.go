package handoff

import (
	"strings"
	"testing"
	"time"
)

func TestHandoffSLAHours(t *testing.T) {
	h := CaseConfig{SLA: 2 * time.Minute, OffHoursSLA: 0, BusinessHours: "09:00-18:00", Timezone: "Asia/Shanghai", AckWait: time.Second, PublishTimeout: time.Second}
	sla, err := h.SLAFunc()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		at   time.Time
		want time.Duration
	}{
		{time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC), 2 * time.Minute}, // Mon 10:00 Shanghai
		{time.Date(2026, 11, 23, 0, 59, 0, 0, time.UTC), 0},              // Mon 08:59
		{time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC), 0},              // Mon 18:00
		{time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC), 0},               // Sun 10:00
	} {
		if got := sla(Case{}, tc.at); got != tc.want {
			t.Errorf("SLA at %v = %v, want %v", tc.at, got, tc.want)
		}
	}
	always, _ := CaseConfig{SLA: time.Minute}.SLAFunc()
	if got := always(Case{}, time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)); got != time.Minute {
		t.Errorf("no business hours: %v", got)
	}
	for _, bad := range []CaseConfig{
		{BusinessHours: "9-18", AckWait: time.Second, PublishTimeout: time.Second},
		{BusinessHours: "18:00-09:00", AckWait: time.Second, PublishTimeout: time.Second},
		{BusinessHours: "09:00-18:00", Timezone: "Mars/Olympus", AckWait: time.Second, PublishTimeout: time.Second},
	} {
		if msgs := SettingsErrors(NATSConfig{}, bad); len(msgs) != 1 || !strings.HasPrefix(msgs[0], "handoff.business_hours") {
			t.Errorf("%+v: %v", bad, msgs)
		}
	}
	if msgs := SettingsErrors(NATSConfig{Port: -2}, DefaultCaseConfig()); len(msgs) != 1 || !strings.HasPrefix(msgs[0], "nats.port") {
		t.Errorf("bad port: %v", msgs)
	}
}

func TestSafeURL(t *testing.T) {
	if got := SafeURL("nats://u:p@10.0.0.1:4222,tok@10.0.0.2:4222"); got != "nats://10.0.0.1:4222,10.0.0.2:4222" {
		t.Fatalf("SafeURL: %s", got)
	}
}
