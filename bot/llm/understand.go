package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/bot/understand"
	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/dialog"
	openai "github.com/sashabaranov/go-openai"
)

// SourceLLM is the Parse.Source of a parse the model made (and the rules
// re-validated).
const SourceLLM = "llm"

// Function names the model is asked to call.
const (
	fnParse   = "record_parse"
	fnSummary = "record_summary"
)

// Bounds of what a model may put in a slot.
const (
	maxDateDays     = 365       // a promise date at most a year out
	maxAmountFactor = 10        // an amount at most ten times the debt
	maxAmountMinor  = 1e11      // and never above a billion, debt unknown
	maxInstallments = 36        // as dialog.Policy allows
	maxEvidence     = 120       // runes of a slot's quoted words
	maxAlts         = 4         // further intents kept
	defaultConf     = 0.5       // confidence when the model gives none
	intentUnknown   = "unknown" // the schema's name for dialog.IntentUnknown
)

// escalating intents the rules found are never dropped by the model: it
// may understand more, but not talk an escalation away.
var escalating = []dialog.Intent{
	dialog.IntentDistress, dialog.IntentAbuse, dialog.IntentCease, dialog.IntentAttorney,
	dialog.IntentBankruptcy, dialog.IntentDispute, dialog.IntentWrongParty,
	dialog.IntentComplaint, dialog.IntentHuman,
}

// Understand parses one message (bot.Understander). The rules parse it
// first, always: in mode rules that is the answer; in hybrid mode too when
// they are sure; otherwise the model is asked and its parse re-validated.
// Any failure of the model (budget, breaker, 429/5xx, unusable output)
// returns the rules' parse and no error: the turn goes on.
func (c *Client) Understand(ctx context.Context, req understand.Request) (dialog.Parse, error) {
	rp, err := c.rules.Understand(ctx, req)
	if err != nil {
		return rp, err
	}
	if !c.cfg.Enabled() {
		return rp, nil
	}
	if c.cfg.Mode == ModeHybrid && c.rulesSure(rp) {
		c.st.settled()
		return rp, nil
	}
	if !c.begin(ctx, OpUnderstand, "") {
		return rp, nil
	}
	ti := bot.TurnInfoFrom(ctx)
	m := newMasker()
	masked := m.mask(req.Text, maskOpts{
		today: req.Today, verify: req.Stage == dialog.StageVerify, names: ti.Names, mask: !c.cfg.SendNames,
	})
	var info callInfo
	resp, err := c.complete(ctx, c.cfg.BudgetFor(ti.Channel).Understand, c.understandRequest(req, masked), &info)
	var p dialog.Parse
	var dropped []string
	if err == nil {
		var mp modelParse
		if mp, err = decodeParse(resp); err == nil {
			p, dropped = c.check(mp, req, masked, ti, rp)
		}
	}
	if c.finish(ctx, OpUnderstand, "", info, err, dropped) != "" {
		return rp, nil
	}
	return keepRights(p, rp), nil
}

// keepRights carries what the rules read about who is speaking and what
// they state (the party, a validation request, a stop request's
// channels, an attorney's details) into the model's parse when it holds
// the same intent: the schema has no field for them.
func keepRights(p, rp dialog.Parse) dialog.Parse {
	if p.Has(dialog.IntentWrongParty) && p.Party == "" {
		p.Party = rp.Party
	}
	if p.Has(dialog.IntentDispute) && rp.Validation {
		p.Validation = true
	}
	if p.Has(dialog.IntentCease) && len(p.CeaseChannels) == 0 {
		p.CeaseChannels = rp.CeaseChannels
	}
	if p.Has(dialog.IntentAttorney) && p.Attorney == "" {
		p.Attorney = rp.Attorney
	}
	// A rights concern the rules could not read (words about stopping
	// contact, proof, a lawyer, bankruptcy or fraud) stays unless the
	// model read the statement itself: whichever understood the message,
	// such words go to a person rather than to a payment demand.
	if p.Concern == "" && rp.Concern != "" && !statesRights(p) {
		p.Concern = rp.Concern
	}
	return p
}

