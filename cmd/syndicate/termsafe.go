package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// termSafe returns s fit to print on a terminal: every rune that is not
// printable (controls such as ESC, which start escape sequences; bidi
// overrides and zero-width characters; invalid UTF-8) is written as a Go
// escape (\x1b, \u202e), the rest as it is. Whatever the store holds,
// including rows written before names were checked, goes through it
// before it is printed.
func termSafe(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return r == utf8.RuneError || !strconv.IsPrint(r) }) < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case strconv.IsPrint(r):
			b.WriteString(s[i : i+n])
		default:
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		}
		i += n
	}
	return b.String()
}

// writeJSON prints v as indented JSON with every non-printable rune inside
// its strings escaped as \uXXXX. encoding/json escapes C0 controls but
// writes C1 controls (U+009B is a CSI on some terminals), bidi overrides
// and zero-width characters raw; the escaped form is the same JSON value.
func writeJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode JSON: %w", err)
	}
	// Outside strings the encoder writes only ASCII punctuation, digits,
	// letters, spaces and newlines, so every rune changed here is in a string.
	var out bytes.Buffer
	for b := buf.Bytes(); len(b) > 0; {
		r, n := utf8.DecodeRune(b)
		switch {
		case r == '\n' || strconv.IsPrint(r):
			out.Write(b[:n])
		case r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&out, `\u%04x\u%04x`, r1, r2)
		default:
			fmt.Fprintf(&out, `\u%04x`, r)
		}
		b = b[n:]
	}
	_, err := w.Write(out.Bytes())
	return err
}
