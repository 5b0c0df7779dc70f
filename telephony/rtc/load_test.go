package rtc

import (
	"context"
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/trace"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/collectagent/collectagent/clock"
	"github.com/collectagent/collectagent/telephony/audio"
	"github.com/collectagent/collectagent/telephony/call"
	"github.com/collectagent/collectagent/telephony/speech"
)

type echoConv struct{}

func (echoConv) Turn(ctx context.Context, in call.Input) (call.Reply, error) {
	return call.Reply{Segments: []call.Segment{{Text: "Thank you, I heard you."}}}, nil
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// runQueueWait sums how long this process's threads were ready to run but
// waited for a CPU (/proc/PID/task/*/schedstat, second field).
func runQueueWait() time.Duration {
	dirs, _ := os.ReadDir("/proc/self/task")
	var total int64
	for _, d := range dirs {
		b, err := os.ReadFile("/proc/self/task/" + d.Name() + "/schedstat")
		if err != nil {
			continue
		}
		f := strings.Fields(string(b))
		if len(f) >= 2 {
			v, _ := strconv.ParseInt(f[1], 10, 64)
			total += v
		}
	}
	return time.Duration(total)
}

// latenessBuckets writes a pacer's lateness histogram as "≤1ms 123, …".
func latenessBuckets(s audio.PacerStats) string { return durBuckets(s.Lateness[:]) }

// durBuckets writes counts in the buckets of audio.LatenessBounds.
func durBuckets(counts []int64) string {
	var b strings.Builder
	for i, n := range counts {
		if i > 0 {
			b.WriteString(", ")
		}
		if i < len(audio.LatenessBounds) {
			fmt.Fprintf(&b, "≤%v %d", audio.LatenessBounds[i], n)
		} else {
			fmt.Fprintf(&b, ">%v %d", audio.LatenessBounds[i-1], n)
		}
	}
	return b.String()
}

func rssKiB() int {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			f := strings.Fields(l)
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return 0
}

// TestLoadCalls runs COLLECT_VOICE_LOAD_CALLS simultaneous WebRTC calls
// (caller and bot peers in this process, loopback, instant fake speech
// providers) for COLLECT_VOICE_LOAD_SECONDS (20 by default). Each caller
// speaks for a second every five; each bot answers. It reports frame
// lateness of the bots' writers (each frame's send time against its slot
// in the call's 20 ms schedule), CPU and memory per call, and fails if a
// call does not connect or a bot's audio does not arrive. With
// COLLECT_VOICE_LOAD_TRACE set to a file name it writes an execution
// trace of the measured window there (go tool trace).
//
// The bots' frames are sent by one call.Pacer (COLLECT_VOICE_LOAD_SHARDS
// shards, GOMAXPROCS when unset) and the callers' by one ticker; with
// COLLECT_VOICE_LOAD_PACER=call every bot and every caller runs a ticker
// of its own instead, for comparison.
//
//	COLLECT_VOICE_LOAD_CALLS=100 go test -run TestLoadCalls -v -timeout 10m ./telephony/rtc/
func TestLoadCalls(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("COLLECT_VOICE_LOAD_CALLS"))
	if n <= 0 {
		t.Skip("set COLLECT_VOICE_LOAD_CALLS to run the load measurement")
	}
	secs, _ := strconv.Atoi(os.Getenv("COLLECT_VOICE_LOAD_SECONDS"))
	if secs <= 0 {
		secs = 20
	}
	loadavg, _ := os.ReadFile("/proc/loadavg")
	t.Logf("%s, GOMAXPROCS %d, %d CPUs, %s, load average at start: %s", runtime.Version(), runtime.GOMAXPROCS(0), runtime.NumCPU(),
		time.Now().UTC().Format(time.RFC3339), strings.TrimSpace(string(loadavg)))
	api, err := NewAPI(Config{Loopback: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runtime.GC()
	rss0 := rssKiB()
	var ms0 runtime.MemStats
	runtime.ReadMemStats(&ms0)

	perCall := os.Getenv("COLLECT_VOICE_LOAD_PACER") == "call"
	shards, _ := strconv.Atoi(os.Getenv("COLLECT_VOICE_LOAD_SHARDS"))
	var pacer *call.Pacer
	if perCall {
		t.Logf("pacing: a ticker per bot and per caller")
	} else {
		pacer = call.NewPacer(clock.System{}, shards)
		defer pacer.Close()
		if shards <= 0 {
			shards = runtime.GOMAXPROCS(0)
		}
		t.Logf("pacing: the bots on one pacer (%d shards), the callers on one ticker", shards)
	}

	speechBurst := make([]int16, 8000)
	for i := range speechBurst {
		speechBurst[i] = int16(6000 * math.Sin(2*math.Pi*220*float64(i)/8000))
	}
	type leg struct {
		caller *Caller
		bot    *Bot
		done   chan error
	}
	legs := make([]*leg, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	dialStart := time.Now()
	for i := range legs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			l := &leg{done: make(chan error, 1)}
			c, err := Dial(api, Config{Loopback: true}, func(offer webrtc.SessionDescription) (webrtc.SessionDescription, error) {
				b, ans, err := Answer(api, Config{Loopback: true}, offer, nil, func(tr call.Transport) *call.Controller {
					cfg := call.DefaultConfig("en-US")
					cfg.Silence = time.Hour
					stt := speech.NewFakeRecognizer()
					stt.Func = func(speech.Audio, speech.Hints) speech.Transcript {
						return speech.Transcript{Text: "hello", Confidence: 1}
					}
					return call.New(cfg, call.Deps{Conversation: echoConv{}, Transport: tr, STT: stt, TTS: speech.FakeSynthesizer{PerCharMs: 40}, Pacer: pacer})
				})
				l.bot = b
				return ans, err
			})
			if err != nil {
				t.Error(err)
				return
			}
			l.caller = c
			legs[i] = l
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("%d calls dialled in %v", n, time.Since(dialStart))
	callerCtx, stopCallers := context.WithCancel(ctx)
	defer stopCallers()
	var callersWG sync.WaitGroup
	if !perCall {
		callersWG.Add(1)
		go func() {
			defer callersWG.Done()
			tk := time.NewTicker(audio.FrameDuration)
			defer tk.Stop()
			for {
				select {
				case <-callerCtx.Done():
					return
				case tick := <-tk.C:
					for _, l := range legs {
						l.caller.Tick(tick)
					}
				}
			}
		}()
	}
	for i, l := range legs {
		go func() { l.done <- l.bot.Run(ctx) }()
		if perCall {
			callersWG.Add(1)
			go func() {
				defer callersWG.Done()
				tk := time.NewTicker(audio.FrameDuration)
				defer tk.Stop()
				l.caller.Run(callerCtx, tk.C)
			}()
		}
		go func() {
			// Stagger the callers' speech across the five-second cycle.
			time.Sleep(time.Duration(i) * 5 * time.Second / time.Duration(n))
			tk := time.NewTicker(5 * time.Second)
			defer tk.Stop()
			for {
				l.caller.Play(speechBurst)
				select {
				case <-ctx.Done():
					return
				case <-tk.C:
				}
			}
		}()
	}
	// Measure the steady state after a settling second.
	time.Sleep(time.Second)
	if name := os.Getenv("COLLECT_VOICE_LOAD_TRACE"); name != "" {
		f, err := os.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := trace.Start(f); err != nil {
			t.Fatal(err)
		}
		defer trace.Stop()
	}
	var msw runtime.MemStats
	runtime.ReadMemStats(&msw)
	cpu0, wall0, wait0 := cpuTime(), time.Now(), runQueueWait()
	time.Sleep(time.Duration(secs) * time.Second)
	cpu, wall, wait := cpuTime()-cpu0, time.Since(wall0), runQueueWait()-wait0
	rss := rssKiB()
	goroutines := runtime.NumGoroutine()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	for _, l := range legs {
		l.caller.Close()
	}
	var bots audio.PacerStats
	var lat []time.Duration
	silentBots := 0
	for _, l := range legs {
		if err := <-l.done; err != nil {
			t.Error(err)
		}
		st := l.bot.Controller().Stats()
		bots = bots.Add(st.Pacer)
		lat = append(lat, st.ReplyLatency...)
		loud := 0
		for _, h := range l.caller.Heard() {
			if h.RMS > 300 {
				loud++
			}
		}
		if loud == 0 {
			silentBots++
		}
	}
	stopCallers()
	callersWG.Wait()
	var callers audio.PacerStats
	for _, l := range legs {
		callers = callers.Add(l.caller.PacerStats())
	}
	if silentBots > 0 {
		t.Errorf("%d of %d callers heard no bot audio", silentBots, n)
	}
	slices.Sort(lat)
	p := func(q float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[int(q*float64(len(lat)-1))]
	}
	t.Logf("bot frames %d, late (>20 ms) %d (%.3f%%), max lateness %v, early starts %d, schedule restarts %d",
		bots.Frames, bots.Late, 100*float64(bots.Late)/float64(max(bots.Frames, 1)), bots.MaxLateness, bots.Early, bots.Restarts)
	t.Logf("bot frames by lateness (send time against slot): %s", latenessBuckets(bots))
	t.Logf("caller frames %d, late (>20 ms) %d (%.3f%%), max lateness %v; by lateness: %s", callers.Frames, callers.Late,
		100*float64(callers.Late)/float64(max(callers.Frames, 1)), callers.MaxLateness, latenessBuckets(callers))
	if pacer != nil {
		ps := pacer.Stats()
		t.Logf("pacer sweeps %d; tick due → sweep started: max %v, %s; sweep took: max %v, %s", ps.Sweeps,
			ps.MaxWakeDelay, durBuckets(ps.WakeDelay[:]), ps.MaxSweep, durBuckets(ps.Sweep[:]))
	}
	t.Logf("goroutines %d; GC cycles in the window %d, stop-the-world pauses %v", goroutines, ms.NumGC-msw.NumGC,
		time.Duration(ms.PauseTotalNs-msw.PauseTotalNs).Round(time.Microsecond))
	t.Logf("reply latency (end of speech → first frame, %d turns): p50 %v p99 %v", len(lat), p(0.5), p(0.99))
	t.Logf("threads waited for a CPU %v in total during the %v window (CPU time used %v)", wait.Round(time.Millisecond), wall.Round(time.Millisecond), cpu.Round(time.Millisecond))
	t.Logf("CPU %.2f cores for %d calls (both peers): %.4f cores per call", cpu.Seconds()/wall.Seconds(), n, cpu.Seconds()/wall.Seconds()/float64(n))
	t.Logf("RSS %d → %d KiB: %.0f KiB per call; heap in use %d → %d KiB: %.0f KiB per call",
		rss0, rss, float64(rss-rss0)/float64(n), ms0.HeapInuse>>10, ms.HeapInuse>>10, float64(ms.HeapInuse-ms0.HeapInuse)/1024/float64(n))
}
