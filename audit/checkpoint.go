package audit

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/collectagent/collectagent/store"
)

// Config is where and how often chain heads are checkpointed.
type Config struct {
	// Path is the append-only checkpoint file; empty means
	// audit-checkpoints.jsonl in the data directory (the caller fills it).
	Path string `yaml:"path"`
	// KeyFile holds the HMAC key (at least 32 bytes; surrounding white
	// space is dropped). COLLECT_AUDIT_KEY may hold the key itself
	// instead. Without a key no checkpoints are written.
	KeyFile string `yaml:"key_file"`
	// Interval is the longest time an event waits to be checkpointed:
	// the window in which a crash leaves events unsigned.
	Interval time.Duration `yaml:"interval" validate:"min=0"`
	// MaxEvents checkpoints early once this many events wait.
	MaxEvents int `yaml:"max_events" validate:"min=0"`
}

// DefaultConfig checkpoints every second, or every 1,000 events.
func DefaultConfig() Config {
	return Config{Interval: time.Second, MaxEvents: 1000}
}

// FileName is the checkpoint file's name in the data directory.
const FileName = "audit-checkpoints.jsonl"

// MinKeyLen is the shortest key accepted (HMAC-SHA256 wants 32 bytes).
const MinKeyLen = 32

// Key signs checkpoint lines (HMAC-SHA256). It never prints.
type Key struct{ b []byte }

// NewKey checks and wraps key bytes.
func NewKey(b []byte) (Key, error) {
	b = bytes.TrimSpace(b)
	if len(b) < MinKeyLen {
		return Key{}, fmt.Errorf("%w: %d bytes, want at least %d", ErrKey, len(b), MinKeyLen)
	}
	return Key{b: bytes.Clone(b)}, nil
}

// IsZero reports whether k holds no key.
func (k Key) IsZero() bool { return len(k.b) == 0 }

// String and LogValue keep the key out of logs and error messages.
func (k Key) String() string { return "[audit key]" }

// LogValue implements slog.LogValuer.
func (k Key) LogValue() slog.Value { return slog.StringValue("[audit key]") }

