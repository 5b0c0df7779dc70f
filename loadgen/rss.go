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

// MemReport is a process's memory over a run.
type MemReport struct {
	PID     int    `json:"pid"`
	Process string `json:"process"` // what the process is: "server" or "loadgen+echo"
	Start   int64  `json:"start_rss_bytes"`
	MaxRSS  int64  `json:"max_rss_bytes"`  // largest VmRSS seen by sampling
	PeakHWM int64  `json:"peak_hwm_bytes"` // VmHWM at the end: the kernel's own peak
	Samples int    `json:"samples"`
	Error   string `json:"error,omitempty"`
}

// memSampler samples a process's memory every period until stopped.
type memSampler struct {
	pid    int
	read   func(pid int) (ProcMem, error)
	stopCh chan struct{}
	done   chan struct{}
	once   sync.Once

	mu  sync.Mutex
	rep MemReport
}

// startMemSampler takes a first sample at once and then one every period.
func startMemSampler(ctx context.Context, pid int, process string, period time.Duration, read func(int) (ProcMem, error)) *memSampler {
	s := &memSampler{pid: pid, read: read, stopCh: make(chan struct{}), done: make(chan struct{})}
	s.rep = MemReport{PID: pid, Process: process}
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
	return s.rep
}
