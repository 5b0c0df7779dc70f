package llm

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/compliance"
	openai "github.com/sashabaranov/go-openai"
)

// Bounds of what a summary call sends and keeps.
const (
	summaryLines     = 40  // last lines of the transcript sent
	summaryLineRunes = 500 // runes per line sent
	situationRunes   = 300
	summaryRunes     = 600
)

// errFigure marks a summary that states a figure found nowhere in the
// transcript or the facts.
var errFigure = fmt.Errorf("%w: unsupported figure", ErrBadOutput)

// Summarize writes a handoff note (bot.Summarizer). Reason, verification,
// disclosures and offers always come from facts; the model (when
// configured and reachable) writes only the borrower's situation and a
// short narrative, which are dropped if they state any figure the
// transcript does not. Without a model, or on any failure, the answer is
// bot.ExtractSummary and the error is nil: a handoff never waits on a model.
func (c *Client) Summarize(ctx context.Context, transcript []bot.Reply, facts bot.HandoffFacts) (bot.Summary, error) {
	ext := bot.ExtractSummary(transcript, facts)
	if !c.cfg.Enabled() || !c.cfg.Summaries || len(transcript) == 0 {
		return ext, nil
	}
	if !c.begin(ctx, OpSummarize, "") {
		return ext, nil
	}
	ti := bot.TurnInfoFrom(ctx)
	m := newMasker()
	today := compliance.DateOf(c.clock.Now())
	lines := transcript
	if len(lines) > summaryLines {
		lines = lines[len(lines)-summaryLines:]
	}
	var tb, raw strings.Builder
	for _, r := range lines {
		t := truncate(strings.TrimSpace(r.Text), summaryLineRunes)
		raw.WriteString(t)
		raw.WriteByte('\n')
		fmt.Fprintf(&tb, "%s: %s\n", r.From, escapeData(m.mask(t, maskOpts{today: today, names: ti.Names, mask: !c.cfg.SendNames})))
	}
	for _, o := range ext.Offers {
		raw.WriteString(o)
		raw.WriteByte('\n')
	}
	user := fmt.Sprintf("Context: locale=%s; handoff reason=%s; identity verified=%t.\n<transcript>\n%s</transcript>",
		facts.Locale, facts.Reason, facts.Verified, tb.String())
	req := openai.ChatCompletionRequest{
		Model: c.cfg.Model,
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: c.sysSummarize},
			{Role: openai.ChatMessageRoleUser, Content: user},
		},
		Temperature: 0,
		MaxTokens:   c.cfg.MaxTokens,

		ChatTemplateKwargs: c.cfg.ChatTemplateKwargs,
	}
	c.structured(&req, fnSummary, "Record the handoff note.", c.summarySchema)
	var info callInfo
	resp, err := c.complete(ctx, c.cfg.SummaryBudget, req, &info)
	var situation, summary string
	if err == nil {
		situation, summary, err = decodeSummary(resp, m, raw.String())
	}
	if c.finish(ctx, OpSummarize, "", info, err, nil) != "" {
		return ext, nil
	}
	s := bot.SummaryFacts(facts)
	s.Situation = truncate(situation, situationRunes)
	s.Text = strings.TrimSpace(bot.SummaryText(s, facts.Locale) + " " + truncate(summary, summaryRunes))
	s.Source, s.Model, s.PromptVersion = bot.SummaryModel, c.cfg.Model, c.version
	return s, nil
}

// decodeSummary takes the note out of a response, restores placeholders
// and checks its figures against the transcript.
func decodeSummary(resp openai.ChatCompletionResponse, m *masker, source string) (string, string, error) {
	raw, err := structuredOutput(resp)
	if err != nil {
		return "", "", err
	}
	var out struct {
		Situation string `json:"situation"`
		Summary   string `json:"summary"`
	}
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		return "", "", fmt.Errorf("%w: summary: %w", ErrBadOutput, err)
	}
	out.Situation, out.Summary = strings.TrimSpace(out.Situation), strings.TrimSpace(out.Summary)
	if out.Situation == "" && out.Summary == "" {
		return "", "", fmt.Errorf("%w: empty summary", ErrBadOutput)
	}
	sit, err := m.restore(out.Situation)
	if err != nil {
		return "", "", err
	}
	sum, err := m.restore(out.Summary)
	if err != nil {
		return "", "", err
	}
	pool := compliance.ExtractFigures(source)
	for _, f := range compliance.ExtractFigures(sit + "\n" + sum) {
		if !figureIn(f, pool) {
			return "", "", fmt.Errorf("%w: %s", errFigure, f.Text)
		}
	}
	return sit, sum, nil
}

// figureIn reports whether pool holds a figure of f's value.
func figureIn(f compliance.Figure, pool []compliance.Figure) bool {
	for _, p := range pool {
		if p.Kind != f.Kind {
			continue
		}
		switch f.Kind {
		case compliance.FigureMoney:
			if p.Money.Minor == f.Money.Minor {
				return true
			}
		case compliance.FigureDate:
			if p.Date.Day == f.Date.Day && (p.Date.Month == 0 || f.Date.Month == 0 || p.Date.Month == f.Date.Month) &&
				(p.Date.Year == 0 || f.Date.Year == 0 || p.Date.Year == f.Date.Year) {
				return true
			}
		default:
			if p.Hundredths == f.Hundredths {
				return true
			}
		}
	}
	return false
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
