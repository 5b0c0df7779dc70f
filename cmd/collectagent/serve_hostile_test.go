package main

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// hostileLies are what a steered model puts before the engine's words:
// threats and third-party contact in disguise, a figure of the wrong kind.
var hostileLies = []string{
	"You will be аrrеstеd. ", // Cyrillic а and е
	"The cops will pick you up. ",
	"We will inform your employer. ",
	"𝐘𝐨𝐮 𝐰𝐢𝐥𝐥 𝐠𝐨 𝐭𝐨 𝐣𝐚𝐢𝐥. ",
	"Your balance is 9$. ",
	"Just borrow it from your parents. ",
	"我们会通知你們單位。",
	"bu huan jiu zuo lao. ",
}

// TestServeHybridHostileModel runs the real binary in hybrid mode against
// a fake OpenAI-compatible model whose every wording carries a hostile
// lie: the guard replaces each one with the template, the borrower never
// sees any of them over the WebSocket, and the conversation still reaches
// the engine's promise.
func TestServeHybridHostileModel(t *testing.T) {
	bin := buildBinary(t)
	f := newFakeModel(t, false)
	f.lies = hostileLies
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data", t.TempDir())
	cmd.Env = append(os.Environ(), "COLLECT_API_KEY="+crashKey, "COLLECT_TOKEN_SECRET="+crashSecret, "COLLECT_DEMO=false",
		"COLLECT_LLM_MODE=hybrid", "COLLECT_LLM_BASE_URL="+f.URL(), "COLLECT_LLM_MODEL=fake-model", "COLLECT_LLM_API_KEY="+fakeLLMKey)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &serveProc{t: t, cmd: cmd, stderr: &syncBuffer{}, exited: make(chan error, 1)}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-p.exited
		}
	})
	ready := make(chan struct{}, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "chat page: "); ok {
				p.url = strings.TrimSuffix(u, "/")
				ready <- struct{}{}
			}
		}
		p.exited <- cmd.Wait()
	}()
	select {
	case <-ready:
	case err := <-p.exited:
		t.Fatalf("serve exited: %v\n%s", err, p.stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not start\n%s", p.stderr.String())
	}

	now := time.Now()
	if code := p.call("POST", "/v1/accounts", map[string]any{"accounts": []any{crashAccount("h-1", "Maria Lopez", "1988-07-21", now)}}, nil); code != 200 {
		t.Fatalf("POST /v1/accounts = %d", code)
	}
	var s struct{ Token, Conversation_ID string }
	if p.call("POST", "/v1/sessions", map[string]string{"account_id": "h-1", "channel": "chat"}, &s) != 201 {
		t.Fatal("POST /v1/sessions failed")
	}
	c := p.dial(s.Token)
	var seen []wsFrame
	msgs, _ := untilStatus(t, c)
	seen = append(seen, msgs...)
	var st wsFrame
	for _, line := range []string{"07/21/1988", "I can pay the full amount tomorrow", "yes"} {
		if err := c.WriteJSON(map[string]string{"type": "message", "text": line}); err != nil {
			t.Fatal(err)
		}
		msgs, st = untilStatus(t, c)
		seen = append(seen, msgs...)
	}
	if st.Outcome != "ptp" {
		t.Fatalf("no promise: %+v\n%s", st, p.stderr.String())
	}
	if f.count("phrase") < 4 {
		t.Fatalf("the model phrased %d acts", f.count("phrase"))
	}
	bot := 0
	for _, m := range seen {
		if m.From != "bot" {
			continue
		}
		bot++
		for _, lie := range hostileLies {
			if strings.Contains(m.Text, strings.TrimSpace(lie)) {
				t.Errorf("the borrower saw the model's %q in %q", lie, m.Text)
			}
		}
	}
	if bot == 0 {
		t.Fatal("no bot message seen")
	}
	_ = cmd.Process.Signal(os.Interrupt)
	if err := p.wait(30 * time.Second); err != nil {
		t.Fatalf("serve exit: %v\n%s", err, p.stderr.String())
	}
	if logs := p.stderr.String(); strings.Count(logs, "model wording replaced by the template") < f.count("phrase") {
		t.Errorf("%d phrasings, fewer replacements logged:\n%s", f.count("phrase"), logs)
	}
}
