package templates

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"syndicate"
)

func TestDefaultPostTemplates(t *testing.T) {
	s := mustNew(t, "")
	full := PostData{Title: "Title", Summary: "Summary.", URL: "https://example.com/a", Hashtags: "#One #Two", Author: "Ada"}
	tests := []struct {
		name string
		d    PostData
		want string
	}{
		{"everything", full, "Title\n\nSummary.\n\nhttps://example.com/a #One #Two\n"},
		{"link alone", PostData{URL: full.URL}, "https://example.com/a\n"},
		{"no title", PostData{Summary: "Summary.", URL: full.URL}, "Summary.\n\nhttps://example.com/a\n"},
		{"no summary", PostData{Title: "Title", URL: full.URL, Hashtags: "#One"}, "Title\n\nhttps://example.com/a #One\n"},
		{"text is not escaped", PostData{Title: `Tom & Jerry <b>"5 < 6"</b>`, URL: full.URL}, "Tom & Jerry <b>\"5 < 6\"</b>\n\nhttps://example.com/a\n"},
	}
	for _, ch := range syndicate.SocialChannels {
		for _, tt := range tests {
			got, err := s.RenderPost(ch, tt.d)
			if err != nil {
				t.Fatalf("%s %s: %v", ch, tt.name, err)
			}
			if got != tt.want {
				t.Errorf("%s %s:\n%q\nwant\n%q", ch, tt.name, got, tt.want)
			}
		}
	}
}

func TestPostFileNames(t *testing.T) {
	want := map[syndicate.Channel]string{
		syndicate.ChannelX: PostX, syndicate.ChannelMastodon: PostMastodon, syndicate.ChannelBluesky: PostBluesky,
		syndicate.ChannelWebhook: PostWebhook, syndicate.ChannelOutbox: PostOutbox,
	}
	for _, ch := range syndicate.SocialChannels {
		if got := PostFile(ch); got != want[ch] {
			t.Errorf("PostFile(%s) = %q, want %q", ch, got, want[ch])
		}
	}
}

func TestRenderPostUnknownChannel(t *testing.T) {
	_, err := mustNew(t, "").RenderPost(syndicate.ChannelEmail, PostData{URL: "https://example.com/a"})
	if syndicate.ErrorCode(err) != syndicate.EINVALID {
		t.Errorf("RenderPost for email: %v, want an invalid-input error", err)
	}
}

func TestPostOverride(t *testing.T) {
	dir := t.TempDir()
	src := "{{.Title}} — {{.Author}}\n{{.URL}}\n"
	if err := os.WriteFile(filepath.Join(dir, PostMastodon), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	s := mustNew(t, dir)
	d := PostData{Title: "T", URL: "https://example.com/a", Author: "Ada"}
	got, err := s.RenderPost(syndicate.ChannelMastodon, d)
	if err != nil {
		t.Fatal(err)
	}
	if want := "T — Ada\nhttps://example.com/a\n"; got != want {
		t.Errorf("mastodon override: %q, want %q", got, want)
	}
	got, err = s.RenderPost(syndicate.ChannelX, d)
	if err != nil {
		t.Fatal(err)
	}
	if want := "T\n\nhttps://example.com/a\n"; got != want {
		t.Errorf("x without an override: %q, want the default %q", got, want)
	}
}

func TestPostOverrideRefused(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"no link", "{{.Title}}\n\n{{.Summary}}", "exactly once"},
		{"link twice", "{{.URL}}\n{{.Title}} {{.URL}}", "exactly once"},
		{"link only with a title", "{{.Title}}{{if .Title}} {{.URL}}{{end}}", "exactly once"},
		{"link changed", `{{printf "%.12s" .URL}}`, "exactly once"},
		{"parse error", "{{.URL", "parse template"},
		{"unknown field", "{{.URL}} {{.Tags}}", "check template"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, PostBluesky)
			if err := os.WriteFile(file, []byte(tt.src), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := New(dir)
			if err == nil || !strings.Contains(err.Error(), file) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New with %s = %q: error %v, want one naming %s and saying %q", PostBluesky, tt.src, err, file, tt.want)
			}
		})
	}
}
