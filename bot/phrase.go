package bot

// This file declares what the runtime needs from a language model beyond
// understanding: phrasing an act in the borrower's tone, and summarising a
// conversation for the person who takes it over. The model never decides:
// PhraseAct runs the guard on whatever a Phraser wrote and falls back on the
// template, and ExtractSummary works with no model at all.

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/collectagent/collectagent/bot/respond"
	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/dialog"
	"github.com/collectagent/collectagent/prompts"
)

// Phraser rewrites an act's rendered template in the borrower's language
// and tone. It returns only text: the caller decides whether the text may
// be sent (PhraseAct). Implementations never receive disclosure acts.
type Phraser interface {
	Phrase(ctx context.Context, req PhraseRequest) (string, error)
}

// PhraseRequest is one act to phrase.
type PhraseRequest struct {
	Act     dialog.ActKind `json:"act"`
	Locale  string         `json:"locale"` // "en-US", "zh-CN"
	Stage   dialog.Stage   `json:"stage"`
	Channel Channel        `json:"channel"` // picks the latency budget
	// Template is the act rendered from prompts/: the meaning to keep, with
	// the engine's figures already formatted.
	Template string           `json:"template"`
	Facts    compliance.Facts `json:"facts"`
	// LastMessage and Sentiment are the borrower's last message and its
	// parse's sentiment, so the wording can match their tone.
	LastMessage string `json:"last_message,omitempty"`
	Sentiment   string `json:"sentiment,omitempty"`
}

// GuardReporter is implemented by a Phraser that counts how often the guard
// refused its text; PhraseAct tells it after every check.
type GuardReporter interface {
	ReportGuard(act dialog.ActKind, replaced bool)
}

// Rule codes PhraseAct adds to the guard's (compliance.Violation.Rule).
const (
	// RuleDroppedFact: the model left out a figure the template states
	// (a read-back without its amount is no read-back).
	RuleDroppedFact = "dropped_fact"
	// RuleEmptyPhrase: the model returned nothing usable.
	RuleEmptyPhrase = "empty_phrase"
	// RuleUnsupportedClaim: the model claimed something about the debt,
	// a concession or a consequence that the template does not
	// ("your account is closed", 已结清, "court"): prompts/llm/claims.json.
	RuleUnsupportedClaim = "unsupported_claim"
)

// PhraseResult is what PhraseAct decided to send for one act.
type PhraseResult struct {
	// Text is the model's text when it passed every check, else the template.
	Text   string            `json:"text"`
	Source compliance.Source `json:"source"`
	// ModelText is what the model wrote (empty when it was not asked or
	// failed); Decision is the guard's verdict on it.
	ModelText string              `json:"model_text,omitempty"`
	Decision  compliance.Decision `json:"decision"`
	// Replaced is set when the model's text broke a rule and the template
	// was used instead: the runtime audits it as a guard replacement.
	Replaced bool `json:"replaced,omitempty"`
	// Err says why the model was not used (timeout, breaker open, ...);
	// nil when it was used or never asked.
	Err error `json:"-"`
}

// PhraseAct asks p to phrase req and checks the result with g against the
// act's facts, at req.Stage. Disclosures are never sent to p; with a nil p,
// a failed call or any violation, the template is the answer. The template
// itself still goes through the runtime's own guard check.
func PhraseAct(ctx context.Context, p Phraser, g *compliance.Guard, req PhraseRequest) PhraseResult {
	tmpl := PhraseResult{Text: req.Template, Source: compliance.SourceTemplate, Decision: compliance.Decision{Allowed: true}}
	if p == nil || g == nil || req.Facts.Disclosure || strings.TrimSpace(req.Template) == "" {
		return tmpl
	}
	text, err := p.Phrase(ctx, req)
	if err != nil {
		tmpl.Err = err
		return tmpl
	}
	text = strings.TrimSpace(text)
	var dec compliance.Decision
	if text == "" {
		dec = compliance.Decision{Violations: []compliance.Violation{{Rule: RuleEmptyPhrase}}}
	} else {
		dec = g.Check(compliance.Utterance{
			Text: text, Locale: req.Locale, Channel: req.Channel, Stage: string(req.Stage),
			Source: compliance.SourceModel, Facts: req.Facts,
		})
		if missing := missingFigures(req.Template, text); missing != "" {
			dec.Allowed = false
			dec.Violations = append(dec.Violations, compliance.Violation{Rule: RuleDroppedFact, Detail: missing})
		}
		if claim := unsupportedClaim(req.Template, text); claim != "" {
			dec.Allowed = false
			dec.Violations = append(dec.Violations, compliance.Violation{Rule: RuleUnsupportedClaim, Detail: claim})
		}
	}
	if r, ok := p.(GuardReporter); ok {
		r.ReportGuard(req.Act, !dec.Allowed)
	}
	if !dec.Allowed {
		tmpl.ModelText, tmpl.Decision, tmpl.Replaced = text, dec, true
		return tmpl
	}
	return PhraseResult{Text: text, Source: compliance.SourceModel, ModelText: text, Decision: dec}
}

