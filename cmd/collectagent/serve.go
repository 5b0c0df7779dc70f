package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/collectagent/collectagent/audit"
	"github.com/collectagent/collectagent/clock"
	"github.com/collectagent/collectagent/live"
	"github.com/collectagent/collectagent/metrics"
	"github.com/collectagent/collectagent/retention"
	"github.com/collectagent/collectagent/telephony/record"
	"github.com/collectagent/collectagent/web"
)

// runServe is `collectagent serve`: the API, the chat WebSocket and the
// chat page. The first SIGINT/SIGTERM drains (stop accepting, let turns in
// progress finish and reply, close chats with 1001); the second exits at
// once.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	// Registered before anything slow so no signal is missed; main's
	// context sees the first signal too.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)

	fs, cfgPath := serveFlags(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "serve: unexpected arguments: %q\n", fs.Args())
		return 2
	}
	// The store and runtime must outlive the first signal: the drain
	// still commits turns.
	ctx = context.WithoutCancel(ctx)
	cfg, err := loadConfig(*cfgPath, os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "serve: %v\n", err)
		return 2
	}
	setFlags(fs, map[string]func(string){
		"addr":         func(v string) { cfg.Web.Addr = v },
		"data":         func(v string) { cfg.Data = v },
		"database-url": func(v string) { cfg.DatabaseURL = v },
		"nats-url":     func(v string) { cfg.NATS.URL = v },
		"demo":         func(v string) { cfg.Demo = v == "true" },
		"log-level":    func(v string) { cfg.LogLevel = v },
		"admin-addr":   func(v string) { cfg.Web.AdminAddr = v },
	})
	demoKey := ""
	if cfg.Demo && len(cfg.Web.APIKeys) == 0 {
		demoKey = randomKey()
		cfg.Web.APIKeys = []string{demoKey}
	}
	if err := cfg.validate(); err != nil {
		fmt.Fprintf(stderr, "serve: %v\n", err)
		return 2
	}
	log := cfg.newLogger(stderr)
	build := readBuildInfo()
	mx := metrics.New(build.Version)

	st, where, err := openStore(ctx, &cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "serve: %v\n", err)
		return 1
	}
	defer st.Close()
	// Checkpoints of the audit chains: closed (a last checkpoint written)
	// after the web server drained and NATS closed, before the store.
	cp, err := openCheckpoints(&cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "serve: %v\n", err)
		if errors.Is(err, errConfig) {
			return 2
		}
		return 1
	}
	if cp != nil {
		defer func() {
			if err := cp.Close(); err != nil {
				log.Error("audit: last checkpoint failed", "err", err)
			}
		}()
		st = audit.WrapStore(st, cp)
	}
	// Every commit is timed and what it recorded counted (metrics).
	st = mx.Store(st)
	// NATS before the runtime (its publisher) and closed after the web
	// server drained (deferred calls run in reverse): stop accepting,
	// finish turns, then NATS, then the store.
	ho, err := startHandoff(ctx, &cfg, clock.System{}, log)
	if err != nil {
		fmt.Fprintf(stderr, "serve: %v\n", err)
		return 1
	}
	defer ho.Close()
	if cp != nil {
		// A copy of every checkpoint line in JetStream; the last lines are
		// copied (deferred, so before NATS closes) once the server drained.
		ms, err := openCheckpointStream(ctx, ho.node.JetStream(), ho.cfg.Prefix, ho.cfg.Replicas)
		if err != nil {
			fmt.Fprintf(stderr, "serve: %v\n", err)
			return 1
		}
		cp.SetMirror(ms)
		defer func() {
			if err := cp.Flush(); err != nil {
				log.Error("audit: checkpoint failed", "err", err)
			}
			cp.SetMirror(nil)
		}()
	}
	rt, model, err := newRuntime(&cfg, st, log, ho.Publisher(), ho.Relay(st))
	if err != nil {
		fmt.Fprintf(stderr, "serve: %v\n", err)
		return 1
	}
	bridge, err := live.NewBridge(live.BridgeDeps{Node: ho.node, Queue: ho.queue, Store: st, Logger: log})
	if err != nil {
		fmt.Fprintf(stderr, "serve: %v\n", err)
		return 1
	}
	if err := ho.run(rt, st, bridge); err != nil {
		fmt.Fprintf(stderr, "serve: %v\n", err)
		return 1
	}
	publishLLM(model)
	mx.Model(model.Stats)
	mx.NATS(ho.node.Conn())
	watchCtx, stopWatch := context.WithCancel(ctx)
	watchDone := make(chan struct{})
	go func() { defer close(watchDone); mx.Queue(ho.queue, time.Now)(watchCtx) }()
	defer func() { stopWatch(); <-watchDone }()
	stopStats := logLLMStats(model, log, cfg.StatsLogInterval)
	defer stopStats()
	if cfg.Demo {
		ids, err := seedDemo(ctx, st, time.Now())
		if err != nil {
			fmt.Fprintf(stderr, "serve: demo accounts: %v\n", err)
			return 1
		}
		cfg.Web.DemoAccounts = ids
	}
	printAgents := demoAgents(&cfg)
	calls, err := newVoice(cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "serve: %v\n", err)
		return 2
	}
	// Holds, erasures and the purge (one node at a time, under a store
	// lease), stopped before the store closes.
	rs, err := retention.New(cfg.Retention.Config, retention.Deps{Store: st, Clock: clock.System{},
		Recordings: retention.BlobRecordings{Blob: record.Dir{Root: cfg.recordingsDir()}}, Logger: log.With("component", "retention"),
		Observe: retentionMetrics(mx)})
	if err != nil {
		fmt.Fprintf(stderr, "serve: %v\n", err)
		return 2
	}
	purgeCtx, stopPurge := context.WithCancel(ctx)
	purgeDone := make(chan struct{})
	go func() { defer close(purgeDone); rs.Run(purgeCtx) }()
	defer func() { stopPurge(); <-purgeDone }()
	srv, err := web.New(cfg.Web, web.Deps{Store: st, Runtime: rt, Logger: log.With("component", "web"), Bridge: bridge, Observer: mx, Metrics: mx.Handler(), Retention: rs, Voice: calls})
	if err != nil {
		fmt.Fprintf(stderr, "serve: %v\n", err)
		return 2
	}
	mx.GaugeFunc("chat_connections", "Chat WebSockets (conversations being held) open on this node.", func() float64 { return float64(srv.OpenChats()) })
	mx.GaugeFunc("http_connections", "TCP connections open on the public listener.", func() float64 { return float64(srv.OpenConns()) })

	ln, err := net.Listen("tcp", cfg.Web.Addr)
	if err != nil {
		fmt.Fprintf(stderr, "serve: listen: %v\n", err)
		return 1
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	checkFDLimit(cfg.Web.MaxConns, log)
	stopAdmin := serveAdmin(cfg.Web, srv, stdout, log)
	defer stopAdmin()

	fmt.Fprintf(stdout, "collectagent serving on %s (store: %s)\n", ln.Addr(), where)
	fmt.Fprintf(stdout, "chat page: %s\n", pageURL(ln.Addr()))
	fmt.Fprintln(stdout, describeLLM(cfg.LLM))
	fmt.Fprintln(stdout, describeNATS(ho.cfg, ho.sys))
	fmt.Fprintf(stdout, "voice calls: %s\n", calls.Engines())
	printAgents(stdout, ln.Addr())

	if demoKey != "" {
		fmt.Fprintf(stdout, "demo API key: %s\n", demoKey)
	}
	log.Info("serving", "addr", ln.Addr().String(), "demo", cfg.Demo, "llm", cfg.LLM, "version", build.Version, "commit", build.Commit)

	// Wait for the first signal (or a failed listener). Main's context is
	// cancelled by the same signal; this channel counts them.
	select {
	case err := <-served:
		if !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintf(stderr, "serve: %v\n", err)
			return 1
		}
		return 0
	case <-sigs:
	}
	log.Info("draining: finishing turns in progress; signal again to exit now")
	fmt.Fprintln(stdout, "draining (signal again to exit now)")
	dctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	drained := make(chan error, 1)
	go func() { drained <- srv.Shutdown(dctx) }()
	for {
		select {
		case err := <-drained:
			if err != nil {
				log.Warn("drain incomplete", "err", err)
				return 1
			}
			log.Info("drained")
			return 0
		case <-sigs:
			log.Warn("second signal: exiting now")
			return 1
		}
	}
}

