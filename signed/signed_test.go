package signed

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestLegacyTokenRoundTrip(t *testing.T) {
	tok := LegacyToken("0123456789abcdef", "unsubscribe", "ann@example.com")
	got, err := VerifyLegacy("0123456789abcdef", "unsubscribe", tok)
	if err != nil || got != "ann@example.com" {
		t.Fatalf("Verify = %q, %v; want ann@example.com", got, err)
	}
}

func TestLegacyTokenRejectsForgeries(t *testing.T) {
	tok := LegacyToken("0123456789abcdef", "unsubscribe", "ann@example.com")
	other := LegacyToken("0123456789abcdef", "unsubscribe", "bob@example.com")
	cases := map[string]struct{ secret, purpose, token string }{
		"other secret":  {"fedcba9876543210", "unsubscribe", tok},
		"other purpose": {"0123456789abcdef", "confirm", tok},
		"swapped mac":   {"0123456789abcdef", "unsubscribe", tok[:len(tok)-4] + other[len(other)-4:]},
		"altered":       {"0123456789abcdef", "unsubscribe", "Ym9iQGV4YW1wbGUuY29t" + tok[len("YW5uQGV4YW1wbGUuY29t"):]},
		"no dot":        {"0123456789abcdef", "unsubscribe", "abc"},
		"empty":         {"0123456789abcdef", "unsubscribe", ""},
	}
	for name, c := range cases {
		if _, err := VerifyLegacy(c.secret, c.purpose, c.token); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Verify err = %v, want ErrInvalid", name, err)
		}
	}
}

// TestLegacyStrict: the four spellings of a token's last character that a
// lax decoder accepts, and CR/LF inside, are refused; the canonical one
// verifies.
func TestLegacyStrict(t *testing.T) {
	tok := LegacyToken(testSecret, PurposeUnsubscribe, "ann@example.com")
	if _, err := VerifyLegacy(testSecret, PurposeUnsubscribe, tok); err != nil {
		t.Fatalf("canonical token: %v", err)
	}
	n := 0
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" {
		v := tok[:len(tok)-1] + string(c)
		if v == tok {
			continue
		}
		if _, err := VerifyLegacy(testSecret, PurposeUnsubscribe, v); err == nil {
			n++
		}
	}
	if n != 0 {
		t.Errorf("%d variants of the last character verify, want 0", n)
	}
	for _, v := range []string{tok[:5] + "\r\n" + tok[5:], tok[:5] + "\n" + tok[5:], tok + "\n", tok[:5] + "=" + tok[5:]} {
		if _, err := VerifyLegacy(testSecret, PurposeUnsubscribe, v); !errors.Is(err, ErrInvalid) {
			t.Errorf("Verify(%q) = %v, want ErrInvalid", v, err)
		}
	}
}

const (
	testSecret = "0123456789abcdef"
	handleA    = "00112233445566778899aabbccddeeff"
	handleB    = "ffeeddccbbaa99887766554433221100"
)

