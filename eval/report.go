package eval

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteTable writes one line per conversation (name, locale, expected,
// got, pass, turns, guard blocks), then the failures with their reasons,
// then the pass rate. With transcripts set, a failed conversation's
// transcript follows its reasons, and every misread line is listed.
func (r *Report) WriteTable(w io.Writer, transcripts bool) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "suite %s (%s)", r.Suite, r.Path)
	if r.Mode != "" {
		fmt.Fprintf(ew, ", understanding: %s", r.Mode)
	}
	fmt.Fprintln(ew)
	tw := tabwriter.NewWriter(ew, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tLOCALE\tEXPECTED\tGOT\tPASS\tTURNS\tGUARD BLOCKS")
	for _, res := range r.Results {
		pass := "ok"
		if !res.Pass {
			pass = "FAIL"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\n", res.Name, res.Locale, res.Expected, res.Got, pass, res.Turns, res.GuardBlocks)
	}
	tw.Flush()
	for _, res := range r.Results {
		if res.Pass {
			continue
		}
		fmt.Fprintf(ew, "\nFAIL %s", res.Name)
		if res.Note != "" {
			fmt.Fprintf(ew, " (%s)", res.Note)
		}
		fmt.Fprintln(ew)
		for _, f := range res.Failures {
			fmt.Fprintf(ew, "  - %s\n", f)
		}
		if transcripts {
			writeTranscript(ew, res.Transcript)
		}
	}
	if transcripts {
		for _, res := range r.Results {
			for _, m := range res.Misreads {
				fmt.Fprintf(ew, "\nMISREAD %s: %s", res.Name, m)
			}
		}
	}
	c := r.Counters()
	fmt.Fprintf(ew, "\n%s: %d/%d passed, pass rate %.1f%% (threshold %.1f%%); misrecorded deals %d, unrequested statements %d (both must be 0); disclosures %d, ignored requests %d\n",
		r.Suite, r.Passed(), len(r.Results), 100*r.PassRate(), 100*r.Threshold,
		c.MisrecordedDeals, c.UnrequestedStatements, c.Disclosures, c.IgnoredRequests)
	return ew.err
}

func writeTranscript(w io.Writer, ts []Turn) {
	fmt.Fprintln(w, "  transcript:")
	for _, t := range ts {
		who := "  bot"
		switch {
		case t.From != "bot":
			who = "  you"
		case t.Blocked:
			who = "  bot[blocked]"
		}
		fmt.Fprintf(w, "  %s> %s\n", who, strings.ReplaceAll(t.Text, "\n", "\n        "))
	}
}

// Total sums several reports: conversations passed and run.
func Total(reps []*Report) (passed, total int) {
	for _, r := range reps {
		passed += r.Passed()
		total += len(r.Results)
	}
	return passed, total
}

// errWriter remembers the first write error so the table code stays
// readable.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}