func (k Key) mac(body []byte) string {
	h := hmac.New(sha256.New, k.b)
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// Head is where a chain stood: its last seq and that event's hash.
type Head struct {
	Chain string `json:"chain"`
	Seq   int64  `json:"seq"`
	Hash  string `json:"hash"`
}

// lineBody is one checkpoint: the heads of the chains that moved since the
// previous line, linked to that line by its MAC, so a line removed from
// the middle of the file breaks the links.
type lineBody struct {
	N     int64     `json:"n"`
	At    time.Time `json:"at"`
	Node  string    `json:"node,omitempty"`
	Prev  string    `json:"prev"`
	Heads []Head    `json:"heads"`
}

// fileLine is a line of the file: the body's exact bytes and their MAC.
type fileLine struct {
	Body json.RawMessage `json:"body"`
	MAC  string          `json:"mac"`
}

// Deps are a Checkpointer's collaborators.
type Deps struct {
	Logger *slog.Logger
	Clock  func() time.Time // default time.Now
	Node   string           // written into each line (e.g. the host name)
}

// Mirror keeps a copy of every checkpoint line somewhere the checkpoint
// file's host cannot rewrite alone (a JetStream stream), so that a file
// cut short or deleted shows against the copy.
type Mirror interface {
	PublishCheckpoint(ctx context.Context, l MirrorLine) error
}

// MirrorLine is one checkpoint line as written to the file (without its
// newline), with its node and number.
type MirrorLine struct {
	Node string
	N    int64
	Line []byte
}

// maxUnmirrored bounds the lines kept for a mirror that is down; the
// oldest are dropped (they stay in the file) and the drop is logged.
const maxUnmirrored = 10000

// mirrorTimeout bounds one publish to the mirror.
const mirrorTimeout = 5 * time.Second

// Checkpointer collects the heads of the chains the store has committed
// (Observe) and appends them, signed, to the checkpoint file every
// Interval, or sooner once MaxEvents wait, and on Close. Observe is safe
// for concurrent use and never blocks on the file.
type Checkpointer struct {
	cfg   Config
	key   Key
	log   *slog.Logger
	clock func() time.Time
	node  string

	mu      sync.Mutex // guards pending, waiting, closed
	pending map[string]Head
	waiting int
	closed  bool

	wmu  sync.Mutex // guards f, n, prev: one writer at a time
	f    *os.File
	n    int64
	prev string

	// mirror, when set, receives every line after it is in the file;
	// unmirrored holds the lines it has not taken yet, oldest first.
	mirror     Mirror
	unmirrored []MirrorLine

	kick chan struct{}
	stop chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

// Open opens (or creates) the checkpoint file at cfg.Path, continues its
// numbering and links, and starts the flusher.
func Open(cfg Config, key Key, deps Deps) (*Checkpointer, error) {
	if key.IsZero() {
		return nil, fmt.Errorf("%w: none configured", ErrKey)
	}
	def := DefaultConfig()
	if cfg.Interval <= 0 {
		cfg.Interval = def.Interval
	}
	if cfg.MaxEvents <= 0 {
		cfg.MaxEvents = def.MaxEvents
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Clock == nil {
		deps.Clock = time.Now
	}
	f, err := os.OpenFile(cfg.Path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return nil, fmt.Errorf("audit: checkpoints: %w", err)
	}
	c := &Checkpointer{
		cfg: cfg, key: key, log: deps.Logger, clock: deps.Clock, node: deps.Node,
		pending: map[string]Head{}, f: f,
		kick: make(chan struct{}, 1), stop: make(chan struct{}),
	}
	if err := c.resume(); err != nil {
		f.Close()
		return nil, err
	}
	c.wg.Add(1)
	go c.run()
	return c, nil
}

// resume reads the file's last complete line to continue from it. A torn
// last line (a crash in the middle of a write) was never a valid
// checkpoint: it is cut off.
func (c *Checkpointer) resume() error {
	b, err := io.ReadAll(c.f)
	if err != nil {
		return fmt.Errorf("audit: checkpoints: read: %w", err)
	}
	if i := bytes.LastIndexByte(b, '\n'); i+1 < len(b) {
		c.log.Warn("audit checkpoints: cutting a torn last line", "bytes", len(b)-i-1)
		if err := c.f.Truncate(int64(i + 1)); err != nil {
			return fmt.Errorf("audit: checkpoints: truncate torn line: %w", err)
		}
		b = b[:i+1]
	}
	b = bytes.TrimRight(b, "\n")
	if len(b) == 0 {
		return nil
	}
	last := b[bytes.LastIndexByte(b, '\n')+1:]
	var fl fileLine
	var body lineBody
	if err := json.Unmarshal(last, &fl); err != nil {
		return fmt.Errorf("audit: checkpoints: last line: %w", err)
	}
	if err := json.Unmarshal(fl.Body, &body); err != nil {
		return fmt.Errorf("audit: checkpoints: last line: %w", err)
	}
	if !hmac.Equal([]byte(c.key.mac(fl.Body)), []byte(fl.MAC)) {
		// Not ours (another key) or altered: continue, and let verify say so.
		c.log.Warn("audit checkpoints: the last line does not verify with this key", "line", body.N)
	}
	c.n, c.prev = body.N, fl.MAC
	return nil
}

// Observe notes the events the store has just committed. Call it only
// after the commit succeeded.
func (c *Checkpointer) Observe(evs []store.AuditEvent) {
	if len(evs) == 0 {
		return
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	for _, ev := range evs {
		if h, ok := c.pending[ev.Chain]; !ok || ev.Seq > h.Seq {
			c.pending[ev.Chain] = Head{Chain: ev.Chain, Seq: ev.Seq, Hash: ev.Hash}
		}
	}
	c.waiting += len(evs)
	full := c.waiting >= c.cfg.MaxEvents
	c.mu.Unlock()
	if full {
		select {
		case c.kick <- struct{}{}:
		default:
		}
	}
}

func (c *Checkpointer) run() {
	defer c.wg.Done()
	t := time.NewTicker(c.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		case <-c.kick:
		}
		if err := c.Flush(); err != nil {
			c.log.Error("audit checkpoint failed; retrying", "err", err)
		}
	}
}

// Flush writes the heads that moved since the last checkpoint, if any, as
// one signed line, and syncs the file.
func (c *Checkpointer) Flush() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.mu.Lock()
	heads := c.pending
	c.pending, c.waiting = map[string]Head{}, 0
	c.mu.Unlock()
	if len(heads) == 0 {
		c.mirrorLocked() // retry lines the mirror missed
		return nil
	}
	if c.f == nil {
		return ErrClosed
	}
	body := lineBody{N: c.n + 1, At: c.clock().UTC(), Node: c.node, Prev: c.prev, Heads: make([]Head, 0, len(heads))}
	for _, chain := range sortedKeys(heads) {
		body.Heads = append(body.Heads, heads[chain])
	}
	err := c.writeLocked(body)
	if err != nil {
		// Keep the heads for the next try, unless newer ones came.
		c.mu.Lock()
		for chain, h := range heads {
			if p, ok := c.pending[chain]; !ok || p.Seq < h.Seq {
				c.pending[chain] = h
			}
		}
		c.mu.Unlock()
	}
	return err
}

func (c *Checkpointer) writeLocked(body lineBody) error {
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("audit: checkpoint: %w", err)
	}
	mac := c.key.mac(b)
	line, err := json.Marshal(fileLine{Body: b, MAC: mac})
	if err != nil {
		return fmt.Errorf("audit: checkpoint: %w", err)
	}
	if _, err := c.f.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("audit: checkpoint: write: %w", err)
	}
	if err := c.f.Sync(); err != nil {
		return fmt.Errorf("audit: checkpoint: sync: %w", err)
	}
	c.n, c.prev = body.N, mac
	c.unmirrored = append(c.unmirrored, MirrorLine{Node: body.Node, N: body.N, Line: line})
	if len(c.unmirrored) > maxUnmirrored {
		c.log.Warn("audit checkpoints: the mirror is behind; dropping its oldest lines (they stay in the file)", "dropped", len(c.unmirrored)-maxUnmirrored)
		c.unmirrored = c.unmirrored[len(c.unmirrored)-maxUnmirrored:]
	}
	c.mirrorLocked()
	return nil
}

