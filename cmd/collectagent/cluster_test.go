package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/collectagent/collectagent/handoff"
	"github.com/collectagent/collectagent/loadgen"
	"github.com/collectagent/collectagent/store"
	"github.com/collectagent/collectagent/store/postgres"
)

// The native topology of docker-compose.yml: three NATS servers from
// deploy/nats/nats.conf (TLS and passwords on clients and routes, each a
// child process so it can be SIGKILLed), PostgreSQL, and two real serve
// processes configured by environment only, with replicas 3.

const (
	envNATSNode   = "COLLECT_TEST_NATS_NODE" // the helper process's config file
	clusterUser   = "collect-client"
	clusterPass   = "cluster-client-pass-0123"
	clusterRoute  = "collect-route"
	clusterRPass  = "cluster-route-pass-0123"
	clusterAPIKey = "cluster-test-key-0123456789"
	clusterSecret = "cluster-test-secret-0123456789abcdef"
	clusterPrefix = "collect"
	escalateText  = "I want to talk to a real person"
)

// The run's length, when the kills come, and the borrowers per node's
// load generator; lighter under the race detector.
var clusterRunTime, killAfter, clusterBorrowers = func() (time.Duration, time.Duration, int) {
	if raceEnabled {
		return 14 * time.Second, 5 * time.Second, 4
	}
	return 24 * time.Second, 8 * time.Second, 16
}()

