package eval

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
)

// Group is the pass rate and counters of some conversations of a run: one
// suite file, one language or one category.
type Group struct {
	Name     string  `json:"name"`
	Passed   int     `json:"passed"`
	Total    int     `json:"total"`
	PassRate float64 `json:"pass_rate"`
	Counters
}

func (g *Group) add(res Result) {
	g.Total++
	if res.Pass {
		g.Passed++
	}
	g.PassRate = float64(g.Passed) / float64(g.Total)
	g.Counters.Add(res.Counters)
}

// Figures break a run over several suite files down per file (a corpus's
// split), per language and per category, with the run-wide counters.
type Figures struct {
	Files      []Group `json:"files"`
	Locales    []Group `json:"locales"`
	Categories []Group `json:"categories"`
	// Total is the whole run.
	Total Group `json:"total"`
}

// OK reports whether the run's counters that fail a run are 0.
func (f Figures) OK() bool { return f.Total.Counters.OK() }

// Tabulate computes the figures of reports. Conversations without a
// category are grouped under "-".
func Tabulate(reps []*Report) Figures {
	f := Figures{Total: Group{Name: "all"}}
	group := func(gs *[]Group, name string) *Group {
		if name == "" {
			name = "-"
		}
		for i := range *gs {
			if (*gs)[i].Name == name {
				return &(*gs)[i]
			}
		}
		*gs = append(*gs, Group{Name: name})
		return &(*gs)[len(*gs)-1]
	}
	for _, r := range reps {
		name := r.Path
		if name == "" {
			name = r.Suite
		}
		file := group(&f.Files, name)
		for _, res := range r.Results {
			file.add(res)
			group(&f.Locales, res.Locale).add(res)
			group(&f.Categories, res.Category).add(res)
			f.Total.add(res)
		}
	}
	byName := func(a, b Group) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	}
	slices.SortFunc(f.Locales, byName)
	slices.SortFunc(f.Categories, byName)
	return f
}

// WriteTable writes the figures: a table per breakdown (conversations,
// passed, pass rate, misrecorded deals, unrequested statements,
// disclosures, ignored requests) and the totals.
func (f Figures) WriteTable(w io.Writer) error {
	ew := &errWriter{w: w}
	for _, part := range []struct {
		title string
		gs    []Group
	}{{"by file", f.Files}, {"by language", f.Locales}, {"by category", f.Categories}, {"whole run", []Group{f.Total}}} {
		fmt.Fprintf(ew, "%s:\n", part.title)
		tw := tabwriter.NewWriter(ew, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  NAME\tCONVERSATIONS\tPASSED\tPASS RATE\tMISRECORDED DEALS\tUNREQUESTED STATEMENTS\tDISCLOSURES\tIGNORED REQUESTS")
		for _, g := range part.gs {
			fmt.Fprintf(tw, "  %s\t%d\t%d\t%.1f%%\t%d\t%d\t%d\t%d\n", g.Name, g.Total, g.Passed, 100*g.PassRate,
				g.MisrecordedDeals, g.UnrequestedStatements, g.Disclosures, g.IgnoredRequests)
		}
		tw.Flush()
	}
	return ew.err
}
