package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"
)

// ProcMem is a process's memory as /proc/<pid>/status reports it.
type ProcMem struct {
	RSS int64 // VmRSS, bytes
	HWM int64 // VmHWM: peak resident set size, bytes
}

// ParseProcStatus reads VmRSS and VmHWM from the text of a
// /proc/<pid>/status file (see proc(5)).
func ParseProcStatus(r io.Reader) (ProcMem, error) {
	var m ProcMem
	var haveRSS, haveHWM bool
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		key, val, ok := bytes.Cut(sc.Bytes(), []byte(":"))
		if !ok {
			continue
		}
		var dst *int64
		switch string(key) {
		case "VmRSS":
			dst, haveRSS = &m.RSS, true
		case "VmHWM":
			dst, haveHWM = &m.HWM, true
		default:
			continue
		}
		fields := bytes.Fields(val)
		if len(fields) != 2 || string(fields[1]) != "kB" {
			return ProcMem{}, fmt.Errorf("%w: %s: want \"<n> kB\", got %q", ErrProcStatus, key, truncate(string(val), 40))
		}
		n, err := strconv.ParseInt(string(fields[0]), 10, 64)
		if err != nil || n < 0 || n > 1<<40 {
			return ProcMem{}, fmt.Errorf("%w: %s: bad number %q", ErrProcStatus, key, truncate(string(fields[0]), 40))
		}
		*dst = n << 10
	}
	if err := sc.Err(); err != nil {
		return ProcMem{}, fmt.Errorf("%w: %w", ErrProcStatus, err)
	}
	if !haveRSS || !haveHWM {
		return ProcMem{}, fmt.Errorf("%w: VmRSS or VmHWM missing (kernel thread or exited process?)", ErrProcStatus)
	}
	return m, nil
}

// ReadProcMem reads /proc/<pid>/status; pid 0 means this process.
func ReadProcMem(pid int) (ProcMem, error) {
	path := "/proc/self/status"
	if pid != 0 {
		path = "/proc/" + strconv.Itoa(pid) + "/status"
	}
	f, err := os.Open(path)
	if err != nil {
		return ProcMem{}, fmt.Errorf("%w: %w", ErrProcStatus, err)
	}
	defer f.Close()
	return ParseProcStatus(f)
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's CPU times: 100 on
// every Linux architecture Go supports (see proc(5) and sysconf(_SC_CLK_TCK)).
const clockTicks = 100

// ParseProcStat returns the user plus system CPU time from the text of a
// /proc/<pid>/stat file (fields 14 and 15, in clock ticks; see proc(5)).
// The command name (field 2) may hold spaces and parentheses, so fields are
// counted from the last ')'.
func ParseProcStat(b []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("%w: stat: no command name", ErrProcStatus)
	}
	f := bytes.Fields(b[i+1:])
	// f[0] is field 3 (state); utime is field 14, stime field 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("%w: stat: %d fields after the name, want at least 13", ErrProcStatus, len(f))
	}
	var ticks int64
	for _, x := range f[11:13] {
		n, err := strconv.ParseInt(string(x), 10, 64)
		// 2^36 ticks is over 20 years of CPU; more would overflow a Duration.
		if err != nil || n < 0 || n > 1<<36 {
			return 0, fmt.Errorf("%w: stat: bad CPU time %q", ErrProcStatus, truncate(string(x), 40))
		}
		ticks += n
	}
	return time.Duration(ticks) * (time.Second / clockTicks), nil
}

// ParseSchedstat returns the time a task spent waiting on a run queue (the
// second field of /proc/<pid>/task/<tid>/schedstat, in nanoseconds; see the
// kernel's Documentation/scheduler/sched-stats.rst).
func ParseSchedstat(b []byte) (time.Duration, error) {
	f := bytes.Fields(b)
	if len(f) < 3 {
		return 0, fmt.Errorf("%w: schedstat: %d fields, want 3", ErrProcStatus, len(f))
	}
	n, err := strconv.ParseInt(string(f[1]), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%w: schedstat: bad wait time %q", ErrProcStatus, truncate(string(f[1]), 40))
	}
	return time.Duration(n), nil
}

// CPUTimes is what a process has had of the CPUs so far.
type CPUTimes struct {
	Used time.Duration // user + system time
	// Waited is the time its threads were runnable but waiting for a CPU,
	// summed over the threads alive now; negative when the kernel does not
	// keep scheduler statistics.
	Waited time.Duration
}

