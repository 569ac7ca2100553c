package textlen

import "strings"

// Punycode (RFC 3492) parameters.
const (
	pcBase        = 36
	pcTMin        = 1
	pcTMax        = 26
	pcSkew        = 38
	pcDamp        = 700
	pcInitialBias = 72
	pcInitialN    = 128
)

// asciiLabelLen returns the length of label as punycode.js's toASCII (which
// twitter-text uses) writes it. That library also splits on the ideographic
// and fullwidth full stops, and turns any part holding something other than
// printable ASCII into "xn--" plus its punycode.
func asciiLabelLen(label string) int {
	parts := strings.FieldsFunc(label, isLabelSeparator)
	// FieldsFunc drops empty parts; count separators to keep their dots.
	seps := 0
	for _, r := range label {
		if isLabelSeparator(r) {
			seps++
		}
	}
	n := seps
	for _, p := range parts {
		if isPrintableASCII(p) {
			n += len(p)
			continue
		}
		n += len("xn--") + len(punycodeEncode([]rune(p)))
	}
	return n
}

func isLabelSeparator(r rune) bool {
	return r == '.' || r == '\u3002' || r == '\uff0e' || r == '\uff61'
}

func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// punycodeEncode returns the RFC 3492 encoding of input, without "xn--".
func punycodeEncode(input []rune) string {
	var out []byte
	for _, r := range input {
		if r < 0x80 {
			out = append(out, byte(r))
		}
	}
	b := len(out)
	h := b
	if b > 0 {
		out = append(out, '-')
	}
	n, delta, bias := rune(pcInitialN), 0, pcInitialBias
	for h < len(input) {
		m := rune(0x7fffffff)
		for _, r := range input {
			if r >= n && r < m {
				m = r
			}
		}
		delta += int(m-n) * (h + 1)
		n = m
		for _, r := range input {
			if r < n {
				delta++
			}
			if r != n {
				continue
			}
			q := delta
			for k := pcBase; ; k += pcBase {
				t := k - bias
				switch {
				case k <= bias:
					t = pcTMin
				case k >= bias+pcTMax:
					t = pcTMax
				}
				if q < t {
					break
				}
				out = append(out, punycodeDigit(t+(q-t)%(pcBase-t)))
				q = (q - t) / (pcBase - t)
			}
			out = append(out, punycodeDigit(q))
			bias = punycodeAdapt(delta, h+1, h == b)
			delta = 0
			h++
		}
		delta++
		n++
	}
	return string(out)
}

func punycodeDigit(d int) byte {
	if d < 26 {
		return byte('a' + d)
	}
	return byte('0' + d - 26)
}

func punycodeAdapt(delta, points int, first bool) int {
	if first {
		delta /= pcDamp
	} else {
		delta /= 2
	}
	delta += delta / points
	k := 0
	for delta > ((pcBase-pcTMin)*pcTMax)/2 {
		delta /= pcBase - pcTMin
		k += pcBase
	}
	return k + (pcBase-pcTMin+1)*delta/(delta+pcSkew)
}
