package article

import (
	"strings"
	"testing"
)

// parseWarn parses in as name and returns the article's warnings by field.
func parseWarn(t *testing.T, name, in string, o Options) map[string]string {
	t.Helper()
	got := map[string]string{}
	o.Warn = func(w Warning) { got[w.Field] += w.Message + ";" }
	if o.Now == nil {
		o.Now = opts().Now
	}
	if _, err := Parse(name, strings.NewReader(in), o); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestWarnings(t *testing.T) {
	// A complete article warns of nothing.
	full := "---\ntitle: Ferry saved\nurl: https://e.example/f\nauthor: Ana Reyes\ndate: 2024-05-14\nlang: en\n---\nThe council voted on Tuesday night to keep the late ferry running.\n"
	if got := parseWarn(t, "a.md", full, Options{}); len(got) != 0 {
		t.Errorf("warnings = %v, want none", got)
	}

	got := parseWarn(t, "a.md", "---\ntitle: Ferry saved\nurl: https://e.example/f\ntags: [news, Ferries]\n---\nFerry saved\n\nCouncil votes\n", Options{})
	for field, want := range map[string]string{
		"author":   "no author",
		"date":     "dated now",
		"summary":  "shorter than a sentence",
		"tags":     `"news" (generic)`,
		"language": "not declared",
	} {
		if !strings.Contains(got[field], want) {
			t.Errorf("%s warning = %q, want one saying %q", field, got[field], want)
		}
	}

	// A page with no og:title says where the title came from.
	page := `<html><head><title>Ferry saved | Gazette</title></head><body><h1>Ferry saved</h1><p>The council voted to keep the late ferry.</p></body></html>`
	if got := parseWarn(t, "p.html", page, Options{URL: "https://gazette.example/f"}); !strings.Contains(got["title"], "<title>") {
		t.Errorf("title warning = %q", got["title"])
	}
	page = `<html><head><meta property="og:title" content="Ferry saved"></head><body><h1>Ferry saved</h1><p>The council voted to keep the late ferry.</p></body></html>`
	if got := parseWarn(t, "p.html", page, Options{URL: "https://gazette.example/f"}); got["title"] != "" {
		t.Errorf("title warning = %q, want none", got["title"])
	}
}