var (
	phraseClaimsOnce sync.Once
	phraseClaims     []string // lower-case, both locales
)

func phraseClaimList() []string {
	phraseClaimsOnce.Do(func() {
		b, err := prompts.LLMFile(prompts.LLMClaims)
		if err != nil {
			return
		}
		var raw map[string]json.RawMessage
		if json.Unmarshal(b, &raw) != nil {
			return
		}
		for k, v := range raw {
			if strings.HasPrefix(k, "_") {
				continue
			}
			var words []string
			if json.Unmarshal(v, &words) == nil {
				for _, w := range words {
					phraseClaims = append(phraseClaims, strings.ToLower(w))
				}
			}
		}
	})
	return phraseClaims
}

// unsupportedClaim returns the first claim text makes that tmpl does not,
// or "". English claims match whole words.
func unsupportedClaim(tmpl, text string) string {
	lt, ltmpl := strings.ToLower(text), strings.ToLower(tmpl)
	for _, c := range phraseClaimList() {
		if containsClaim(lt, c) && !containsClaim(ltmpl, c) {
			return c
		}
	}
	return ""
}

// containsClaim reports whether s holds claim c; a claim starting or
// ending with a letter must not be part of a longer word ("sue" is not in
// "issue", "deal" not in "ideal").
func containsClaim(s, c string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], c)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(c)
		before, _ := utf8.DecodeLastRuneInString(s[:start])
		after, _ := utf8.DecodeRuneInString(s[end:])
		first, _ := utf8.DecodeRuneInString(c)
		last, _ := utf8.DecodeLastRuneInString(c)
		okBefore := start == 0 || !phraseASCIILetter(first) || !phraseASCIILetter(before)
		okAfter := end == len(s) || !phraseASCIILetter(last) || !phraseASCIILetter(after)
		if okBefore && okAfter {
			return true
		}
		i = start + 1
	}
}

func phraseASCIILetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

// missingFigures returns the first figure of tmpl that text does not
// state, or "" when text states them all.
func missingFigures(tmpl, text string) string {
	want := compliance.ExtractFigures(tmpl)
	if len(want) == 0 {
		return ""
	}
	got := compliance.ExtractFigures(text)
	for _, w := range want {
		found := false
		for _, f := range got {
			if sameFigure(w, f) {
				found = true
				break
			}
		}
		if !found {
			return w.Text
		}
	}
	return ""
}

// sameFigure compares two figures by value, the way the fact-lock does: a
// date without a year matches a date with one on the same day.
func sameFigure(a, b compliance.Figure) bool {
	if a.Kind != b.Kind {
		return false
	}
	switch a.Kind {
	case compliance.FigureMoney:
		return a.Money == b.Money || (a.Money.Minor == b.Money.Minor && (a.Money.Currency == "" || b.Money.Currency == ""))
	case compliance.FigureDate:
		if a.Date.Day != b.Date.Day {
			return false
		}
		if a.Date.Month != 0 && b.Date.Month != 0 && a.Date.Month != b.Date.Month {
			return false
		}
		return a.Date.Year == 0 || b.Date.Year == 0 || a.Date.Year == b.Date.Year
	default:
		return a.Hundredths == b.Hundredths && !a.Inexact && !b.Inexact
	}
}

// Summarizer writes the note a human agent reads when taking a
// conversation over.
type Summarizer interface {
	Summarize(ctx context.Context, transcript []Reply, facts HandoffFacts) (Summary, error)
}

