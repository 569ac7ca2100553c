package xfake

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dghubble/oauth1"
)

// The worked example of X's "Creating a signature" documentation: a
// form-encoded POST whose body parameters are signed.
func TestVerifiesXDocumentationExample(t *testing.T) {
	const auth = `OAuth oauth_consumer_key="xvz1evFS4wEEPTGEFPHBog", ` +
		`oauth_nonce="kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg", ` +
		`oauth_signature="hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D", ` +
		`oauth_signature_method="HMAC-SHA1", oauth_timestamp="1318622958", ` +
		`oauth_token="370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb", oauth_version="1.0"`
	const body = "status=Hello%20Ladies%20%2b%20Gentlemen%2c%20a%20signed%20OAuth%20request%21"
	s := NewServer("xvz1evFS4wEEPTGEFPHBog", "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
		"370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb", "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE")
	s.now = func() time.Time { return time.Unix(1318622958, 0) }

	newReq := func() *http.Request {
		r := httptest.NewRequest("POST", "https://api.twitter.com/1.1/statuses/update.json?include_entities=true", strings.NewReader(body))
		r.Header.Set("Authorization", auth)
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r
	}
	if err := s.authenticate(newReq(), []byte(body)); err != nil {
		t.Fatalf("documented example refused: %v", err)
	}
	if err := s.authenticate(newReq(), []byte(body)); err == nil || !strings.Contains(err.Error(), "nonce") {
		t.Errorf("replayed nonce: got %v, want a nonce error", err)
	}

	s.nonces = map[string]bool{}
	tampered := newReq()
	if err := s.authenticate(tampered, []byte(strings.Replace(body, "Ladies", "Lords", 1))); err == nil {
		t.Error("a changed signed body parameter was accepted")
	}
	otherPath := newReq()
	otherPath.RequestURI = "/1.1/statuses/update.xml?include_entities=true"
	if err := s.authenticate(otherPath, []byte(body)); err == nil {
		t.Error("a request to another path was accepted")
	}
	otherQuery := newReq()
	otherQuery.URL.RawQuery = "include_entities=false"
	if err := s.authenticate(otherQuery, []byte(body)); err == nil {
		t.Error("a changed query parameter was accepted")
	}
	s.now = func() time.Time { return time.Unix(1318622958, 0).Add(time.Hour) }
	if err := s.authenticate(newReq(), []byte(body)); err == nil || !strings.Contains(err.Error(), "timestamp") {
		t.Errorf("stale timestamp: got %v, want a timestamp error", err)
	}
}

func TestSignatureBaseString(t *testing.T) {
	got := signatureBase("post", "https://api.x.com/2/tweets", [][2]string{
		{"oauth_nonce", "n"}, {"b", "2 3"}, {"a", "z"}, {"a", "y"},
	})
	const want = "POST&https%3A%2F%2Fapi.x.com%2F2%2Ftweets&a%3Dy%26a%3Dz%26b%3D2%25203%26oauth_nonce%3Dn"
	if got != want {
		t.Errorf("signatureBase =\n%s\nwant\n%s", got, want)
	}
}

func TestRejectsUnsignedAndMalformed(t *testing.T) {
	s := NewServer("ck", "cs", "at", "as")
	for name, h := range map[string]string{
		"none":      "",
		"bearer":    "Bearer abc",
		"unquoted":  `OAuth oauth_consumer_key=ck`,
		"no sig":    `OAuth oauth_consumer_key="ck", oauth_token="at", oauth_nonce="n", oauth_timestamp="1", oauth_signature_method="HMAC-SHA1"`,
		"plaintext": `OAuth oauth_consumer_key="ck", oauth_token="at", oauth_nonce="n", oauth_timestamp="1", oauth_signature_method="PLAINTEXT", oauth_signature="cs%26as"`,
	} {
		r := httptest.NewRequest("POST", "http://x.test/2/tweets", strings.NewReader(`{"text":"hi"}`))
		r.Header.Set("Content-Type", "application/json")
		if h != "" {
			r.Header.Set("Authorization", h)
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", name, w.Code)
		}
	}
	if n := len(s.Posts()); n != 0 {
		t.Errorf("%d posts accepted, want 0", n)
	}
}

