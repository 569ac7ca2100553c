package store

import (
	"strconv"
	"strings"
	"testing"
)

// FuzzMessageRowID: a Message-ID from a bounce report or webhook yields a
// row ID only when it has the exact form jobs.MessageID gives, and the ID
// is the number written there.
func FuzzMessageRowID(f *testing.F) {
	for _, s := range []string{
		"0123456789abcdef0123456789abcdef.42@example.org",
		"0123456789abcdef0123456789abcdef@example.org",
		"0123456789abcdef0123456789abcdef.042@example.org",
		"0123456789abcdef0123456789abcdef.-1@x",
		"0123456789abcdef0123456789abcdef.99999999999999999999@x",
		"m1@example.org", "", ".@",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, mid string) {
		id, ok := messageRowID(mid)
		if !ok {
			return
		}
		at := strings.IndexByte(mid, '@')
		if id < 1 || mid[32] != '.' || mid[33:at] != strconv.FormatInt(id, 10) {
			t.Errorf("messageRowID(%q) = %d", mid, id)
		}
	})
}
