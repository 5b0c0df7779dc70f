package web

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const chromiumPath = "/usr/bin/chromium"

// newBrowser starts headless Debian chromium, or skips (fails when
// COLLECT_TEST_REQUIRE_ALL=1) when it is not installed.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath
	if _, err := os.Stat(path); err != nil {
		if p, err := exec.LookPath("chromium"); err == nil {
			path = p
		} else {
			if os.Getenv("COLLECT_TEST_REQUIRE_ALL") == "1" {
				t.Fatalf("chromium not found at %s and COLLECT_TEST_REQUIRE_ALL=1", chromiumPath)
			}
			t.Skipf("chromium not installed (%s); apt-get install -y chromium", chromiumPath)
		}
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(412, 900), // a phone-sized window
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	// The first run starts the browser; it must not carry a timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// sendLine types a line into the composer and waits until the status
// frame that ends the turn has cleared the pending bubble.
func sendLine(text string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.WaitEnabled(chromedp.CSS("#input")),
		chromedp.SendKeys(chromedp.CSS("#input"), text),
		chromedp.Click(chromedp.CSS("#send")),
		chromedp.WaitNotPresent(chromedp.CSS(".msg.pending")),
	)
}

func TestChatPage(t *testing.T) {
	tests := []struct {
		name, account, locale, heading, outcome string
		acct                                    AccountIn
	}{
		{"english", "p-maria", "en-US", "Account assistant", "Promise to pay recorded", maria("p-maria")},
		{"chinese", "p-wang", "zh-CN", "账户助手", "已记录还款承诺", wangFang("p-wang")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bctx := newBrowser(t)
			e := newEnv(t, func(c *Config) { c.Demo = true; c.DemoAccounts = []string{tt.account} })
			e.addAccounts(maria("not-demo"), tt.acct)
			ctx, cancel := context.WithTimeout(bctx, 60*time.Second)
			defer cancel()

			pick := chromedp.CSS(`#borrowers button[data-account="` + tt.account + `"]`)
			steps := []chromedp.Action[chromedp.Void]{
				chromedp.Navigate(e.ts.URL + "/"),
				chromedp.WaitVisible(pick),
			}
			if err := chromedp.Do(ctx, steps...); err != nil {
				t.Fatalf("demo list: %v", err)
			}
			listed, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#borrowers button[data-account]").length`))
			if err != nil || listed != 1 {
				t.Errorf("demo list shows %d borrowers (%v), want only the demo one", listed, err)
			}
			if err := chromedp.Do(ctx,
				chromedp.Click(pick),
				chromedp.WaitVisible(chromedp.CSS(`#status-stage[data-stage="verify"]`)),
			); err != nil {
				t.Fatalf("start chat: %v", err)
			}
			if bots, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(".msg.bot").length`)); bots == 0 {
				t.Error("the bot did not speak first")
			}
			heading, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
			lang, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
			if heading != tt.heading || lang != tt.locale {
				t.Errorf("page language: heading %q lang %q, want %q %q", heading, lang, tt.heading, tt.locale)
			}
			var flow []chromedp.Action[chromedp.Void]
			for _, line := range promiseScripts[tt.locale] {
				flow = append(flow, sendLine(line))
			}
			flow = append(flow, chromedp.WaitVisible(chromedp.CSS(`#status-outcome[data-outcome="ptp"]`)))
			if err := chromedp.Do(ctx, flow...); err != nil {
				log, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#log")))
				t.Fatalf("page flow: %v\nchat so far:\n%s", err, log)
			}
			outcome, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#status-outcome")))
			if outcome != tt.outcome {
				t.Errorf("confirmation %q, want %q", outcome, tt.outcome)
			}
			var ps struct {
				Promises []struct {
					ConversationID string `json:"conversation_id"`
				} `json:"promises"`
			}
			e.mustDo("GET", "/v1/accounts/"+tt.account+"/promises", nil, 200, &ps)
			if len(ps.Promises) != 1 {
				t.Errorf("promises after the page flow: %+v", ps.Promises)
			}
		})
	}
}

func TestDemoEndpointsOffOutsideDemo(t *testing.T) {
	e := newEnv(t, nil)
	e.addAccounts(maria("a-1"))
	if code, _ := e.do("GET", "/demo/accounts", nil, ""); code != 404 {
		t.Errorf("GET /demo/accounts = %d outside demo, want 404", code)
	}
	if code, _ := e.do("POST", "/demo/sessions", `{"account_id":"a-1"}`, ""); code != 404 && code != 405 {
		t.Errorf("POST /demo/sessions = %d outside demo, want 404", code)
	}
	code, b := e.do("GET", "/", nil, "")
	if code != 200 || !strings.Contains(string(b), `<html lang="en-US">`) {
		t.Errorf("GET / = %d", code)
	}
	for _, p := range []string{"/app.js", "/style.css"} {
		if code, _ := e.do("GET", p, nil, ""); code != 200 {
			t.Errorf("GET %s = %d", p, code)
		}
	}
	if code, _ := e.do("GET", "/nope.js", nil, ""); code != 404 {
		t.Errorf("GET /nope.js = %d, want 404", code)
	}
}

func TestDemoSessionOnlyForDemoAccounts(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Demo = true; c.DemoAccounts = []string{"demo-1"} })
	e.addAccounts(maria("real-1"))
	code, b := e.do("POST", "/demo/sessions", `{"account_id":"real-1","channel":"chat"}`, "")
	if code != 404 {
		t.Errorf("demo session for a real account = %d %s, want 404", code, b)
	}
}
