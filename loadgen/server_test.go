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
	const key = "loadgen-test-key-0123456789"
	srv, err := web.New(web.Config{
		Addr:        "127.0.0.1:0",
		APIKeys:     []string{key},
		TokenSecret: "loadgen-test-secret-0123456789abcdef",
	}, web.Deps{Store: st, Runtime: rt})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)

	res, err := loadgen.Run(ctx, loadgen.Config{
		URL:           hs.URL,
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
