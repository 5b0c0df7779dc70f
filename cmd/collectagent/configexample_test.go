package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestConfigExample: config.example.yaml loads (unknown keys are errors),
// validates, states the defaults, holds every setting, and comments each.
func TestConfigExample(t *testing.T) {
	path := filepath.Join(repoRoot, "config.example.yaml")
	env := map[string]string{"COLLECT_API_KEY": "example-key-0123456789", "COLLECT_TOKEN_SECRET": strings.Repeat("e", 32)}
	cfg, err := loadConfig(path, func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := cfg.validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
	def, err := loadConfig("", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if err := def.validate(); err != nil {
		t.Fatal(err)
	}
	// The console's zero fields take their defaults when the server starts.
	cfg.Web.Console, def.Web.Console = cfg.Web.Console.WithDefaults(), def.Web.Console.WithDefaults()
	got, _ := yaml.Marshal(cfg)
	want, _ := yaml.Marshal(def)
	if string(got) != string(want) {
		t.Errorf("the example's values are not the defaults:\n--- example\n%s\n--- defaults\n%s", got, want)
	}

	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ex yaml.Node
	if err := yaml.Unmarshal(raw, &ex); err != nil {
		t.Fatal(err)
	}
	var dn yaml.Node
	if err := dn.Encode(defaultConfig()); err != nil {
		t.Fatal(err)
	}
	have := map[string]*yaml.Node{}
	var uncommented []string
	collect(ex.Content[0], "", have, &uncommented)
	wantPaths := map[string]*yaml.Node{}
	collect(&dn, "", wantPaths, nil)
	for p := range wantPaths {
		if have[p] == nil {
			t.Errorf("config.example.yaml lacks %s", p)
		}
	}
	for _, p := range uncommented {
		t.Errorf("%s has no comment near it", p)
	}
}

// collect records the key paths of a mapping ("web.console.token_ttl").
// Maps keyed by name (bot.policies, llm.budgets, ...) are recorded but
// not descended into. With uncommented set, it lists keys with no comment
// on them or on one of the four keys before.
func collect(n *yaml.Node, prefix string, into map[string]*yaml.Node, uncommented *[]string) {
	collectIn(n, prefix, false, into, uncommented)
}

// collectIn: a small group (up to 6 keys) under a commented key is
// described by that comment.
func collectIn(n *yaml.Node, prefix string, parentCommented bool, into map[string]*yaml.Node, uncommented *[]string) {
	if n.Kind != yaml.MappingNode {
		return
	}
	groupOK := parentCommented && len(n.Content) <= 12
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		p := k.Value
		if prefix != "" {
			p = prefix + "." + k.Value
		}
		into[p] = v
		if uncommented != nil {
			ok := groupOK
			for j := i; !ok && j >= 0 && j >= i-8; j -= 2 {
				if n.Content[j].HeadComment != "" || n.Content[j].LineComment != "" {
					ok = true
					break
				}
			}
			if !ok {
				*uncommented = append(*uncommented, p)
			}
		}
		switch p {
		case "bot.policies", "llm.budgets", "bot.crisis_resources", "bot.support_contact", "llm.chat_template_kwargs",
			"bot.default_policy.min_promise_amount", "bot.default_policy.min_installment": // amounts are one number
			continue
		}
		collectIn(v, p, k.HeadComment != "" || k.LineComment != "", into, uncommented)
	}
}
