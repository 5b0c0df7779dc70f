package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	"github.com/collectagent/collectagent/clock"
)

// convError is a failed conversation with the kind it is counted under.
type convError struct {
	kind string
	err  error
}

func (e *convError) Error() string { return e.kind + ": " + e.err.Error() }
func (e *convError) Unwrap() error { return e.err }

// ErrorKind returns the kind a conversation error is counted under in a
// report, e.g. "timeout", "session_401", "error_frame:rate_limited",
// "outcome:escalated", "closed_1011".
func ErrorKind(err error) string {
	var ce *convError
	if errors.As(err, &ce) {
		return ce.kind
	}
	return classify("", err)
}

// classify names an error for the report; step says where it happened.
func classify(step string, err error) string {
	prefix := ""
	if step != "" {
		prefix = step + "_"
	}
	var hs *httpStatusError
	var ce *websocket.CloseError
	var ne net.Error
	switch {
	case errors.As(err, &hs):
		return hs.op + "_" + strconv.Itoa(hs.status)
	case errors.Is(err, context.Canceled):
		return "aborted"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return prefix + "timeout"
	case errors.As(err, &ce):
		return "closed_" + strconv.Itoa(ce.Code)
	case errors.Is(err, ErrBadFrame):
		return "bad_frame"
	case errors.Is(err, ErrEchoMismatch):
		return "echo_mismatch"
	case errors.Is(err, ErrNotLoopback):
		return "not_loopback"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, net.ErrClosed):
		return prefix + "conn_closed"
	case errors.Is(err, syscall.ECONNREFUSED):
		return prefix + "refused"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return prefix + "no_local_port"
	}
	if step != "" {
		return step + "_error"
	}
	return "other"
}

func fail(step string, err error) error {
	return &convError{kind: classify(step, err), err: fmt.Errorf("%s: %w", step, err)}
}

// metrics is what every borrower records into; all fields are safe for
// concurrent use.
type metrics struct {
	turn     Histogram // message sent -> first frame back
	connect  Histogram // WebSocket dial -> handshake done
	greeting Histogram // handshake done -> first bot frame
	session  Histogram // POST /v1/sessions round trip
}

// conversation runs one borrower's conversation over one WebSocket.
type conversation struct {
	clock   clock.Clock
	timeout time.Duration
	think   time.Duration
	rng     *rand.Rand
	m       *metrics
	turns   func() // called once per completed turn
	open    func(delta int)

	// in carries the frames of the open WebSocket, read by a goroutine of
	// its own so that the connection answers the server's pings while
	// the borrower thinks, as a browser does (gorilla answers a ping only
	// inside a read); stop ends that goroutine at hang-up.
	in   chan frameRead
	stop chan struct{}
}

// frameRead is one frame, or the error that ended the reads.
type frameRead struct {
	data []byte
	err  error
}

// readAll reads conn's frames into c.in until a read fails or hang-up.
func (c *conversation) readAll(conn *websocket.Conn, in chan<- frameRead, stop <-chan struct{}) {
	for {
		_, data, err := conn.ReadMessage()
		select {
		case in <- frameRead{data: data, err: err}:
		case <-stop:
			return
		}
		if err != nil {
			return
		}
	}
}

// pause waits for a borrower's think time, or until ctx ends.
func (c *conversation) pause(ctx context.Context) error {
	if c.think <= 0 {
		return ctx.Err()
	}
	d := c.think/2 + time.Duration(c.rng.Int64N(int64(c.think)+1))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// dial opens the WebSocket and records the handshake time.
func (c *conversation) dial(ctx context.Context, d *websocket.Dialer, url string) (*websocket.Conn, error) {
	start := c.clock.Now()
	conn, resp, err := d.DialContext(ctx, url, nil)
	if err != nil {
		if resp != nil {
			return nil, &convError{kind: "handshake_" + strconv.Itoa(resp.StatusCode), err: fmt.Errorf("dial: %w", err)}
		}
		return nil, fail("dial", err)
	}
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	c.m.connect.Record(c.clock.Now().Sub(start))
	c.open(1)
	// Server frames are small; a larger one is a protocol failure, not
	// something to buffer.
	conn.SetReadLimit(64 << 10)
	c.in, c.stop = make(chan frameRead, 4), make(chan struct{})
	go c.readAll(conn, c.in, c.stop)
	return conn, nil
}

// hangUp closes the WebSocket politely; errors do not matter any more.
func (c *conversation) hangUp(conn *websocket.Conn) {
	deadline := c.clock.Now().Add(time.Second)
	_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), deadline)
	_ = conn.Close()
	close(c.stop)
	c.open(-1)
}

