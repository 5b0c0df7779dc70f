package compliance

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestLoadPack(t *testing.T) {
	if got := PackNames(); !slices.Equal(got, []string{"cn", "us"}) {
		t.Fatalf("PackNames = %v", got)
	}
	for _, name := range []string{"", "xx", "lexicon", "../us", "us.json", "US"} {
		if _, err := LoadPack(name); !errors.Is(err, ErrUnknownPack) {
			t.Errorf("LoadPack(%q) = %v, want ErrUnknownPack", name, err)
		}
	}
	us, err := LoadPack("us")
	if err != nil {
		t.Fatal(err)
	}
	cn, err := LoadPack("cn")
	if err != nil {
		t.Fatal(err)
	}
	// The figures the issue and the regulations fix.
	if us.Contact.Hours.Start != "08:00" || us.Contact.Hours.End != "21:00" || !strings.Contains(us.Contact.Hours.Source, "1006.6(b)(1)") {
		t.Errorf("us hours %+v", us.Contact.Hours)
	}
	if cn.Contact.Hours.Start != "08:00" || cn.Contact.Hours.End != "22:00" {
		t.Errorf("cn hours %+v", cn.Contact.Hours)
	}
	if c := us.Contact.Caps; len(c) != 1 || c[0].Max != 7 || c[0].Days != 7 || !c[0].PerDebt || !strings.Contains(c[0].Source, "1006.14(b)(2)") {
		t.Errorf("us caps %+v", c)
	}
	if a := us.Contact.AfterConversation; a == nil || a.Days != 7 {
		t.Errorf("us after conversation %+v", a)
	}
	if c := cn.Contact.Caps; len(c) != 2 || c[0].Max != 3 || c[0].Days != 1 || !slices.Equal(c[0].Results, []string{ResultConnected, ResultConversation}) ||
		c[1].Max != 6 || c[1].Days != 1 || c[1].PerDebt || !slices.Equal(c[1].Results, []string{ResultNoAnswer, ResultVoicemail}) || !strings.Contains(c[1].Source, "CBA") {
		t.Errorf("cn caps %+v", c)
	}
	for _, p := range []*Pack{us, cn} {
		found := false
		for _, f := range p.Contact.Flags {
			found = found || (f.Flag == FlagDispute && f.Source != "")
		}
		if !found {
			t.Errorf("%s: no sourced dispute rule", p.Name)
		}
	}
	for _, p := range []*Pack{us, cn} {
		for _, loc := range []string{"en-US", "zh-CN"} {
			for _, kind := range []string{DisclosureAI, DisclosureRecording} {
				if _, ok := p.Disclosure(kind, loc); !ok {
					t.Errorf("%s: no %s disclosure in %s", p.Name, kind, loc)
				}
			}
		}
		cats := map[string]bool{}
		for _, c := range p.Banned {
			cats[c.Category] = len(c.EN) > 0 && len(c.ZH) > 0
		}
		for _, c := range []string{"threat", "insult", "false_legal_claim", "impersonation", "invented_consequence", "pressure_to_borrow"} {
			if !cats[c] {
				t.Errorf("%s: category %s missing or not in both languages", p.Name, c)
			}
		}
	}
	if got := us.RequiredDisclosures(WhenAfterVerification, "en-US"); len(got) != 1 || got[0].Kind != DisclosureMiniMiranda {
		t.Errorf("us after verification: %+v", got)
	}
}

func TestParsePackRejects(t *testing.T) {
	good, err := packFS.ReadFile("packs/us.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string][2]string{
		"unknown field":   {`"name": "us",`, `"name": "us", "nmae": 1,`},
		"bad hours":       {`"start": "08:00"`, `"start": "8h"`},
		"hours reversed":  {`"end": "21:00"`, `"end": "07:00"`},
		"cap without max": {`"max": 7`, `"max": 0`},
		"no safe text":    {`"locale": "zh-CN",` + "\n      \"verified\": true", `"locale": "fr-FR",` + "\n      \"verified\": true"},
		"bad disclosure":  {`"when": "greeting"`, `"when": "later"`},
		"missing lexicon": {`"lexicon.json"`, `"nope.json"`},
		"not json":        {`{`, `[`},
	}
	for name, edit := range tests {
		t.Run(name, func(t *testing.T) {
			b := strings.Replace(string(good), edit[0], edit[1], 1)
			if b == string(good) {
				t.Fatalf("edit %q not applied", edit[0])
			}
			if _, err := parsePack([]byte(b)); !errors.Is(err, ErrBadPack) {
				t.Fatalf("parsePack = %v, want ErrBadPack", err)
			}
		})
	}
	if _, err := parsePack(good); err != nil {
		t.Fatalf("good pack: %v", err)
	}
}
