package web

import (
	"testing"
	"time"
)

// FuzzParseBefore: the archive's ?before= cursor is refused with an
// EINVALID error or read as a time the store can hold, and the cursor the
// list writes reads back as the same time.
func FuzzParseBefore(f *testing.F) {
	for _, s := range []string{"", "2026-03-02T07:00:00Z", "2026-03-02T07:00:00.123456789+01:00", "yesterday", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "2026-13-40T99:00:00Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseBefore(s)
		if err != nil {
			return
		}
		if s == "" {
			if !got.IsZero() {
				t.Fatalf("empty cursor = %v", got)
			}
			return
		}
		if got.Year() < 1678 || got.Year() > 2261 {
			t.Fatalf("cursor %q = %v, out of the store's range", s, got)
		}
		again, err := parseBefore(got.UTC().Format(time.RFC3339Nano))
		if err != nil || !again.Equal(got) {
			t.Fatalf("cursor %q = %v does not round-trip: %v, %v", s, got, again, err)
		}
	})
}
