package webhook

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"syndicate"
)

var fixedTime = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestTruncate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    string
		limit int
		want  string
	}{
		{"fits", "short title", 20, "short title"},
		{"exactly", "abcde", 5, "abcde"},
		{"word", "the quick brown fox jumps", 12, "the quick…"},
		{"trailing punctuation", "alpha, beta gamma", 10, "alpha…"},
		{"no spaces: grapheme", "abcdefghij", 5, "abcd…"},
		{"long word after short one", "a " + strings.Repeat("x", 20), 10, "a xxxxxxx…"},
		{"combining accent kept with letter", "cafe\u0301s are open", 6, "cafe\u0301…"},
		{"combining accent not split", "abcde\u0301fg", 6, "abcd…"},
		{"zwj family", "ab👩‍👩‍👧‍👦cd", 8, "ab…"},
		{"skin tone", "ab👍🏽cd", 5, "ab…"},
		{"flags pair", "🇫🇷🇩🇪🇮🇹", 6, "🇫🇷…"},
		{"flags: budget ends mid-pair", "🇫🇷🇩🇪🇮🇹", 8, "🇫🇷…"},
		{"flags: two fit", "🇫🇷🇩🇪🇮🇹", 9, "🇫🇷🇩🇪…"},
		{"hangul jamo", "가\u1100\u1161\u11A8xyz", 3, "가…"},
		{"crlf", "ab\r\ncd", 4, "ab…"},
		{"tiny", "abcdef", 1, "…"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := truncate(tc.in, tc.limit)
			if got != tc.want {
				t.Errorf("truncate(%q, %d) = %q, want %q", tc.in, tc.limit, got, tc.want)
			}
			if units(got) > tc.limit || !utf8.ValidString(got) {
				t.Errorf("truncate(%q, %d) = %q: %d units", tc.in, tc.limit, got, units(got))
			}
		})
	}
}

func TestUnitsCountsSurrogatePairs(t *testing.T) {
	if n := units("a😀é"); n != 4 {
		t.Errorf("units = %d, want 4 (an astral character is two)", n)
	}
}

func TestGuardDial(t *testing.T) {
	for addr, refused := range map[string]bool{
		"127.0.0.1:443":          true,
		"[::1]:443":              true,
		"10.1.2.3:443":           true,
		"192.168.0.1:443":        true,
		"169.254.169.254:80":     true,
		"100.64.0.1:443":         true,
		"[::ffff:127.0.0.1]:443": true,
		"[fe80::1]:443":          true,
		"0.0.0.0:443":            true,
		"93.184.215.14:443":      false,
		"[2606:4700::1111]:443":  false,
	} {
		err := guardDial("tcp", addr, nil)
		if (err != nil) != refused {
			t.Errorf("guardDial(%s) = %v, want refused %v", addr, err, refused)
		}
	}
}

func TestMemoryReceiptsExpireAndStayBounded(t *testing.T) {
	now := fixedTime
	r := newMemoryReceipts(func() time.Time { return now })
	ctx := context.Background()
	if err := r.Record(ctx, "d1", "id1"); err != nil {
		t.Fatal(err)
	}
	if id, ok, err := r.Delivered(ctx, "d1"); err != nil || !ok || id != "id1" {
		t.Fatalf("Delivered = %q, %v, %v", id, ok, err)
	}
	now = now.Add(receiptTTL + time.Second)
	if _, ok, err := r.Delivered(ctx, "d1"); err != nil || ok {
		t.Errorf("receipt outlived its TTL (ok %v, err %v)", ok, err)
	}
	for i := range maxReceipts + 10 {
		if err := r.Record(ctx, fmt.Sprint("x", i), ""); err != nil {
			t.Fatal(err)
		}
	}
	if len(r.m) > maxReceipts {
		t.Errorf("%d receipts kept, bound is %d", len(r.m), maxReceipts)
	}
}

// TestDefaultTransportRefusesPrivateAddresses checks the guard where it
// matters: on the connection, after any name is resolved.
func TestDefaultTransportRefusesPrivateAddresses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request reached a loopback server")
	}))
	defer srv.Close()
	c, err := New(Config{Targets: []Target{{URL: "https://hooks.example.com/x", Format: FormatSlack}}})
	if err != nil {
		t.Fatal(err)
	}
	// As if hooks.example.com resolved to this machine.
	c.targets[0].send = srv.URL
	_, err = c.Post(context.Background(), syndicate.Post{ArticleID: "a_1", Text: "hello"})
	var se *syndicate.SendError
	if !errors.As(err, &se) || se.Outcome != syndicate.Permanent || !strings.Contains(err.Error(), "loopback or private") {
		t.Errorf("error %v, want a permanent refusal to connect", err)
	}
}