// ReadCPUTimes reads a process's CPU times; pid 0 means this process.
func ReadCPUTimes(pid int) (CPUTimes, error) {
	dir := "/proc/self"
	if pid != 0 {
		dir = "/proc/" + strconv.Itoa(pid)
	}
	b, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return CPUTimes{}, fmt.Errorf("%w: %w", ErrProcStatus, err)
	}
	used, err := ParseProcStat(b)
	if err != nil {
		return CPUTimes{}, err
	}
	t := CPUTimes{Used: used, Waited: -1}
	tasks, err := os.ReadDir(dir + "/task")
	if err != nil {
		return t, nil
	}
	var waited time.Duration
	for _, task := range tasks {
		b, err := os.ReadFile(dir + "/task/" + task.Name() + "/schedstat")
		if err != nil {
			continue // the thread exited, or no scheduler statistics
		}
		w, err := ParseSchedstat(b)
		if err != nil {
			return t, nil
		}
		waited += w
		t.Waited = waited
	}
	return t, nil
}

// MemReport is a process's memory over a run.
type MemReport struct {
	PID     int    `json:"pid"`
	Process string `json:"process"` // what the process is: "server" or "loadgen+echo"
	Start   int64  `json:"start_rss_bytes"`
	MaxRSS  int64  `json:"max_rss_bytes"`  // largest VmRSS seen by sampling
	PeakHWM int64  `json:"peak_hwm_bytes"` // VmHWM at the end: the kernel's own peak
	Samples int    `json:"samples"`
	// CPU is the user+system CPU time the process used during the run.
	CPU Duration `json:"cpu_ms"`
	// RunQueueWait is how long its threads were ready to run but waited for
	// a CPU during the run: on a shared machine, the time other work took
	// from it. Nil when the kernel keeps no scheduler statistics.
	RunQueueWait *Duration `json:"run_queue_wait_ms,omitempty"`
	Error        string    `json:"error,omitempty"`
}

// memSampler samples a process's memory every period until stopped.
type memSampler struct {
	pid    int
	read   func(pid int) (ProcMem, error)
	cpu    func(pid int) (CPUTimes, error)
	cpu0   CPUTimes
	cpuOK  bool
	stopCh chan struct{}
	done   chan struct{}
	once   sync.Once

	mu  sync.Mutex
	rep MemReport
}

// startMemSampler takes a first sample at once and then one every period.
func startMemSampler(ctx context.Context, pid int, process string, period time.Duration, read func(int) (ProcMem, error), cpu func(int) (CPUTimes, error)) *memSampler {
	s := &memSampler{pid: pid, read: read, cpu: cpu, stopCh: make(chan struct{}), done: make(chan struct{})}
	s.rep = MemReport{PID: pid, Process: process}
	if cpu != nil {
		s.cpu0, s.cpuOK = readCPU(cpu, pid)
	}
	if !s.sample() {
		close(s.done)
		return s
	}
	s.rep.Start = s.rep.MaxRSS
	go func() {
		defer close(s.done)
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-s.stopCh:
				return
			case <-t.C:
				if !s.sample() {
					return
				}
			}
		}
	}()
	return s
}

// sample records one reading; false stops sampling (the error is kept).
func (s *memSampler) sample() bool {
	m, err := s.read(s.pid)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.rep.Error = err.Error()
		return false
	}
	s.rep.Samples++
	s.rep.MaxRSS = max(s.rep.MaxRSS, m.RSS)
	s.rep.PeakHWM = max(s.rep.PeakHWM, m.HWM)
	return true
}

// stop takes a last sample, stops the sampler and returns the report.
func (s *memSampler) stop() MemReport {
	s.once.Do(func() { close(s.stopCh) })
	<-s.done
	s.mu.Lock()
	failed := s.rep.Error != ""
	s.mu.Unlock()
	if !failed {
		s.sample()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cpuOK {
		if c, ok := readCPU(s.cpu, s.pid); ok {
			s.rep.CPU = Duration(c.Used - s.cpu0.Used)
			if c.Waited >= 0 && s.cpu0.Waited >= 0 {
				w := Duration(max(0, c.Waited-s.cpu0.Waited))
				s.rep.RunQueueWait = &w
			}
		}
	}
	return s.rep
}

func readCPU(cpu func(int) (CPUTimes, error), pid int) (CPUTimes, bool) {
	c, err := cpu(pid)
	return c, err == nil
}