// statesRights reports whether p holds a statement of the borrower's
// rights or says the speaker is someone else.
func statesRights(p dialog.Parse) bool {
	for _, in := range []dialog.Intent{dialog.IntentCease, dialog.IntentDispute, dialog.IntentAttorney, dialog.IntentBankruptcy, dialog.IntentWrongParty} {
		if p.Has(in) {
			return true
		}
	}
	return false
}

// rulesSure reports whether hybrid mode may keep the rules' parse.
func (c *Client) rulesSure(p dialog.Parse) bool {
	return p.Intent != dialog.IntentUnknown && len(p.Alts) == 0 && p.Confidence >= c.cfg.HybridBelow
}

// understandRequest builds the call: a fixed system prompt, the turn's
// context (no secrets: date, currency, stage) and the masked message
// between tags, escaped so it cannot close them.
func (c *Client) understandRequest(req understand.Request, masked string) openai.ChatCompletionRequest {
	wd := req.Weekday
	if wd == 0 && !req.Today.IsZero() {
		wd = req.Today.Time().Weekday()
	}
	user := fmt.Sprintf("Context: locale=%s; today=%s (%s); currency=%s; conversation stage=%s.\n<borrower_message>\n%s\n</borrower_message>",
		req.Locale, req.Today, wd, currencyOf(req), req.Stage, escapeData(masked))
	r := openai.ChatCompletionRequest{
		Model: c.cfg.Model,
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: c.sysUnderstand},
			{Role: openai.ChatMessageRoleUser, Content: user},
		},
		Temperature: 0,
		MaxTokens:   c.cfg.MaxTokens,

		ChatTemplateKwargs: c.cfg.ChatTemplateKwargs,
	}
	c.structured(&r, fnParse, "Record what the borrower's message means.", c.parseSchema)
	return r
}

// structured asks for output matching schema, as a forced function call
// or as a strict JSON schema response format.
func (c *Client) structured(r *openai.ChatCompletionRequest, name, desc string, schema json.RawMessage) {
	if c.cfg.Output == OutputJSONSchema {
		r.ResponseFormat = &openai.ChatCompletionResponseFormat{
			Type: openai.ChatCompletionResponseFormatTypeJSONSchema,
			JSONSchema: &openai.ChatCompletionResponseFormatJSONSchema{
				Name: name, Description: desc, Schema: schema, Strict: true,
			},
		}
		return
	}
	r.Tools = []openai.Tool{{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{
		Name: name, Description: desc, Parameters: schema,
	}}}
	r.ToolChoice = openai.ToolChoice{Type: openai.ToolTypeFunction, Function: openai.ToolFunction{Name: name}}
}

func currencyOf(req understand.Request) string {
	if req.Currency != "" {
		return req.Currency
	}
	if strings.HasPrefix(req.Locale, "zh") {
		return "CNY"
	}
	return "USD"
}

// modelParse is the parse as the model writes it (prompts/llm/parse.schema.json).
type modelParse struct {
	Intent           string   `json:"intent"`
	Alts             []string `json:"alts"`
	Negated          bool     `json:"negated"`
	Date             *string  `json:"date"`
	DateText         *string  `json:"date_text"`
	Amount           flexNum  `json:"amount"`
	AmountText       *string  `json:"amount_text"`
	Installments     flexNum  `json:"installments"`
	InstallmentsText *string  `json:"installments_text"`
	Sentiment        string   `json:"sentiment"`
	Confidence       flexNum  `json:"confidence"`
}

// flexNum is a number a model may write as 240, "240" or "1,240.50".
type flexNum struct {
	set bool    // a value was given
	bad bool    // a value was given and is no number
	v   float64 // the value
}

