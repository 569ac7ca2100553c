package signed

import (
	"errors"
	"strings"
	"testing"
	"time"
)

const testBound = "$2a$10$abcdefghijklmnopqrstuv"

func TestSessionRoundTrip(t *testing.T) {
	s := NewSession("ann", now.Add(time.Hour))
	tok, err := SessionToken(testSecret, testBound, s)
	if err != nil {
		t.Fatal(err)
	}
	if u, err := SessionUser(tok); err != nil || u != "ann" {
		t.Errorf("SessionUser = %q, %v", u, err)
	}
	got, err := VerifySession(testSecret, testBound, tok, now)
	if err != nil || got.User != "ann" || got.ID != s.ID || !got.Expires.Equal(s.Expires.Truncate(time.Second)) {
		t.Fatalf("VerifySession = %+v, %v; want %+v", got, err, s)
	}
	if _, err := VerifySession(testSecret, testBound, tok, now.Add(time.Hour)); !errors.Is(err, ErrExpired) {
		t.Errorf("at its expiry: %v, want ErrExpired", err)
	}
	for name, check := range map[string]func() error{
		"other secret": func() error { _, err := VerifySession("another secret", testBound, tok, now); return err },
		"other bound (password changed)": func() error {
			_, err := VerifySession(testSecret, testBound+"x", tok, now)
			return err
		},
		"no secret": func() error { _, err := VerifySession("", testBound, tok, now); return err },
		"other user": func() error {
			other, _ := SessionToken(testSecret, testBound, Session{User: "bob", ID: s.ID, Expires: s.Expires})
			_, err := VerifySession(testSecret, testBound, strings.Split(other, ".")[0]+tok[strings.Index(tok, "."):], now)
			return err
		},
		"later expiry": func() error {
			p := strings.Split(tok, ".")
			p[2] = "99999999999"
			_, err := VerifySession(testSecret, testBound, strings.Join(p, "."), now)
			return err
		},
		"upper-case ID": func() error {
			p := strings.Split(tok, ".")
			p[1] = strings.ToUpper(p[1])
			_, err := VerifySession(testSecret, testBound, strings.Join(p, "."), now)
			return err
		},
	} {
		if err := check(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if a, b := NewSession("ann", now), NewSession("ann", now); a.ID == b.ID {
		t.Error("two sessions share an ID")
	}
}

func TestSessionTokenRefuses(t *testing.T) {
	ok := NewSession("ann", now.Add(time.Hour))
	for name, s := range map[string]Session{
		"no user":   {ID: ok.ID, Expires: ok.Expires},
		"long user": {User: strings.Repeat("a", MaxUserLen+1), ID: ok.ID, Expires: ok.Expires},
		"bad ID":    {User: "ann", ID: "xyz", Expires: ok.Expires},
		"no expiry": {User: "ann", ID: ok.ID},
	} {
		if _, err := SessionToken(testSecret, testBound, s); err == nil {
			t.Errorf("%s: made a token", name)
		}
	}
	if _, err := SessionToken("", testBound, ok); err == nil {
		t.Error("made a token without a secret")
	}
}

func TestCSRF(t *testing.T) {
	a, b := NewSession("ann", now.Add(time.Hour)), NewSession("ann", now.Add(time.Hour))
	tok := CSRFToken(testSecret, a.ID)
	if !VerifyCSRF(testSecret, a.ID, tok) {
		t.Fatal("the session's own token is refused")
	}
	session, _ := SessionToken(testSecret, testBound, a)
	for name, ok := range map[string]bool{
		"other session":       VerifyCSRF(testSecret, b.ID, tok),
		"other secret":        VerifyCSRF("another secret", a.ID, tok),
		"empty token":         VerifyCSRF(testSecret, a.ID, ""),
		"no session":          VerifyCSRF(testSecret, "", CSRFToken(testSecret, "")),
		"no secret":           VerifyCSRF("", a.ID, CSRFToken("", a.ID)),
		"the session's MAC":   VerifyCSRF(testSecret, a.ID, session[strings.LastIndex(session, ".")+1:]),
		"token with padding=": VerifyCSRF(testSecret, a.ID, tok+"="),
	} {
		if ok {
			t.Errorf("%s: verified", name)
		}
	}
}

func FuzzVerifySession(f *testing.F) {
	tok, err := SessionToken(testSecret, testBound, Session{User: "ann", ID: strings.Repeat("ab", 16), Expires: now.Add(time.Hour)})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tok)
	f.Add(tok + ".")
	f.Add("YW5u.." + tok)
	f.Add("")
	f.Fuzz(func(t *testing.T, token string) {
		s, err := VerifySession(testSecret, testBound, token, now)
		if err != nil {
			return
		}
		again, err := SessionToken(testSecret, testBound, s)
		if err != nil || again != token {
			t.Fatalf("verified %q as %+v, which makes %q, %v", token, s, again, err)
		}
		if u, err := SessionUser(token); err != nil || u != s.User {
			t.Fatalf("SessionUser(%q) = %q, %v; verified as %q", token, u, err, s.User)
		}
	})
}
