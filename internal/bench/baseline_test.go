package bench

import (
	"strings"
	"testing"
)

const sample = "From: News <news@example.com>\r\nSubject: =?UTF-8?q?Caf=C3=A9?=\r\nList-Id: News <newsletter.example.com>\r\n" +
	"MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b1\r\n\r\n" +
	"--b1\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nHello =C3=A9\r\n" +
	"--b1\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n<p>Hello</p>\r\n--b1--\r\n"

// TestParseTemplate reads back what the baseline copies: the subject
// decoded, both parts decoded, the List-* headers.
func TestParseTemplate(t *testing.T) {
	tpl, err := ParseTemplate([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	if tpl.Subject != "Café" || !strings.Contains(tpl.Text, "Hello é") || tpl.HTML != "<p>Hello</p>" || tpl.Headers["List-Id"] == "" {
		t.Errorf("parsed %+v", tpl)
	}
	if n, err := tpl.Size(); err != nil || n < len(sample)/2 {
		t.Errorf("size %d, %v", n, err)
	}
	if _, err := ParseTemplate([]byte("Subject: x\r\n\r\nplain")); err == nil {
		t.Error("a message that is not multipart was accepted")
	}
}

// FuzzParseTemplate: any bytes give a template or an error, never a panic.
func FuzzParseTemplate(f *testing.F) {
	f.Add([]byte(sample))
	f.Add([]byte("Content-Type: multipart/alternative; boundary=x\r\n\r\n--x\r\n\r\n--x--"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, b []byte) {
		tpl, err := ParseTemplate(b)
		if err == nil && (tpl.Text == "" || tpl.HTML == "") {
			t.Errorf("accepted a message without both parts: %+v", tpl)
		}
	})
}
