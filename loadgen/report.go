package loadgen

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is what one load run against one target measured.
type Report struct {
	Target        string    `json:"target"` // "echo", "floor" or "server"
	URL           string    `json:"url"`
	Conversations int       `json:"conversations"` // concurrent borrowers
	Rounds        int       `json:"rounds,omitempty"`
	Duration      Duration  `json:"duration_ms,omitempty"`
	Think         Duration  `json:"think_ms"`
	Locales       string    `json:"locales"`
	Started       time.Time `json:"started"`
	Setup         Duration  `json:"setup_ms"` // creating the first accounts
	Elapsed       Duration  `json:"elapsed_ms"`
	TimedOut      bool      `json:"timed_out,omitempty"`

	Completed           uint64  `json:"conversations_completed"`
	Failed              uint64  `json:"conversations_failed"`
	Turns               uint64  `json:"turns"`
	TurnsPerSec         float64 `json:"turns_per_sec"`
	ConversationsPerSec float64 `json:"conversations_per_sec"`
	MaxOpen             int64   `json:"max_open_chats"` // most WebSockets open at once

	Turn     LatencySummary    `json:"turn_latency"`
	Connect  LatencySummary    `json:"connect_latency"`
	Greeting *LatencySummary   `json:"greeting_latency,omitempty"`
	Session  *LatencySummary   `json:"session_latency,omitempty"`
	Errors   map[string]uint64 `json:"errors"`
	Memory   MemReport         `json:"memory"`
	// CPUPerConversation is the sampled process's CPU per completed
	// conversation.
	CPUPerConversation Duration `json:"cpu_per_conversation_ms,omitempty"`
	// ClientCPU is the CPU time of the load generator's process during the
	// run (for the echo target it includes the echo server).
	ClientCPU Duration `json:"client_cpu_ms"`
}

// Duration marshals as fractional milliseconds.
type Duration time.Duration

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 3, 64)), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	ms, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	*d = Duration(math.Round(ms * float64(time.Millisecond)))
	return nil
}

// String formats with a unit, to three significant places.
func (d Duration) String() string {
	v := time.Duration(d)
	switch {
	case v >= time.Second:
		return strconv.FormatFloat(v.Seconds(), 'f', 2, 64) + " s"
	case v >= time.Millisecond:
		return strconv.FormatFloat(float64(v)/float64(time.Millisecond), 'f', 2, 64) + " ms"
	default:
		return strconv.FormatFloat(float64(v)/float64(time.Microsecond), 'f', 0, 64) + " µs"
	}
}

// Machine describes where the figures were taken.
type Machine struct {
	CPUs       int       `json:"cpus"`
	CPUModel   string    `json:"cpu_model,omitempty"`
	GOMAXPROCS int       `json:"gomaxprocs"`
	GoVersion  string    `json:"go_version"`
	OS         string    `json:"os"`
	Arch       string    `json:"arch"`
	Date       time.Time `json:"date"`
	// LoadAvg is /proc/loadavg's 1, 5 and 15 minute load at the start: on
	// a shared machine it says how much else was running.
	LoadAvg string `json:"load_avg,omitempty"`
}

