package feeds

import (
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
)

// TestItemBodyHTML: an item's HTML content is kept, sanitised, as the
// article's HTML body, its relative links and images resolved against the
// item's link.
func TestItemBodyHTML(t *testing.T) {
	item := &gofeed.Item{
		Title: "Bridge reopens", Link: "https://site.example/blog/bridge",
		Content: `<p>The bridge <a href="/roads">reopened</a>.</p><img src="img/bridge.jpg" alt="The bridge"><script>alert(1)</script><img src="data:image/gif;base64,AA">`,
	}
	a, err := itemArticle(&gofeed.Feed{}, item, time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	want := `<p>The bridge <a href="https://site.example/roads">reopened</a>.</p><img src="https://site.example/blog/img/bridge.jpg" alt="The bridge"/>`
	if a.BodyHTML != want {
		t.Errorf("BodyHTML = %q\nwant       %q", a.BodyHTML, want)
	}
	if strings.Contains(a.Body, "<") {
		t.Errorf("Body holds markup: %q", a.Body)
	}
}
