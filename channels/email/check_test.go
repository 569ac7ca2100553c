package email

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"net"
	"strings"
	"testing"
)

// TestDKIMRecordAndDNS: the record to publish carries the key's public
// half; the look-up finds it among other TXT records and split over
// strings, and says when it is missing, another key's, or DNS is down.
func TestDKIMRecordAndDNS(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	c := DKIMConfig{Domain: "news.example.com", Selector: "s1", Key: key}
	name, value, err := DKIMRecord(c)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	p := base64.StdEncoding.EncodeToString(der)
	if name != "s1._domainkey.news.example.com" || value != "v=DKIM1; k=rsa; p="+p {
		t.Fatalf("record %s %q", name, value)
	}
	other, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	_, otherValue, err := DKIMRecord(DKIMConfig{Domain: "news.example.com", Selector: "s1", Key: other})
	if err != nil {
		t.Fatal(err)
	}
	split := "v=DKIM1; k=rsa; p=" + p[:40] + " " + p[40:] // a published record split in two strings, joined with a space
	cases := []struct {
		name   string
		answer []string
		err    error
		want   string // in the error; "" for a match
		down   bool
	}{
		{"match", []string{"v=spf1 -all", split}, nil, "", false},
		{"another key", []string{otherValue}, nil, "not this key's public half", false},
		{"no DKIM record", []string{"v=spf1 -all"}, nil, "no DKIM key record", false},
		{"not found", nil, &net.DNSError{Err: "no such host", IsNotFound: true}, "no TXT record at s1._domainkey.news.example.com", false},
		{"DNS down", nil, &net.DNSError{Err: "i/o timeout", IsTimeout: true}, "DNS could not be reached", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var asked string
			_, err := CheckDKIMDNS(context.Background(), c, func(_ context.Context, n string) ([]string, error) {
				asked = n
				return tc.answer, tc.err
			})
			if asked != name {
				t.Errorf("looked up %q, want %q", asked, name)
			}
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("error %v, want a match", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want one saying %q", err, tc.want)
			case errors.Is(err, ErrDNSUnreachable) != tc.down:
				t.Errorf("error %v: unreachable = %v, want %v", err, !tc.down, tc.down)
			}
		})
	}
}

// FuzzTagValue: any tag list gives a value without spaces, and never
// panics.
func FuzzTagValue(f *testing.F) {
	f.Add("v=DKIM1; k=rsa; p=MIIBIj AN")
	f.Add("p=")
	f.Add(";;=;p")
	f.Fuzz(func(t *testing.T, list string) {
		if v := tagValue(list, "p"); strings.ContainsAny(v, " \t\r\n") {
			t.Errorf("tagValue(%q) = %q holds whitespace", list, v)
		}
	})
}
