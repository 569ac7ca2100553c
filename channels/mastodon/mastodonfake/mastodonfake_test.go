package mastodonfake

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func do(t *testing.T, s *Server, method, path, contentType, body string, header map[string]string) (int, map[string]any) {
	t.Helper()
	r := httptest.NewRequest(method, "http://fake.test"+path, strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	var out map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatalf("%s %s: body %q is not a JSON object: %v", method, path, w.Body.String(), err)
	}
	return w.Code, out
}

var auth = map[string]string{"Authorization": "Bearer tok"}

func TestToken(t *testing.T) {
	s := NewServer("tok")
	for name, h := range map[string]map[string]string{
		"none":   nil,
		"wrong":  {"Authorization": "Bearer nope"},
		"basic":  {"Authorization": "Basic dG9r"},
		"prefix": {"Authorization": "Bearer to"},
	} {
		code, out := do(t, s, "POST", "/api/v1/statuses", "application/json", `{"status":"hi"}`, h)
		if code != 401 || out["error"] != "The access token is invalid" {
			t.Errorf("%s: %d %v, want 401", name, code, out)
		}
	}
	if len(s.Statuses()) != 0 {
		t.Error("a status was created without the token")
	}
	if code, _ := do(t, s, "GET", "/api/v2/instance", "", "", nil); code != 200 {
		t.Errorf("instance without a token: %d, want 200 (it is public)", code)
	}
	if code, _ := do(t, s, "GET", "/api/v1/accounts/verify_credentials", "", "", auth); code != 200 {
		t.Errorf("verify_credentials: %d", code)
	}
	if s.Requests() != 6 {
		t.Errorf("Requests() = %d, want 6", s.Requests())
	}
}

func TestBodies(t *testing.T) {
	s := NewServer("tok")
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	if err := mw.WriteField("status", "from multipart"); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ ct, body string }{
		{"application/json; charset=utf-8", `{"status":"from json","visibility":"unlisted"}`},
		{"application/x-www-form-urlencoded", "status=from+form&visibility=private"},
		{mw.FormDataContentType(), mp.String()},
	} {
		if code, out := do(t, s, "POST", "/api/v1/statuses", tc.ct, tc.body, auth); code != 200 || out["id"] == "" {
			t.Errorf("%s: %d %v", tc.ct, code, out)
		}
	}
	if got := strings.Join(s.Statuses(), "|"); got != "from json|from form|from multipart" {
		t.Errorf("statuses %q", got)
	}
	for _, tc := range []struct{ name, ct, body, want string }{
		{"blank", "application/json", `{"status":"  "}`, "Text can't be blank"},
		{"no status", "application/json", `{"text":"hi"}`, "Text can't be blank"},
		{"no content type", "", `{"status":"hi"}`, "Text can't be blank"},
		{"bad visibility", "application/json", `{"status":"hi","visibility":"loud"}`, "not a valid visibility"},
	} {
		code, out := do(t, s, "POST", "/api/v1/statuses", tc.ct, tc.body, auth)
		if msg, _ := out["error"].(string); code != 422 || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: %d %v, want 422 %q", tc.name, code, out, tc.want)
		}
	}
	if code, _ := do(t, s, "POST", "/api/v1/statuses", "application/json", `{"status":`, auth); code != 400 {
		t.Errorf("malformed JSON: %d, want 400", code)
	}
}

func TestLengthCountsGraphemesAndLinks(t *testing.T) {
	s := NewServer("tok")
	s.SetLimit(25)
	// 👩‍👩‍👧 is one grapheme; the link counts 23 whatever its length.
	ok := "👩‍👩‍👧 https://example.com/" + strings.Repeat("x", 100)
	if code, out := do(t, s, "POST", "/api/v1/statuses", "application/json", `{"status":"`+ok+`"}`, auth); code != 200 {
		t.Errorf("25 characters: %d %v", code, out)
	}
	code, out := do(t, s, "POST", "/api/v1/statuses", "application/json", `{"status":"ab https://example.com/"}`, auth)
	if code != 422 || out["error"] != "Validation failed: Text character limit of 25 exceeded" {
		t.Errorf("26 characters: %d %v", code, out)
	}
	_, inst := do(t, s, "GET", "/api/v2/instance", "", "", nil)
	st := inst["configuration"].(map[string]any)["statuses"].(map[string]any)
	if st["max_characters"] != float64(25) || st["characters_reserved_per_url"] != float64(23) {
		t.Errorf("instance statuses configuration %v", st)
	}
}

func TestIdempotencyKey(t *testing.T) {
	s := NewServer("tok")
	k := map[string]string{"Authorization": "Bearer tok", "Idempotency-Key": "k1"}
	_, first := do(t, s, "POST", "/api/v1/statuses", "application/json", `{"status":"one"}`, k)
	code, again := do(t, s, "POST", "/api/v1/statuses", "application/json", `{"status":"changed"}`, k)
	if code != 200 || again["id"] != first["id"] {
		t.Errorf("repeat: %d id %v, want 200 id %v", code, again["id"], first["id"])
	}
	_, other := do(t, s, "POST", "/api/v1/statuses", "application/json", `{"status":"two"}`, map[string]string{"Authorization": "Bearer tok", "Idempotency-Key": "k2"})
	if other["id"] == first["id"] {
		t.Error("another key returned the same status")
	}
	if got := strings.Join(s.Statuses(), "|"); got != "one|two" {
		t.Errorf("statuses %q", got)
	}
}

func TestKnobs(t *testing.T) {
	s := NewServer("tok")
	s.FailNext(http.StatusTooManyRequests, `{"error":"Too many requests"}`, map[string]string{"X-RateLimit-Reset": "2026-03-01T12:05:00.000Z"})
	r := httptest.NewRequest("POST", "http://fake.test/api/v1/statuses", strings.NewReader(`{"status":"hi"}`))
	r.Header.Set("Authorization", "Bearer tok")
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if w.Code != 429 || w.Header().Get("X-RateLimit-Reset") != "2026-03-01T12:05:00.000Z" {
		t.Errorf("FailNext: %d %v", w.Code, w.Header())
	}

	s.FailAfterCreate(http.StatusBadGateway)
	k := map[string]string{"Authorization": "Bearer tok", "Idempotency-Key": "k"}
	if code, _ := do(t, s, "POST", "/api/v1/statuses", "application/json", `{"status":"made"}`, k); code != 502 {
		t.Errorf("FailAfterCreate: %d, want 502", code)
	}
	if code, _ := do(t, s, "POST", "/api/v1/statuses", "application/json", `{"status":"made"}`, k); code != 200 {
		t.Errorf("retry: %d, want 200", code)
	}
	if got := s.Statuses(); len(got) != 1 || got[0] != "made" {
		t.Errorf("statuses %q, want [made]", got)
	}
}
