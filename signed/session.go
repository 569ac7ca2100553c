package signed

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The editor's dashboard signs two things: the session cookie, and the
// CSRF token of every form, which is bound to the session it was shown
// in. Each has its own MAC context, so neither can pass for the other or
// for a link token.
const (
	sessionContext = "syndicate admin session v1\x00"
	csrfContext    = "syndicate admin csrf v1\x00"
)

// MaxUserLen bounds the user name a session carries.
const MaxUserLen = 64

// maxSessionLen bounds a session token: a user name of MaxUserLen bytes in
// base64, an ID, an expiry and a MAC, with room to spare.
const maxSessionLen = 300

// sessionIDLen is the length of a session's ID: 16 random bytes in hex.
const sessionIDLen = 32

// Session is what an editor's session cookie says.
type Session struct {
	// User is the editor's name, as configured.
	User string
	// ID is random and names this session: CSRF tokens are bound to it.
	ID string
	// Expires is when the cookie stops being accepted.
	Expires time.Time
}

// NewSession returns a session of user with a fresh random ID.
func NewSession(user string, expires time.Time) Session {
	var b [sessionIDLen / 2]byte
	rand.Read(b[:]) // never fails (crypto/rand's documented contract)
	return Session{User: user, ID: hex.EncodeToString(b[:]), Expires: expires}
}

// SessionToken returns the cookie value of s under secret. bound is mixed
// into the MAC (the program passes the user's password hash), so that
// changing what is bound revokes every session made before.
func SessionToken(secret, bound string, s Session) (string, error) {
	if secret == "" {
		return "", errors.New("make session: no secret")
	}
	if s.User == "" || len(s.User) > MaxUserLen || !utf8.ValidString(s.User) {
		return "", errors.New("make session: the user name is empty, too long or not UTF-8")
	}
	if len(s.ID) != sessionIDLen {
		return "", errors.New("make session: the ID is not 32 hex digits")
	}
	if _, err := hex.DecodeString(s.ID); err != nil {
		return "", errors.New("make session: the ID is not 32 hex digits")
	}
	if s.Expires.IsZero() {
		return "", errors.New("make session: a session must expire")
	}
	exp := strconv.FormatInt(max(s.Expires.Unix(), 1), 10)
	user := enc.EncodeToString([]byte(s.User))
	return user + "." + s.ID + "." + exp + "." + enc.EncodeToString(sessionMAC(secret, bound, s.User, s.ID, exp)), nil
}

// SessionUser returns the user a session token names, unverified: the
// caller looks up what the token is bound to, then calls VerifySession.
func SessionUser(token string) (string, error) {
	if len(token) > maxSessionLen {
		return "", ErrInvalid
	}
	u, _, ok := strings.Cut(token, ".")
	if !ok {
		return "", ErrInvalid
	}
	user, err := decode(u)
	if err != nil || len(user) == 0 || len(user) > MaxUserLen || !utf8.Valid(user) {
		return "", ErrInvalid
	}
	return string(user), nil
}

// VerifySession returns the session of a token made by SessionToken with
// the same secret and bound, if it has not expired at now. Decoding is
// strict: only the one spelling SessionToken makes verifies.
func VerifySession(secret, bound, token string, now time.Time) (Session, error) {
	if secret == "" || len(token) > maxSessionLen {
		return Session{}, ErrInvalid
	}
	parts := strings.Split(token, ".")
	if len(parts) != 4 {
		return Session{}, ErrInvalid
	}
	user, err := SessionUser(token)
	if err != nil {
		return Session{}, err
	}
	id, exp := parts[1], parts[2]
	if len(id) != sessionIDLen || strings.ToLower(id) != id {
		return Session{}, ErrInvalid
	}
	if _, err := hex.DecodeString(id); err != nil {
		return Session{}, ErrInvalid
	}
	secs, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || secs < 1 || strconv.FormatInt(secs, 10) != exp {
		return Session{}, ErrInvalid
	}
	got, err := decode(parts[3])
	if err != nil || !hmac.Equal(got, sessionMAC(secret, bound, user, id, exp)) {
		return Session{}, ErrInvalid
	}
	s := Session{User: user, ID: id, Expires: time.Unix(secs, 0)}
	if !now.Before(s.Expires) {
		return Session{}, ErrExpired
	}
	return s, nil
}

func sessionMAC(secret, bound, user, id, exp string) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(sessionContext))
	// Each field is length-prefixed, so no two sessions share an input.
	for _, f := range []string{user, id, exp, bound} {
		h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(f))))
		h.Write([]byte(f))
	}
	return h.Sum(nil)
}

// CSRFToken returns the token a form shown in the session with the ID
// carries, so that a form posted from another site, which cannot read the
// page, is refused.
func CSRFToken(secret, sessionID string) string {
	return enc.EncodeToString(csrfMAC(secret, sessionID))
}

// VerifyCSRF reports whether token is CSRFToken's for the session, in
// constant time. No secret or no session verifies nothing.
func VerifyCSRF(secret, sessionID, token string) bool {
	if secret == "" || sessionID == "" || len(token) > maxSessionLen {
		return false
	}
	got, err := decode(token)
	return err == nil && hmac.Equal(got, csrfMAC(secret, sessionID))
}

func csrfMAC(secret, sessionID string) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(csrfContext + sessionID))
	return h.Sum(nil)
}