// HandoffFacts is what the engine knows for certain about a conversation
// being handed over; a summary's reason, verification, disclosures and
// offers come from here, never from a model.
type HandoffFacts struct {
	Reason      string            `json:"reason"` // escalation reason code
	Locale      string            `json:"locale"`
	Channel     Channel           `json:"channel,omitempty"`
	Stage       dialog.Stage      `json:"stage"`
	Verified    bool              `json:"verified"`
	Disclosures []dialog.ActKind  `json:"disclosures,omitempty"`
	Offers      []dialog.Proposal `json:"offers,omitempty"`
	Outcome     *dialog.Outcome   `json:"outcome,omitempty"`
}

// HandoffFactsOf builds the handoff facts of a state.
func HandoffFactsOf(reason, locale string, channel Channel, st dialog.State) HandoffFacts {
	return HandoffFacts{
		Reason: reason, Locale: locale, Channel: channel, Stage: st.Stage, Verified: st.Verified,
		Disclosures: st.Disclosed, Offers: st.Offers, Outcome: st.Outcome,
	}
}

// Summary is a handoff note.
type Summary struct {
	Reason      string   `json:"reason"`
	Verified    bool     `json:"verified"`
	Disclosures []string `json:"disclosures"`
	Offers      []string `json:"offers"`
	// Situation is what the borrower said about their situation.
	Situation string `json:"situation"`
	// Text is the whole note, for display.
	Text   string `json:"text"`
	Source string `json:"source"` // "model" or "extractive"
	// Model and PromptVersion identify a model-written summary.
	Model         string `json:"model,omitempty"`
	PromptVersion string `json:"prompt_version,omitempty"`
}

// Summary sources.
const (
	SummaryModel      = "model"
	SummaryExtractive = "extractive"
)

// maxSituationRunes bounds the situation quoted in an extractive summary.
const maxSituationRunes = 300

var (
	summaryCuesOnce sync.Once
	summaryCues     map[string][]string // locale -> lower-case cue words
)

func summarySituationCues() map[string][]string {
	summaryCuesOnce.Do(func() {
		summaryCues = map[string][]string{}
		b, err := prompts.LLMFile(prompts.LLMSituationCues)
		if err != nil {
			return
		}
		var raw map[string]json.RawMessage
		if json.Unmarshal(b, &raw) != nil {
			return
		}
		for k, v := range raw {
			if strings.HasPrefix(k, "_") {
				continue
			}
			var words []string
			if json.Unmarshal(v, &words) == nil {
				for i := range words {
					words[i] = strings.ToLower(words[i])
				}
				summaryCues[k] = words
			}
		}
	})
	return summaryCues
}

// ExtractSummary writes a handoff note from the facts and the borrower's
// own words, with no model: the borrower lines that speak of their
// situation (cue words of both languages, prompts/llm/situation_cues.json),
// else their last line.
func ExtractSummary(transcript []Reply, f HandoffFacts) Summary {
	s := summaryFacts(f)
	s.Source = SummaryExtractive
	var lines []string
	last := ""
	all := summarySituationCues()
	for _, r := range transcript {
		if r.From != FromBorrower {
			continue
		}
		t := strings.TrimSpace(r.Text)
		if t == "" {
			continue
		}
		last = t
		lt := strings.ToLower(t)
	cueLoop:
		for _, words := range all {
			for _, w := range words {
				if strings.Contains(lt, w) {
					lines = append(lines, t)
					break cueLoop
				}
			}
		}
	}
	if len(lines) > 2 {
		lines = lines[len(lines)-2:]
	}
	if len(lines) == 0 && last != "" {
		lines = []string{last}
	}
	s.Situation = summaryTruncate(strings.Join(lines, " / "), maxSituationRunes)
	s.Text = SummaryText(s, f.Locale)
	return s
}

// summaryFacts fills the parts of a summary that come from the engine.
func summaryFacts(f HandoffFacts) Summary {
	s := Summary{Reason: f.Reason, Verified: f.Verified, Disclosures: []string{}, Offers: []string{}}
	for _, d := range f.Disclosures {
		s.Disclosures = append(s.Disclosures, string(d))
	}
	for _, o := range f.Offers {
		s.Offers = append(s.Offers, FormatProposal(o))
	}
	return s
}

// SummaryFacts is the part of a summary that comes from the engine, for a
// Summarizer that adds the model's words to it.
func SummaryFacts(f HandoffFacts) Summary { return summaryFacts(f) }

