package audio

// G.711 (ITU-T G.711, 1988) μ-law and A-law. Encoding goes through lookup
// tables indexed by the top bits of the sample (14 bits for μ-law, 13 for
// A-law: exactly the precision the laws keep), decoding through 256-entry
// tables, so a 20 ms frame costs a few hundred nanoseconds.

var (
	ulawDecode [256]int16
	alawDecode [256]int16
	ulawEncode [1 << 14]byte
	alawEncode [1 << 13]byte
)

func init() {
	for i := range 256 {
		ulawDecode[i] = ulawToLinear(byte(i))
		alawDecode[i] = alawToLinear(byte(i))
	}
	for i := range ulawEncode {
		// i is the top 14 bits of a 16-bit sample, as unsigned.
		ulawEncode[i] = linearToUlaw(int16(uint16(i) << 2))
	}
	for i := range alawEncode {
		alawEncode[i] = linearToAlaw(int16(uint16(i) << 3))
	}
}

const ulawBias = 0x84

var ulawSegEnd = [8]int32{0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF}

// linearToUlaw follows the reference coder on 14-bit samples (the
// arithmetic shift first, then sign and magnitude), so its output matches
// other implementations bit for bit.
func linearToUlaw(s int16) byte {
	v := int32(s) >> 2
	mask := byte(0xFF)
	if v < 0 {
		v = -v
		mask = 0x7F
	}
	if v > 8159 {
		v = 8159
	}
	v += ulawBias >> 2
	seg := 0
	for seg < 8 && v > ulawSegEnd[seg] {
		seg++
	}
	if seg >= 8 {
		return 0x7F ^ mask
	}
	u := byte(seg<<4) | byte(v>>(seg+1))&0x0F
	return u ^ mask
}

func ulawToLinear(u byte) int16 {
	u = ^u
	exp := int32(u>>4) & 7
	mant := int32(u & 0x0F)
	v := ((mant << 3) + ulawBias) << exp
	v -= ulawBias
	if u&0x80 != 0 {
		return int16(-v)
	}
	return int16(v)
}

var alawSegEnd = [8]int32{0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF}

func linearToAlaw(s int16) byte {
	v := int32(s) >> 3
	mask := byte(0xD5)
	if v < 0 {
		mask = 0x55
		v = -v - 1
	}
	seg := 0
	for seg < 8 && v > alawSegEnd[seg] {
		seg++
	}
	if seg >= 8 {
		return 0x7F ^ mask
	}
	a := byte(seg << 4)
	if seg < 2 {
		a |= byte(v>>1) & 0x0F
	} else {
		a |= byte(v>>seg) & 0x0F
	}
	return a ^ mask
}

func alawToLinear(a byte) int16 {
	a ^= 0x55
	t := int32(a&0x0F) << 4
	seg := int32(a&0x70) >> 4
	switch seg {
	case 0:
		t += 8
	case 1:
		t += 0x108
	default:
		t += 0x108
		t <<= seg - 1
	}
	if a&0x80 != 0 {
		return int16(t)
	}
	return int16(-t)
}

// EncodeUlaw appends the μ-law encoding of pcm to dst and returns it.
func EncodeUlaw(dst []byte, pcm []int16) []byte {
	for _, s := range pcm {
		dst = append(dst, ulawEncode[uint16(s)>>2])
	}
	return dst
}

// DecodeUlaw appends the linear samples of μ-law bytes to dst.
func DecodeUlaw(dst []int16, ulaw []byte) []int16 {
	for _, b := range ulaw {
		dst = append(dst, ulawDecode[b])
	}
	return dst
}

// EncodeAlaw appends the A-law encoding of pcm to dst.
func EncodeAlaw(dst []byte, pcm []int16) []byte {
	for _, s := range pcm {
		dst = append(dst, alawEncode[uint16(s)>>3])
	}
	return dst
}

// DecodeAlaw appends the linear samples of A-law bytes to dst.
func DecodeAlaw(dst []int16, alaw []byte) []int16 {
	for _, b := range alaw {
		dst = append(dst, alawDecode[b])
	}
	return dst
}

// UlawSilence is the μ-law code of a zero sample.
const UlawSilence byte = 0xFF
