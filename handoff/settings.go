package handoff

import (
	"fmt"
	"github.com/collectagent/collectagent/internal/fielderr"
	"strings"
	"time"
)

// This file holds the handoff's settings as the configuration file gives
// them (the nats and handoff sections): where NATS is, how cases are
// timed, the agents' business hours.

// NATSConfig says where NATS is: an embedded server with JetStream stored
// under --data (the default), or an external server or cluster.
type NATSConfig struct {
	// URL of an external server or cluster (comma-separated seeds);
	// COLLECT_NATS_URL or --nats-url. Empty runs the embedded server.
	URL string `yaml:"url"`
	// Port the embedded server listens on for other nodes: 0 (default)
	// only in-process, -1 a free port.
	Port int `yaml:"port"`
	// Prefix of every subject, stream and bucket (default "collect").
	Prefix string `yaml:"prefix"`
	// Replicas of every stream and KV bucket: 1 (default) on one server,
	// 3 on a three-node cluster (COLLECT_NATS_REPLICAS).
	Replicas int `yaml:"replicas"`
	// Auth authenticates to the server (one of user and password, token,
	// nkey seed file, credentials file; secrets are best given as
	// COLLECT_NATS_PASSWORD / COLLECT_NATS_TOKEN); an embedded server that
	// listens on a port requires the user and password or token of every
	// node. TLS encrypts the connection to an external server.
	Auth AuthConfig `yaml:"auth"`
	TLS  TLSConfig  `yaml:"tls"`
}

// CaseConfig times the escalation queue (the handoff section of the
// configuration).
type CaseConfig struct {
	// SLA is how long a case may wait for an agent in business hours
	// before the borrower is offered a callback (default 2m; negative
	// never expires).
	SLA time.Duration `yaml:"sla"`
	// OffHoursSLA applies outside business hours (default 0: at once).
	OffHoursSLA time.Duration `yaml:"off_hours_sla"`
	// BusinessHours are the agents' hours, "09:00-18:00", Monday to
	// Friday in Timezone. Empty: always business hours.
	BusinessHours string `yaml:"business_hours"`
	Timezone      string `yaml:"timezone"`
	// AckWait is how long an agent's claim lives without a renewal.
	AckWait time.Duration `yaml:"ack_wait"`
	// PublishTimeout bounds a publish from a borrower's turn, so an
	// unreachable NATS never stalls a conversation (default 2s).
	PublishTimeout time.Duration `yaml:"publish_timeout"`
	// RequeueEvery is how often a node publishes again the escalations
	// the store holds as queued but the case board lacks: those of a node
	// that crashed between committing an escalation and publishing it
	// (default 10s; 0 turns the pass off, leaving it to restarts and
	// reconnects).
	RequeueEvery time.Duration `yaml:"requeue_every"`
}

// DefaultCaseConfig is the case timing without configuration.
func DefaultCaseConfig() CaseConfig {
	return CaseConfig{SLA: DefaultSLA, AckWait: DefaultAckWait, PublishTimeout: 2 * time.Second, RequeueEvery: 10 * time.Second}
}

// BusinessHours are the agents' hours, Monday to Friday in a time zone
// (a parsed CaseConfig.BusinessHours). A nil *BusinessHours is always
// open.
type BusinessHours struct {
	start, end int // minutes of the day
	loc        *time.Location
}

// ParseBusinessHours parses "HH:MM-HH:MM" in time zone tz (UTC when
// empty); an empty spec is nil: always open.
func ParseBusinessHours(spec, tz string) (*BusinessHours, error) {
	if spec == "" {
		return nil, nil
	}
	a, b, ok := strings.Cut(spec, "-")
	if !ok {
		return nil, fmt.Errorf("want HH:MM-HH:MM, got %q", spec)
	}
	mins := func(s string) (int, error) {
		t, err := time.Parse("15:04", strings.TrimSpace(s))
		if err != nil {
			return 0, fmt.Errorf("want HH:MM-HH:MM, got %q", spec)
		}
		return t.Hour()*60 + t.Minute(), nil
	}
	start, err := mins(a)
	if err != nil {
		return nil, err
	}
	end, err := mins(b)
	if err != nil {
		return nil, err
	}
	if end <= start {
		return nil, fmt.Errorf("%q ends before it starts", spec)
	}
	loc := time.UTC
	if tz != "" {
		if loc, err = time.LoadLocation(tz); err != nil {
			return nil, fmt.Errorf("timezone %q: %w", tz, err)
		}
	}
	return &BusinessHours{start: start, end: end, loc: loc}, nil
}

