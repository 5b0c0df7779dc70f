package main

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestServeWithModel runs the real binary with COLLECT_LLM_* pointing at a
// fake OpenAI-compatible server: serve names the mode and model on
// start-up (never the key), and a chat over the WebSocket is understood
// and phrased by the model and reaches the engine's promise.
func TestServeWithModel(t *testing.T) {
	bin := buildBinary(t)
	f := newFakeModel(t, false)
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data", t.TempDir())
	cmd.Env = append(os.Environ(), "COLLECT_API_KEY="+crashKey, "COLLECT_TOKEN_SECRET="+crashSecret, "COLLECT_DEMO=false",
		"COLLECT_LLM_MODE=llm", "COLLECT_LLM_BASE_URL="+f.URL(), "COLLECT_LLM_MODEL=fake-model", "COLLECT_LLM_API_KEY="+fakeLLMKey)
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
	var out syncBuffer
	banner := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			out.Write([]byte(sc.Text() + "\n"))
			if strings.HasPrefix(sc.Text(), "understanding: ") {
				banner <- sc.Text()
			}
			if u, ok := strings.CutPrefix(sc.Text(), "chat page: "); ok {
				p.url = strings.TrimSuffix(u, "/")
			}
		}
		p.exited <- cmd.Wait()
	}()
	var line string
	select {
	case line = <-banner:
	case err := <-p.exited:
		t.Fatalf("serve exited: %v\n%s", err, p.stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("no understanding line\n%s\n%s", out.String(), p.stderr.String())
	}
	if want := "understanding: llm, model fake-model at " + f.URL(); !strings.HasPrefix(line, want) {
		t.Errorf("start-up line %q, want %q...", line, want)
	}

	now := time.Now()
	if code := p.call("POST", "/v1/accounts", map[string]any{"accounts": []any{crashAccount("m-1", "Maria Lopez", "1988-07-21", now)}}, nil); code != 200 {
		t.Fatalf("POST /v1/accounts = %d", code)
	}
	var s struct{ Token, Conversation_ID string }
	if p.call("POST", "/v1/sessions", map[string]string{"account_id": "m-1", "channel": "chat"}, &s) != 201 {
		t.Fatal("POST /v1/sessions failed")
	}
	c := p.dial(s.Token)
	untilStatus(t, c)
	say(t, c, "07/21/1988")
	say(t, c, "I can pay the full amount tomorrow")
	if st := say(t, c, "yes"); st.Outcome != "ptp" {
		t.Fatalf("no promise: %+v\n%s", st, p.stderr.String())
	}
	if f.count("understand") != 3 || f.count("phrase") == 0 {
		t.Errorf("the model was asked to understand %d lines and phrase %d acts", f.count("understand"), f.count("phrase"))
	}
	if !f.sentAuth("Bearer " + fakeLLMKey) {
		t.Error("the key was not sent")
	}
	if strings.Contains(out.String()+p.stderr.String(), fakeLLMKey) {
		t.Error("serve printed or logged the key")
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := p.wait(30 * time.Second); err != nil {
		t.Fatalf("serve exit: %v\n%s", err, p.stderr.String())
	}
	// The counters are logged on the way out.
	if logs := p.stderr.String(); !strings.Contains(logs, `msg="llm stats"`) || !strings.Contains(logs, "model=fake-model") {
		t.Errorf("no llm stats logged:\n%s", logs)
	}
}