// TestNATSNodeProcess is the child process of one NATS server; it only
// runs when TestClusterTopology starts it.
func TestNATSNodeProcess(t *testing.T) {
	conf := os.Getenv(envNATSNode)
	if conf == "" {
		t.Skip("the NATS server process of TestClusterTopology")
	}
	opts, err := server.ProcessConfigFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	port := func(name string) int {
		n, err := strconv.Atoi(os.Getenv(name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return n
	}
	// The file's ports are the containers'; here three share a host.
	opts.Host, opts.Port = "127.0.0.1", port("COLLECT_TEST_NATS_PORT")
	opts.Cluster.Host, opts.Cluster.Port = "127.0.0.1", port("COLLECT_TEST_NATS_CLUSTER_PORT")
	opts.HTTPPort = 0
	opts.StoreDir = os.Getenv("COLLECT_TEST_NATS_STORE")
	opts.NoSigs = true
	ns, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(20 * time.Second) {
		t.Fatal("not ready")
	}
	fmt.Println("nats node ready")
	select {} // until the parent kills it
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

type natsNode struct {
	name        string
	port, route int
	cmd         *exec.Cmd
}

// startNATSCluster runs three NATS servers from deploy/nats/nats.conf as
// child processes and waits for JetStream to have a leader.
func startNATSCluster(t *testing.T, certs string) []*natsNode {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "deploy/nats/nats.conf"))
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(t.TempDir(), "nats.conf")
	if err := os.WriteFile(conf, []byte(strings.ReplaceAll(string(raw), "/certs/", certs+"/")), 0o600); err != nil {
		t.Fatal(err)
	}
	nodes := []*natsNode{{name: "nats-1"}, {name: "nats-2"}, {name: "nats-3"}}
	for _, n := range nodes {
		n.port, n.route = freePort(t), freePort(t)
	}
	for i, n := range nodes {
		var routes []string
		for j, o := range nodes {
			if j != i {
				routes = append(routes, fmt.Sprintf("nats-route://%s:%s@127.0.0.1:%d", clusterRoute, clusterRPass, o.route))
			}
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestNATSNodeProcess$", "-test.timeout=30m")
		cmd.Env = append(os.Environ(),
			envNATSNode+"="+conf,
			"NATS_SERVER_NAME="+n.name, "NATS_USER="+clusterUser, "NATS_PASSWORD="+clusterPass,
			"NATS_CLUSTER_USER="+clusterRoute, "NATS_CLUSTER_PASSWORD="+clusterRPass,
			"NATS_ROUTE_A="+routes[0], "NATS_ROUTE_B="+routes[1],
			"COLLECT_TEST_NATS_PORT="+strconv.Itoa(n.port),
			"COLLECT_TEST_NATS_CLUSTER_PORT="+strconv.Itoa(n.route),
			"COLLECT_TEST_NATS_STORE="+t.TempDir(),
		)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		n.cmd = cmd
		t.Cleanup(func() {
			if cmd.ProcessState == nil {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
			}
		})
	}
	// JetStream answers once the three have elected a meta leader.
	nc := clusterConn(t, certs, nodes)
	defer nc.Close()
	deadline := time.Now().Add(60 * time.Second)
	for {
		js, err := nc.JetStream()
		if err == nil {
			if _, err = js.AccountInfo(); err == nil {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("NATS cluster has no JetStream leader: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return nodes
}

func clusterURL(nodes []*natsNode) string {
	var urls []string
	for _, n := range nodes {
		urls = append(urls, fmt.Sprintf("tls://127.0.0.1:%d", n.port))
	}
	return strings.Join(urls, ",")
}

func clusterConn(t *testing.T, certs string, nodes []*natsNode) *nats.Conn {
	t.Helper()
	var nc *nats.Conn
	var err error
	for range 100 {
		nc, err = nats.Connect(clusterURL(nodes), nats.UserInfo(clusterUser, clusterPass),
			nats.RootCAs(filepath.Join(certs, "ca.pem")), nats.MaxReconnects(-1))
		if err == nil {
			return nc
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("connect to the NATS cluster: %v", err)
	return nil
}

// clusterPostgres returns a URL into a fresh schema, dropped at cleanup.
func clusterPostgres(t *testing.T) (url, schema string) {
	t.Helper()
	base := os.Getenv("COLLECT_TEST_POSTGRES_URL")
	if base == "" {
		if os.Getenv("COLLECT_TEST_REQUIRE_ALL") == "1" {
			t.Fatal("COLLECT_TEST_POSTGRES_URL is not set and COLLECT_TEST_REQUIRE_ALL=1")
		}
		t.Skip("COLLECT_TEST_POSTGRES_URL is not set")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema = "clustertest_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("cleanup: %v", err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema, schema
}

// escalation is one escalating borrower's record of what was acknowledged.
type escalation struct {
	account, conv string
	sent          []string // message ids sent
	acked         []string // message ids whose status came back
	escalated     bool     // the status said waiting_agent
}

type timedTurn struct {
	at  time.Time
	dur time.Duration
}

// escalator drives borrowers who verify and ask for a person, on the two
// nodes in turn; a borrower whose node dies resumes on the other with the
// same token and message ids.
type escalator struct {
	t     *testing.T
	nodes []*serveProc
	alive func(i int) bool

	mu    sync.Mutex
	all   []*escalation
	turns []timedTurn
}

func (e *escalator) run(ctx context.Context, worker int) {
	for n := 0; ctx.Err() == nil; n++ {
		id := fmt.Sprintf("esc-%d-%d", worker, n)
		home := (worker + n) % 2
		if !e.alive(home) {
			home = 1 - home
		}
		p := e.nodes[home]
		if code := p.callQuiet("POST", "/v1/accounts", map[string]any{"accounts": []any{crashAccount(id, "James Carter", "1979-02-03", time.Now())}}, nil); code != 200 {
			continue
		}
		var s struct{ Token, Conversation_ID string }
		if p.callQuiet("POST", "/v1/sessions", map[string]string{"account_id": id, "channel": "chat"}, &s) != 201 {
			continue
		}
		esc := &escalation{account: id, conv: s.Conversation_ID}
		e.mu.Lock()
		e.all = append(e.all, esc)
		e.mu.Unlock()
		msgs := []struct{ id, text string }{{id + "-1", "02/03/1979"}, {id + "-2", escalateText}}
		for _, m := range msgs {
			esc.sent = append(esc.sent, m.id)
			st, ok := e.turn(ctx, s.Token, &home, m.id, m.text)
			if !ok {
				break
			}
			esc.acked = append(esc.acked, m.id)
			if st.Mode == "waiting_agent" {
				esc.escalated = true
			}
		}
	}
}

// turn sends one message and waits for its status, reconnecting (to the
// other node when this one died) and resending the same id until it is
// acknowledged or ctx ends.
func (e *escalator) turn(ctx context.Context, token string, home *int, id, text string) (wsFrame, bool) {
	for attempt := 0; ctx.Err() == nil && attempt < 20; attempt++ {
		if !e.alive(*home) {
			*home = 1 - *home
		}
		p := e.nodes[*home]
		d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
		c, _, err := d.Dial("ws"+strings.TrimPrefix(p.url, "http")+"/v1/chat?token="+token, nil)
		if err != nil {
			time.Sleep(200 * time.Millisecond)
			continue
		}
		st, err := readStatus(c) // the replay and the current status
		if err == nil && st.Mode == "waiting_agent" && text == escalateText {
			c.Close()
			return st, true // acknowledged before a reconnect
		}
		start := time.Now()
		if err == nil {
			err = c.WriteJSON(map[string]string{"type": "message", "text": text, "id": id})
		}
		if err == nil {
			st, err = readStatus(c)
		}
		c.Close()
		if err == nil {
			e.mu.Lock()
			e.turns = append(e.turns, timedTurn{at: start, dur: time.Since(start)})
			e.mu.Unlock()
			return st, true
		}
		time.Sleep(200 * time.Millisecond)
	}
	return wsFrame{}, false
}

func readStatus(c *websocket.Conn) (wsFrame, error) {
	for {
		_ = c.SetReadDeadline(time.Now().Add(15 * time.Second))
		var f wsFrame
		if err := c.ReadJSON(&f); err != nil {
			return f, err
		}
		switch f.Type {
		case "status":
			return f, nil
		case "error":
			return f, errors.New(f.Code)
		}
	}
}

// callQuiet is call without logging refusals.
func (p *serveProc) callQuiet(method, path string, body, out any) int {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, p.url+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+clusterAPIKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer res.Body.Close()
	if out != nil && res.StatusCode < 300 {
		_ = json.NewDecoder(res.Body).Decode(out)
	}
	return res.StatusCode
}

func p99(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[min(len(ds)-1, len(ds)*99/100)]
}

// TestClusterTopology drives promise conversations (the load generator,
// one per node) and escalations through two serve processes on a
// three-node NATS cluster and PostgreSQL, SIGKILLs one app node and one
// NATS node mid-run, and checks that no acknowledged turn, promise or
// escalation was lost or duplicated. It logs the throughput and the p99
// during the failover (docs/benchmarks.md).
func TestClusterTopology(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a cluster for half a minute")
	}
	dbURL, schema := clusterPostgres(t)
	bin := buildBinary(t)
	certs := writeTestCerts(t, t.TempDir(), []string{"nats-1", "nats-2", "nats-3"})
	nats3 := startNATSCluster(t, certs)

	env := []string{
		"COLLECT_DATABASE_URL=" + dbURL,
		"COLLECT_NATS_URL=" + clusterURL(nats3),
		"COLLECT_NATS_TLS=true", "COLLECT_NATS_TLS_CA=" + filepath.Join(certs, "ca.pem"),
		"COLLECT_NATS_USER=" + clusterUser, "COLLECT_NATS_PASSWORD=" + clusterPass,
		"COLLECT_NATS_REPLICAS=3",
		"COLLECT_API_KEY=" + clusterAPIKey, "COLLECT_TOKEN_SECRET=" + clusterSecret,
		"COLLECT_LOG_LEVEL=warn",
	}
	a := startServeEnv(t, bin, env, "--data", t.TempDir())
	b := startServeEnv(t, bin, env, "--data", t.TempDir())
	nodes := []*serveProc{a, b}
	var killed sync.Map
	alive := func(i int) bool { _, dead := killed.Load(i); return !dead }

	ctx, cancel := context.WithTimeout(context.Background(), clusterRunTime)
	defer cancel()
	results := make([]loadgen.Result, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, p := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = loadgen.Run(context.Background(), loadgen.Config{
				URL: p.url, APIKey: clusterAPIKey, Conversations: clusterBorrowers, Duration: clusterRunTime - 4*time.Second,
				Think: 100 * time.Millisecond, Ramp: time.Second, TurnTimeout: 10 * time.Second,
				MaxTime: clusterRunTime + 20*time.Second, Seed: uint64(i + 1),
			})
		}()
	}
	esc := &escalator{t: t, nodes: nodes, alive: alive}
	for w := range 4 {
		wg.Add(1)
		go func() { defer wg.Done(); esc.run(ctx, w) }()
	}

	time.Sleep(killAfter)
	killedAt := time.Now()
	killed.Store(0, true)
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := nats3[0].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	t.Logf("SIGKILL app node A and %s at %s", nats3[0].name, killedAt.Format(time.TimeOnly))
	wg.Wait()

	// Throughput and latency.
	for i, r := range results {
		if errs[i] != nil {
			t.Logf("loadgen on node %c: %v", 'A'+i, errs[i])
			continue
		}
		rep := r.Runs[len(r.Runs)-1]
		t.Logf("loadgen node %c: %d conversations completed, %d failed, %.1f conversations/s, turn p50 %.1f ms p99 %.1f ms, errors %v",
			'A'+i, rep.Completed, rep.Failed, rep.ConversationsPerSec, time.Duration(rep.Turn.P50).Seconds()*1000, time.Duration(rep.Turn.P99).Seconds()*1000, rep.Errors)
	}
	var before, during, after []time.Duration
	for _, tt := range esc.turns {
		switch {
		case tt.at.Before(killedAt):
			before = append(before, tt.dur)
		case tt.at.Before(killedAt.Add(5 * time.Second)):
			during = append(during, tt.dur)
		default:
			after = append(after, tt.dur)
		}
	}
	t.Logf("escalation turns: p99 %v before the kill (%d), %v in the 5 s after it (%d), %v later (%d)",
		p99(before), len(before), p99(during), len(during), p99(after), len(after))

	// What the store holds.
	st, err := postgres.Open(context.Background(), os.Getenv("COLLECT_TEST_POSTGRES_URL"), postgres.WithSchema(schema))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	checkClusterStore(t, st, dbURL, results, esc)

	// Every acknowledged escalation is on the case board of the surviving
	// NATS servers, once.
	hc := handoff.DefaultConfig()
	hc.URL, hc.Prefix, hc.Replicas = clusterURL(nats3[1:]), clusterPrefix, 3
	hc.Auth = handoff.AuthConfig{User: clusterUser, Password: clusterPass}
	hc.TLS = handoff.TLSConfig{Enabled: true, CAFile: filepath.Join(certs, "ca.pem")}
	sys, err := handoff.Start(context.Background(), hc, handoff.Deps{})
	if err != nil {
		t.Fatalf("handoff on the surviving servers: %v", err)
	}
	defer sys.Close()
	q, err := sys.StartQueue(context.Background(), handoff.QueueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	onBoard, acked := 0, 0
	for _, e := range esc.all {
		if !e.escalated {
			continue
		}
		es, err := st.ListEscalations(context.Background(), store.EscalationFilter{ConversationID: e.conv})
		if err != nil || len(es) != 1 {
			continue // reported by checkClusterStore
		}
		acked++
		var k handoff.Case
		// A node that died between commit and publish leaves the case
		// to the survivors' periodic requeue (handoff.requeue_every).
		for range 300 {
			if k, err = q.Get(context.Background(), es[0].ID); err == nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil {
			t.Errorf("escalation %s of %s acknowledged but not on the case board: %v", es[0].ID, e.conv, err)
			continue
		}
		if k.Packet.ConversationID != e.conv {
			t.Errorf("case %s is for %s, want %s", k.ID, k.Packet.ConversationID, e.conv)
		}
		onBoard++
	}
	t.Logf("%d escalations acknowledged, %d on the case board after the kills", acked, onBoard)
	if onBoard == 0 {
		t.Error("no escalation was acknowledged")
	}
}

func checkClusterStore(t *testing.T, st store.Store, dbURL string, results []loadgen.Result, esc *escalator) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// No conversation holds two promises (a duplicated commit).
	var dupConvs int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM (SELECT conversation_id FROM promises GROUP BY 1 HAVING count(*) > 1) d`).Scan(&dupConvs); err != nil {
		t.Fatal(err)
	}
	if dupConvs > 0 {
		t.Errorf("%d conversations hold more than one promise", dupConvs)
	}
	// Every conversation the load generator completed (its borrower saw
	// the promise confirmed) has its promise.
	var promised int
	if err := conn.QueryRow(ctx, `SELECT count(DISTINCT conversation_id) FROM promises`).Scan(&promised); err != nil {
		t.Fatal(err)
	}
	var completed uint64
	for _, r := range results {
		if len(r.Runs) > 0 {
			completed += r.Runs[len(r.Runs)-1].Completed
		}
	}
	if uint64(promised) < completed {
		t.Errorf("%d conversations hold a promise, but %d were acknowledged", promised, completed)
	}
	t.Logf("%d promises in the store, %d acknowledged to the load generators", promised, completed)
	// Turns: numbered 1..n with no gap or repeat, per conversation.
	var gaps int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM (SELECT conversation_id FROM turns GROUP BY 1 HAVING max(seq) <> count(*) OR count(DISTINCT seq) <> count(*)) g`).Scan(&gaps); err != nil {
		t.Fatal(err)
	}
	if gaps > 0 {
		t.Errorf("%d conversations have gaps or repeats in their turns", gaps)
	}
	// The escalating borrowers: each acknowledged message is stored once
	// (a resend after a kill is not a second turn), and each acknowledged
	// escalation is stored once.
	for _, e := range esc.all {
		turns, err := st.ListTurns(ctx, e.conv)
		if err != nil {
			t.Errorf("%s: %v", e.conv, err)
			continue
		}
		count := map[string]int{}
		for _, tr := range turns {
			if tr.From == "borrower" {
				count[tr.MessageID]++
			}
		}
		for _, id := range e.acked {
			if count[id] != 1 {
				t.Errorf("%s: acknowledged message %s stored %d times", e.conv, id, count[id])
			}
		}
		for id, n := range count {
			if n > 1 || !slices.Contains(e.sent, id) {
				t.Errorf("%s: message %q stored %d times (sent %v)", e.conv, id, n, e.sent)
			}
		}
		es, err := st.ListEscalations(ctx, store.EscalationFilter{ConversationID: e.conv})
		if err != nil {
			t.Fatal(err)
		}
		if e.escalated && len(es) != 1 {
			t.Errorf("%s: acknowledged escalation stored %d times", e.conv, len(es))
		}
		if len(es) > 1 {
			t.Errorf("%s: %d escalations", e.conv, len(es))
		}
	}
}