var now = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func mustToken(t *testing.T, c Claims) string {
	t.Helper()
	tok, err := Token(testSecret, c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestTokenRoundTrip(t *testing.T) {
	for _, c := range []Claims{
		{Handle: handleA, Version: 1, Purpose: PurposeUnsubscribe},
		{Handle: handleB, Version: 1 << 40, Purpose: PurposePreferences},
		{Handle: handleA, Version: 7, Purpose: PurposeConfirm, Expires: now.Add(48 * time.Hour)},
	} {
		tok := mustToken(t, c)
		if len(tok) != TokenLen {
			t.Errorf("token %q is %d long, want %d", tok, len(tok), TokenLen)
		}
		got, err := Verify(testSecret, c.Purpose, tok, now)
		if err != nil || got != c {
			t.Errorf("Verify = %+v, %v; want %+v", got, err, c)
		}
	}
}

// TestTokenOpaque: the token carries no address, and two subscribers'
// tokens share nothing but the format's header.
func TestTokenOpaque(t *testing.T) {
	a := mustToken(t, Claims{Handle: handleA, Version: 1, Purpose: PurposeUnsubscribe})
	raw, err := enc.DecodeString(a)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "@") || strings.Contains(a, "YW5u") {
		t.Errorf("token %q looks like it carries text", a)
	}
}

func TestTokenRefusals(t *testing.T) {
	unsub := mustToken(t, Claims{Handle: handleA, Version: 1, Purpose: PurposeUnsubscribe})
	confirm := mustToken(t, Claims{Handle: handleA, Version: 1, Purpose: PurposeConfirm, Expires: now.Add(time.Hour)})
	b := []byte(unsub)
	b[10] ^= 1
	altered := string(b)
	last := unsub[:len(unsub)-1] + map[bool]string{true: "B", false: "A"}[unsub[len(unsub)-1] == 'A']
	cases := map[string]struct {
		secret, purpose, token string
		want                   error
	}{
		"other secret":           {"fedcba9876543210", PurposeUnsubscribe, unsub, ErrInvalid},
		"other purpose":          {testSecret, PurposePreferences, unsub, ErrInvalid},
		"confirm as unsubscribe": {testSecret, PurposeUnsubscribe, confirm, ErrInvalid},
		"unknown purpose":        {testSecret, "admin", unsub, ErrInvalid},
		"altered":                {testSecret, PurposeUnsubscribe, altered, ErrInvalid},
		"last char":              {testSecret, PurposeUnsubscribe, last, ErrInvalid},
		"cut":                    {testSecret, PurposeUnsubscribe, unsub[:len(unsub)-4], ErrInvalid},
		"trailing":               {testSecret, PurposeUnsubscribe, unsub + "AAAA", ErrInvalid},
		"CRLF":                   {testSecret, PurposeUnsubscribe, unsub[:20] + "\r\n" + unsub[20:], ErrInvalid},
		"LF end":                 {testSecret, PurposeUnsubscribe, unsub + "\n", ErrInvalid},
		"padding":                {testSecret, PurposeUnsubscribe, unsub + "==", ErrInvalid},
		"std alphabet":           {testSecret, PurposeUnsubscribe, strings.NewReplacer("-", "+", "_", "/").Replace(unsub) + "+", ErrInvalid},
		"legacy":                 {testSecret, PurposeUnsubscribe, LegacyToken(testSecret, PurposeUnsubscribe, "ann@example.com"), ErrInvalid},
		"no secret":              {"", PurposeUnsubscribe, unsub, ErrInvalid},
		"expired":                {testSecret, PurposeConfirm, mustToken(t, Claims{Handle: handleA, Version: 1, Purpose: PurposeConfirm, Expires: now}), ErrExpired},
		"empty":                  {testSecret, PurposeUnsubscribe, "", ErrInvalid},
	}
	for name, c := range cases {
		if _, err := Verify(c.secret, c.purpose, c.token, now); !errors.Is(err, c.want) {
			t.Errorf("%s: Verify err = %v, want %v", name, err, c.want)
		}
	}
}

func TestTokenRefusesToMake(t *testing.T) {
	for name, c := range map[string]Claims{
		"short handle":     {Handle: "abc", Purpose: PurposeUnsubscribe},
		"not hex":          {Handle: strings.Repeat("z", HandleLen), Purpose: PurposeUnsubscribe},
		"unknown purpose":  {Handle: handleA, Purpose: "admin"},
		"confirm for ever": {Handle: handleA, Purpose: PurposeConfirm},
	} {
		if _, err := Token(testSecret, c); err == nil {
			t.Errorf("%s: Token made a token", name)
		}
	}
}

// FuzzVerify: no input panics, and whatever verifies is the one spelling
// Token makes of its claims.
func FuzzVerify(f *testing.F) {
	f.Add(PurposeUnsubscribe, mustFuzzToken(Claims{Handle: handleA, Version: 1, Purpose: PurposeUnsubscribe}))
	f.Add(PurposeConfirm, mustFuzzToken(Claims{Handle: handleB, Version: 3, Purpose: PurposeConfirm, Expires: now.Add(time.Hour)}))
	f.Add(PurposePreferences, mustFuzzToken(Claims{Handle: handleB, Version: 3, Purpose: PurposePreferences})+"\r\n")
	f.Add(PurposeUnsubscribe, LegacyToken(testSecret, PurposeUnsubscribe, "ann@example.com"))
	f.Add(PurposeUnsubscribe, "YW5uQGV4YW1wbGUuY29t.")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, purpose, token string) {
		if c, err := Verify(testSecret, purpose, token, now); err == nil {
			again, err := Token(testSecret, c)
			if err != nil || again != token {
				t.Fatalf("verified %q as %+v, which makes %q, %v", token, c, again, err)
			}
		}
		if email, err := VerifyLegacy(testSecret, purpose, token); err == nil {
			if again := LegacyToken(testSecret, purpose, email); again != token {
				t.Fatalf("legacy %q verified as %q, which makes %q", token, email, again)
			}
		}
	})
}

func mustFuzzToken(c Claims) string {
	tok, err := Token(testSecret, c)
	if err != nil {
		panic(err)
	}
	return tok
}
