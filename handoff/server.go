package handoff

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// readyTimeout bounds how long StartEmbedded waits for the server.
const readyTimeout = 10 * time.Second

// StartEmbedded runs a NATS server with JetStream in this process, storing
// its data in cfg.StoreDir. With cfg.Port 0 it opens no TCP port and is
// reached only through Connect's in-process connection. The caller shuts
// it down (Shutdown then WaitForShutdown) after closing its connections.
func StartEmbedded(cfg Config, log *slog.Logger) (*server.Server, error) {
	cfg = cfg.WithDefaults()
	if cfg.StoreDir == "" {
		return nil, fmt.Errorf("%w: StoreDir: required for the embedded server", ErrConfig)
	}
	if cfg.Port < -1 || cfg.Port > 65535 {
		return nil, fmt.Errorf("%w: Port: %d out of range", ErrConfig, cfg.Port)
	}
	opts := &server.Options{
		ServerName: "collect-embedded",
		JetStream:  true,
		StoreDir:   cfg.StoreDir,
		Host:       cfg.Host,
		Port:       cfg.Port,
		NoSigs:     true,
		// A busy single node writes many small messages; the defaults
		// (sync every 2 min, fsync on OS schedule) are what nats-server
		// ships with and keep latency low.
	}
	if cfg.Port == 0 {
		opts.DontListen = true
	}
	// Other nodes that join a listening embedded server authenticate
	// like any client.
	opts.Username, opts.Password = cfg.Auth.User, cfg.Auth.Password
	opts.Authorization = cfg.Auth.Token
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrServer, err)
	}
	if log != nil {
		ns.SetLoggerV2(serverLogger{log.With("component", "nats-server")}, false, false, false)
	}
	go ns.Start()
	if !ns.ReadyForConnections(readyTimeout) {
		ns.Shutdown()
		return nil, fmt.Errorf("%w: not ready after %s", ErrServer, readyTimeout)
	}
	return ns, nil
}

// Connect opens the node's connection: in-process to srv when it is not
// nil, else to cfg.URL. The connection reconnects forever with
// cfg.ReconnectWait between attempts, buffering publishes meanwhile, and
// logs each disconnect and reconnect.
func Connect(ctx context.Context, cfg Config, srv *server.Server, log *slog.Logger) (*nats.Conn, error) {
	cfg = cfg.WithDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	name := cfg.Name
	if name == "" {
		name = "collectagent"
	}
	opts := []nats.Option{
		nats.Name(name),
		nats.Timeout(cfg.ConnectTimeout),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(cfg.ReconnectWait),
		nats.ReconnectJitter(100*time.Millisecond, time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			log.Warn("nats disconnected", "err", err)
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			log.Info("nats reconnected", "server", c.ConnectedServerId())
		}),
		nats.ErrorHandler(func(_ *nats.Conn, s *nats.Subscription, err error) {
			subj := ""
			if s != nil {
				subj = s.Subject
			}
			log.Warn("nats async error", "subject", subj, "err", err)
		}),
	}
	auth, err := authOptions(cfg, srv == nil)
	if err != nil {
		return nil, err
	}
	opts = append(opts, auth...)
	url := cfg.URL
	if srv != nil {
		opts = append(opts, nats.InProcessServer(srv))
		url = ""
	} else if url == "" {
		return nil, fmt.Errorf("%w: no URL and no embedded server", ErrConnect)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConnect, err)
	}
	// The first attempt is bounded by cfg.ConnectTimeout.
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConnect, err)
	}
	return nc, nil
}

// authOptions are the connection options of cfg's authentication and,
// to an external server, TLS (an in-process connection has no wire).
func authOptions(cfg Config, external bool) ([]nats.Option, error) {
	var opts []nats.Option
	a := cfg.Auth
	switch {
	case a.User != "":
		opts = append(opts, nats.UserInfo(a.User, a.Password))
	case a.Token != "":
		opts = append(opts, nats.Token(a.Token))
	case a.CredsFile != "":
		if _, err := os.Stat(a.CredsFile); err != nil {
			return nil, fmt.Errorf("%w: credentials file: %w", ErrConfig, err)
		}
		opts = append(opts, nats.UserCredentials(a.CredsFile))
	case a.NKeySeedFile != "":
		o, err := nats.NkeyOptionFromSeed(a.NKeySeedFile)
		if err != nil {
			return nil, fmt.Errorf("%w: nkey seed file: %w", ErrConfig, err)
		}
		opts = append(opts, o)
	}
	t := cfg.TLS
	if external && (t.Enabled || t.CAFile != "" || t.CertFile != "") {
		opts = append(opts, nats.Secure())
		if t.CAFile != "" {
			opts = append(opts, nats.RootCAs(t.CAFile))
		}
		if t.CertFile != "" {
			opts = append(opts, nats.ClientCert(t.CertFile, t.KeyFile))
		}
	}
	return opts, nil
}

// serverLogger forwards the embedded server's log to slog.
type serverLogger struct{ log *slog.Logger }

// Noticef is the server's start-up banner and routine notices: debug
// level, so an operator's log holds the service's lines, not the broker's.
func (l serverLogger) Noticef(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l serverLogger) Warnf(format string, v ...any)   { l.log.Warn(fmt.Sprintf(format, v...)) }
func (l serverLogger) Fatalf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l serverLogger) Errorf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l serverLogger) Debugf(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l serverLogger) Tracef(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }
