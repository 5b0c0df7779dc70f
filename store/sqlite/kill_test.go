package sqlite_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/collectagent/collectagent/store"
	"github.com/collectagent/collectagent/store/sqlite"
)

const (
	killChildEnv = "COLLECT_SQLITE_KILL_CHILD" // database path, set for the child process
	killConvs    = 8
)

// TestKillDurability kills (SIGKILL) a process in the middle of committing
// turns on several conversations and checks that every commit the process
// acknowledged is in the database when it is reopened: under WAL,
// synchronous=NORMAL survives a process crash.
func TestKillDurability(t *testing.T) {
	if path := os.Getenv(killChildEnv); path != "" {
		killChild(path)
		return
	}
	if testing.Short() {
		t.Skip("spawns a process")
	}
	path := filepath.Join(t.TempDir(), "kill.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillDurability$", "-test.count=1")
	cmd.Env = append(os.Environ(), killChildEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[string]int64{}
	sc := bufio.NewScanner(out)
	n := 0
	for n < 400 && sc.Scan() {
		var conv string
		var v int64
		if _, err := fmt.Sscanf(sc.Text(), "ack %s %d", &conv, &v); err != nil {
			continue
		}
		if v > acked[conv] {
			acked[conv] = v
		}
		n++
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if n < 400 {
		t.Fatalf("child acknowledged only %d commits before exiting", n)
	}

	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	defer s.Close()
	ctx := context.Background()
	for conv, v := range acked {
		c, err := s.GetConversation(ctx, conv)
		if err != nil {
			t.Fatalf("%s: %v", conv, err)
		}
		if c.Version < v {
			t.Errorf("%s at version %d after kill, but version %d was acknowledged", conv, c.Version, v)
		}
		turns, err := s.ListTurns(ctx, conv)
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(turns)) != 2*(c.Version-1) {
			t.Errorf("%s: %d turns at version %d, want %d", conv, len(turns), c.Version, 2*(c.Version-1))
		}
		for i, tr := range turns {
			if tr.Seq != int64(i+1) {
				t.Fatalf("%s: turn %d has seq %d", conv, i, tr.Seq)
			}
		}
	}
	t.Logf("%d acknowledged commits on %d conversations survived the kill", n, len(acked))
}

// killChild commits turns on killConvs conversations until it is killed,
// printing "ack <conversation> <version>" after each commit returns.
func killChild(path string) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child open:", err)
		os.Exit(2)
	}
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	if err := s.UpsertAccounts(ctx, []store.Account{{ID: "a-1", Name: "K"}}); err != nil {
		fmt.Fprintln(os.Stderr, "child upsert:", err)
		os.Exit(2)
	}
	var mu sync.Mutex // one writer of stdout lines at a time
	var wg sync.WaitGroup
	for i := range killConvs {
		conv := store.Conversation{ID: fmt.Sprintf("k-%d", i), AccountID: "a-1", Version: 1, CreatedAt: now, UpdatedAt: now}
		if err := s.CreateConversation(ctx, conv); err != nil {
			fmt.Fprintln(os.Stderr, "child create:", err)
			os.Exit(2)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for v := int64(2); ; v++ {
				conv.Version = v
				conv.State = json.RawMessage(fmt.Sprintf(`{"v":%d}`, v))
				n := v - 1
				err := s.CommitTurn(ctx, store.TurnCommit{
					Conversation: conv,
					Turns: []store.Turn{
						{Seq: 2*n - 1, From: "borrower", Text: "hi", MessageID: fmt.Sprint(n), At: now},
						{Seq: 2 * n, From: "bot", Text: "hello", At: now},
					},
				})
				if err != nil {
					fmt.Fprintln(os.Stderr, "child commit:", err)
					os.Exit(2)
				}
				mu.Lock()
				fmt.Fprintf(os.Stdout, "ack %s %d\n", conv.ID, v)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}
