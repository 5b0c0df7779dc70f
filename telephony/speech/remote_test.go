package speech

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/collectagent/collectagent/clock"
	"github.com/collectagent/collectagent/internal/breaker"
)

// flakyAudioAPI is an OpenAI-compatible audio API that fails while down
// is set, and counts what reached it.
type flakyAudioAPI struct {
	down         atomic.Bool
	stt, tts     atomic.Int32
	lastLanguage atomic.Value
}

func (f *flakyAudioAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/v1/audio/transcriptions":
		f.stt.Add(1)
		_ = r.ParseMultipartForm(1 << 20)
		f.lastLanguage.Store(r.FormValue("language"))
	case "/v1/audio/speech":
		f.tts.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
	default:
		http.NotFound(w, r)
		return
	}
	if f.down.Load() {
		http.Error(w, `{"error":{"message":"overloaded","type":"server_error"}}`, http.StatusServiceUnavailable)
		return
	}
	if r.URL.Path == "/v1/audio/speech" {
		w.Header().Set("Content-Type", "audio/pcm")
		_ = binary.Write(w, binary.LittleEndian, []int16{1, 2, 3})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"text":"remote heard","segments":[]}`)
}

func remoteClient(url string) *OpenAI {
	c := openai.DefaultConfig("k")
	c.BaseURL = url + "/v1"
	return &OpenAI{Client: openai.NewClientWithConfig(c)}
}

func TestRemoteRecognizerBreakerAndFallback(t *testing.T) {
	api := &flakyAudioAPI{}
	srv := httptest.NewServer(api)
	defer srv.Close()
	clk := clock.NewFake(time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC))
	local := NewFakeRecognizer()
	local.Func = func(Audio, Hints) Transcript { return Transcript{Text: "local heard", Confidence: 0.5} }
	cfg := RemoteConfig{Breaker: breaker.Config{Failures: 2, OpenFor: time.Minute}}
	g := NewRemoteRecognizer(remoteClient(srv.URL), Local{STT: local, Langs: []string{"en-US"}}, cfg, clk)
	ctx := context.Background()
	utt := Audio{PCM: make([]int16, 160), Rate: 16000}
	en := Hints{Lang: "en-US", Expect: Expect{YesNo: true}}

	if tr, err := g.Transcribe(ctx, utt, en); err != nil || tr.Text != "remote heard" {
		t.Fatalf("healthy API: %+v %v", tr, err)
	}
	api.down.Store(true)
	for i := range 2 {
		if tr, err := g.Transcribe(ctx, utt, en); err != nil || tr.Text != "local heard" {
			t.Fatalf("failure %d: %+v %v, want the local recogniser's words", i+1, tr, err)
		}
	}
	if st, opens := g.Breaker(); st != breaker.Open || opens != 1 {
		t.Fatalf("breaker %v after 2 failures (opened %d times), want open", st, opens)
	}
	before := api.stt.Load()
	if tr, err := g.Transcribe(ctx, utt, en); err != nil || tr.Text != "local heard" {
		t.Fatalf("open breaker: %+v %v", tr, err)
	}
	if api.stt.Load() != before {
		t.Fatal("an open breaker still called the API")
	}
	// A language the local engine does not hear gets the error, so the
	// call asks again (or for keys).
	if _, err := g.Transcribe(ctx, utt, Hints{Lang: "zh-CN"}); !errors.Is(err, ErrBreakerOpen) {
		t.Fatalf("zh-CN with the breaker open: %v, want ErrBreakerOpen", err)
	}
	// After OpenFor one probe goes out; the API is back, so it closes.
	api.down.Store(false)
	clk.Advance(time.Minute)
	if tr, err := g.Transcribe(ctx, utt, en); err != nil || tr.Text != "remote heard" {
		t.Fatalf("probe: %+v %v", tr, err)
	}
	if st, _ := g.Breaker(); st != breaker.Closed {
		t.Fatalf("breaker %v after a good probe, want closed", st)
	}
}

func TestRemoteRecognizerKeepsIdentityLocal(t *testing.T) {
	api := &flakyAudioAPI{}
	srv := httptest.NewServer(api)
	defer srv.Close()
	clk := clock.NewFake(time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC))
	local := NewFakeRecognizer("july twenty first nineteen eighty eight")
	g := NewRemoteRecognizer(remoteClient(srv.URL), Local{STT: local, Langs: []string{"en-US"}}, DefaultRemote(), clk)
	ctx := context.Background()
	utt := Audio{PCM: make([]int16, 160), Rate: 16000}
	id := Expect{Date: true, Digits: true, Identity: true}

	tr, err := g.Transcribe(ctx, utt, Hints{Lang: "en-US", Expect: id})
	if err != nil || tr.Text != "july twenty first nineteen eighty eight" {
		t.Fatalf("identity answer: %+v %v, want the local recogniser's words", tr, err)
	}
	if _, err := g.Transcribe(ctx, utt, Hints{Lang: "zh-CN", Expect: id}); !errors.Is(err, ErrIdentityKeptLocal) {
		t.Fatalf("zh-CN identity answer: %v, want ErrIdentityKeptLocal", err)
	}
	if n := api.stt.Load(); n != 0 {
		t.Fatalf("%d identity answers reached the remote API, want none", n)
	}
	// Anything else goes to the API.
	if tr, err := g.Transcribe(ctx, utt, Hints{Lang: "zh-CN", Expect: Expect{YesNo: true}}); err != nil || tr.Text != "remote heard" || api.lastLanguage.Load() != "zh" {
		t.Fatalf("other answer: %+v %v (language %v)", tr, err, api.lastLanguage.Load())
	}
}

func TestRemoteSynthesizerFallsBack(t *testing.T) {
	api := &flakyAudioAPI{}
	srv := httptest.NewServer(api)
	defer srv.Close()
	clk := clock.NewFake(time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC))
	g := NewRemoteSynthesizer(remoteClient(srv.URL), FakeSynthesizer{}, RemoteConfig{Breaker: breaker.Config{Failures: 1, OpenFor: time.Minute}}, clk)
	ctx := context.Background()
	if a, err := g.Synthesize(ctx, "hello", "en-US"); err != nil || a.Rate != openAIPCMRate || len(a.PCM) != 3 {
		t.Fatalf("healthy API: rate %d, %d samples, %v", a.Rate, len(a.PCM), err)
	}
	api.down.Store(true)
	a, err := g.Synthesize(ctx, "hello", "en-US")
	if err != nil || a.Rate != 8000 || len(a.PCM) == 0 {
		t.Fatalf("failing API: rate %d, %d samples, %v; want the local tone", a.Rate, len(a.PCM), err)
	}
	calls := api.tts.Load()
	if _, err := g.Synthesize(ctx, "again", "en-US"); err != nil {
		t.Fatal(err)
	}
	if api.tts.Load() != calls {
		t.Fatal("an open breaker still called the API")
	}
	// Without a local synthesiser the failure reaches the call (captions only).
	bare := NewRemoteSynthesizer(remoteClient(srv.URL), nil, DefaultRemote(), clk)
	if _, err := bare.Synthesize(ctx, "hello", "en-US"); err == nil {
		t.Fatal("failing API without a local synthesiser returned audio")
	}
}