// SetMirror starts copying every checkpoint line to m, the lines written
// since Open first. Call it once the mirror is reachable (NATS connected);
// nil stops copying (before NATS closes).
func (c *Checkpointer) SetMirror(m Mirror) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.mirror = m
	c.mirrorLocked()
}

// mirrorLocked publishes the lines the mirror has not taken, in order,
// and stops at the first failure (retried after the next line or flush).
func (c *Checkpointer) mirrorLocked() {
	if c.mirror == nil {
		return
	}
	for len(c.unmirrored) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), mirrorTimeout)
		err := c.mirror.PublishCheckpoint(ctx, c.unmirrored[0])
		cancel()
		if err != nil {
			c.log.Warn("audit checkpoints: copy to the mirror failed; retrying with the next checkpoint", "line", c.unmirrored[0].N, "err", err)
			return
		}
		c.unmirrored = c.unmirrored[1:]
	}
}

// Close writes the last checkpoint and closes the file. It is idempotent.
func (c *Checkpointer) Close() error {
	var err error
	c.once.Do(func() {
		close(c.stop)
		c.wg.Wait()
		err = c.Flush()
		c.mu.Lock()
		c.closed = true
		c.mu.Unlock()
		c.wmu.Lock()
		if cerr := c.f.Close(); err == nil {
			err = cerr
		}
		c.f = nil
		c.wmu.Unlock()
	})
	return err
}

// Checkpoints are the heads read from checkpoint files, per chain in seq
// order, with the time each was signed.
type Checkpoints struct {
	Chains map[string][]SignedHead
	Lines  int
	Last   time.Time // when the newest line was signed
	// macs holds each valid line's MAC by node and number, to compare
	// the files with the mirror's copy.
	macs map[string]map[int64]string
}

func (cps *Checkpoints) noteLine(node string, n int64, mac string) {
	if cps.macs == nil {
		cps.macs = map[string]map[int64]string{}
	}
	if cps.macs[node] == nil {
		cps.macs[node] = map[int64]string{}
	}
	cps.macs[node][n] = mac
}

// SignedHead is a head with the time of the line that signed it.
type SignedHead struct {
	Head
	At   time.Time
	Line int64
}

// ReadFiles reads and checks checkpoint files: every line's MAC, the
// numbering and each line's link to the one before. Problems with the
// files are findings; a file that cannot be read is an error.
func ReadFiles(key Key, paths ...string) (Checkpoints, []Finding, error) {
	cps := Checkpoints{Chains: map[string][]SignedHead{}}
	var out []Finding
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return cps, out, fmt.Errorf("audit: checkpoints: %w", err)
		}
		fs := readFile(key, p, f, &cps)
		f.Close()
		out = append(out, fs...)
	}
	for chain, hs := range cps.Chains {
		sortHeads(hs)
		cps.Chains[chain] = hs
	}
	return cps, out, nil
}

func readFile(key Key, name string, r io.Reader, cps *Checkpoints) []Finding {
	var out []Finding
	bad := func(n int, problem string) {
		out = append(out, Finding{What: fmt.Sprintf("checkpoint file %s line %d", name, n), Problem: problem})
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 64<<20)
	var prevN int64
	prevMAC := ""
	for i := 1; sc.Scan(); i++ {
		var fl fileLine
		var body lineBody
		if err := json.Unmarshal(sc.Bytes(), &fl); err != nil {
			bad(i, "unreadable: "+err.Error())
			continue
		}
		if !hmac.Equal([]byte(key.mac(fl.Body)), []byte(fl.MAC)) {
			bad(i, "signature does not verify (forged, edited, or signed with another key)")
			prevMAC = fl.MAC
			continue
		}
		if err := json.Unmarshal(fl.Body, &body); err != nil {
			bad(i, "unreadable body: "+err.Error())
			continue
		}
		if body.Prev != prevMAC || body.N != prevN+1 {
			bad(i, fmt.Sprintf("checkpoint %d does not follow checkpoint %d: lines removed or reordered", body.N, prevN))
		}
		prevN, prevMAC = body.N, fl.MAC
		if _, dup := cps.macs[body.Node][body.N]; dup {
			continue // the same line from another source (the mirror's copy)
		}
		cps.noteLine(body.Node, body.N, fl.MAC)
		cps.Lines++
		if body.At.After(cps.Last) {
			cps.Last = body.At
		}
		for _, h := range body.Heads {
			cps.Chains[h.Chain] = append(cps.Chains[h.Chain], SignedHead{Head: h, At: body.At, Line: body.N})
		}
	}
	if err := sc.Err(); err != nil {
		bad(0, "read: "+err.Error())
	}
	return out
}

