package record

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/collectagent/collectagent/telephony/speech"
)

func TestDirBlob(t *testing.T) {
	ctx := context.Background()
	d := Dir{Root: t.TempDir()}
	for _, bad := range []string{"", "/etc/passwd", "../x", "a/../../x", "a//b", "a\\b", "./a"} {
		if err := d.Put(ctx, bad, strings.NewReader("x")); !errors.Is(err, ErrBadKey) {
			t.Errorf("put %q: %v", bad, err)
		}
	}
	if err := d.Put(ctx, "2026/12/conv-1/mix.wav", strings.NewReader("abc")); err != nil {
		t.Fatal(err)
	}
	if err := d.Put(ctx, "2026/11/conv-0/mix.wav", strings.NewReader("old")); err != nil {
		t.Fatal(err)
	}
	rc, err := d.Get(ctx, "2026/12/conv-1/mix.wav")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "abc" {
		t.Fatalf("got %q", b)
	}
	if _, err := d.Get(ctx, "2026/12/none.wav"); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	infos, err := d.List(ctx, "2026/")
	if err != nil || len(infos) != 2 || infos[0].Key != "2026/11/conv-0/mix.wav" || infos[1].Size != 3 {
		t.Fatalf("list %+v, %v", infos, err)
	}
	old := time.Now().Add(-40 * 24 * time.Hour)
	os.Chtimes(filepath.Join(d.Root, "2026/11/conv-0/mix.wav"), old, old)
	n, err := Prune(ctx, d, "", time.Now().Add(-30*24*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("pruned %d, %v", n, err)
	}
	if infos, _ := d.List(ctx, ""); len(infos) != 1 || infos[0].Key != "2026/12/conv-1/mix.wav" {
		t.Fatalf("after prune %+v", infos)
	}
}

func frame(v int16) []int16 {
	f := make([]int16, 160)
	for i := range f {
		f[i] = v
	}
	return f
}

func TestRecorderAlignsLegsAndMixes(t *testing.T) {
	ctx := context.Background()
	d := Dir{Root: t.TempDir()}
	t0 := time.Unix(1_800_000_000, 0)
	r := NewRecorder()
	r.Bot(frame(1000), t0.Add(-20*time.Millisecond)) // before Start: not kept
	r.Start(t0)
	for i := range 10 {
		r.Bot(frame(1000), t0.Add(time.Duration(i)*20*time.Millisecond))
	}
	// The caller speaks from 100 ms to 200 ms; nothing arrives before.
	for i := 5; i < 10; i++ {
		r.Caller(frame(-2000), t0.Add(time.Duration(i)*20*time.Millisecond))
	}
	r.Pause()
	r.Bot(frame(1000), t0.Add(200*time.Millisecond)) // card digits: not kept
	r.Resume()
	rec, err := r.Close(ctx, d, "conv-1")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Duration != 200*time.Millisecond || rec.Mix != "conv-1-mix.wav" {
		t.Fatalf("recording %+v", rec)
	}
	read := func(key string) []int16 {
		b, err := os.ReadFile(filepath.Join(d.Root, key))
		if err != nil {
			t.Fatal(err)
		}
		a, err := speech.ReadWAV(b)
		if err != nil || a.Rate != 8000 {
			t.Fatalf("%s: %+v %v", key, a.Rate, err)
		}
		return a.PCM
	}
	caller, bot, mix := read(rec.Caller), read(rec.Bot), read(rec.Mix)
	if len(caller) != 1600 || len(bot) != 1600 || len(mix) != 1600 {
		t.Fatalf("lengths %d %d %d", len(caller), len(bot), len(mix))
	}
	abs := func(x int16) int { return max(int(x), -int(x)) }
	if abs(caller[100]) > 8 || abs(caller[900]+2000) > 130 || abs(bot[100]-1000) > 70 || abs(mix[900]+1000) > 200 {
		t.Fatalf("samples caller %d %d bot %d mix %d", caller[100], caller[900], bot[100], mix[900])
	}
	if rec2, err := NewRecorder().Close(ctx, d, "never"); err != nil || rec2.Mix != "" {
		t.Fatalf("unstarted recorder wrote %+v %v", rec2, err)
	}
}
