package loadgen

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Target names in a report.
const (
	TargetEcho   = "echo"
	TargetServer = "server"
	TargetFloor  = "floor"
)

// Result is everything one invocation measured: the echo ceiling first
// (when asked for), then the server.
type Result struct {
	Machine Machine  `json:"machine"`
	Runs    []Report `json:"runs"`
	// Ratios compares the server's run with the echo and floor runs of
	// the same invocation.
	Ratios []Ratio `json:"ratios,omitempty"`
}

// Ratio is the server's figures divided by another target's, from the
// same invocation.
type Ratio struct {
	Against string `json:"against"` // "echo" or "floor"
	// TurnsPerSec is the server's turns/s over the other target's: 1 is
	// as fast, 0.5 half as fast.
	TurnsPerSec float64 `json:"turns_per_sec"`
	// CPUPerConversation is the server process's CPU per completed
	// conversation over the other's (0 when either is unknown). The echo
	// target's CPU includes the load generator; so does the floor's when
	// it runs in-process.
	CPUPerConversation float64 `json:"cpu_per_conversation,omitempty"`
}

// ratios compares the server run with the others.
func ratios(runs []Report) []Ratio {
	var srv *Report
	for i := range runs {
		if runs[i].Target == TargetServer {
			srv = &runs[i]
		}
	}
	if srv == nil {
		return nil
	}
	var out []Ratio
	for _, r := range runs {
		if r.Target == TargetServer || r.TurnsPerSec == 0 {
			continue
		}
		rt := Ratio{Against: r.Target, TurnsPerSec: srv.TurnsPerSec / r.TurnsPerSec}
		if srv.CPUPerConversation > 0 && r.CPUPerConversation > 0 {
			rt.CPUPerConversation = float64(srv.CPUPerConversation) / float64(r.CPUPerConversation)
		}
		out = append(out, rt)
	}
	return out
}

// Run validates cfg and runs the load: against the in-process echo server
// when cfg.Echo is set, then against cfg.URL when set. Conversation
// failures are counted in the reports; an error means a run could not be
// made at all (bad config, server not ready, accounts refused).
func Run(ctx context.Context, cfg Config) (Result, error) {
	if err := cfg.Validate(); err != nil {
		return Result{}, err
	}
	cfg = cfg.withDefaults()
	res := Result{Machine: ReadMachine(cfg.Clock.Now())}

	if cfg.Echo {
		rep, err := runEchoTarget(ctx, cfg)
		if err != nil {
			return res, err
		}
		res.Runs = append(res.Runs, rep)
	}
	if cfg.Floor {
		rep, err := runFloorTarget(ctx, cfg)
		if err != nil {
			return res, err
		}
		res.Runs = append(res.Runs, rep)
	}
	if cfg.URL != "" {
		rep, err := runServerTarget(ctx, cfg)
		if err != nil {
			return res, err
		}
		res.Runs = append(res.Runs, rep)
	}
	res.Ratios = ratios(res.Runs)
	return res, nil
}

// runFloorTarget starts the floor server (in a process of its own when
// cfg.FloorCommand is set) and runs the load against it.
func runFloorTarget(ctx context.Context, cfg Config) (Report, error) {
	var base *url.URL
	pid, process := 0, "loadgen+floor"
	if len(cfg.FloorCommand) > 0 {
		child, err := startFloorProcess(ctx, cfg)
		if err != nil {
			return Report{}, err
		}
		defer child.stop()
		base, pid, process = child.base, child.cmd.Process.Pid, "floor"
	} else {
		floor, err := StartFloor(ctx, cfg.floorConfig())
		if err != nil {
			return Report{}, fmt.Errorf("%w: %w", ErrSetup, err)
		}
		defer floor.Close()
		base = floor.URL()
	}
	api := newAPIClient(base, "", cfg.TurnTimeout, min(cfg.Conversations, 256))
	defer api.close()
	rctx, cancel := context.WithTimeout(ctx, cfg.TurnTimeout)
	err := api.ready(rctx)
	cancel()
	if err != nil {
		return Report{}, err
	}
	t := target{
		name:     TargetFloor,
		url:      base.String(),
		pid:      pid,
		process:  process,
		accounts: api.createAccounts,
		converse: func(ctx context.Context, c *conversation, b borrower) error {
			return c.runServer(ctx, api, b)
		},
	}
	return runLoad(ctx, cfg, t)
}

