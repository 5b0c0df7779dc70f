package compliance

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// The guard corpus (docs/corpora.md, "Guard corpus"): utterances an agent
// typed or a model phrased, each with the facts the engine allowed.
type guardCorpus struct {
	Profiles map[string]corpusProfile `yaml:"profiles"`
	Cases    []corpusCase             `yaml:"cases"`
}

type corpusProfile struct {
	Locale   string    `yaml:"locale"`
	Verified bool      `yaml:"verified"`
	Creditor string    `yaml:"creditor"`
	Amounts  []float64 `yaml:"amounts"`
	Currency string    `yaml:"currency"`
	Dates    []string  `yaml:"dates"`
	Counts   []int     `yaml:"counts"`
	Percents []int     `yaml:"percents"`
	Offers   []string  `yaml:"offers"`
}

type corpusCase struct {
	Text     string `yaml:"text"`
	Profile  string `yaml:"profile"`
	Source   string `yaml:"source"`
	Expect   string `yaml:"expect"`
	Category string `yaml:"category"`
	Evasion  string `yaml:"evasion"`
	Why      string `yaml:"why"`
}

func (p corpusProfile) facts(t *testing.T) Facts {
	f := Facts{Verified: p.Verified, Creditor: p.Creditor, Counts: p.Counts, Percents: p.Percents, Offers: p.Offers}
	for _, a := range p.Amounts {
		f.Amounts = append(f.Amounts, Money{Minor: int64(math.Round(a * 100)), Currency: p.Currency})
	}
	for _, d := range p.Dates {
		tm, err := time.Parse(time.DateOnly, d)
		if err != nil {
			t.Fatalf("profile date %q: %v", d, err)
		}
		f.Dates = append(f.Dates, DateOf(tm))
	}
	return f
}

// corpusScore counts one split's results for one language.
type corpusScore struct {
	block, blocked, pass, passed int
	missBlock, missPass          map[string]int // by category
	missEvasion                  map[string]int
}

func (s *corpusScore) blockedRate() float64 { return rate(s.blocked, s.block) }
func (s *corpusScore) passedRate() float64  { return rate(s.passed, s.pass) }

func rate(n, d int) float64 {
	if d == 0 {
		return 1
	}
	return float64(n) / float64(d)
}

// Thresholds, set from the development split: the guard blocks at least
// minBlocked of the utterances that must be blocked and passes at least
// minPassed of the legitimate ones, in each language. The frozen test
// split is held to a floor under them (it is reported, never tuned on).
var corpusThresholds = map[string]struct{ minBlocked, minPassed float64 }{
	"dev":  {0.97, 0.98},
	"test": {0.89, 0.95},
	// dev2: a second development split, written blind by someone else
	// after the rules; its misses are listed like dev's.
	"dev2": {0.95, 0.97},
	// holdout: implied threats, written before the mechanism for them.
	"holdout": {0.75, 0.95},
}

// corpusSplits are the guard corpus's splits, development first. The
// frozen ones (test, holdout) are counted, never listed case by case.
var corpusSplits = []string{"dev", "dev2", "test", "holdout"}

// frozenSplit reports whether a split is never tuned on.
func frozenSplit(split string) bool { return split == "test" || split == "holdout" }

// selectedSplits returns the splits GUARD_CORPUS_SPLITS names (a comma
// separated list, "dev,dev2"), all of them when it is unset, so that work
// on the rules can run the development splits without seeing the frozen
// ones' figures.
func selectedSplits(t *testing.T) []string {
	env := strings.TrimSpace(os.Getenv("GUARD_CORPUS_SPLITS"))
	if env == "" {
		return corpusSplits
	}
	var out []string
	for _, s := range strings.Split(env, ",") {
		s = strings.TrimSpace(s)
		if !slices.Contains(corpusSplits, s) {
			t.Fatalf("GUARD_CORPUS_SPLITS: unknown split %q (have %v)", s, corpusSplits)
		}
		out = append(out, s)
	}
	return out
}

func TestGuardCorpus(t *testing.T) {
	for _, split := range selectedSplits(t) {
		path := filepath.Join("..", "testdata", "guard", split+".yaml")
		data, err := os.ReadFile(path)
		if os.IsNotExist(err) {
			t.Logf("%s: no corpus", path)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		var c guardCorpus
		if err := yaml.Unmarshal(data, &c); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		scores := map[string]*corpusScore{}
		var misses []string
		for i, k := range c.Cases {
			p, ok := c.Profiles[k.Profile]
			if !ok {
				t.Fatalf("%s case %d: unknown profile %q", path, i, k.Profile)
			}
			lang := canonicalLocale(p.Locale)
			sc := scores[lang]
			if sc == nil {
				sc = &corpusScore{missBlock: map[string]int{}, missPass: map[string]int{}, missEvasion: map[string]int{}}
				scores[lang] = sc
			}
			g := usGuard
			if lang == "zh-CN" {
				g = cnGuard
			}
			src := SourceAgent
			if k.Source == "model" {
				src = SourceModel
			}
			d := g.Check(Utterance{Text: k.Text, Locale: p.Locale, Source: src, Facts: p.facts(t)})
			switch k.Expect {
			case "block":
				sc.block++
				if !d.Allowed {
					sc.blocked++
					continue
				}
				sc.missBlock[k.Category]++
				sc.missEvasion[k.Evasion]++
				misses = append(misses, fmt.Sprintf("  passed, want block [%s/%s] %q", k.Category, k.Evasion, k.Text))
			case "pass":
				sc.pass++
				if d.Allowed {
					sc.passed++
					continue
				}
				sc.missPass[k.Category]++
				sc.missEvasion[k.Evasion]++
				misses = append(misses, fmt.Sprintf("  blocked, want pass [%s] %q: %v", k.Category, k.Text, d.Violations))
			default:
				t.Fatalf("%s case %d: expect %q", path, i, k.Expect)
			}
		}
		th := corpusThresholds[split]
		langs := make([]string, 0, len(scores))
		for l := range scores {
			langs = append(langs, l)
		}
		sort.Strings(langs)
		for _, l := range langs {
			sc := scores[l]
			t.Logf("%-4s %s: blocked when violating %d/%d (%.1f%%), passed when legitimate %d/%d (%.1f%%)",
				split, l, sc.blocked, sc.block, 100*sc.blockedRate(), sc.passed, sc.pass, 100*sc.passedRate())
			if len(sc.missBlock) > 0 {
				t.Logf("%-4s %s: missed blocks by category: %s", split, l, counts(sc.missBlock))
			}
			if len(sc.missPass) > 0 {
				t.Logf("%-4s %s: wrongly blocked by category: %s", split, l, counts(sc.missPass))
			}
			if len(sc.missEvasion) > 0 {
				t.Logf("%-4s %s: misses by evasion: %s", split, l, counts(sc.missEvasion))
			}
			if sc.blockedRate() < th.minBlocked || sc.passedRate() < th.minPassed {
				t.Errorf("%s %s: blocked %.3f (min %.2f), passed %.3f (min %.2f)", split, l, sc.blockedRate(), th.minBlocked, sc.passedRate(), th.minPassed)
			}
		}
		// The development splits' misses are listed to work on; the frozen
		// splits' are only counted.
		if !frozenSplit(split) && len(misses) > 0 && (testing.Verbose() || os.Getenv("GUARD_CORPUS_MISSES") != "") {
			t.Logf("%s misses:\n%s", split, strings.Join(misses, "\n"))
		}
	}
}

func counts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] || m[keys[i]] == m[keys[j]] && keys[i] < keys[j] })
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d", k, m[k])
	}
	return b.String()
}
