package loadgen_test

import (
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/collectagent/collectagent/bot"
	"github.com/collectagent/collectagent/bot/understand"
	"github.com/collectagent/collectagent/dialog"
	"github.com/collectagent/collectagent/loadgen"
	"github.com/collectagent/collectagent/store/sqlite"
	"github.com/collectagent/collectagent/web"
)

// TestRunAgainstServer drives the real web server, runtime and SQLite store
// in-process: every conversation must end in a recorded promise to pay, in
// both languages.
func TestRunAgainstServer(t *testing.T) {
	url, key := startServer(t, web.Config{})
	res, err := loadgen.Run(t.Context(), loadgen.Config{
		URL:           url,
		APIKey:        key,
		Conversations: 8,
		Rounds:        2,
		NoThink:       true,
		Ramp:          time.Millisecond,
		BatchSize:     5,
	})
	if err != nil {
		t.Fatal(err)
	}
	rep := res.Runs[0]
	if rep.Completed != 16 || rep.Failed != 0 || rep.Turns != 48 {
		t.Fatalf("completed %d failed %d turns %d, errors %v; want 16 0 48", rep.Completed, rep.Failed, rep.Turns, rep.Errors)
	}
	if rep.Turn.Count != 48 || rep.Greeting == nil || rep.Greeting.Count != 16 {
		t.Fatalf("latency counts: turn %+v greeting %+v", rep.Turn, rep.Greeting)
	}
}

// TestThinkLongerThanPongWait: a borrower who thinks longer than the
// server waits for a pong still answers its pings, as a browser does, so
// the server keeps the chat and the conversation completes.
func TestThinkLongerThanPongWait(t *testing.T) {
	url, key := startServer(t, web.Config{PingInterval: 100 * time.Millisecond, PongWait: 300 * time.Millisecond})
	res, err := loadgen.Run(t.Context(), loadgen.Config{
		URL:           url,
		APIKey:        key,
		Conversations: 4,
		Rounds:        1,
		Think:         800 * time.Millisecond, // 400–1,200 ms per message
		Ramp:          time.Millisecond,
		BatchSize:     4,
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep := res.Runs[0]; rep.Completed != 4 || rep.Failed != 0 {
		t.Fatalf("completed %d failed %d, errors %v; want 4 0", rep.Completed, rep.Failed, rep.Errors)
	}
}

// startServer runs the real web server, runtime and SQLite store
// in-process with cfg's ping settings and returns its URL and API key.
func startServer(t *testing.T, cfg web.Config) (url, key string) {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "collectagent.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rules, err := understand.Compile()
	if err != nil {
		t.Fatal(err)
	}
	policy := func(pack string) dialog.Policy {
		return dialog.Policy{
			MaxDaysToPromise: 14, MaxInstallments: 6, FirstInstallmentWithin: 7,
			InstallmentEveryDays: 14, AllowExtension: true, ExtensionDays: 7, Pack: pack,
			PaymentURL: "https://pay.example.com/{account}?amount={amount}",
		}
	}
	rt, err := bot.NewRuntime(bot.Config{
		DefaultPolicy: policy("us"),
		Policies:      map[string]dialog.Policy{"us": policy("us"), "cn": policy("cn")},
	}, bot.Deps{Store: st, Understander: rules})
	if err != nil {
		t.Fatal(err)
	}
	key = "loadgen-test-key-0123456789"
	srv, err := web.New(web.Config{
		Addr:         "127.0.0.1:0",
		APIKeys:      []string{key},
		TokenSecret:  "loadgen-test-secret-0123456789abcdef",
		PingInterval: cfg.PingInterval,
		PongWait:     cfg.PongWait,
	}, web.Deps{Store: st, Runtime: rt})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return hs.URL, key
}