// floorProcess is a floor server running as a child process.
type floorProcess struct {
	cmd  *exec.Cmd
	base *url.URL
	out  io.ReadCloser
}

func startFloorProcess(ctx context.Context, cfg Config) (*floorProcess, error) {
	fc := cfg.floorConfig().withDefaults()
	args := append(slices.Clone(cfg.FloorCommand[1:]), "-store", fc.Store, "-inserts", strconv.Itoa(fc.Inserts))
	if fc.DSN != "" {
		args = append(args, "-dsn", fc.DSN)
	}
	cmd := exec.Command(cfg.FloorCommand[0], args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("%w: floor: %w", ErrSetup, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%w: floor: %w", ErrSetup, err)
	}
	p := &floorProcess{cmd: cmd, out: out}
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			line <- sc.Text()
		}
		close(line)
		_, _ = io.Copy(io.Discard, out)
	}()
	timer := time.NewTimer(cfg.TurnTimeout)
	defer timer.Stop()
	select {
	case l, ok := <-line:
		if ok {
			p.base, err = loopbackBase(strings.TrimSpace(l))
		} else {
			err = errors.New("exited before printing its URL")
		}
	case <-timer.C:
		err = errors.New("did not print its URL in time")
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		p.stop()
		return nil, fmt.Errorf("%w: floor: %w", ErrSetup, err)
	}
	return p, nil
}

// stop interrupts the floor process (it closes its store) and waits; it
// is killed if it takes too long.
func (p *floorProcess) stop() {
	_ = p.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() {
		_ = p.cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
}

func runEchoTarget(ctx context.Context, cfg Config) (Report, error) {
	echo, err := StartEcho(cfg.Logger)
	if err != nil {
		return Report{}, err
	}
	defer echo.Close()
	// The same dialer settings as against the server.
	api := newAPIClient(echo.URL(), "", cfg.TurnTimeout, 1)
	defer api.close()
	url := wsURL(echo.URL(), "/echo", nil)
	t := target{
		name:    TargetEcho,
		url:     echo.URL().String(),
		pid:     0,
		process: "loadgen+echo",
		converse: func(ctx context.Context, c *conversation, b borrower) error {
			return c.runEcho(ctx, api.dialer, url, b)
		},
	}
	return runLoad(ctx, cfg, t)
}

func runServerTarget(ctx context.Context, cfg Config) (Report, error) {
	base, err := loopbackBase(cfg.URL)
	if err != nil {
		return Report{}, fmt.Errorf("%w: url: %w", ErrConfig, err)
	}
	api := newAPIClient(base, cfg.APIKey, cfg.TurnTimeout, min(cfg.Conversations, 256))
	defer api.close()
	rctx, cancel := context.WithTimeout(ctx, cfg.TurnTimeout)
	err = api.ready(rctx)
	cancel()
	if err != nil {
		return Report{}, err
	}
	t := target{
		name:     TargetServer,
		url:      base.String(),
		pid:      cfg.PID,
		process:  "server",
		accounts: api.createAccounts,
		converse: func(ctx context.Context, c *conversation, b borrower) error {
			return c.runServer(ctx, api, b)
		},
	}
	return runLoad(ctx, cfg, t)
}

// target is what a load run is pointed at.
type target struct {
	name     string
	url      string
	pid      int    // process to sample; 0 samples this process
	process  string // what that process is, for the report
	accounts func(context.Context, []account) error
	converse func(context.Context, *conversation, borrower) error
}

// counters are the run's shared tallies.
type counters struct {
	turns, done, failed atomic.Uint64
	open, maxOpen       atomic.Int64

	mu     sync.Mutex
	errors map[string]uint64
	sample map[string]string // one message per kind, for the log
}

func (c *counters) addOpen(delta int) {
	n := c.open.Add(int64(delta))
	for {
		m := c.maxOpen.Load()
		if n <= m || c.maxOpen.CompareAndSwap(m, n) {
			return
		}
	}
}

func (c *counters) fail(err error) {
	c.failed.Add(1)
	kind := ErrorKind(err)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.errors[kind]++
	if _, ok := c.sample[kind]; !ok {
		c.sample[kind] = err.Error()
	}
}

func (c *counters) errorCounts() map[string]uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]uint64, len(c.errors))
	for k, v := range c.errors {
		out[k] = v
	}
	return out
}

// runLoad runs cfg's borrowers against one target.
func runLoad(ctx context.Context, cfg Config, t target) (Report, error) {
	log := cfg.Logger.With("target", t.name)
	started := cfg.Clock.Now()
	rounds := cfg.Rounds
	total := -1 // conversations to generate; -1: until the duration is over
	if cfg.Duration == 0 {
		total = cfg.Conversations * rounds
	}
	limit := cfg.MaxTime
	if cfg.Duration > 0 {
		// In-flight conversations may finish after the duration: each has
		// at most 4 frames to wait for and 3 pauses of at most 1.5*Think.
		limit = min(limit, cfg.Duration+cfg.Ramp+5*cfg.TurnTimeout+5*cfg.Think)
	}
	runCtx, cancelRun := context.WithTimeout(ctx, limit)
	defer cancelRun()

	mem := startMemSampler(runCtx, t.pid, t.process, cfg.SampleEvery, ReadProcMem, ReadCPUTimes)
	// The load generator's own CPU, when the sampled process is another one.
	selfCPU0, selfOK := readCPU(ReadCPUTimes, 0)
	memStopped := false
	defer func() {
		if !memStopped {
			mem.stop()
		}
	}()

	var m metrics
	cnt := &counters{errors: map[string]uint64{}, sample: map[string]string{}}

	// The feeder creates accounts in batches ahead of the borrowers; the
	// clock starts once every borrower has its first account.
	queue := make(chan borrower, cfg.Conversations)
	prefilled := make(chan struct{})
	feedCtx, stopFeed := context.WithCancel(runCtx)
	defer stopFeed()
	var feedErr error
	var produced atomic.Int64
	feedDone := make(chan struct{})
	gen := newGenerator(strconv.FormatInt(started.UnixNano(), 36), cfg.Locales, started, cfg.Seed)
	go func() {
		defer close(feedDone)
		defer close(queue)
		var once sync.Once
		defer once.Do(func() { close(prefilled) })
		want := int64(cfg.Conversations)
		if total >= 0 {
			want = min(want, int64(total))
		}
		for total < 0 || produced.Load() < int64(total) {
			n := cfg.BatchSize
			if total >= 0 {
				n = min(n, total-int(produced.Load()))
			}
			batch := make([]borrower, n)
			accts := make([]account, n)
			for i := range batch {
				batch[i] = gen.borrower()
				accts[i] = batch[i].account
			}
			if t.accounts != nil {
				actx, cancel := context.WithTimeout(feedCtx, 2*cfg.TurnTimeout)
				err := t.accounts(actx, accts)
				cancel()
				if err != nil {
					if feedCtx.Err() == nil {
						feedErr = err
					}
					return
				}
			}
			for _, b := range batch {
				select {
				case queue <- b:
				case <-feedCtx.Done():
					return
				}
				if produced.Add(1) == want {
					once.Do(func() { close(prefilled) })
				}
			}
		}
	}()
	select {
	case <-prefilled:
	case <-runCtx.Done():
	}
	if produced.Load() == 0 {
		stopFeed()
		<-feedDone
		if feedErr != nil {
			return Report{}, fmt.Errorf("%w: accounts: %w", ErrSetup, feedErr)
		}
		return Report{}, fmt.Errorf("%w: no accounts: %w", ErrSetup, runCtx.Err())
	}
	setup := cfg.Clock.Now().Sub(started)
	log.Info("load starting", "conversations", cfg.Conversations, "rounds", cfg.Rounds, "duration", cfg.Duration, "setup", setup)

	loadStart := cfg.Clock.Now()
	deadline := loadStart.Add(cfg.Duration)
	var wg sync.WaitGroup
	for i := range cfg.Conversations {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conv := &conversation{
				clock:   cfg.Clock,
				timeout: cfg.TurnTimeout,
				think:   cfg.Think,
				rng:     rand.New(rand.NewPCG(cfg.Seed, uint64(i)+1)),
				m:       &m,
				turns:   func() { cnt.turns.Add(1) },
				open:    cnt.addOpen,
			}
			if cfg.Ramp > 0 && cfg.Conversations > 1 {
				offset := time.Duration(int64(cfg.Ramp) * int64(i) / int64(cfg.Conversations))
				timer := time.NewTimer(offset)
				select {
				case <-runCtx.Done():
					timer.Stop()
					return
				case <-timer.C:
				}
			}
			for round := 0; cfg.Duration > 0 || round < rounds; round++ {
				if cfg.Duration > 0 && !cfg.Clock.Now().Before(deadline) {
					return
				}
				var b borrower
				var ok bool
				select {
				case b, ok = <-queue:
				case <-runCtx.Done():
					return
				}
				if !ok {
					return
				}
				if err := t.converse(runCtx, conv, b); err != nil {
					cnt.fail(err)
					continue
				}
				cnt.done.Add(1)
			}
		}()
	}

	progressDone := make(chan struct{})
	stopProgress := make(chan struct{})
	go func() {
		defer close(progressDone)
		if cfg.Progress <= 0 {
			return
		}
		tick := time.NewTicker(cfg.Progress)
		defer tick.Stop()
		for {
			select {
			case <-stopProgress:
				return
			case <-tick.C:
				log.Info("progress", "open", cnt.open.Load(), "done", cnt.done.Load(), "failed", cnt.failed.Load(), "turns", cnt.turns.Load(), "p99", m.turn.Quantile(0.99))
			}
		}
	}()

	wg.Wait()
	elapsed := cfg.Clock.Now().Sub(loadStart)
	close(stopProgress)
	<-progressDone
	timedOut := runCtx.Err() != nil && ctx.Err() == nil
	stopFeed()
	<-feedDone
	if feedErr != nil {
		cnt.fail(&convError{kind: classify("accounts", feedErr), err: feedErr})
	}
	memRep := mem.stop()
	memStopped = true
	var clientCPU Duration
	if selfCPU1, ok := readCPU(ReadCPUTimes, 0); ok && selfOK {
		clientCPU = Duration(selfCPU1.Used - selfCPU0.Used)
	}

	cnt.mu.Lock()
	for kind, msg := range cnt.sample {
		log.Warn("conversation errors", "kind", kind, "count", cnt.errors[kind], "example", msg)
	}
	cnt.mu.Unlock()

	rep := Report{
		Target:        t.name,
		URL:           t.url,
		Conversations: cfg.Conversations,
		Rounds:        cfg.Rounds,
		Duration:      Duration(cfg.Duration),
		Think:         Duration(cfg.Think),
		Locales:       cfg.Locales.String(),
		Started:       loadStart,
		Setup:         Duration(setup),
		Elapsed:       Duration(elapsed),
		TimedOut:      timedOut,
		Completed:     cnt.done.Load(),
		Failed:        cnt.failed.Load(),
		Turns:         cnt.turns.Load(),
		MaxOpen:       cnt.maxOpen.Load(),
		Turn:          m.turn.Summary(),
		Connect:       m.connect.Summary(),
		Errors:        cnt.errorCounts(),
		Memory:        memRep,
		ClientCPU:     clientCPU,
	}
	if t.name != TargetEcho {
		g, s := m.greeting.Summary(), m.session.Summary()
		rep.Greeting, rep.Session = &g, &s
	}
	if rep.Completed > 0 && rep.Memory.CPU > 0 {
		rep.CPUPerConversation = rep.Memory.CPU / Duration(rep.Completed)
	}
	if secs := elapsed.Seconds(); secs > 0 {
		rep.TurnsPerSec = float64(rep.Turns) / secs
		rep.ConversationsPerSec = float64(rep.Completed) / secs
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return rep, ctx.Err()
	}
	return rep, nil
}
