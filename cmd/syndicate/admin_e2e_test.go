package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"syndicate"
)

// TestEndToEndAdmin runs the dashboard in the real binary: a password
// hashed by `admin hash-password` logs in, an X post of unknown outcome is
// shown with X's reply, a retry without the CSRF token does nothing, and
// a forced retry, once confirmed, posts it through the worker.
func TestEndToEndAdmin(t *testing.T) {
	addr := freeAddr(t)
	base := "http://" + addr
	e := newE2E(t, "SYNDICATE_HTTP_ADDR="+addr, "SYNDICATE_BASE_URL="+base)

	hash := e.cmd("admin", "hash-password", "--cost", "4")
	hash.Stdin = strings.NewReader("editor's password\n")
	out, err := hash.Output()
	if err != nil {
		t.Fatalf("admin hash-password: %v", err)
	}
	e.write("syndicate.yaml", "admin:\n  users:\n    - name: ed\n      password_hash: \""+strings.TrimSpace(string(out))+"\"\n")
	e.startAPI(addr, "api,worker")

	e.x.FailNext(503, `{"title":"Service Unavailable"}`, nil)
	const artURL = "https://news.example.com/dashboard"
	e.fail("publish", e.write("a.md", articleMD("Dashboard Story", artURL)), "--wait")
	canon, err := syndicate.CanonicalURL(artURL)
	if err != nil {
		t.Fatal(err)
	}
	id := syndicate.ArticleID(canon)

	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Jar: jar}
	get := func(path string) string {
		t.Helper()
		resp, err := hc.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	post := func(path string, form url.Values) (int, string) {
		t.Helper()
		resp, err := hc.Post(base+path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		if _, err := b.ReadFrom(resp.Body); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, b.String()
	}
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	token := func(page string) string {
		t.Helper()
		m := csrf.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no CSRF token in:\n%s", page)
		}
		return m[1]
	}

	if code, page := post("/admin/login", url.Values{"csrf": {token(get("/admin/login"))}, "name": {"ed"}, "password": {"editor's password"}}); code != http.StatusOK || !strings.Contains(page, "Dashboard Story") {
		t.Fatalf("login: %d\n%s", code, page)
	}
	page := get("/admin/articles/" + id)
	if !strings.Contains(page, `data-channel="x" data-status="unknown"`) || !strings.Contains(page, "503") {
		t.Fatalf("the article page does not show the unknown X post with X's reply:\n%s", page)
	}
	tok := token(page)
	if code, _ := post("/admin/articles/"+id+"/retry", url.Values{"channel": {"x"}, "force": {"yes"}, "confirm": {"yes"}}); code != http.StatusForbidden {
		t.Errorf("retry without the CSRF token: %d, want 403", code)
	}
	if code, page := post("/admin/articles/"+id+"/retry", url.Values{"csrf": {tok}, "channel": {"x"}, "force": {"yes"}}); code != http.StatusOK || !strings.Contains(page, `id="confirm"`) {
		t.Errorf("forced retry: %d, want the confirmation page\n%s", code, page)
	}
	if r := e.xStatus(id); r.Status != "unknown" || len(e.x.Posts()) != 0 {
		t.Fatalf("before confirming: X post %s, %d posts on X", r.Status, len(e.x.Posts()))
	}
	if code, page := post("/admin/articles/"+id+"/retry", url.Values{"csrf": {tok}, "channel": {"x"}, "force": {"yes"}, "confirm": {"yes"}}); code != http.StatusOK || !strings.Contains(page, "Queued again: 1 post") {
		t.Fatalf("confirmed forced retry: %d\n%s", code, page)
	}
	waitFor(t, "the retried post", func() bool { return e.xStatus(id).Status == "sent" })
	if n := len(e.x.Posts()); n != 1 {
		t.Errorf("X has %d posts, want 1", n)
	}
}
