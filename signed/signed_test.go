package signed

import (
	"errors"
	"testing"
)

func TestTokenRoundTrip(t *testing.T) {
	tok := Token("0123456789abcdef", "unsubscribe", "ann@example.com")
	got, err := Verify("0123456789abcdef", "unsubscribe", tok)
	if err != nil || got != "ann@example.com" {
		t.Fatalf("Verify = %q, %v; want ann@example.com", got, err)
	}
}

func TestTokenRejectsForgeries(t *testing.T) {
	tok := Token("0123456789abcdef", "unsubscribe", "ann@example.com")
	other := Token("0123456789abcdef", "unsubscribe", "bob@example.com")
	cases := map[string]struct{ secret, purpose, token string }{
		"other secret":  {"fedcba9876543210", "unsubscribe", tok},
		"other purpose": {"0123456789abcdef", "confirm", tok},
		"swapped mac":   {"0123456789abcdef", "unsubscribe", tok[:len(tok)-4] + other[len(other)-4:]},
		"altered":       {"0123456789abcdef", "unsubscribe", "Ym9iQGV4YW1wbGUuY29t" + tok[len("YW5uQGV4YW1wbGUuY29t"):]},
		"no dot":        {"0123456789abcdef", "unsubscribe", "abc"},
		"empty":         {"0123456789abcdef", "unsubscribe", ""},
	}
	for name, c := range cases {
		if _, err := Verify(c.secret, c.purpose, c.token); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Verify err = %v, want ErrInvalid", name, err)
		}
	}
}