// Open reports whether t falls in the hours.
func (b *BusinessHours) Open(t time.Time) bool {
	if b == nil {
		return true
	}
	lt := t.In(b.loc)
	if wd := lt.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	m := lt.Hour()*60 + lt.Minute()
	return m >= b.start && m < b.end
}

// SLAFunc is the SLA of a case at a time: SLA in business hours,
// OffHoursSLA outside them.
func (h CaseConfig) SLAFunc() (SLAFunc, error) {
	bh, err := ParseBusinessHours(h.BusinessHours, h.Timezone)
	if err != nil {
		return nil, err
	}
	return func(_ Case, now time.Time) time.Duration {
		if bh.Open(now) {
			return h.SLA
		}
		return h.OffHoursSLA
	}, nil
}

// SettingsErrors names the fields of a bad nats or handoff section of the
// configuration ("nats.port: ...").
func SettingsErrors(n NATSConfig, h CaseConfig) []string {
	var msgs []string
	if n.Port < -1 || n.Port > 65535 {
		msgs = append(msgs, "nats.port: must be -1..65535")
	}
	if n.Replicas < 0 || n.Replicas > 5 {
		msgs = append(msgs, "nats.replicas: must be 1..5")
	}
	if n.Replicas > 1 && n.URL == "" {
		msgs = append(msgs, "nats.replicas: more than 1 needs a NATS cluster (nats.url)")
	}
	if _, err := h.SLAFunc(); err != nil {
		msgs = append(msgs, "handoff.business_hours: "+err.Error())
	}
	if h.AckWait < 100*time.Millisecond {
		msgs = append(msgs, "handoff.ack_wait: must be at least 100ms")
	}
	if h.RequeueEvery < 0 {
		msgs = append(msgs, "handoff.requeue_every: must not be negative")
	}
	if h.PublishTimeout <= 0 {
		msgs = append(msgs, "handoff.publish_timeout: must be positive")
	}
	hc := Config{URL: n.URL, StoreDir: "-", Auth: n.Auth, TLS: n.TLS}.WithDefaults()
	if err := hc.Validate(); err != nil {
		for _, fe := range fielderr.All(err) {
			switch fe.Field {
			case "Auth":
				msgs = append(msgs, "nats.auth: "+fe.Problem)
			case "TLS":
				msgs = append(msgs, "nats.tls: "+fe.Problem)
			}
		}
	}
	return msgs
}

// NodeConfig is a node's configuration from the nats and handoff
// sections, with JetStream stored under storeDir.
func NodeConfig(n NATSConfig, h CaseConfig, storeDir string) Config {
	hc := DefaultConfig()
	hc.URL = n.URL
	hc.Port = n.Port
	hc.Replicas = n.Replicas
	if n.Prefix != "" {
		hc.Prefix = n.Prefix
	}
	hc.StoreDir = storeDir
	hc.SLA = h.SLA
	hc.AckWait = h.AckWait
	hc.Name = "collectagent"
	hc.Auth, hc.TLS = n.Auth, n.TLS
	return hc
}

// SafeURL drops credentials from NATS URLs (comma-separated), for logs.
func SafeURL(s string) string {
	parts := strings.Split(s, ",")
	for i, p := range parts {
		if at := strings.LastIndex(p, "@"); at >= 0 {
			if sch := strings.Index(p, "://"); sch >= 0 && sch < at {
				p = p[:sch+3] + p[at+1:]
			} else {
				p = p[at+1:]
			}
		}
		parts[i] = p
	}
	return strings.Join(parts, ",")
}
