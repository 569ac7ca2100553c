package signed

import (
	"strings"
	"testing"
)

func TestVERPRoundTrip(t *testing.T) {
	const secret = "0123456789abcdef-verp"
	for _, id := range []int64{1, 35, 36, 123456789, 1<<62 + 7} {
		addr := VERPAddress(secret, id, "bounce.example.com")
		if local := addr[:strings.IndexByte(addr, '@')]; len(local) > 64 || local != strings.ToLower(local) {
			t.Errorf("VERPAddress(%d) = %q: local part too long or not lowercase", id, addr)
		}
		tok := VERPTokenOf("<" + strings.ToUpper(addr) + ">")
		got, err := VerifyVERP(secret, tok)
		if err != nil || got != id {
			t.Errorf("VerifyVERP(%q) = %d, %v; want %d", tok, got, err, id)
		}
	}
}

func TestVERPForged(t *testing.T) {
	const secret = "0123456789abcdef-verp"
	good := VERPToken(secret, 42)
	n, sum, _ := strings.Cut(good, "-")
	other := VERPToken(secret, 43)
	for _, bad := range []string{
		"", good + "0", n + "-" + sum[:len(sum)-1] + "0", "-" + sum, n + sum,
		strings.SplitN(other, "-", 2)[0] + "-" + sum, // another row's ID with this MAC
		"0" + good, // a second spelling of the same ID
		VERPToken("another-secret-0123", 42),
	} {
		if bad == good {
			continue
		}
		if id, err := VerifyVERP(secret, bad); err == nil {
			t.Errorf("VerifyVERP(%q) = %d, accepted a forged token", bad, id)
		}
	}
	if _, err := VerifyVERP("", good); err == nil {
		t.Error("an empty secret verified a token")
	}
	if VERPTokenOf("news@example.com") != "" || VERPTokenOf("bounces+@example.com") != "" {
		t.Error("VERPTokenOf found a token in a plain address")
	}
}

func TestMailgunSignature(t *testing.T) {
	// A timestamp and token of the shape Mailgun sends; the signature is
	// made by the rule and must verify, and every change must not.
	const key, ts, tok = "key-1234", "1529006854", "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0"
	sig := MailgunSignature(key, ts, tok)
	if !VerifyMailgun(key, ts, tok, sig) {
		t.Fatal("a genuine signature was refused")
	}
	for _, c := range [][4]string{
		{key, ts + "1", tok, sig}, {key, ts, tok + "x", sig}, {"key-other", ts, tok, sig},
		{key, ts, tok, sig[:len(sig)-2]}, {key, ts, tok, "zz"}, {"", ts, tok, sig},
	} {
		if VerifyMailgun(c[0], c[1], c[2], c[3]) {
			t.Errorf("VerifyMailgun(%q, %q, %q, %q) accepted a forgery", c[0], c[1], c[2], c[3])
		}
	}
}
