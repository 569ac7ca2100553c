package main

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"syndicate"
)

// FuzzImportCSV feeds parseSubscriberCSV arbitrary files. It must not
// panic; every non-blank data line comes out as exactly one row, with its
// own line number; a row it accepts is a valid subscriber whose address is
// already normalised; and every problem is one line of valid UTF-8 with
// nothing a terminal would act on. Seeds are in testdata/fuzz/FuzzImportCSV.
func FuzzImportCSV(f *testing.F) {
	f.Add([]byte("email,name,frequency\nann@example.com,Ann,daily\n"))
	f.Add([]byte("\xef\xbb\xbfEmail ,Name\r\nbob@Example.COM,\"Bob, B\"\r\n\r\nbad\r\n"))
	f.Add([]byte("email,name\nann@example.com,\"Ann\nbob@example.com,Bob\"x\ncarl@example.com,Carl\n"))
	f.Add([]byte("name,email\nKate,\u212Aate@example.com\nLit,lit@[127.0.0.1]\nEsc\x1b[2J,esc@example.com\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rows, err := parseSubscriberCSV("f.csv", b)
		if err != nil {
			if msg := syndicate.ErrorMessage(err); !utf8.ValidString(msg) || strings.ContainsAny(msg, "\r\n\x1b") {
				t.Fatalf("file error %q is not one clean line", msg)
			}
			return
		}
		body := bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
		lines := bytes.Split(body, []byte("\n"))
		var want []int // line numbers of the non-blank data lines
		for i, l := range lines[1:] {
			if len(bytes.TrimSpace(l)) > 0 {
				want = append(want, i+2)
			}
		}
		var got []int
		for row := range rows {
			got = append(got, row.Line)
			if row.Problem != "" {
				if !utf8.ValidString(row.Problem) || strings.ContainsAny(row.Problem, "\r\n\x1b\u009b\u202e") {
					t.Fatalf("line %d: problem %q is not one clean line", row.Line, row.Problem)
				}
				continue
			}
			s := row.Sub
			if norm, err := syndicate.NormalizeEmail(s.Email); err != nil || norm != s.Email {
				t.Fatalf("line %d: accepted address %q normalises to %q, %v", row.Line, s.Email, norm, err)
			}
			if err := syndicate.ValidateName(s.Name); err != nil || !utf8.ValidString(s.Email) {
				t.Fatalf("line %d: accepted %+v: %v", row.Line, s, err)
			}
			again := s
			if err := again.Validate(); err != nil || again != s || s.Status != syndicate.SubscriberActive {
				t.Fatalf("line %d: accepted %+v does not validate as it is: %v", row.Line, s, err)
			}
		}
		if len(got) > maxImportRows+1 {
			t.Fatalf("%d rows, over the bound of %d", len(got), maxImportRows)
		}
		if len(want) <= maxImportRows && !equalInts(got, want) {
			t.Fatalf("rows came from lines %v, want one for each of %v", got, want)
		}
	})
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// FuzzSuppressionCSV feeds parseSuppressionCSV arbitrary files. It must
// not panic; it refuses the whole file or accepts every data line, each a
// normalised address with a known reason.
func FuzzSuppressionCSV(f *testing.F) {
	f.Add([]byte("email,reason,date,detail\nann@example.com,bounced,2026-11-01T10:00:00Z,5.1.1\nbob@example.com,,,\n"))
	f.Add([]byte("email\r\nAnn@EXAMPLE.com\r\n\r\n"))
	f.Add([]byte("email,reason,date\nann@example.com,bored,2026-13-01\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var errb bytes.Buffer
		a := &app{stderr: &errb}
		sups, err := parseSuppressionCSV(a, "f.csv", b)
		if err != nil {
			if sups != nil {
				t.Fatal("a refused file gave suppressions")
			}
			return
		}
		for _, s := range sups {
			if norm, err := syndicate.NormalizeEmail(s.Email); err != nil || norm != s.Email {
				t.Fatalf("accepted address %q normalises to %q, %v", s.Email, norm, err)
			}
			if _, err := syndicate.ParseSuppressionReason(string(s.Reason)); err != nil || s.Reason == "" {
				t.Fatalf("accepted reason %q", s.Reason)
			}
		}
	})
}
