package bounce_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"syndicate"
	"syndicate/bounce"
)

// FuzzParseMessage: any input gives events or an EINVALID error, never a
// panic, and every event has a kind and a recipient or a way to find one.
func FuzzParseMessage(f *testing.F) {
	files, err := filepath.Glob("testdata/*.eml")
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(strings.ReplaceAll(string(b), "VERPTOKEN", "1-00112233445566778899"))
	}
	f.Fuzz(func(t *testing.T, msg string) {
		events, err := bounce.ParseMessage(strings.NewReader(msg))
		if err != nil {
			if syndicate.ErrorCode(err) != syndicate.EINVALID {
				t.Fatalf("error is not EINVALID: %v", err)
			}
			return
		}
		for _, e := range events {
			switch e.Kind {
			case bounce.Hard, bounce.Soft, bounce.Complaint:
			default:
				t.Fatalf("event of kind %q", e.Kind)
			}
			if e.Verified {
				t.Fatal("a parsed report is marked verified")
			}
			if e.Address == "" && e.Token == "" && e.MessageID == "" {
				t.Fatalf("event names nothing to match: %+v", e)
			}
		}
	})
}