func (n *flexNum) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	*n = flexNum{}
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	n.set = true
	s := string(b)
	if b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			n.bad = true
			return nil
		}
		s = strings.ReplaceAll(strings.TrimSpace(s), ",", "")
		if s == "" {
			n.set = false
			return nil
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		n.bad = true
		return nil
	}
	n.v = v
	return nil
}

// decodeParse takes the parse out of a response: the forced function
// call's arguments, or the content (json_schema output, or a server that
// answered in text), code fences tolerated.
func decodeParse(resp openai.ChatCompletionResponse) (modelParse, error) {
	raw, err := structuredOutput(resp)
	if err != nil {
		return modelParse{}, err
	}
	return parseModelJSON(raw)
}

// parseModelJSON decodes a model's parse. A fuzz target feeds it.
func parseModelJSON(raw string) (modelParse, error) {
	var mp modelParse
	dec := json.NewDecoder(strings.NewReader(raw))
	if err := dec.Decode(&mp); err != nil {
		return modelParse{}, fmt.Errorf("%w: parse: %w", ErrBadOutput, err)
	}
	if strings.TrimSpace(mp.Intent) == "" {
		return modelParse{}, fmt.Errorf("%w: parse without intent", ErrBadOutput)
	}
	return mp, nil
}

func structuredOutput(resp openai.ChatCompletionResponse) (string, error) {
	if len(resp.Choices) == 0 {
		return "", fmt.Errorf("%w: no choices", ErrBadOutput)
	}
	msg := resp.Choices[0].Message
	if len(msg.ToolCalls) > 0 {
		return msg.ToolCalls[0].Function.Arguments, nil
	}
	if msg.FunctionCall != nil {
		return msg.FunctionCall.Arguments, nil
	}
	s := strings.TrimSpace(msg.Content)
	if strings.HasPrefix(s, "```") {
		s = strings.TrimPrefix(s, "```json")
		s = strings.TrimPrefix(s, "```")
		s = strings.TrimSuffix(strings.TrimSpace(s), "```")
	}
	if s == "" {
		return "", fmt.Errorf("%w: empty answer", ErrBadOutput)
	}
	return s, nil
}

