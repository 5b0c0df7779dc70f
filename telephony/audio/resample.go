package audio

import (
	"math"
	"sync"
)

// resampleHalfTaps is the windowed-sinc kernel's half width in samples of
// the lower of the two rates: enough to keep speech band images and
// aliases well below what a speech recogniser or a G.711 coder resolves.
const resampleHalfTaps = 8

// Resample converts pcm from rate from to rate to with a windowed-sinc
// interpolator whose cutoff is half the lower rate, so downsampling does
// not alias. It works for any pair of rates (8, 16 and 48 kHz for calls,
// 22,050 Hz for espeak-ng) and returns a new slice; equal rates return a
// copy.
func Resample(pcm []int16, from, to int) []int16 {
	if from <= 0 || to <= 0 {
		return nil
	}
	if from == to {
		return append([]int16(nil), pcm...)
	}
	n := int(int64(len(pcm)) * int64(to) / int64(from))
	out := make([]int16, n)
	b := bankFor(from, to)
	for i := range out {
		pos := int64(i) * int64(from)
		c := int(pos / int64(to))
		w := b.weights[int(pos%int64(to))/b.gcd]
		first := c - b.half + 1
		var acc, wsum float64
		for j, wj := range w {
			k := first + j
			if k < 0 || k >= len(pcm) {
				continue
			}
			acc += float64(pcm[k]) * wj
			wsum += wj
		}
		if wsum != 0 {
			// Normalising by the kernel sum keeps DC gain at one, also at
			// the edges where the kernel is cut.
			acc /= wsum
		}
		out[i] = clamp16(acc)
	}
	return out
}

// filterBank holds the kernel weights for every fractional phase of one
// rate pair: phases repeat every to/gcd(from, to) output samples.
type filterBank struct {
	gcd, half int
	weights   [][]float64
}

var banks sync.Map // [2]int -> *filterBank

func bankFor(from, to int) *filterBank {
	key := [2]int{from, to}
	if b, ok := banks.Load(key); ok {
		return b.(*filterBank)
	}
	g := gcd(from, to)
	scale := 1.0
	if to < from {
		scale = float64(to) / float64(from)
	}
	fc := 0.5 * scale // cutoff in cycles per input sample
	half := int(math.Ceil(resampleHalfTaps / scale))
	b := &filterBank{gcd: g, half: half, weights: make([][]float64, to/g)}
	for ph := range b.weights {
		frac := float64(ph*g) / float64(to)
		w := make([]float64, 2*half)
		for j := range w {
			d := frac + float64(half-1-j)
			w[j] = kernel(d, fc, float64(half))
		}
		b.weights[ph] = w
	}
	actual, _ := banks.LoadOrStore(key, b)
	return actual.(*filterBank)
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// kernel is a Blackman-windowed sinc with cutoff fc at distance d samples.
func kernel(d, fc, half float64) float64 {
	if math.Abs(d) >= half {
		return 0
	}
	x := 2 * fc * d
	s := 1.0
	if x != 0 {
		s = math.Sin(math.Pi*x) / (math.Pi * x)
	}
	r := (d + half) / (2 * half)
	w := 0.42 - 0.5*math.Cos(2*math.Pi*r) + 0.08*math.Cos(4*math.Pi*r)
	return 2 * fc * s * w
}

func clamp16(v float64) int16 {
	v = math.Round(v)
	if v > math.MaxInt16 {
		return math.MaxInt16
	}
	if v < math.MinInt16 {
		return math.MinInt16
	}
	return int16(v)
}

// Frames splits pcm into 20 ms frames at rate Hz, padding the last frame
// with silence. The frames share pcm's backing array where they can.
func Frames(pcm []int16, rate int) [][]int16 {
	n := SamplesPerFrame(rate)
	if n <= 0 || len(pcm) == 0 {
		return nil
	}
	out := make([][]int16, 0, (len(pcm)+n-1)/n)
	for len(pcm) >= n {
		out = append(out, pcm[:n:n])
		pcm = pcm[n:]
	}
	if len(pcm) > 0 {
		last := make([]int16, n)
		copy(last, pcm)
		out = append(out, last)
	}
	return out
}
