package web_test

import (
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"syndicate"
)

// The webhook fuzz targets sign every body correctly, so the fuzzer gets
// past the signature to the decoding of the payload and its mapping to an
// article, and check the answer: never a 5xx or a panic, always a JSON
// body, an error of one line, and for a 202 an article stored that is
// valid and valid UTF-8.

// checkHookAnswer checks a webhook's answer to a correctly signed body.
func checkHookAnswer(t *testing.T, e *apiEnv, r apiResponse) {
	t.Helper()
	switch r.code {
	case http.StatusAccepted:
		id := r.str("id")
		a, ok := e.pub.stored()[id]
		if !ok {
			t.Fatalf("202 for article %q, which was not stored: %s", id, r.body)
		}
		if err := a.Validate(); err != nil {
			t.Fatalf("stored article does not validate: %v\n%#v", err, a)
		}
		if a.ID != syndicate.ArticleID(a.URL) {
			t.Fatalf("id %q is not the id of %q", a.ID, a.URL)
		}
		for name, s := range map[string]string{"title": a.Title, "url": a.URL, "author": a.Author, "summary": a.Summary, "body": a.Body, "image": a.Image} {
			if !utf8.ValidString(s) {
				t.Fatalf("%s is not valid UTF-8: %q", name, s)
			}
		}
		for _, tag := range a.Tags {
			if !utf8.ValidString(tag) {
				t.Fatalf("tag %q is not valid UTF-8", tag)
			}
		}
		if strings.ContainsAny(a.Title, "\r\n") || strings.ContainsAny(a.Summary, "\r\n") {
			t.Fatalf("title or summary is more than one line: %q, %q", a.Title, a.Summary)
		}
	case http.StatusOK:
		if r.str("ignored") == "" {
			t.Fatalf("200 without saying what was ignored: %s", r.body)
		}
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		msg := r.str("error")
		if msg == "" || strings.ContainsAny(msg, "\r\n") {
			t.Fatalf("%d error %q is empty or more than one line: %s", r.code, msg, r.body)
		}
	default:
		t.Fatalf("status %d for a signed body: %s", r.code, r.body)
	}
}

func FuzzGhostPayload(f *testing.F) {
	for _, s := range []string{
		ghostPublished,
		`{"event":"post.published",` + ghostPublished[1:],
		strings.Replace(ghostPublished, `"visibility":"public"`, `"visibility":"paid"`, 1),
		`{"post":{"current":{"status":"published","title":"T","url":"https://blog.example.com/t/","html":"` + strings.Repeat("<div>", 200) + `x"}}}`,
		`{"post":{"current":{"status":"published","title":"T\u0000\u202e","canonical_url":"http://127.0.0.1/x","feature_image":"file:///etc/passwd","published_at":"yesterday","tags":[{"name":"#x"},{"name":""}],"authors":[{"name":"=?utf-8?q?x?="}]}}}`,
		`{"post":{"current":{"status":"published","title":["x"]}}}`,
		`{"post":{"current":null}}`,
		`{"post":`,
		`null`,
		`[]`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		e := newAPI(t, nil)
		r := e.ghost(body, ghostSign(ghostSecret, body, apiNow))
		checkHookAnswer(t, e, r)
	})
}

func FuzzWordPressPayload(f *testing.F) {
	for _, s := range []string{
		wpPublished,
		`{"post":{"id":"77","title":"Plain &amp; simple","link":"https://wp.example.com/plain/","content":"<p>One.</p>","status":"publish","date_gmt":"2025-06-01T10:00:00Z"}}`,
		`{"post":{"id":1,"title":{"rendered":"<b>T</b>&#0;"},"link":"https://wp.example.com/t/","excerpt":{"rendered":null},"content":{"rendered":"` + strings.Repeat("<blockquote>", 200) + `"},"status":"publish","tags":["a","a","` + strings.Repeat("t", 200) + `"],"featured_image":"http://[::1]/x.png"}}`,
		`{"post":{"title":{"raw":"x"},"link":"https://wp.example.com/t/","status":"publish"}}`,
		`{"post":{"title":"x","link":"javascript:alert(1)","status":"publish"}}`,
		`{"post":{"title":"x","link":"https://wp.example.com/t/","status":"draft"}}`,
		`{"post":{"tags":[1,2]}}`,
		`{"post":null}`,
		`{`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		e := newAPI(t, nil)
		r := e.wordpress(body, wpSign(wpSecret, body, apiNow))
		checkHookAnswer(t, e, r)
	})
}