// check re-validates a model's parse against the message, the rules'
// parse and the bounds above. It returns the parse to use and the names of
// the slots it dropped.
func (c *Client) check(mp modelParse, req understand.Request, masked string, ti bot.TurnInfo, rp dialog.Parse) (dialog.Parse, []string) {
	var dropped []string
	drop := func(s string) { dropped = append(dropped, s) }
	p := dialog.Parse{Source: SourceLLM, Negated: mp.Negated}

	intent := strings.ToLower(strings.TrimSpace(mp.Intent))
	switch {
	case intent == intentUnknown:
	case c.intents[intent]:
		p.Intent = dialog.Intent(intent)
	default:
		drop("intent")
		p.Intent, p.Alts = rp.Intent, append([]dialog.Intent(nil), rp.Alts...)
	}
	if len(dropped) == 0 {
		for _, a := range mp.Alts {
			a = strings.ToLower(strings.TrimSpace(a))
			ai := dialog.Intent(a)
			if a == intentUnknown || !c.intents[a] || ai == p.Intent || p.Has(ai) || len(p.Alts) >= maxAlts {
				continue
			}
			p.Alts = append(p.Alts, ai)
		}
	}

	// Identity answers are the rules' alone: the model saw them masked.
	p.DOB, p.IDLast4, p.Name = rp.DOB, rp.IDLast4, rp.Name
	hasIdentity := !rp.DOB.IsZero() || rp.IDLast4 != ""
	if p.Intent == dialog.IntentIdentify && !hasIdentity {
		drop("intent")
		p.Intent, p.Alts = rp.Intent, append([]dialog.Intent(nil), rp.Alts...)
	}
	if hasIdentity && !p.Has(dialog.IntentIdentify) {
		p.Alts = append(p.Alts, dialog.IntentIdentify)
	}
	// Escalations the rules found stay; distress leads.
	for _, e := range escalating {
		if rp.Has(e) && !p.Has(e) {
			if e == dialog.IntentDistress {
				if p.Intent != dialog.IntentUnknown {
					p.Alts = append([]dialog.Intent{p.Intent}, p.Alts...)
				}
				p.Intent = e
			} else if p.Intent == dialog.IntentUnknown {
				p.Intent = e
			} else {
				p.Alts = append(p.Alts, e)
			}
		}
	}

	if mp.Date != nil && strings.TrimSpace(*mp.Date) != "" {
		if d, ok := c.checkDate(strings.TrimSpace(*mp.Date), mp.DateText, req, masked); ok {
			p.Date = d
		} else {
			drop("date")
		}
	}
	if mp.Amount.set {
		if a, ok := c.checkAmount(mp.Amount, mp.AmountText, req, masked, ti); ok {
			p.Amount = a
		} else {
			drop("amount")
		}
	}
	if mp.Installments.set {
		if n, ok := checkCount(mp.Installments, mp.InstallmentsText, masked); ok {
			p.Installments = n
		} else {
			drop("installments")
		}
	}
	// A short answer read against the pending question ("28" after "by
	// what date?", 周三 inside the week read back) is the rules' to read:
	// the model sees the message, not the question; one numeral fills one
	// slot.
	if ctxRead(req, rp) {
		p.Date, p.Amount, p.Installments, p.Week = rp.Date, rp.Amount, rp.Installments, rp.Week
		if p.Intent != rp.Intent && !slices.Contains(escalating, p.Intent) {
			p.Intent, p.Alts = rp.Intent, append([]dialog.Intent(nil), rp.Alts...)
		}
	}
	// Where the model and the rules agree on the intent, the rules' slots
	// fill what the model left empty or lost.
	if p.Intent == rp.Intent {
		if p.Date.IsZero() {
			p.Date = rp.Date
		}
		if p.Date == rp.Date {
			p.Week = rp.Week // 下周 read as a whole week, kept for the next answer
		}
		if p.Amount.IsZero() {
			p.Amount = rp.Amount
		}
		if p.Installments == 0 {
			p.Installments = rp.Installments
		}
	}

	// What only the rules read: the reason for lateness, a question's
	// topic, a schedule of several payments, a part payment without an
	// amount. The model's parse keeps them where it agrees on the kind.
	p.Reason = rp.Reason
	if p.Has(dialog.IntentQuestion) {
		p.Topic = rp.Topic
	}
	if len(rp.Parts) > 0 && (p.Intent == rp.Intent || p.Intent == dialog.IntentPlan || p.Intent == dialog.IntentPromise) {
		p.Parts = rp.Parts
	}
	p.Partial = rp.Partial && p.Amount.IsZero()

	switch s := strings.ToLower(strings.TrimSpace(mp.Sentiment)); s {
	case "neutral", "negative", "angry", "distressed":
		p.Sentiment = s
	default:
		p.Sentiment = rp.Sentiment
	}
	if rp.Sentiment == "distressed" {
		p.Sentiment = rp.Sentiment
	}
	p.Confidence = defaultConf
	if mp.Confidence.set && !mp.Confidence.bad {
		p.Confidence = min(max(mp.Confidence.v, 0), 1)
	}
	return p, dropped
}

// checkDate accepts a date that is ISO, from today to a year out, quoted
// from the message, and, where the rules can read the quote, the date the
// rules read.
func (c *Client) checkDate(iso string, quote *string, req understand.Request, masked string) (compliance.Date, bool) {
	d, err := compliance.ParseISODate(iso)
	if err != nil || d.Before(req.Today) || d.After(req.Today.AddDays(maxDateDays)) {
		return compliance.Date{}, false
	}
	q, ok := quoted(quote, masked)
	if !ok {
		return compliance.Date{}, false
	}
	if rd, found := c.rules.ParseDate(q, req.Locale, req.Today); found && rd != d {
		return compliance.Date{}, false
	}
	return d, true
}

