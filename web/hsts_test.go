package web_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"syndicate/web"
)

// Every response of a server whose public URL is https carries HSTS, so a
// browser that has once followed an emailed link never again sends its
// token over plain http; a server on http (development) sends none.
func TestHSTS(t *testing.T) {
	requests := []struct{ method, target, body string }{
		{http.MethodGet, "/healthz", ""},
		{http.MethodGet, "/subscribe", ""},
		{http.MethodGet, "/unsubscribe?token=bad", ""},
		{http.MethodPost, "/v1/articles", "{}"}, // 401: no token
		{http.MethodGet, "/v1/nothing", ""},
		{http.MethodGet, "/nothing", ""},
	}
	for _, c := range []struct {
		base, want string
	}{
		{"https://news.example.com", "max-age=31536000; includeSubDomains"},
		{"HTTPS://news.example.com/newsletter/", "max-age=31536000; includeSubDomains"},
		{"http://localhost:8080", ""},
		{"", ""},
	} {
		e := newAPI(t, func(cf *web.Config) { cf.BaseURL = c.base })
		for _, q := range requests {
			r := httptest.NewRequest(q.method, q.target, strings.NewReader(q.body))
			w := httptest.NewRecorder()
			e.h.ServeHTTP(w, r)
			if got := w.Header().Get("Strict-Transport-Security"); got != c.want {
				t.Errorf("base %q, %s %s (status %d): Strict-Transport-Security = %q, want %q", c.base, q.method, q.target, w.Code, got, c.want)
			}
		}
	}
}