// ReadMachine describes this machine at now.
func ReadMachine(now time.Time) Machine {
	return Machine{
		CPUs:       runtime.NumCPU(),
		CPUModel:   cpuModel(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		GoVersion:  runtime.Version(),
		OS:         runtime.GOOS,
		Arch:       runtime.GOARCH,
		Date:       now.UTC(),
		LoadAvg:    loadAvg(),
	}
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// WriteJSON writes res as indented JSON.
func WriteJSON(w io.Writer, res Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}

// WriteTable writes res as a table, one column per run.
func WriteTable(w io.Writer, res Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	m := res.Machine
	fmt.Fprintf(tw, "machine\t%d CPUs (%s), GOMAXPROCS %d, %s %s/%s, %s, load %s\n", m.CPUs, orDash(m.CPUModel), m.GOMAXPROCS, m.GoVersion, m.OS, m.Arch, m.Date.Format(time.RFC3339), orDash(m.LoadAvg))
	if len(res.Runs) == 0 {
		return tw.Flush()
	}
	row := func(name string, f func(r Report) string) {
		cells := []string{name}
		for _, r := range res.Runs {
			cells = append(cells, f(r))
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	lat := func(sel func(Report) *LatencySummary, q func(LatencySummary) Duration) func(Report) string {
		return func(r Report) string {
			s := sel(r)
			if s == nil || s.Count == 0 {
				return "-"
			}
			return q(*s).String()
		}
	}
	turn := func(r Report) *LatencySummary { return &r.Turn }
	connect := func(r Report) *LatencySummary { return &r.Connect }
	greet := func(r Report) *LatencySummary { return r.Greeting }
	sess := func(r Report) *LatencySummary { return r.Session }
	p50 := func(s LatencySummary) Duration { return s.P50 }
	p90 := func(s LatencySummary) Duration { return s.P90 }
	p99 := func(s LatencySummary) Duration { return s.P99 }
	maxOf := func(s LatencySummary) Duration { return s.Max }

	row("target", func(r Report) string { return r.Target + " " + r.URL })
	row("concurrent borrowers", func(r Report) string { return strconv.Itoa(r.Conversations) })
	row("run", func(r Report) string {
		if r.Duration > 0 {
			return "for " + time.Duration(r.Duration).String()
		}
		return strconv.Itoa(r.Rounds) + " round(s)"
	})
	row("think time (mean)", func(r Report) string { return time.Duration(r.Think).String() })
	row("locales", func(r Report) string { return r.Locales })
	row("elapsed", func(r Report) string {
		s := r.Elapsed.String()
		if r.TimedOut {
			s += " (hit max-time)"
		}
		return s
	})
	row("conversations completed", func(r Report) string { return strconv.FormatUint(r.Completed, 10) })
	row("conversations failed", func(r Report) string { return strconv.FormatUint(r.Failed, 10) })
	row("most chats open at once", func(r Report) string { return strconv.FormatInt(r.MaxOpen, 10) })
	row("turns", func(r Report) string { return strconv.FormatUint(r.Turns, 10) })
	row("turns/s", func(r Report) string { return strconv.FormatFloat(r.TurnsPerSec, 'f', 1, 64) })
	row("conversations/s", func(r Report) string { return strconv.FormatFloat(r.ConversationsPerSec, 'f', 1, 64) })
	row("turn latency p50", lat(turn, p50))
	row("turn latency p90", lat(turn, p90))
	row("turn latency p99", lat(turn, p99))
	row("turn latency max", lat(turn, maxOf))
	row("connect p50 / p99", func(r Report) string { return lat(connect, p50)(r) + " / " + lat(connect, p99)(r) })
	row("greeting p50 / p99", func(r Report) string { return lat(greet, p50)(r) + " / " + lat(greet, p99)(r) })
	row("session p50 / p99", func(r Report) string { return lat(sess, p50)(r) + " / " + lat(sess, p99)(r) })
	row("errors", func(r Report) string { return formatErrors(r.Errors) })
	row("memory of", func(r Report) string {
		if r.Memory.PID == 0 {
			return r.Memory.Process + " (this process)"
		}
		return r.Memory.Process + " pid " + strconv.Itoa(r.Memory.PID)
	})
	row("peak RSS (VmHWM)", func(r Report) string { return memCell(r.Memory, r.Memory.PeakHWM) })
	row("max sampled RSS", func(r Report) string { return memCell(r.Memory, r.Memory.MaxRSS) })
	row("CPU: sampled / loadgen", func(r Report) string {
		return cpuCell(r.Memory.CPU, r.Elapsed) + " / " + cpuCell(r.ClientCPU, r.Elapsed)
	})
	row("CPU per conversation", func(r Report) string {
		if r.CPUPerConversation <= 0 {
			return "-"
		}
		return r.CPUPerConversation.String()
	})
	row("sampled waited for a CPU", func(r Report) string {
		if r.Memory.RunQueueWait == nil {
			return "-"
		}
		return r.Memory.RunQueueWait.String()
	})
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, rt := range res.Ratios {
		cpu := "-"
		if rt.CPUPerConversation > 0 {
			cpu = strconv.FormatFloat(rt.CPUPerConversation, 'f', 2, 64) + "×"
		}
		fmt.Fprintf(w, "server / %s: turns/s %.2f×, CPU per conversation %s\n", rt.Against, rt.TurnsPerSec, cpu)
	}
	return nil
}

func memCell(m MemReport, v int64) string {
	if m.Samples == 0 {
		if m.Error != "" {
			return "unavailable"
		}
		return "-"
	}
	return strconv.FormatFloat(float64(v)/(1<<20), 'f', 1, 64) + " MiB"
}

// cpuCell shows CPU time and the average number of cores it kept busy.
func cpuCell(cpu, elapsed Duration) string {
	if cpu <= 0 || elapsed <= 0 {
		return "-"
	}
	return cpu.String() + " (" + strconv.FormatFloat(float64(cpu)/float64(elapsed), 'f', 2, 64) + " cores)"
}

func formatErrors(errs map[string]uint64) string {
	if len(errs) == 0 {
		return "0"
	}
	kinds := make([]string, 0, len(errs))
	for k := range errs {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = k + "=" + strconv.FormatUint(errs[k], 10)
	}
	return strings.Join(parts, ", ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