// ctxRead reports a parse the rules made against what the bot waits for
// (Request.Expect, Request.Week) that holds the slot asked for.
func ctxRead(req understand.Request, rp dialog.Parse) bool {
	switch {
	case !req.Week.IsZero() && !rp.Date.IsZero():
		return true
	case req.Expect == dialog.ExpectDate:
		return !rp.Date.IsZero()
	case req.Expect == dialog.ExpectAmount:
		return !rp.Amount.IsZero()
	case req.Expect == dialog.ExpectCount:
		return rp.Installments > 0
	}
	return false
}

// checkAmount accepts a positive amount, at most ten times the debt, quoted
// from the message, that the rules read the same from the quote; a quote
// the rules cannot read must at least hold a numeral.
func (c *Client) checkAmount(n flexNum, quote *string, req understand.Request, masked string, ti bot.TurnInfo) (compliance.Money, bool) {
	if n.bad || n.v <= 0 {
		return compliance.Money{}, false
	}
	minor := math.Round(n.v * 100)
	if minor < 1 || minor > maxAmountMinor {
		return compliance.Money{}, false
	}
	cur := currencyOf(req)
	m := compliance.Money{Minor: int64(minor), Currency: cur}
	if ti.AmountDue.Minor > 0 && m.Minor > maxAmountFactor*ti.AmountDue.Minor {
		return compliance.Money{}, false
	}
	q, ok := quoted(quote, masked)
	if !ok || rePlaceholder.MatchString(q) {
		// a placeholder ([DATE_1], [PHONE_2]) stands for something masked,
		// never for money
		return compliance.Money{}, false
	}
	if rm, found := c.rules.ParseAmount(q, req.Locale, cur); found {
		return m, rm.Minor == m.Minor && rm.Currency == cur
	}
	return m, hasNumeral(q)
}

// checkCount accepts an installment count of 1 to 36, quoted from the
// message; a quote with digits must state that number.
func checkCount(n flexNum, quote *string, masked string) (int, bool) {
	if n.bad || n.v != math.Trunc(n.v) || n.v < 1 || n.v > maxInstallments {
		return 0, false
	}
	q, ok := quoted(quote, masked)
	if !ok || !hasNumeral(q) {
		return 0, false
	}
	if ds := firstDigits(q); ds != "" {
		if v, err := strconv.Atoi(ds); err != nil || v != int(n.v) {
			return 0, false
		}
	}
	return int(n.v), true
}

// quoted returns the model's quote when the message (as sent) holds it.
func quoted(q *string, masked string) (string, bool) {
	if q == nil {
		return "", false
	}
	s := strings.TrimSpace(*q)
	if s == "" || len([]rune(s)) > maxEvidence {
		return "", false
	}
	return s, strings.Contains(fold(masked), fold(s))
}

// fold lower-cases and collapses white space, for quote matching.
func fold(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}

func hasNumeral(s string) bool {
	for _, r := range s {
		if unicode.IsDigit(r) || strings.ContainsRune("零一二两三四五六七八九十百千万", r) {
			return true
		}
	}
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) }) {
		switch w {
		case "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
			"eleven", "twelve", "fifteen", "twenty", "thirty", "forty", "fifty", "sixty",
			"seventy", "eighty", "ninety", "hundred", "thousand":
			return true
		}
	}
	return false
}

func firstDigits(s string) string {
	start := -1
	for i, r := range s {
		if r >= '0' && r <= '9' {
			if start < 0 {
				start = i
			}
		} else if start >= 0 {
			return s[start:i]
		}
	}
	if start >= 0 {
		return s[start:]
	}
	return ""
}
