package handoff_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/collectagent/collectagent/handoff"
	"gopkg.in/yaml.v3"
)

func TestConfigDefaults(t *testing.T) {
	c := handoff.DefaultConfig()
	if c.Prefix != "collect" || c.AckWait != 30*time.Second || c.SLA != 2*time.Minute ||
		c.BridgeMaxAge != 24*time.Hour || c.Replicas != 1 || c.Port != 0 || c.URL != "" {
		t.Fatalf("defaults %+v", c)
	}
	// Embedded needs a store directory; external does not.
	if err := c.Validate(); !errors.Is(err, handoff.ErrConfig) || !strings.Contains(err.Error(), "StoreDir") {
		t.Errorf("embedded without StoreDir: %v", err)
	}
	c.URL = "nats://127.0.0.1:4222"
	if err := c.Validate(); err != nil {
		t.Errorf("external: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*handoff.Config)
		field string // "" = valid
	}{
		{"defaults", func(*handoff.Config) {}, ""},
		{"dotted prefix", func(c *handoff.Config) { c.Prefix = "acme.collect" }, ""},
		{"wildcard prefix", func(c *handoff.Config) { c.Prefix = "collect.*" }, "Prefix"},
		{"trailing dot", func(c *handoff.Config) { c.Prefix = "collect." }, "Prefix"},
		{"space in prefix", func(c *handoff.Config) { c.Prefix = "col lect" }, "Prefix"},
		{"port too big", func(c *handoff.Config) { c.Port = 70000 }, "Port"},
		{"port below -1", func(c *handoff.Config) { c.Port = -2 }, "Port"},
		{"random port", func(c *handoff.Config) { c.Port = -1 }, ""},
		{"tiny ack wait", func(c *handoff.Config) { c.AckWait = time.Millisecond }, "AckWait"},
		{"dedupe longer than replay", func(c *handoff.Config) { c.BridgeMaxAge = time.Minute; c.DedupeWindow = time.Hour }, "DedupeWindow"},
		{"replicas", func(c *handoff.Config) { c.Replicas = 7 }, "Replicas"},
		{"negative SLA never expires", func(c *handoff.Config) { c.SLA = -1 }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := handoff.Config{StoreDir: "data/nats"}
			tt.edit(&c)
			err := c.WithDefaults().Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("unexpected %v", err)
				}
				return
			}
			if !errors.Is(err, handoff.ErrConfig) || !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("err %v, want ErrConfig naming %s", err, tt.field)
			}
		})
	}
}

func TestConfigYAML(t *testing.T) {
	var c handoff.Config
	src := "url: nats://10.0.0.1:4222\nprefix: acme\nack_wait: 45s\nsla: 90s\nbridge_max_age: 12h\n"
	if err := yaml.Unmarshal([]byte(src), &c); err != nil {
		t.Fatal(err)
	}
	c = c.WithDefaults()
	if c.URL != "nats://10.0.0.1:4222" || c.Prefix != "acme" || c.AckWait != 45*time.Second || c.SLA != 90*time.Second || c.BridgeMaxAge != 12*time.Hour {
		t.Fatalf("parsed %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}
