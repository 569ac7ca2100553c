package blueskyfake

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// xrpc sends one request and returns the status and decoded body.
func xrpc(t *testing.T, srv *httptest.Server, method, nsid, token, contentType string, body []byte) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+"/xrpc/"+nsid, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s answered %d with non-JSON %q", nsid, resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func login(t *testing.T, srv *httptest.Server) (access, refresh, did string) {
	t.Helper()
	status, out := xrpc(t, srv, "POST", "com.atproto.server.createSession", "", "application/json",
		[]byte(`{"identifier":"news.example.com","password":"pw"}`))
	if status != 200 {
		t.Fatalf("createSession: %d %v", status, out)
	}
	return out["accessJwt"].(string), out["refreshJwt"].(string), out["did"].(string)
}

func newTestServer(t *testing.T) (*Server, *httptest.Server) {
	t.Helper()
	s := NewServer("news.example.com", "pw")
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}

func createBody(t *testing.T, did, rkey string, record map[string]any) []byte {
	t.Helper()
	return mustJSON(t, map[string]any{"repo": did, "collection": "app.bsky.feed.post", "rkey": rkey, "record": record})
}

func postRecord(text string, facets ...any) map[string]any {
	r := map[string]any{"$type": "app.bsky.feed.post", "text": text, "createdAt": "2026-03-01T12:00:00.000Z"}
	if len(facets) > 0 {
		r["facets"] = facets
	}
	return r
}

func linkFacet(start, end int, uri string) map[string]any {
	return map[string]any{
		"index":    map[string]int{"byteStart": start, "byteEnd": end},
		"features": []any{map[string]string{"$type": "app.bsky.richtext.facet#link", "uri": uri}},
	}
}

func TestSessionLifecycle(t *testing.T) {
	s, srv := newTestServer(t)
	if status, out := xrpc(t, srv, "POST", "com.atproto.server.createSession", "", "application/json",
		[]byte(`{"identifier":"news.example.com","password":"nope"}`)); status != 401 || out["error"] != "AuthenticationRequired" {
		t.Errorf("wrong password: %d %v", status, out)
	}
	access, refresh, did := login(t, srv)
	if !strings.HasPrefix(did, "did:plc:") || len(did) != len("did:plc:")+24 {
		t.Errorf("did %q", did)
	}
	if status, _ := xrpc(t, srv, "GET", "com.atproto.server.getSession", access, "", nil); status != 200 {
		t.Errorf("getSession: %d", status)
	}
	if status, out := xrpc(t, srv, "GET", "com.atproto.server.getSession", refresh, "", nil); status != 400 || out["error"] != "InvalidToken" {
		t.Errorf("refresh token used as access token: %d %v", status, out)
	}
	s.ExpireSessions()
	if status, out := xrpc(t, srv, "GET", "com.atproto.server.getSession", access, "", nil); status != 400 || out["error"] != "ExpiredToken" {
		t.Errorf("expired token: %d %v", status, out)
	}
	status, out := xrpc(t, srv, "POST", "com.atproto.server.refreshSession", refresh, "", nil)
	if status != 200 || out["refreshJwt"] == refresh {
		t.Fatalf("refreshSession: %d %v", status, out)
	}
	if status, _ := xrpc(t, srv, "GET", "com.atproto.server.getSession", out["accessJwt"].(string), "", nil); status != 200 {
		t.Errorf("refreshed token refused: %d", status)
	}
	if status, out := xrpc(t, srv, "POST", "com.atproto.server.refreshSession", refresh, "", nil); status != 400 {
		t.Errorf("a used refresh token was taken again: %d %v", status, out)
	}
	if s.Logins() != 2 || s.Refreshes() != 2 {
		t.Errorf("%d logins and %d refreshes, want 2 and 2", s.Logins(), s.Refreshes())
	}
}