// ReadCopy reads the mirror's copy of the checkpoint lines (every node's,
// in any order) into cps, checking each node's lines like a file's, and
// compares them with the lines cps already holds from the files: a line
// the copy holds and no file does was cut from a file (or its file was
// deleted); a line whose MAC differs was rewritten. The copy's heads then
// count as checkpoints too.
func ReadCopy(key Key, lines [][]byte, cps *Checkpoints) []Finding {
	type nl struct {
		n    int64
		line []byte
	}
	byNode := map[string][]nl{}
	var out []Finding
	for i, l := range lines {
		var fl fileLine
		var body lineBody
		if json.Unmarshal(l, &fl) != nil || json.Unmarshal(fl.Body, &body) != nil {
			out = append(out, Finding{What: fmt.Sprintf("JetStream copy message %d", i+1), Problem: "unreadable checkpoint line"})
			continue
		}
		byNode[body.Node] = append(byNode[body.Node], nl{body.N, l})
	}
	files := cps.macs
	cps.macs = nil
	defer func() {
		// Keep the files' lines noted (the copy's were added to them).
		for node, m := range files {
			for n, mac := range m {
				if _, ok := cps.macs[node][n]; !ok {
					cps.noteLine(node, n, mac)
				}
			}
		}
	}()
	for _, node := range sortedNodes(byNode) {
		ls := byNode[node]
		slices.SortFunc(ls, func(a, b nl) int { return cmp.Compare(a.n, b.n) })
		var buf bytes.Buffer
		for _, l := range ls {
			buf.Write(l.line)
			buf.WriteByte('\n')
		}
		copyCps := Checkpoints{Chains: map[string][]SignedHead{}}
		out = append(out, readFile(key, "JetStream copy (node "+node+")", &buf, &copyCps)...)
		var missing []int64
		for _, l := range ls {
			mac, ok := copyCps.macs[node][l.n]
			if !ok {
				continue // did not verify: reported above
			}
			fmac, inFile := files[node][l.n]
			switch {
			case !inFile:
				missing = append(missing, l.n)
			case fmac != mac:
				out = append(out, Finding{What: fmt.Sprintf("checkpoint %d of node %s", l.n, node), Problem: "differs from the JetStream copy: the file's line was rewritten"})
			}
		}
		for _, r := range runs(missing) {
			out = append(out, Finding{What: fmt.Sprintf("checkpoint %s of node %s", r, node),
				Problem: "missing from the checkpoint files, held by the JetStream copy: a file was cut short, edited or deleted"})
		}
		for chain, hs := range copyCps.Chains {
			cps.Chains[chain] = append(cps.Chains[chain], hs...)
			sortHeads(cps.Chains[chain])
		}
		for n, mac := range copyCps.macs[node] {
			cps.noteLine(node, n, mac)
		}
		if copyCps.Last.After(cps.Last) {
			cps.Last = copyCps.Last
		}
		if len(files[node]) == 0 {
			cps.Lines += copyCps.Lines
		}
	}
	return out
}

func sortedNodes[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// runs writes sorted numbers as ranges: "lines 3..5", "line 7".
func runs(ns []int64) []string {
	var out []string
	for i := 0; i < len(ns); {
		j := i
		for j+1 < len(ns) && ns[j+1] == ns[j]+1 {
			j++
		}
		if i == j {
			out = append(out, fmt.Sprintf("line %d", ns[i]))
		} else {
			out = append(out, fmt.Sprintf("lines %d..%d", ns[i], ns[j]))
		}
		i = j + 1
	}
	return out
}

func sortHeads(hs []SignedHead) {
	// Few per chain, nearly sorted already.
	for i := 1; i < len(hs); i++ {
		for j := i; j > 0 && hs[j].Seq < hs[j-1].Seq; j-- {
			hs[j], hs[j-1] = hs[j-1], hs[j]
		}
	}
}
