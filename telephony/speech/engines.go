package speech

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/collectagent/collectagent/telephony/audio"
)

// Installed says which offline engines this machine has.
type Installed struct {
	Espeak string // path of espeak-ng, "" when missing
	Sphinx string // path of pocketsphinx_continuous, "" when missing
	// SphinxModel is the pocketsphinx-en-us model directory, "" when missing.
	SphinxModel string
}

// DefaultSphinxModel is where Debian's pocketsphinx-en-us puts the model.
const DefaultSphinxModel = "/usr/share/pocketsphinx/model/en-us"

// Detect looks for espeak-ng and pocketsphinx with its US English model.
func Detect() Installed {
	var in Installed
	in.Espeak, _ = exec.LookPath("espeak-ng")
	in.Sphinx, _ = exec.LookPath("pocketsphinx_continuous")
	if st, err := os.Stat(filepath.Join(DefaultSphinxModel, "en-us", "mdef")); err == nil && !st.IsDir() {
		in.SphinxModel = DefaultSphinxModel
	}
	return in
}

// String says what was found, for the start-up log.
func (in Installed) String() string {
	f := func(ok bool) string {
		if ok {
			return "found"
		}
		return "missing"
	}
	return fmt.Sprintf("espeak-ng %s; pocketsphinx %s; pocketsphinx-en-us %s",
		f(in.Espeak != ""), f(in.Sphinx != ""), f(in.SphinxModel != ""))
}

// Espeak speaks through the espeak-ng program: American English and
// Mandarin (voice cmn), at 22,050 Hz.
type Espeak struct {
	Path string
	// WordsPerMinute is the speaking rate; 160 when zero (espeak-ng's 175
	// is brisk over a phone line).
	WordsPerMinute int
}

var espeakVoices = map[string]string{"en-US": "en-us", "en": "en-us", "zh-CN": "cmn", "zh": "cmn"}

// Synthesize runs espeak-ng once for text.
func (e Espeak) Synthesize(ctx context.Context, text, lang string) (Audio, error) {
	voice, ok := espeakVoices[lang]
	if !ok {
		return Audio{}, fmt.Errorf("espeak-ng %s: %w", lang, ErrUnsupportedLang)
	}
	if e.Path == "" {
		return Audio{}, fmt.Errorf("espeak-ng: %w", ErrNotInstalled)
	}
	wpm := e.WordsPerMinute
	if wpm == 0 {
		wpm = 160
	}
	// The text goes on stdin, never on the command line, so nothing the
	// conversation says can be taken for an option.
	cmd := exec.CommandContext(ctx, e.Path, "-v", voice, "-s", strconv.Itoa(wpm), "--stdout")
	cmd.Stdin = strings.NewReader(text)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return Audio{}, fmt.Errorf("espeak-ng: %w: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	a, err := ReadWAV(out)
	if err != nil {
		return Audio{}, fmt.Errorf("espeak-ng output: %w", err)
	}
	return a, nil
}

// Sphinx recognises US English with pocketsphinx_continuous and a JSGF
// grammar built from the stage's hints, on 16 kHz audio (the model is
// wideband: 8 kHz telephone audio, even upsampled, yields nothing useful).
type Sphinx struct {
	Path  string
	Model string // directory holding en-us/ and cmudict-en-us.dict

	once  sync.Once
	vocab map[string]bool
	err   error
}

const sphinxRate = 16000

func (s *Sphinx) loadVocab() {
	f, err := os.Open(filepath.Join(s.Model, "cmudict-en-us.dict"))
	if err != nil {
		s.err = fmt.Errorf("pocketsphinx dictionary: %w", err)
		return
	}
	defer f.Close()
	s.vocab = make(map[string]bool, 140000)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		w, _, _ := strings.Cut(sc.Text(), " ")
		if w != "" && !strings.HasSuffix(w, ")") {
			s.vocab[w] = true
		}
	}
	s.err = sc.Err()
}

// Knows reports whether word is in the recogniser's dictionary.
func (s *Sphinx) Knows(word string) bool {
	s.once.Do(s.loadVocab)
	return s.vocab[word]
}

// Transcribe runs pocketsphinx once on a.
func (s *Sphinx) Transcribe(ctx context.Context, a Audio, h Hints) (Transcript, error) {
	if h.Lang != "" && !strings.HasPrefix(h.Lang, "en") {
		return Transcript{}, fmt.Errorf("pocketsphinx %s: %w", h.Lang, ErrUnsupportedLang)
	}
	if s.Path == "" || s.Model == "" {
		return Transcript{}, fmt.Errorf("pocketsphinx: %w", ErrNotInstalled)
	}
	s.once.Do(s.loadVocab)
	if s.err != nil {
		return Transcript{}, s.err
	}
	dir, err := os.MkdirTemp("", "sphinx")
	if err != nil {
		return Transcript{}, fmt.Errorf("pocketsphinx: %w", err)
	}
	defer os.RemoveAll(dir)
	gram := filepath.Join(dir, "turn.gram")
	if err := os.WriteFile(gram, []byte(Grammar(h.Expect, s.Knows)), 0o600); err != nil {
		return Transcript{}, fmt.Errorf("pocketsphinx: %w", err)
	}
	pcm := a.PCM
	if a.Rate != sphinxRate {
		pcm = audio.Resample(pcm, a.Rate, sphinxRate)
	}
	raw := make([]byte, 0, 2*len(pcm))
	for _, x := range pcm {
		raw = binary.LittleEndian.AppendUint16(raw, uint16(x))
	}
	cmd := exec.CommandContext(ctx, s.Path,
		"-infile", "/dev/stdin",
		"-hmm", filepath.Join(s.Model, "en-us"),
		"-dict", filepath.Join(s.Model, "cmudict-en-us.dict"),
		"-jsgf", gram,
		"-samprate", strconv.Itoa(sphinxRate),
		"-time", "yes",
		"-logfn", "/dev/null")
	cmd.Stdin = bytes.NewReader(raw)
	out, err := cmd.Output()
	if err != nil {
		return Transcript{}, fmt.Errorf("pocketsphinx: %w", err)
	}
	return parseSphinxTimes(out), nil
}

// parseSphinxTimes reads "-time yes" output: one "word start end
// posterior" line per segment, fillers included.
func parseSphinxTimes(out []byte) Transcript {
	var words []string
	var sum float64
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) != 4 {
			continue
		}
		w := f[0]
		if strings.HasPrefix(w, "<") || strings.HasPrefix(w, "(") || strings.HasPrefix(w, "[") {
			continue
		}
		if i := strings.IndexByte(w, '('); i > 0 {
			w = w[:i] // alternate pronunciation: friday(2)
		}
		p, err := strconv.ParseFloat(f[3], 64)
		if err != nil {
			continue
		}
		words = append(words, w)
		sum += p
	}
	if len(words) == 0 {
		return Transcript{}
	}
	return Transcript{Text: strings.Join(words, " "), Confidence: sum / float64(len(words))}
}
