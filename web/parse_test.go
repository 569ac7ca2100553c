package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestParseOutlivesRequest sends each article-making route a request
// whose context has ended: the parse is not waited for, and the answer is
// a JSON 503 that publishes nothing.
func TestParseOutlivesRequest(t *testing.T) {
	e := newAPI(t, nil)
	for _, tt := range []struct {
		name, path, body string
		header           []string
	}{
		{"api", "/v1/articles", article1, []string{"Authorization", "Bearer " + testToken}},
		{"ghost", "/v1/hooks/ghost", ghostPublished, []string{"Content-Version", "v5.82",
			"X-Ghost-Signature", ghostSign(ghostSecret, ghostPublished, apiNow.Add(-3*time.Second))}},
		{"wordpress", "/v1/hooks/wordpress", wpPublished, wpSign(wpSecret, wpPublished, apiNow.Add(-2*time.Second))},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			r := httptest.NewRequestWithContext(ctx, http.MethodPost, tt.path, strings.NewReader(tt.body))
			r.Header.Set("Content-Type", "application/json")
			for i := 0; i+1 < len(tt.header); i += 2 {
				r.Header.Set(tt.header[i], tt.header[i+1])
			}
			w := httptest.NewRecorder()
			e.h.ServeHTTP(w, r)
			var body struct{ Error string }
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body is not JSON: %v: %s", err, w.Body)
			}
			if w.Code != http.StatusServiceUnavailable || !strings.Contains(body.Error, "took longer than") || w.Header().Get("Retry-After") == "" {
				t.Errorf("got %d %s, Retry-After %q; want 503 saying the article took too long", w.Code, w.Body, w.Header().Get("Retry-After"))
			}
		})
	}
	if h := e.pub.history(); len(h) != 0 {
		t.Errorf("published %d articles, want none", len(h))
	}
}

// TestPublishHostileMarkdown posts bodies that once took goldmark minutes:
// they are published with their text shown as written.
func TestPublishHostileMarkdown(t *testing.T) {
	e := newAPI(t, nil)
	for i, body := range []string{
		strings.Repeat("[a](", 200<<10/4),
		strings.Repeat("> ", 200<<10/2) + "deep",
		strings.Repeat("_a*", 200<<10/3),
	} {
		doc, err := json.Marshal(map[string]string{"title": "Hostile", "url": "https://e.example/h" + string(rune('a'+i)), "body": body})
		if err != nil {
			t.Fatal(err)
		}
		r := e.post(string(doc))
		r.want(t, http.StatusAccepted)
		a, ok := e.pub.stored()[r.str("id")]
		if !ok || len(a.Body) < len(body)/2 {
			t.Errorf("body %d: stored %d bytes of %d", i, len(a.Body), len(body))
		}
	}
}
