package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/gorilla/websocket"
)

// apiClient speaks the server's public API: the back-office HTTP calls and
// the chat WebSocket.
type apiClient struct {
	base    *url.URL
	apiKey  string
	http    *http.Client
	dialer  *websocket.Dialer
	timeout time.Duration
}

func newAPIClient(base *url.URL, apiKey string, timeout time.Duration, conns int) *apiClient {
	// Loopback only: the dialer refuses anything else even if a redirect or
	// a resolver tried to send us elsewhere.
	nd := &net.Dialer{Timeout: timeout, Control: loopbackOnly}
	tr := &http.Transport{
		DialContext:         nd.DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     30 * time.Second,
	}
	return &apiClient{
		base:   base,
		apiKey: apiKey,
		http: &http.Client{
			Transport: tr,
			Timeout:   timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
		dialer: &websocket.Dialer{
			NetDialContext:   nd.DialContext,
			HandshakeTimeout: timeout,
			ReadBufferSize:   4096,
			WriteBufferSize:  4096,
		},
		timeout: timeout,
	}
}

// close releases idle HTTP connections.
func (c *apiClient) close() { c.http.CloseIdleConnections() }

// httpStatusError is an API call answered with an unexpected status.
type httpStatusError struct {
	op     string
	status int
	body   string
}

func (e *httpStatusError) Error() string {
	return fmt.Sprintf("%s: %v %d: %s", e.op, ErrHTTPStatus, e.status, e.body)
}

func (e *httpStatusError) Unwrap() error { return ErrHTTPStatus }

func (c *apiClient) endpoint(path string) string {
	u := *c.base
	u.Path = joinPath(u.Path, path)
	return u.String()
}

func joinPath(base, p string) string {
	for len(base) > 0 && base[len(base)-1] == '/' {
		base = base[:len(base)-1]
	}
	return base + p
}

// do sends one request and decodes a 2xx JSON answer into out (if not nil).
func (c *apiClient) do(ctx context.Context, op, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s: encode: %w", op, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.endpoint(path), body)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.apiKey)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
		return &httpStatusError{op: op, status: resp.StatusCode, body: string(bytes.TrimSpace(snippet))}
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(out); err != nil {
		return fmt.Errorf("%s: decode: %w", op, err)
	}
	return nil
}

// ready checks GET /readyz.
func (c *apiClient) ready(ctx context.Context) error {
	if err := c.do(ctx, "readyz", http.MethodGet, "/readyz", nil, nil); err != nil {
		return fmt.Errorf("%w: %w", ErrServerNotReady, err)
	}
	return nil
}

// createAccounts upserts a batch with POST /v1/accounts.
func (c *apiClient) createAccounts(ctx context.Context, batch []account) error {
	return c.do(ctx, "accounts", http.MethodPost, "/v1/accounts", map[string]any{"accounts": batch}, nil)
}

// session is the answer of POST /v1/sessions.
type session struct {
	Token          string `json:"token"`
	ConversationID string `json:"conversation_id"`
}

// createSession mints a chat session with POST /v1/sessions.
func (c *apiClient) createSession(ctx context.Context, accountID string) (session, error) {
	var s session
	err := c.do(ctx, "session", http.MethodPost, "/v1/sessions", map[string]string{"account_id": accountID, "channel": "chat"}, &s)
	if err == nil && s.Token == "" {
		err = fmt.Errorf("session: %w: no token in answer", ErrBadFrame)
	}
	return s, err
}

// chatURL is the WebSocket URL of GET /v1/chat for a token.
func (c *apiClient) chatURL(token string) string {
	return wsURL(c.base, "/v1/chat", url.Values{"token": {token}})
}

func wsURL(base *url.URL, path string, q url.Values) string {
	u := *base
	u.Scheme = "ws"
	if base.Scheme == "https" {
		u.Scheme = "wss"
	}
	u.Path = joinPath(u.Path, path)
	u.RawQuery = q.Encode()
	return u.String()
}

// Frame is one JSON WebSocket frame of the chat API, either direction.
type Frame struct {
	Type string `json:"type"` // "message", "status", "error"
	// message
	From string `json:"from,omitempty"`
	Text string `json:"text,omitempty"`
	Seq  int64  `json:"seq,omitempty"`
	// status
	Mode    string `json:"mode,omitempty"`
	Stage   string `json:"stage,omitempty"`
	Outcome string `json:"outcome,omitempty"`
	// error
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

// Frame types.
const (
	FrameMessage = "message"
	FrameStatus  = "status"
	FrameError   = "error"
)

// DecodeFrame parses a server frame; a frame that is not a JSON object with
// a known type is ErrBadFrame.
func DecodeFrame(data []byte) (Frame, error) {
	var f Frame
	if err := json.Unmarshal(data, &f); err != nil {
		return Frame{}, fmt.Errorf("%w: %w", ErrBadFrame, err)
	}
	switch f.Type {
	case FrameMessage, FrameStatus, FrameError:
		return f, nil
	case "":
		return Frame{}, fmt.Errorf("%w: no type", ErrBadFrame)
	}
	return Frame{}, fmt.Errorf("%w: unknown type %q", ErrBadFrame, truncate(f.Type, 32))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