// serveAdmin serves the operators' endpoints (/debug/vars, pprof) on
// their own listener, loopback by default. A listener that cannot be
// opened is logged, not fatal: the service runs without its metrics.
func serveAdmin(cfg web.Config, srv *web.Server, stdout io.Writer, log *slog.Logger) func() {
	if cfg.AdminAddr == "" || cfg.AdminAddr == web.AdminOff {
		return func() {}
	}
	ln, err := net.Listen("tcp", cfg.AdminAddr)
	if err != nil {
		log.Error("admin listener not started: /metrics, /debug/vars and pprof are unavailable", "addr", cfg.AdminAddr, "err", err)
		return func() {}
	}
	hs := &http.Server{Handler: srv.AdminHandler(), ReadHeaderTimeout: 5 * time.Second, ErrorLog: slog.NewLogLogger(log.With("component", "admin").Handler(), slog.LevelWarn)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = hs.Serve(ln)
	}()
	fmt.Fprintf(stdout, "admin (metrics, pprof): http://%s/metrics\n", ln.Addr())
	return func() {
		_ = hs.Close()
		<-done
	}
}

// pageURL is the chat page's URL for a listen address.
func pageURL(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return "http://" + a.String() + "/"
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}

func randomKey() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return "demo_" + hex.EncodeToString(b)
}

