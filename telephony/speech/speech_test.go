package speech

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// requireEngines skips a test when the offline engines are missing, or
// fails it under COLLECT_TEST_REQUIRE_ALL=1 (CI installs them).
func requireEngines(t *testing.T, needSphinx bool) Installed {
	t.Helper()
	in := Detect()
	missing := in.Espeak == "" || (needSphinx && (in.Sphinx == "" || in.SphinxModel == ""))
	if missing {
		if os.Getenv("COLLECT_TEST_REQUIRE_ALL") == "1" {
			t.Fatalf("speech engines missing: %s", in)
		}
		t.Skipf("speech engines missing: %s", in)
	}
	return in
}

func rms(pcm []int16) float64 {
	var s float64
	for _, x := range pcm {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s / float64(len(pcm)))
}

func TestWAVRoundTrip(t *testing.T) {
	a := Audio{PCM: []int16{0, 1, -1, 32767, -32768}, Rate: 16000}
	var b bytes.Buffer
	if err := WriteWAV(&b, a); err != nil {
		t.Fatal(err)
	}
	got, err := ReadWAV(b.Bytes())
	if err != nil || got.Rate != 16000 || len(got.PCM) != 5 || got.PCM[4] != -32768 {
		t.Fatalf("got %+v, %v", got, err)
	}
	for _, bad := range [][]byte{nil, []byte("RIFF0000WAVE"), b.Bytes()[:30]} {
		if _, err := ReadWAV(bad); !errors.Is(err, ErrBadAudio) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func FuzzReadWAV(f *testing.F) {
	var b bytes.Buffer
	WriteWAV(&b, Audio{PCM: []int16{1, 2, 3}, Rate: 8000})
	f.Add(b.Bytes())
	f.Fuzz(func(t *testing.T, in []byte) {
		a, err := ReadWAV(in)
		if err == nil && len(a.PCM)*2 > len(in) {
			t.Fatal("more samples than bytes")
		}
	})
}

func TestGrammarFollowsExpectations(t *testing.T) {
	g := Grammar(Expect{YesNo: true, Amount: true, Phrases: []string{"Talk to a PERSON!", "pay xyzzyq now"}},
		func(w string) bool { return w != "xyzzyq" })
	for _, want := range []string{"public <turn> = <yesno> | <amount> | <phrase>;", "<number> =", "talk to a person", "pay now"} {
		if !strings.Contains(g, want) {
			t.Errorf("grammar lacks %q:\n%s", want, g)
		}
	}
	if strings.Contains(g, "<date>") || strings.Contains(g, "xyzzyq") {
		t.Errorf("grammar has what was not asked for:\n%s", g)
	}
}

func TestEspeakSpeaksBothLanguages(t *testing.T) {
	in := requireEngines(t, false)
	e := Espeak{Path: in.Espeak}
	for _, tc := range []struct{ lang, text string }{
		{"en-US", "Your balance is two hundred forty dollars."},
		{"zh-CN", "您的欠款是两百四十元。"},
	} {
		a, err := e.Synthesize(context.Background(), tc.text, tc.lang)
		if err != nil {
			t.Fatalf("%s: %v", tc.lang, err)
		}
		d := time.Duration(len(a.PCM)) * time.Second / time.Duration(a.Rate)
		if a.Rate != 22050 || d < time.Second || d > 6*time.Second || rms(a.PCM) < 500 {
			t.Errorf("%s: rate %d, %v, rms %.0f", tc.lang, a.Rate, d, rms(a.PCM))
		}
	}
	if _, err := e.Synthesize(context.Background(), "hola", "es-ES"); !errors.Is(err, ErrUnsupportedLang) {
		t.Errorf("es-ES: %v", err)
	}
}

// TestSphinxHearsEspeak: espeak-ng speech, through the grammar the stage
// expects, comes back as the words spoken.
func TestSphinxHearsEspeak(t *testing.T) {
	in := requireEngines(t, true)
	e := Espeak{Path: in.Espeak}
	s := &Sphinx{Path: in.Sphinx, Model: in.SphinxModel}
	for _, tc := range []struct {
		say    string
		expect Expect
		want   string
	}{
		{"two hundred forty dollars", Expect{Amount: true, YesNo: true}, "two hundred forty dollars"},
		{"yes", Expect{YesNo: true, Date: true}, "yes"},
		{"tomorrow", Expect{Date: true, YesNo: true}, "tomorrow"},
		{"friday", Expect{Date: true, YesNo: true}, "friday"},
		{"three months", Expect{Count: true, YesNo: true}, "three months"},
		{"I want to talk to a person", Expect{YesNo: true, Phrases: []string{"I want to talk to a person", "I want to pay now", "I lost my job"}}, "i want to talk to a person"},
	} {
		a, err := e.Synthesize(context.Background(), tc.say, "en-US")
		if err != nil {
			t.Fatal(err)
		}
		tr, err := s.Transcribe(context.Background(), a, Hints{Lang: "en-US", Expect: tc.expect})
		if err != nil {
			t.Fatalf("%q: %v", tc.say, err)
		}
		if tr.Text != tc.want || tr.Confidence <= 0 || tr.Confidence > 1 {
			t.Errorf("said %q, heard %q (confidence %.2f)", tc.say, tr.Text, tr.Confidence)
		}
	}
	if _, err := s.Transcribe(context.Background(), Audio{Rate: 16000}, Hints{Lang: "zh-CN"}); !errors.Is(err, ErrUnsupportedLang) {
		t.Errorf("zh-CN: %v", err)
	}
}

func TestOpenAIProviderWireFormat(t *testing.T) {
	var sawSTT, sawTTS bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer k" {
			http.Error(w, "no key", http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/v1/audio/transcriptions":
			sawSTT = true
			if err := r.ParseMultipartForm(1 << 20); err != nil {
				t.Error(err)
			}
			for k, want := range map[string]string{"model": "whisper-x", "language": "en", "response_format": "verbose_json", "prompt": "yes or no, an amount in dollars"} {
				if got := r.FormValue(k); got != want {
					t.Errorf("form %s = %q, want %q", k, got, want)
				}
			}
			f, _, err := r.FormFile("file")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(f)
			a, err := ReadWAV(b)
			if err != nil || a.Rate != 16000 || len(a.PCM) != 3 || a.PCM[2] != 300 {
				t.Errorf("uploaded audio %+v, %v", a, err)
			}
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"task":"transcribe","language":"english","text":" yes ","segments":[{"avg_logprob":-0.1},{"avg_logprob":-0.3}]}`)
		case "/v1/audio/speech":
			sawTTS = true
			var req map[string]any
			json.NewDecoder(r.Body).Decode(&req)
			if req["model"] != "tts-x" || req["voice"] != "nova" || req["input"] != "hello" || req["response_format"] != "pcm" {
				t.Errorf("speech request %v", req)
			}
			w.Header().Set("Content-Type", "audio/pcm")
			for _, s := range []int16{5, -5, 1000} {
				binary.Write(w, binary.LittleEndian, s)
			}
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	p, err := New(Config{STT: "openai", TTS: "openai", OpenAI: OpenAIConfig{BaseURL: srv.URL + "/v1", APIKey: "k", STTModel: "whisper-x", TTSModel: "tts-x", Voice: "nova"}}, Installed{})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := p.STT.Transcribe(context.Background(), Audio{PCM: []int16{100, 200, 300}, Rate: 16000},
		Hints{Lang: "en-US", Expect: Expect{YesNo: true, Amount: true}})
	if err != nil || tr.Text != "yes" || math.Abs(tr.Confidence-math.Exp(-0.2)) > 1e-9 {
		t.Fatalf("transcript %+v, %v", tr, err)
	}
	a, err := p.TTS.Synthesize(context.Background(), "hello", "en-US")
	if err != nil || a.Rate != 24000 || len(a.PCM) != 3 || a.PCM[2] != 1000 {
		t.Fatalf("speech %+v, %v", a, err)
	}
	if !sawSTT || !sawTTS || !p.Hears("zh-CN") {
		t.Fatal("provider not exercised")
	}
	// An API error reaches the caller wrapped.
	bad := &OpenAI{Client: openai.NewClientWithConfig(func() openai.ClientConfig {
		c := openai.DefaultConfig("wrong")
		c.BaseURL = srv.URL + "/v1"
		return c
	}())}
	if _, err := bad.Synthesize(context.Background(), "x", "en-US"); err == nil {
		t.Fatal("unauthorised call succeeded")
	}
}

func TestNewChoosesByConfig(t *testing.T) {
	none := Installed{}
	p, err := New(Config{}, none)
	if err != nil || p.STT != nil || p.TTS != nil {
		t.Fatalf("auto without engines: %+v, %v", p, err)
	}
	if _, err := New(Config{STT: "pocketsphinx"}, none); !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("named missing engine: %v", err)
	}
	if _, err := New(Config{TTS: "espeak"}, none); !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("named missing engine: %v", err)
	}
	all := Installed{Espeak: "/x/espeak-ng", Sphinx: "/x/ps", SphinxModel: "/m"}
	p, err = New(Config{}, all)
	if err != nil || p.STT == nil || p.TTS == nil || !p.Hears("en-US") || p.Hears("zh-CN") {
		t.Fatalf("auto with engines: %+v, %v", p, err)
	}
	if !strings.Contains(all.String(), "espeak-ng found") || !strings.Contains(none.String(), "pocketsphinx missing") {
		t.Fatal(all.String(), none.String())
	}
}

func TestFakes(t *testing.T) {
	r := NewFakeRecognizer("one", "two")
	for _, want := range []string{"one", "two", ""} {
		tr, _ := r.Transcribe(context.Background(), Audio{}, Hints{Lang: "en-US"})
		if tr.Text != want {
			t.Fatalf("got %q want %q", tr.Text, want)
		}
	}
	if len(r.Hints()) != 3 {
		t.Fatal("hints not recorded")
	}
	a, _ := FakeSynthesizer{}.Synthesize(context.Background(), "abc", "en-US")
	if len(a.PCM) != 3*60*8 || rms(a.PCM) < 1000 {
		t.Fatalf("fake tone %d samples", len(a.PCM))
	}
}
