package llm

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/dialog"
)

func transcriptEN() []bot.Reply {
	return []bot.Reply{
		{From: bot.FromBot, Text: "Hello! I'm an automated assistant powered by AI, not a person."},
		{From: bot.FromBorrower, Text: "hi, 07/21/1988"},
		{From: bot.FromBot, Text: "Thank you, your identity is confirmed."},
		{From: bot.FromBorrower, Text: "I lost my job last month, I get paid again on the 5th. call me at 312-555-0100"},
		{From: bot.FromBot, Text: "Could you pay $240.00 by November 27, 2026?"},
		{From: bot.FromBorrower, Text: "no, I want to talk to a person"},
	}
}

func factsEN() bot.HandoffFacts {
	return bot.HandoffFacts{
		Reason: "human_requested", Locale: "en-US", Channel: "chat", Stage: dialog.StageNegotiate, Verified: true,
		Disclosures: []dialog.ActKind{dialog.ActGreeting, dialog.ActRecordingNotice, dialog.ActMiniMiranda},
		Offers:      []dialog.Proposal{{Kind: dialog.ProposalPTP, Amount: usd(24000), Date: day("2026-11-27"), Counter: true}},
	}
}

func checkSummaryFacts(t *testing.T, s bot.Summary) {
	t.Helper()
	if s.Reason != "human_requested" || !s.Verified ||
		!slices.Equal(s.Disclosures, []string{"greeting", "recording_notice", "mini_miranda"}) ||
		!slices.Equal(s.Offers, []string{"ptp 240.00 USD by 2026-11-27 (counter-offer)"}) {
		t.Fatalf("summary facts = %+v", s)
	}
}

func TestSummarizeByModel(t *testing.T) {
	args := `{"situation":"Lost their job last month; paid again on the 5th; gave [PHONE_1] for calls.","summary":"Verified. Declined a counter-offer of $240.00 by Nov 27 and asked for a person."}`
	f := newFake(t, toolCall(args))
	c := newTestClient(t, testConfig(f, ModeHybrid), nil)
	ctx, tr := turnCtx(usd(24000))
	s, err := c.Summarize(ctx, transcriptEN(), factsEN())
	if err != nil {
		t.Fatal(err)
	}
	checkSummaryFacts(t, s)
	if s.Source != bot.SummaryModel || s.Model != "fake-model" || s.PromptVersion == "" {
		t.Fatalf("summary = %+v", s)
	}
	if s.Situation != "Lost their job last month; paid again on the 5th; gave 312-555-0100 for calls." {
		t.Errorf("situation = %q", s.Situation)
	}
	if !strings.Contains(s.Text, "Declined a counter-offer") || !strings.Contains(s.Text, "Reason: human_requested") {
		t.Errorf("text = %q", s.Text)
	}
	sent := f.last()
	if x := containsAny(string(sent.Raw), "312-555-0100", "07/21/1988"); x != "" {
		t.Errorf("request carries %q", x)
	}
	if u := sent.User(); !strings.Contains(u, "<transcript>\nbot: Hello!") || !strings.HasSuffix(u, "</transcript>") {
		t.Errorf("transcript not delimited: %q", u)
	}
	if len(sent.Req.Tools) != 1 || sent.Req.Tools[0].Function.Name != fnSummary {
		t.Errorf("tools = %+v", sent.Req.Tools)
	}
	if calls := tr.Calls(); len(calls) != 1 || calls[0].Op != OpSummarize {
		t.Errorf("trace = %+v", calls)
	}
}

// A model summary that states a figure the conversation never had, or any
// failure, gives the extractive summary, without error.
func TestSummarizeFallsBack(t *testing.T) {
	tests := []struct {
		name   string
		script []reply
		reason string
	}{
		{"invented figure", []reply{toolCall(`{"situation":"Can pay $300.00 on the 9th.","summary":"Wants a person."}`)}, FallbackFigure},
		{"invented placeholder", []reply{toolCall(`{"situation":"Call [PHONE_7].","summary":"x"}`)}, FallbackPlaceholder},
		{"garbage", []reply{toolCall(`{"situation":`)}, FallbackBadOutput},
		{"server error", []reply{status(500)}, FallbackServer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.script...)
			c := newTestClient(t, testConfig(f, ModeLLM), nil)
			s, err := c.Summarize(context.Background(), transcriptEN(), factsEN())
			if err != nil {
				t.Fatal(err)
			}
			checkSummaryFacts(t, s)
			if s.Source != bot.SummaryExtractive {
				t.Fatalf("source = %q", s.Source)
			}
			if c.Stats().Fallbacks[tt.reason] != 1 {
				t.Errorf("fallbacks = %v", c.Stats().Fallbacks)
			}
		})
	}
}

func TestExtractSummary(t *testing.T) {
	en := bot.ExtractSummary(transcriptEN(), factsEN())
	checkSummaryFacts(t, en)
	if en.Source != bot.SummaryExtractive || !strings.Contains(en.Situation, "I lost my job last month") || strings.Contains(en.Situation, "07/21/1988") {
		t.Errorf("en situation = %q", en.Situation)
	}
	if !strings.HasPrefix(en.Text, "Reason: human_requested. Identity: verified. Disclosures: greeting, recording_notice, mini_miranda. Offers: ptp 240.00 USD by 2026-11-27 (counter-offer).") {
		t.Errorf("en text = %q", en.Text)
	}
	zh := bot.ExtractSummary([]bot.Reply{
		{From: bot.FromBorrower, Text: "你好"},
		{From: bot.FromBorrower, Text: "最近失业了，手头紧"},
		{From: bot.FromBot, Text: "明白"},
		{From: bot.FromBorrower, Text: "我要找人工"},
	}, bot.HandoffFacts{Reason: "hardship", Locale: "zh-CN"})
	if zh.Situation != "最近失业了，手头紧" || !strings.HasPrefix(zh.Text, "转人工原因：hardship。身份：未核实。已告知：无。已提出方案：无。借款人情况：最近失业了") {
		t.Errorf("zh = %+v", zh)
	}
	// No cue: the borrower's last line.
	none := bot.ExtractSummary([]bot.Reply{{From: bot.FromBorrower, Text: "hello"}, {From: bot.FromBorrower, Text: "get me a human"}}, bot.HandoffFacts{Reason: "human_requested"})
	if none.Situation != "get me a human" {
		t.Errorf("situation = %q", none.Situation)
	}
}

func TestSummarizeWithoutModel(t *testing.T) {
	f := newFake(t)
	cfg := testConfig(f, ModeLLM)
	cfg.Summaries = false
	for _, cfg := range []Config{cfg, testConfig(f, ModeRules)} {
		c := newTestClient(t, cfg, nil)
		s, err := c.Summarize(context.Background(), transcriptEN(), factsEN())
		if err != nil || s.Source != bot.SummaryExtractive {
			t.Fatalf("summary = %+v, %v", s, err)
		}
	}
	if f.count() != 0 {
		t.Fatalf("%d requests", f.count())
	}
}