func TestCreateRecordChecks(t *testing.T) {
	s, srv := newTestServer(t)
	access, _, did := login(t, srv)
	const text = "Café 🎉 news https://example.com/é"
	for _, tc := range []struct {
		name string
		body []byte
		want string
	}{
		{"rune offsets", createBody(t, did, "3kaaaaaaaaaa2", postRecord(text, linkFacet(12, 33, "https://example.com/é"))), "covers"},
		{"short form of another host", createBody(t, did, "3kaaaaaaaaaa2", postRecord("Read example.org/é", linkFacet(5, 19, "https://example.com/é"))), "covers"},
		{"short form of another path", createBody(t, did, "3kaaaaaaaaaa2", postRecord("Read example.com/b…", linkFacet(5, 21, "https://example.com/a/b"))), "covers"},
		{"splits a character", createBody(t, did, "3kaaaaaaaaaa2", postRecord(text, linkFacet(4, 38, "https://example.com/é"))), "splits"},
		{"uri not a uri", createBody(t, did, "3kaaaaaaaaaa2", postRecord("Read example.com", linkFacet(5, 16, "example.com"))), "must be a uri"},
		{"past the end", createBody(t, did, "3kaaaaaaaaaa2", postRecord(text, linkFacet(16, 99, "https://example.com/é"))), "not inside"},
		{"301 graphemes", createBody(t, did, "3kaaaaaaaaaa2", postRecord(strings.Repeat("é", 301))), "300 graphemes"},
		{"3001 bytes", createBody(t, did, "3kaaaaaaaaaa2", postRecord(strings.Repeat("👨‍👩‍👧‍👦", 121))), "3000"},
		{"no createdAt", createBody(t, did, "3kaaaaaaaaaa2", map[string]any{"$type": "app.bsky.feed.post", "text": "hi"}), "createdAt"},
		{"wrong type", createBody(t, did, "3kaaaaaaaaaa2", map[string]any{"$type": "app.bsky.feed.like", "text": "hi", "createdAt": "2026-03-01T12:00:00Z"}), "$type"},
		{"other repo", createBody(t, "did:plc:someoneelse", "3kaaaaaaaaaa2", postRecord("hi")), "Invalid repo"},
		{"bad rkey", createBody(t, did, "no/slashes", postRecord("hi")), "Invalid record key"},
		{"not a tid", createBody(t, did, "article-1", postRecord("hi")), "TID"},
		{"unknown thumb", createBody(t, did, "3kaaaaaaaaaa2", map[string]any{
			"$type": "app.bsky.feed.post", "text": "hi", "createdAt": "2026-03-01T12:00:00Z",
			"embed": map[string]any{"$type": "app.bsky.embed.external", "external": map[string]any{
				"uri": "https://example.com", "title": "", "description": "",
				"thumb": map[string]any{"$type": "blob", "ref": map[string]string{"$link": "bafkreinope"}, "mimeType": "image/png", "size": 3},
			}},
		}), "never uploaded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, out := xrpc(t, srv, "POST", "com.atproto.repo.createRecord", access, "application/json", tc.body)
			if status != 400 || !strings.Contains(out["message"].(string), tc.want) {
				t.Errorf("got %d %v, want 400 saying %q", status, out, tc.want)
			}
		})
	}
	if status, _ := xrpc(t, srv, "POST", "com.atproto.repo.createRecord", "", "application/json", createBody(t, did, "3kaaaaaaaaaa2", postRecord("hi"))); status != 401 {
		t.Errorf("no token: %d, want 401", status)
	}
	if n := len(s.Records()); n != 0 {
		t.Errorf("%d records stored from refused requests", n)
	}

	good := createBody(t, did, "3kaaaaaaaaaa2", postRecord(text, linkFacet(16, 38, "https://example.com/é")))
	status, out := xrpc(t, srv, "POST", "com.atproto.repo.createRecord", access, "application/json", good)
	if status != 200 || out["uri"] != "at://"+did+"/app.bsky.feed.post/3kaaaaaaaaaa2" {
		t.Fatalf("good record: %d %v", status, out)
	}
	if status, out := xrpc(t, srv, "POST", "com.atproto.repo.createRecord", access, "application/json", good); status != 500 {
		t.Errorf("record key reused: %d %v, want 500 as the reference PDS answers", status, out)
	}
	status, out = xrpc(t, srv, "GET", "com.atproto.repo.getRecord?repo="+did+"&collection=app.bsky.feed.post&rkey=3kaaaaaaaaaa2", "", "", nil)
	if status != 200 || out["value"].(map[string]any)["text"] != text {
		t.Errorf("getRecord: %d %v", status, out)
	}
	if status, out := xrpc(t, srv, "GET", "com.atproto.repo.getRecord?repo="+did+"&collection=app.bsky.feed.post&rkey=3kaaaaaaaaaa3", "", "", nil); status != 400 || out["error"] != "RecordNotFound" {
		t.Errorf("getRecord of a missing record: %d %v", status, out)
	}
	recs := s.Records()
	if len(recs) != 1 || len(recs[0].Facets) != 1 || recs[0].Facets[0] != (Facet{16, 38, "https://example.com/é"}) {
		t.Errorf("records %+v", recs)
	}

	// A link shown short, as Bluesky's app shows it: the same host, the
	// start of the path (decoded or not), an ellipsis; the URI in full.
	// The text is counted as posted: the 320-character link is not in it.
	long := "https://xn--r8jz45g.jp/%E8%A8%98%E4%BA%8B/" + strings.Repeat("a", 280)
	for i, label := range []string{"例え.jp/記事/aaaaaaa…", "xn--r8jz45g.jp/%E8%A8%98%E4…", "例え.jp/記事/" + strings.Repeat("a", 280)} {
		text := strings.Repeat("é", 250) + " " + label
		rkey := "3kaaaaaaaaab" + string("234"[i])
		body := createBody(t, did, rkey, postRecord(text, linkFacet(len(text)-len(label), len(text), long)))
		if status, out := xrpc(t, srv, "POST", "com.atproto.repo.createRecord", access, "application/json", body); (status != 200) != (i == 2) {
			t.Errorf("short form %q: %d %v", label, status, out)
		}
	}
}

