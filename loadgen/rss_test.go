package loadgen

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

const procStatus = `Name:	collectagent
Umask:	0022
State:	S (sleeping)
VmPeak:	 1261512 kB
VmSize:	 1261512 kB
VmHWM:	  183140 kB
VmRSS:	  150012 kB
RssAnon:	  120000 kB
Threads:	9
`

func TestParseProcStatus(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    ProcMem
		wantErr bool
	}{
		{"full", procStatus, ProcMem{RSS: 150012 << 10, HWM: 183140 << 10}, false},
		{"minimal", "VmRSS: 1 kB\nVmHWM: 2 kB\n", ProcMem{RSS: 1024, HWM: 2048}, false},
		{"kernel thread", "Name:\tkthreadd\nState:\tS\n", ProcMem{}, true},
		{"missing HWM", "VmRSS: 1 kB\n", ProcMem{}, true},
		{"bad unit", "VmRSS: 1 MB\nVmHWM: 2 kB\n", ProcMem{}, true},
		{"bad number", "VmRSS: x kB\nVmHWM: 2 kB\n", ProcMem{}, true},
		{"negative", "VmRSS: -1 kB\nVmHWM: 2 kB\n", ProcMem{}, true},
		{"empty", "", ProcMem{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseProcStatus(strings.NewReader(tt.in))
			if tt.wantErr {
				if !errors.Is(err, ErrProcStatus) {
					t.Fatalf("got %+v, %v; want ErrProcStatus", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func FuzzParseProcStatus(f *testing.F) {
	f.Add(procStatus)
	f.Add("VmRSS: 1 kB\nVmHWM: 2 kB\n")
	f.Add("VmRSS:\nVmHWM: 99999999999999999999 kB")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseProcStatus(strings.NewReader(s))
		if err != nil {
			return
		}
		if m.RSS < 0 || m.HWM < 0 || m.RSS%1024 != 0 || m.HWM%1024 != 0 {
			t.Fatalf("parsed %+v from %q", m, s)
		}
	})
}

func TestReadProcMemSelf(t *testing.T) {
	m, err := ReadProcMem(0)
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	if m.RSS <= 0 || m.HWM < m.RSS {
		t.Fatalf("own memory %+v: want 0 < RSS <= HWM", m)
	}
	if _, err := ReadProcMem(1 << 30); !errors.Is(err, ErrProcStatus) {
		t.Fatalf("ReadProcMem of no process = %v, want ErrProcStatus", err)
	}
}

func TestMemSampler(t *testing.T) {
	readings := []ProcMem{{RSS: 10, HWM: 10}, {RSS: 30, HWM: 30}, {RSS: 20, HWM: 30}}
	calls := make(chan struct{}, 100)
	i := 0
	read := func(int) (ProcMem, error) {
		defer func() { calls <- struct{}{} }()
		if i >= len(readings) {
			return ProcMem{}, ErrProcStatus // the process went away
		}
		m := readings[i]
		i++
		return m, nil
	}
	cpuCalls := 0
	cpu := func(pid int) (CPUTimes, error) {
		cpuCalls++
		return CPUTimes{Used: time.Duration(cpuCalls) * 1500 * time.Millisecond, Waited: time.Duration(cpuCalls) * time.Second}, nil
	}
	s := startMemSampler(context.Background(), 7, "server", time.Millisecond, read, cpu)
	// First sample at start, then the ticker; the fourth read fails and
	// ends sampling.
	for range 4 {
		select {
		case <-calls:
		case <-time.After(10 * time.Second):
			t.Fatal("sampler did not sample")
		}
	}
	rep := s.stop()
	if rep.RunQueueWait == nil || *rep.RunQueueWait != Duration(time.Second) {
		t.Fatalf("run queue wait %v, want 1s", rep.RunQueueWait)
	}
	rep.RunQueueWait = nil
	want := MemReport{PID: 7, Process: "server", Start: 10, MaxRSS: 30, PeakHWM: 30, Samples: 3, Error: ErrProcStatus.Error(), CPU: Duration(1500 * time.Millisecond)}
	if rep != want {
		t.Fatalf("report %+v, want %+v", rep, want)
	}
}

const procStat = "4242 (collect agent) (x)) S 1 4242 4242 0 -1 4194560 3120 0 0 0 1234 566 0 0 20 0 9 0 5000 1261512704 45000 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"

func TestParseProcStat(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"name with spaces and parens", procStat, 18 * time.Second, false},
		{"zero", "1 (a) R 0 0 0 0 0 0 0 0 0 0 0 0", 0, false},
		{"no name", "1 a R 0 0 0 0 0 0 0 0 0 0 5 5", 0, true},
		{"short", "1 (a) R 0 0 0", 0, true},
		{"bad number", "1 (a) R 0 0 0 0 0 0 0 0 0 0 x 0", 0, true},
		{"negative", "1 (a) R 0 0 0 0 0 0 0 0 0 0 -4 0", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseProcStat([]byte(tt.in))
			if tt.wantErr {
				if !errors.Is(err, ErrProcStatus) {
					t.Fatalf("got %v, %v; want ErrProcStatus", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func FuzzParseProcStat(f *testing.F) {
	f.Add([]byte(procStat))
	f.Add([]byte("1 (a) R 0 0 0 0 0 0 0 0 0 0 0 0"))
	f.Add([]byte(")))"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := ParseProcStat(b)
		if err == nil && d < 0 {
			t.Fatalf("negative CPU time %v from %q", d, b)
		}
	})
}

func TestParseSchedstat(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"8015706467 34571107546 1200\n", 34571107546, false},
		{"0 0 0", 0, false},
		{"1 2", 0, true},
		{"1 x 3", 0, true},
		{"1 -2 3", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseSchedstat([]byte(tt.in))
		if tt.wantErr != (err != nil) || got != tt.want {
			t.Errorf("ParseSchedstat(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func FuzzParseSchedstat(f *testing.F) {
	f.Add([]byte("1 2 3"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if d, err := ParseSchedstat(b); err == nil && d < 0 {
			t.Fatalf("negative wait %v from %q", d, b)
		}
	})
}

func TestReadCPUTimesSelf(t *testing.T) {
	first, err := ReadCPUTimes(0)
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	if _, err := ReadCPUTimes(1 << 30); !errors.Is(err, ErrProcStatus) {
		t.Fatalf("ReadCPUTimes of no process = %v, want ErrProcStatus", err)
	}
	// Burn some CPU until the kernel's tick-granular counter moves.
	ok := waitFor(t, 10*time.Second, func() bool {
		x := 0
		for i := range 1_000_000 {
			x += i
		}
		_ = x
		now, err := ReadCPUTimes(0)
		return err == nil && now.Used > first.Used
	})
	if !ok {
		t.Fatal("own CPU time never grew")
	}
}