func TestPercentEncode(t *testing.T) {
	for in, want := range map[string]string{
		"Ladies + Gentlemen": "Ladies%20%2B%20Gentlemen",
		"a-b._~":             "a-b._~",
		"é":                  "%C3%A9",
		"a&b=c":              "a%26b%3Dc",
	} {
		if got := percentEncode(in); got != want {
			t.Errorf("percentEncode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestChecksPayload(t *testing.T) {
	s := NewServer("ck", "cs", "at", "as")
	srv := httptest.NewServer(s)
	defer srv.Close()
	hc := oauth1.NewConfig("ck", "cs").Client(context.Background(), oauth1.NewToken("at", "as"))
	for _, tc := range []struct {
		name, contentType, body string
		want                    int
	}{
		{"ok", "application/json", `{"text":"hi"}`, 201},
		{"duplicate", "application/json; charset=utf-8", `{"text":"hi"}`, 403},
		{"form", "text/plain", `{"text":"x"}`, 400},
		{"not an object", "application/json", `["x"]`, 400},
		{"text not a string", "application/json", `{"text":1}`, 400},
		{"extra field", "application/json", `{"text":"y","reply":{}}`, 400},
		{"empty text", "application/json", `{"text":""}`, 400},
	} {
		resp, err := hc.Post(srv.URL+"/2/tweets", tc.contentType, strings.NewReader(tc.body))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if err := resp.Body.Close(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if resp.StatusCode != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, resp.StatusCode, tc.want)
		}
	}
	if got := s.Posts(); len(got) != 1 || got[0] != "hi" {
		t.Errorf("posts %q, want [hi]", got)
	}
	if s.Attempts() != 7 {
		t.Errorf("%d attempts, want 7", s.Attempts())
	}
}

func TestStatusesUpdate(t *testing.T) {
	s := NewServer("ck", "cs", "at", "as")
	srv := httptest.NewServer(s)
	defer srv.Close()
	hc := oauth1.NewConfig("ck", "cs").Client(context.Background(), oauth1.NewToken("at", "as"))
	const path = "/1.1/statuses/update.json"
	send := func(contentType, body string) (int, map[string]any) {
		t.Helper()
		resp, err := hc.Post(srv.URL+path, contentType, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var got map[string]any
		dec := json.NewDecoder(resp.Body)
		dec.UseNumber() // ids are too large for a float64
		if err := dec.Decode(&got); err != nil {
			t.Fatalf("%s: response is not JSON: %v", body, err)
		}
		return resp.StatusCode, got
	}
	wantCode := func(got map[string]any, code int) {
		t.Helper()
		errs, _ := got["errors"].([]any)
		if len(errs) != 1 || errs[0].(map[string]any)["code"] != json.Number(strconv.Itoa(code)) {
			t.Errorf("body %v, want errors[{code %v}]", got, code)
		}
	}
	const form = "application/x-www-form-urlencoded"

	status, got := send(form, "status=hi+there%21")
	if status != 200 || got["text"] != "hi there!" {
		t.Errorf("post: %d %v, want 200 with the text", status, got)
	}
	if id, ok := got["id"].(json.Number); !ok || id.String() != got["id_str"] || id.String() == "" {
		t.Errorf("post: id %v and id_str %v, want the same number", got["id"], got["id_str"])
	}
	status, got = send(form, "status=hi%20there!")
	if status != 403 {
		t.Errorf("duplicate: status %d, want 403", status)
	}
	wantCode(got, 187)
	status, got = send("application/json", `{"status":"x"}`)
	if status != 400 {
		t.Errorf("JSON body: status %d, want 400", status)
	}
	status, got = send(form, "status=y&in_reply_to_status_id=1")
	if status != 400 {
		t.Errorf("extra parameter: status %d, want 400", status)
	}
	wantCode(got, 44)
	status, got = send(form, "status=")
	if status != 400 {
		t.Errorf("empty status: status %d, want 400", status)
	}

	s.RefuseV11()
	status, got = send(form, "status=new")
	if status != 403 {
		t.Errorf("refused: status %d, want 403", status)
	}
	wantCode(got, 453)
	if resp, err := hc.Post(srv.URL+"/2/tweets", "application/json", strings.NewReader(`{"text":"new"}`)); err != nil {
		t.Fatal(err)
	} else if err := resp.Body.Close(); err != nil {
		t.Fatal(err)
	} else if resp.StatusCode != 201 {
		t.Errorf("v2 post with v1.1 refused: status %d, want 201", resp.StatusCode)
	}

	if got := s.Posts(); len(got) != 2 || got[0] != "hi there!" || got[1] != "new" {
		t.Errorf("posts %q, want [hi there! new]", got)
	}
	if s.Attempts() != 7 {
		t.Errorf("%d attempts, want 7", s.Attempts())
	}
}

// A v1.1 request's form parameters are signed: one changed after signing
// is refused, in v1.1's error format.
func TestStatusesUpdateChecksSignedForm(t *testing.T) {
	s := NewServer("ck", "cs", "at", "as")
	srv := httptest.NewServer(s)
	defer srv.Close()
	tamper := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r.Body = io.NopCloser(strings.NewReader("status=bye"))
		r.ContentLength = int64(len("status=bye"))
		return http.DefaultTransport.RoundTrip(r)
	})
	ctx := context.WithValue(context.Background(), oauth1.HTTPClient, &http.Client{Transport: tamper})
	hc := oauth1.NewConfig("ck", "cs").Client(ctx, oauth1.NewToken("at", "as"))
	resp, err := hc.PostForm(srv.URL+"/1.1/statuses/update.json", url.Values{"status": {"hi"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 401 || !strings.Contains(string(body), `"code":32`) || !strings.Contains(string(body), "signature does not match") {
		t.Errorf("tampered form: %d %s, want 401 with code 32", resp.StatusCode, body)
	}
	if n := len(s.Posts()); n != 0 {
		t.Errorf("%d posts, want 0", n)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