// serveFlags defines serve's flags; the compose test parses the compose
// file's commands with it.
func serveFlags(stderr io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "YAML configuration file")
	fs.String("addr", "", "listen address (default :8080; COLLECT_ADDR)")
	fs.String("data", "", "data directory for the SQLite file (default ./data; COLLECT_DATA)")
	fs.String("database-url", "", "PostgreSQL URL; SQLite under --data when empty (COLLECT_DATABASE_URL)")
	fs.String("nats-url", "", "external NATS server or cluster; an embedded one stores JetStream under --data when empty (COLLECT_NATS_URL)")
	fs.Bool("demo", false, "seed demo borrowers (en-US and zh-CN) and enable the demo chat page (COLLECT_DEMO)")
	fs.String("log-level", "", "debug, info, warn or error (COLLECT_LOG_LEVEL)")
	fs.String("admin-addr", "", "admin listener for /metrics, /debug/vars and pprof (default 127.0.0.1:9091; \"off\" for none; COLLECT_ADMIN_ADDR)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: collectagent serve [--addr :8080] [--data DIR] [--config FILE] [--demo] [--database-url URL]\n\nFlags:")
		fs.PrintDefaults()
	}
	return fs, cfgPath
}

// retentionMetrics counts what this node's purges removed, by kind, and
// when it last ran one (it held the lease): a cluster whose newest run is
// older than retention.every has no node purging.
func retentionMetrics(mx *metrics.Metrics) func(retention.Report) {
	purged := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: metrics.Namespace, Subsystem: "retention", Name: "purged_total",
		Help: "Records the retention purge removed on this node, by kind (turns, audit_events, contact_attempts, recordings).",
	}, []string{"kind"})
	last := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: metrics.Namespace, Subsystem: "retention", Name: "last_purge_timestamp_seconds",
		Help: "When this node last ran the purge (Unix time; 0: never, another node holds the lease).",
	})
	for _, k := range []string{"turns", "audit_events", "contact_attempts", "recordings"} {
		purged.WithLabelValues(k)
	}
	mx.Registry().MustRegister(purged, last)
	return func(r retention.Report) {
		purged.WithLabelValues("turns").Add(float64(r.Turns))
		purged.WithLabelValues("audit_events").Add(float64(r.AuditEvents))
		purged.WithLabelValues("contact_attempts").Add(float64(r.ContactAttempts))
		purged.WithLabelValues("recordings").Add(float64(r.Recordings))
		last.SetToCurrentTime()
	}
}
