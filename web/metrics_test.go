package web_test

import (
	"net/http"
	"testing"

	"syndicate/web"
)

// GET /metrics serves the handler it is given, behind MetricsToken when
// one is set, and is the 404 page when there is none.
func TestMetricsRoute(t *testing.T) {
	m := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("syndicate_up 1\n"))
	})
	open := newEnvConfig(t, web.Config{Name: testName, BaseURL: testBase, Secret: testSecret, Metrics: m})
	if r := open.get("/metrics"); r.StatusCode != http.StatusOK || r.body != "syndicate_up 1\n" {
		t.Errorf("open /metrics = %d %q", r.StatusCode, r.body)
	}

	locked := newEnvConfig(t, web.Config{Name: testName, BaseURL: testBase, Secret: testSecret, Metrics: m, MetricsToken: "scrape-token"})
	for _, h := range [][]string{nil, {"Authorization", "Bearer wrong"}, {"Authorization", "Basic c2NyYXBlLXRva2Vu"}} {
		r := locked.do(http.MethodGet, "/metrics", "", "", h...)
		if r.StatusCode != http.StatusUnauthorized || r.body == "syndicate_up 1\n" {
			t.Errorf("/metrics with %q = %d %q, want 401", h, r.StatusCode, r.body)
		}
	}
	if r := locked.do(http.MethodGet, "/metrics", "", "", "Authorization", "Bearer scrape-token"); r.StatusCode != http.StatusOK || r.body != "syndicate_up 1\n" {
		t.Errorf("/metrics with the token = %d %q", r.StatusCode, r.body)
	}

	if r := newEnv(t).get("/metrics"); r.StatusCode != http.StatusNotFound {
		t.Errorf("/metrics without metrics = %d, want 404", r.StatusCode)
	}
}
