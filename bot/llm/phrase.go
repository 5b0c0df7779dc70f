package llm

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/dialog"
	openai "github.com/sashabaranov/go-openai"
)

// Phrase rewrites an act's template in the borrower's tone (bot.Phraser),
// streaming the answer within the channel's budgets: the first token within
// Budget.FirstToken, the whole within Budget.Phrase. Disclosures are never
// sent. Personal data and the payment link go out as placeholders and come
// back restored; a text that lost the link or invented a placeholder is an
// error. The caller must still run the guard on the text (bot.PhraseAct).
func (c *Client) Phrase(ctx context.Context, req bot.PhraseRequest) (string, error) {
	if req.Facts.Disclosure {
		return "", ErrDisclosure
	}
	if !c.cfg.Enabled() || !c.cfg.Phrase || slices.Contains(c.cfg.PhraseSkip, string(req.Act)) {
		return "", ErrDisabled
	}
	if !c.begin(ctx, OpPhrase, string(req.Act)) {
		return "", ErrBreakerOpen
	}
	ti := bot.TurnInfoFrom(ctx)
	today := compliance.DateOf(c.clock.Now())
	m := newMasker()
	tmpl := m.mask(req.Template, maskOpts{today: today, names: ti.Names, mask: !c.cfg.SendNames, links: true})
	links := m.placeholdersOf(maskLink)
	last := m.mask(req.LastMessage, maskOpts{
		today: today, verify: req.Stage == dialog.StageVerify, names: ti.Names, mask: !c.cfg.SendNames,
	})
	b := c.cfg.BudgetFor(ti.Channel)
	var info callInfo
	text, err := c.stream(ctx, b.FirstToken, b.Phrase, c.phraseRequest(req, tmpl, last), &info)
	if err == nil {
		text, err = finishPhrase(text, tmpl, links, m)
	}
	if c.finish(ctx, OpPhrase, string(req.Act), info, err, nil) != "" {
		return "", fmt.Errorf("phrase %s: %w", req.Act, err)
	}
	return text, nil
}

func (c *Client) phraseRequest(req bot.PhraseRequest, tmpl, last string) openai.ChatCompletionRequest {
	sentiment := req.Sentiment
	if sentiment == "" {
		sentiment = "neutral"
	}
	user := fmt.Sprintf("Context: locale=%s; act=%s; borrower sentiment=%s; channel=%s.\n<original_message>\n%s\n</original_message>\n<borrower_message>\n%s\n</borrower_message>",
		req.Locale, req.Act, sentiment, req.Channel, escapeData(tmpl), escapeData(last))
	return openai.ChatCompletionRequest{
		Model: c.cfg.Model,
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: c.sysPhrase},
			{Role: openai.ChatMessageRoleUser, Content: user},
		},
		Temperature: c.cfg.Temperature,
		MaxTokens:   c.cfg.MaxTokens,

		ChatTemplateKwargs: c.cfg.ChatTemplateKwargs,
	}
}

// finishPhrase checks and restores a phrased text: not empty, not much
// longer than the template, every link placeholder kept, no placeholder
// invented.
func finishPhrase(text, tmpl string, links []string, m *masker) (string, error) {
	text = strings.TrimSpace(text)
	if len(text) >= 2 && (text[0] == '"' && text[len(text)-1] == '"') {
		text = strings.TrimSpace(text[1 : len(text)-1])
	}
	if text == "" {
		return "", fmt.Errorf("%w: empty text", ErrBadOutput)
	}
	if utf8.RuneCountInString(text) > 2*utf8.RuneCountInString(tmpl)+200 {
		return "", fmt.Errorf("%w: text far longer than the template", ErrBadOutput)
	}
	for _, l := range links {
		if !strings.Contains(text, l) {
			return "", fmt.Errorf("%w: %s dropped", ErrPlaceholder, l)
		}
	}
	return m.restore(text)
}