// FormatProposal writes a proposal for an agent: "ptp 240.00 USD by
// 2026-11-27", "plan 4 x 60.00 USD from 2026-11-27".
func FormatProposal(p dialog.Proposal) string {
	var b strings.Builder
	b.WriteString(string(p.Kind))
	switch {
	case len(p.Installments) > 0:
		fmt.Fprintf(&b, " %d x %s from %s", len(p.Installments), p.Installments[0].Amount, p.Installments[0].DueDate)
	case !p.Date.IsZero():
		fmt.Fprintf(&b, " %s by %s", p.Amount, p.Date)
	case !p.Amount.IsZero():
		fmt.Fprintf(&b, " %s", p.Amount)
	}
	if p.Counter {
		b.WriteString(" (counter-offer)")
	}
	return b.String()
}

// SummaryText lays a summary out as one short note in the conversation's
// locale (the "summary" notice of the templates).
func SummaryText(s Summary, locale string) string {
	d := respond.SummaryData{Reason: s.Reason, Verified: s.Verified, Disclosures: strings.Join(s.Disclosures, ", "), Offers: strings.Join(s.Offers, ", "), Situation: s.Situation}
	r, err := respond.Default()
	if err == nil {
		var text string
		// The note is read by agents on their board: the written wording.
		if text, err = r.Notice(respond.NoticeSummary, locale, compliance.ChannelChat, d); err == nil {
			return text
		}
	}
	// The templates are checked at start; keep the facts readable anyway.
	return fmt.Sprintf("%s %v %v %v %s", s.Reason, s.Verified, s.Disclosures, s.Offers, s.Situation)
}

func summaryTruncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// TurnInfo is what a model-backed Understander or Phraser may know about
// the turn beyond its request: the channel (which picks the latency
// budget), the debt's amount (the bound on a plausible amount), the
// borrower's names (masked before anything leaves when so configured) and a
// trace that collects each model call for the turn's record. The runtime
// attaches it to the context with WithTurnInfo.
type TurnInfo struct {
	ConversationID string           `json:"conversation_id,omitempty"`
	Channel        Channel          `json:"channel,omitempty"`
	AmountDue      compliance.Money `json:"amount_due,omitzero"`
	Names          []string         `json:"-"`
	Trace          *ModelTrace      `json:"-"`
}

type turnInfoKey struct{}

// WithTurnInfo returns ctx carrying ti.
func WithTurnInfo(ctx context.Context, ti TurnInfo) context.Context {
	return context.WithValue(ctx, turnInfoKey{}, ti)
}

// TurnInfoFrom returns the turn info of ctx, zero when none was attached.
func TurnInfoFrom(ctx context.Context) TurnInfo {
	ti, _ := ctx.Value(turnInfoKey{}).(TurnInfo)
	return ti
}

// ModelCall is the record of one call to a language model (or of the
// decision not to make one), for the turn's record and for replay.
type ModelCall struct {
	Op            string        `json:"op"` // "understand", "phrase", "summarize"
	Act           string        `json:"act,omitempty"`
	Model         string        `json:"model"`
	PromptVersion string        `json:"prompt_version"`
	Latency       time.Duration `json:"latency_ns"`
	FirstToken    time.Duration `json:"first_token_ns,omitempty"`
	TokensIn      int           `json:"tokens_in,omitempty"`
	TokensOut     int           `json:"tokens_out,omitempty"`
	Attempts      int           `json:"attempts,omitempty"`
	// Fallback is why the model's answer was not used ("timeout",
	// "rate_limited", "server_error", "bad_output", "breaker_open", ...);
	// empty when it was.
	Fallback string `json:"fallback,omitempty"`
	// Dropped lists slots the model filled that failed re-validation.
	Dropped []string `json:"dropped,omitempty"`
}

// ModelTrace collects the model calls of one turn. Safe for concurrent use.
type ModelTrace struct {
	mu    sync.Mutex
	calls []ModelCall
}

// Add records a call.
func (t *ModelTrace) Add(c ModelCall) {
	if t == nil {
		return
	}
	t.mu.Lock()
	t.calls = append(t.calls, c)
	t.mu.Unlock()
}

// Calls returns the calls recorded so far.
func (t *ModelTrace) Calls() []ModelCall {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]ModelCall(nil), t.calls...)
}