// readFrame reads one frame within the turn timeout.
func (c *conversation) readFrame(ctx context.Context, conn *websocket.Conn) (Frame, []byte, error) {
	if err := ctx.Err(); err != nil {
		return Frame{}, nil, err
	}
	t := time.NewTimer(c.timeout)
	defer t.Stop()
	var r frameRead
	select {
	case r = <-c.in:
	case <-t.C:
		// The reader may be inside a frame; the connection is done.
		_ = conn.Close()
		return Frame{}, nil, fmt.Errorf("read: %w", os.ErrDeadlineExceeded)
	case <-ctx.Done():
		return Frame{}, nil, ctx.Err()
	}
	if r.err != nil {
		return Frame{}, nil, r.err
	}
	f, err := DecodeFrame(r.data)
	return f, r.data, err
}

// untilStatus reads frames until a status frame, recording the time from
// sent to the first frame into h (when h is not nil). An error frame fails
// the turn.
func (c *conversation) untilStatus(ctx context.Context, conn *websocket.Conn, sent time.Time, h *Histogram, step string) (Frame, error) {
	first := true
	for {
		f, _, err := c.readFrame(ctx, conn)
		if err != nil {
			return Frame{}, fail(step, err)
		}
		if first {
			first = false
			if h != nil {
				h.Record(c.clock.Now().Sub(sent))
			}
		}
		switch f.Type {
		case FrameError:
			return Frame{}, &convError{kind: "error_frame:" + truncate(f.Code, 40), err: fmt.Errorf("%s: %w %s: %s", step, ErrErrorFrame, f.Code, f.Message)}
		case FrameStatus:
			return f, nil
		}
	}
}

// send writes one message frame and returns when it was handed to the
// connection.
func (c *conversation) send(conn *websocket.Conn, text string) (time.Time, error) {
	if err := conn.SetWriteDeadline(c.clock.Now().Add(c.timeout)); err != nil {
		return time.Time{}, err
	}
	sent := c.clock.Now()
	err := conn.WriteJSON(Frame{Type: FrameMessage, Text: text})
	return sent, err
}

// runServer runs a full promise-to-pay conversation against the real API.
func (c *conversation) runServer(ctx context.Context, api *apiClient, b borrower) error {
	sctx, cancel := context.WithTimeout(ctx, c.timeout)
	start := c.clock.Now()
	sess, err := api.createSession(sctx, b.account.ID)
	cancel()
	if err != nil {
		return fail("session", err)
	}
	c.m.session.Record(c.clock.Now().Sub(start))

	conn, err := c.dial(ctx, api.dialer, api.chatURL(sess.Token))
	if err != nil {
		return err
	}
	defer c.hangUp(conn)

	// The bot speaks first, then reports its status.
	st, err := c.untilStatus(ctx, conn, c.clock.Now(), &c.m.greeting, "greeting")
	if err != nil {
		return err
	}
	if st.Mode == "ended" {
		return &convError{kind: "outcome:" + outcomeName(st), err: fmt.Errorf("greeting: %w: ended at once (stage %q)", ErrOutcome, st.Stage)}
	}
	lines := b.lines()
	for i, line := range lines {
		if err := c.pause(ctx); err != nil {
			return fail("think", err)
		}
		step := "turn" + strconv.Itoa(i+1)
		sent, err := c.send(conn, line)
		if err != nil {
			return fail(step, err)
		}
		st, err = c.untilStatus(ctx, conn, sent, &c.m.turn, step)
		if err != nil {
			return err
		}
		c.turns()
		last := i == len(lines)-1
		if !last && (st.Mode == "ended" || st.Outcome != "") {
			return &convError{kind: "outcome:" + outcomeName(st), err: fmt.Errorf("%s: %w: %q at stage %q", step, ErrOutcome, st.Outcome, st.Stage)}
		}
		if last && st.Outcome != "ptp" {
			return &convError{kind: "outcome:" + outcomeName(st), err: fmt.Errorf("%s: %w: %q at stage %q", step, ErrOutcome, st.Outcome, st.Stage)}
		}
	}
	return nil
}

func outcomeName(st Frame) string {
	if st.Outcome != "" {
		return truncate(st.Outcome, 40)
	}
	return "none"
}

// runEcho sends the same message frames to an echo server: the WebSocket
// cost of a conversation with no conversation work behind it.
func (c *conversation) runEcho(ctx context.Context, d *websocket.Dialer, url string, b borrower) error {
	conn, err := c.dial(ctx, d, url)
	if err != nil {
		return err
	}
	defer c.hangUp(conn)
	for i, line := range b.lines() {
		if err := c.pause(ctx); err != nil {
			return fail("think", err)
		}
		step := "turn" + strconv.Itoa(i+1)
		sent, err := c.send(conn, line)
		if err != nil {
			return fail(step, err)
		}
		f, _, err := c.readFrame(ctx, conn)
		if err != nil {
			return fail(step, err)
		}
		c.m.turn.Record(c.clock.Now().Sub(sent))
		if f.Type != FrameMessage || f.Text != line {
			return fail(step, fmt.Errorf("%w: got %q", ErrEchoMismatch, truncate(f.Text, 40)))
		}
		c.turns()
	}
	return nil
}
