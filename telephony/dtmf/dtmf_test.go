package dtmf

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/pion/rtp"
)

func TestParseKnownPayload(t *testing.T) {
	// RFC 4733 section 2.3 layout: digit 5, end, volume 10, duration 800.
	evs, err := Parse([]byte{5, 0x8A, 0x03, 0x20})
	if err != nil {
		t.Fatal(err)
	}
	want := Event{Code: 5, End: true, Volume: 10, Duration: 800}
	if len(evs) != 1 || evs[0] != want {
		t.Fatalf("got %+v, want %+v", evs, want)
	}
	if !bytes.Equal(want.Marshal(nil), []byte{5, 0x8A, 0x03, 0x20}) {
		t.Fatal("marshal differs")
	}
	for _, bad := range [][]byte{nil, {1, 2, 3}, {1, 2, 3, 4, 5}} {
		if _, err := Parse(bad); !errors.Is(err, ErrShortPayload) {
			t.Errorf("%v: err %v", bad, err)
		}
	}
}

func TestDigitCodes(t *testing.T) {
	for i, d := range "0123456789*#ABCD" {
		c, err := Code(d)
		if err != nil || int(c) != i {
			t.Fatalf("%q -> %d, %v", d, c, err)
		}
		r, err := Digit(c)
		if err != nil || r != d {
			t.Fatalf("%d -> %q, %v", c, r, err)
		}
	}
	if _, err := Code('x'); !errors.Is(err, ErrNotDigit) {
		t.Fatal(err)
	}
	if _, err := Digit(16); !errors.Is(err, ErrNotDigit) {
		t.Fatal(err)
	}
}

func TestBuildAndDetectEachDigitOnce(t *testing.T) {
	var det Detector
	var got []rune
	ts := uint32(4294967000) // crosses the 32-bit wrap
	for _, d := range "1#1" {
		pkts, err := Build(d, ts, 8000, 100*time.Millisecond, 10)
		if err != nil {
			t.Fatal(err)
		}
		// 100 ms at 20 ms: 4 progress packets and 3 end packets; only the
		// first carries the marker.
		if len(pkts) != 7 || !pkts[0].Marker || pkts[1].Marker {
			t.Fatalf("%d packets, markers %v %v", len(pkts), pkts[0].Marker, pkts[1].Marker)
		}
		last, _ := Parse(pkts[6].Payload)
		if !last[0].End || last[0].Duration != 800 {
			t.Fatalf("end packet %+v", last[0])
		}
		for _, p := range pkts {
			if r, ok, err := det.Feed(p.Timestamp, p.Payload); err != nil {
				t.Fatal(err)
			} else if ok {
				got = append(got, r)
			}
		}
		ts += 1600
	}
	if string(got) != "1#1" {
		t.Fatalf("detected %q", string(got))
	}
}

func TestDetectorWhenStartPacketsAreLost(t *testing.T) {
	var det Detector
	pkts, _ := Build('7', 1000, 48000, 60*time.Millisecond, 10)
	ends := pkts[len(pkts)-3:]
	n := 0
	for _, p := range ends {
		if _, ok, _ := det.Feed(p.Timestamp, p.Payload); ok {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("reported %d times", n)
	}
}

// FuzzParse: whatever parses marshals back to the same bytes, except the
// reserved bit, which senders must set to zero and receivers ignore.
func FuzzParse(f *testing.F) {
	f.Add([]byte{5, 0x8A, 0x03, 0x20})
	f.Add([]byte{11, 0x0A, 0x00, 0xA0, 11, 0x8A, 0x01, 0x40})
	f.Fuzz(func(t *testing.T, b []byte) {
		evs, err := Parse(b)
		if err != nil {
			return
		}
		var out []byte
		for _, e := range evs {
			out = e.Marshal(out)
		}
		masked := bytes.Clone(b)
		for i := 1; i < len(masked); i += 4 {
			masked[i] &^= 0x40
		}
		if !bytes.Equal(out, masked) {
			t.Fatalf("round trip %x -> %x", b, out)
		}
	})
}

// FuzzRTP feeds arbitrary datagrams through the receive path: RTP parsing
// and the detector. Nothing may panic, and a timestamp never yields two
// digits in a row.
func FuzzRTP(f *testing.F) {
	pkts, _ := Build('9', 1234, 8000, 60*time.Millisecond, 10)
	for _, p := range pkts {
		raw, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, Marker: p.Marker, Timestamp: p.Timestamp}, Payload: p.Payload}).Marshal()
		f.Add(raw)
	}
	f.Add([]byte{0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		var det Detector
		for range 2 {
			var p rtp.Packet
			if err := p.Unmarshal(b); err != nil {
				return
			}
			_, ok, err := det.Feed(p.Timestamp, p.Payload)
			if err != nil {
				return
			}
			if ok && det.lastTS != p.Timestamp {
				t.Fatal("detector lost the timestamp it reported")
			}
			// The same datagram again is a duplicate.
			if _, ok, _ := det.Feed(p.Timestamp, p.Payload); ok {
				t.Fatal("duplicate reported")
			}
		}
	})
}