func TestUploadBlob(t *testing.T) {
	s, srv := newTestServer(t)
	access, _, did := login(t, srv)
	status, out := xrpc(t, srv, "POST", "com.atproto.repo.uploadBlob", access, "image/png", []byte("\x89PNG fake"))
	if status != 200 {
		t.Fatalf("uploadBlob: %d %v", status, out)
	}
	blob := out["blob"].(map[string]any)
	if blob["$type"] != "blob" || blob["mimeType"] != "image/png" || blob["size"] != float64(9) {
		t.Errorf("blob %v", blob)
	}
	rec := postRecord("hi")
	rec["embed"] = map[string]any{"$type": "app.bsky.embed.external", "external": map[string]any{
		"uri": "https://example.com", "title": "T", "description": "D", "thumb": blob,
	}}
	if status, out := xrpc(t, srv, "POST", "com.atproto.repo.createRecord", access, "application/json", createBody(t, did, "3kaaaaaaaaaa2", rec)); status != 200 {
		t.Fatalf("record with thumb: %d %v", status, out)
	}
	if e := s.Records()[0].Embed; e == nil || e.Thumb == nil || e.Thumb.MimeType != "image/png" {
		t.Errorf("embed %+v", e)
	}
	if status, _ := xrpc(t, srv, "POST", "com.atproto.repo.uploadBlob", access, "image/png", make([]byte, MaxBlobBytes+1)); status != 413 {
		t.Errorf("oversized blob: %d, want 413", status)
	}
}

func TestSetPDSRefusesRepositoryCallsElsewhere(t *testing.T) {
	s, entryway := newTestServer(t)
	s.SetPDS("http://pds.invalid")
	access, _, did := login(t, entryway)
	status, out := xrpc(t, entryway, "POST", "com.atproto.repo.createRecord", access, "application/json", createBody(t, did, "3kaaaaaaaaaa2", postRecord("hi")))
	if status != 400 || !strings.Contains(out["message"].(string), "pds.invalid") {
		t.Errorf("createRecord at the entryway: %d %v", status, out)
	}
}

func TestFailNextAndFailAfterCreate(t *testing.T) {
	s, srv := newTestServer(t)
	access, _, did := login(t, srv)
	s.FailNext(429, `{"error":"RateLimitExceeded","message":"slow down"}`, map[string]string{"ratelimit-reset": "123"})
	if status, out := xrpc(t, srv, "GET", "com.atproto.server.getSession", access, "", nil); status != 429 || out["message"] != "slow down" {
		t.Errorf("FailNext: %d %v", status, out)
	}
	s.FailAfterCreate(502)
	if status, _ := xrpc(t, srv, "POST", "com.atproto.repo.createRecord", access, "application/json", createBody(t, did, "3kaaaaaaaaaa2", postRecord("hi"))); status != 502 {
		t.Errorf("FailAfterCreate: %d, want 502", status)
	}
	if n := len(s.Records()); n != 1 {
		t.Errorf("%d records after FailAfterCreate, want 1", n)
	}
}
