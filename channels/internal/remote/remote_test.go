package remote

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestReadBodyStopsAtLimit(t *testing.T) {
	got, err := ReadBody(strings.NewReader("abcdef"), 4)
	if err != nil || string(got) != "abcd" {
		t.Errorf("ReadBody = %q, %v; want \"abcd\", nil", got, err)
	}
	got, err = ReadBody(strings.NewReader("ab"), 4)
	if err != nil || string(got) != "ab" {
		t.Errorf("ReadBody = %q, %v; want \"ab\", nil", got, err)
	}
}

func TestReadBodyReturnsReadError(t *testing.T) {
	boom := errors.New("boom")
	got, err := ReadBody(io.MultiReader(strings.NewReader("ab"), errReader{boom}), 10)
	if !errors.Is(err, boom) || string(got) != "ab" {
		t.Errorf("ReadBody = %q, %v; want \"ab\", boom", got, err)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func TestTruncate(t *testing.T) {
	long := strings.Repeat("a", MaxReasonLen+10)
	for _, tc := range []struct {
		name, in, want string
	}{
		{"short", "bad request", "bad request"},
		{"exactly", strings.Repeat("a", MaxReasonLen), strings.Repeat("a", MaxReasonLen)},
		{"long", long, long[:MaxReasonLen] + "…"},
		// "é" is two bytes; the cut would split the last one.
		{"rune boundary", strings.Repeat("a", MaxReasonLen-1) + "éé", strings.Repeat("a", MaxReasonLen-1) + "…"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Truncate(tc.in)
			if got != tc.want {
				t.Errorf("Truncate = %q, want %q", got, tc.want)
			}
			if !utf8.ValidString(got) {
				t.Errorf("Truncate = %q: not valid UTF-8", got)
			}
		})
	}
}

func TestQuoteReason(t *testing.T) {
	for in, want := range map[string]string{
		"":                     `""`,
		"  \n":                 `""`,
		" <html>oops</html>\n": `"<html>oops</html>"`,
		"a\"b\x00":             `"a\"b\x00"`,
	} {
		if got := QuoteReason([]byte(in)); got != want {
			t.Errorf("QuoteReason(%q) = %s, want %s", in, got, want)
		}
	}
	got := QuoteReason([]byte(strings.Repeat("x", 2*MaxReasonLen)))
	if want := `"` + strings.Repeat("x", MaxReasonLen) + `…"`; got != want {
		t.Errorf("QuoteReason(long) = %s, want %s", got, want)
	}
}

func TestFallbackReason(t *testing.T) {
	if got := FallbackReason(http.StatusBadGateway, []byte(" \n")); got != "Bad Gateway" {
		t.Errorf("FallbackReason(blank) = %q, want the status text", got)
	}
	if got := FallbackReason(http.StatusBadGateway, []byte("upstream down")); got != `"upstream down"` {
		t.Errorf("FallbackReason(text) = %q, want the body quoted", got)
	}
}

func TestTraceSent(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Drop the connection without answering: the request was written.
		hj, ok := w.(http.Hijacker)
		if !ok {
			t.Error("response writer cannot hijack")
			return
		}
		conn, _, err := hj.Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	defer srv.Close()

	ctx, a := Trace(context.Background())
	if a.Sent(errors.New("not yet")) {
		t.Error("Sent before any request = true")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, strings.NewReader("body"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatal("request succeeded; want a dropped connection")
	}
	if !a.Sent(err) {
		t.Errorf("Sent(%v) = false after the request was written", err)
	}
}

func TestSentFalseForDialFailure(t *testing.T) {
	// Even if an earlier attempt wrote the request, a failure to connect
	// means this one sent nothing.
	_, a := Trace(context.Background())
	a.wrote.Store(true)
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	if a.Sent(dial) {
		t.Error("Sent(dial error) = true")
	}
	if !a.Sent(&net.OpError{Op: "read", Net: "tcp", Err: errors.New("reset")}) {
		t.Error("Sent(read error) = false after the request was written")
	}
}

func TestTraceNotSent(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now

	ctx, a := Trace(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Skip("something answered on a closed port")
	}
	if a.Sent(err) {
		t.Errorf("Sent(%v) = true, though nothing could connect", err)
	}
}

func TestEpochWait(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	calls := 0
	clock := func() time.Time { calls++; return now }
	for _, tc := range []struct {
		name  string
		value string
		want  time.Duration
		ok    bool
	}{
		{"future", "1700000090", 90 * time.Second, true},
		{"spaces", " 1700000090 ", 90 * time.Second, true},
		{"past", "1699999990", -10 * time.Second, true},
		{"missing", "", 0, false},
		{"not a number", "soon", 0, false},
		{"fraction", "1700000090.5", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.value != "" {
				h.Set("X-Reset", tc.value)
			}
			got, ok := EpochWait(h, "x-reset", clock)
			if got != tc.want || ok != tc.ok {
				t.Errorf("EpochWait(%q) = %v, %v; want %v, %v", tc.value, got, ok, tc.want, tc.ok)
			}
		})
	}
	calls = 0
	EpochWait(http.Header{}, "x-reset", clock)
	if calls != 0 {
		t.Errorf("EpochWait without the header called now %d times", calls)
	}
}

func TestClampWait(t *testing.T) {
	for _, tc := range []struct {
		wait, ceiling, want time.Duration
	}{
		{-time.Hour, 0, MinWait},
		{0, time.Hour, MinWait},
		{time.Minute, time.Hour, time.Minute},
		{48 * time.Hour, time.Hour, time.Hour},
		{48 * time.Hour, 0, 48 * time.Hour},
	} {
		if got := ClampWait(tc.wait, tc.ceiling); got != tc.want {
			t.Errorf("ClampWait(%v, %v) = %v, want %v", tc.wait, tc.ceiling, got, tc.want)
		}
	}
}
