// Package redact hides the secrets URLs carry — the password of their user
// part and the value of query parameters such as password, token or
// api_key — wherever a URL is printed: configuration, errors and logs.
// It is the one place that decides what counts as a secret.
package redact

import (
	"net/url"
	"strconv"
	"strings"
)

// Mask replaces each secret of a URL that parses.
const Mask = "xxxxx"

// Unparseable is what is printed of a URL that does not parse: which part
// of it is a secret cannot be told.
const Unparseable = "<redacted>"

// secretWords mark a query parameter that holds a secret when its name,
// lowercased, is one of them or ends with "_" or "-" and one of them
// (access_token, api_key, client-secret).
var secretWords = []string{
	"password", "passwd", "pass", "pwd", "token", "secret", "key", "apikey",
	"auth", "authorization", "credential", "credentials", "signature", "sig",
}

// SecretParam reports whether a query parameter named name holds a secret.
func SecretParam(name string) bool {
	n := strings.ToLower(name)
	if strings.Contains(n, "password") || strings.Contains(n, "token") || strings.Contains(n, "secret") {
		return true
	}
	for _, w := range secretWords {
		if n == w || strings.HasSuffix(n, "_"+w) || strings.HasSuffix(n, "-"+w) {
			return true
		}
	}
	return false
}

// URL returns raw with the password of its user part and the value of
// every secret query parameter replaced by Mask, or Unparseable if raw is
// not a URL. Text that is not a URL at all ("sqlite:file.db") is kept.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return Unparseable
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), Mask)
		}
	}
	if u.RawQuery != "" {
		q, err := url.ParseQuery(u.RawQuery)
		switch {
		case err != nil:
			u.RawQuery = Mask // a query that does not parse may hide anything
		case masked(q):
			u.RawQuery = q.Encode()
		}
	}
	if u.Fragment != "" {
		// OAuth puts tokens in the fragment (#access_token=…).
		if q, err := url.ParseQuery(u.Fragment); err != nil || masked(q) {
			u.Fragment, u.RawFragment = Mask, ""
		}
	}
	return u.String()
}

// masked replaces the values of q's secret parameters and reports whether
// there was any.
func masked(q url.Values) bool {
	found := false
	for k, vs := range q {
		if !SecretParam(k) {
			continue
		}
		for i := range vs {
			vs[i] = Mask
		}
		found = true
	}
	return found
}

// secrets returns what of raw must not be printed: its password and secret
// parameter values, raw and in each escaping a message may quote them in,
// or the whole of raw if it does not parse.
func secrets(raw string) []string {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error and %q quote it.
		q := strconv.Quote(raw)
		return []string{raw, q[1 : len(q)-1]}
	}
	var out []string
	add := func(s string) {
		if s != "" {
			q := strconv.Quote(s) // as %q prints it
			out = append(out, s, url.QueryEscape(s), url.PathEscape(s), q[1:len(q)-1])
		}
	}
	if p, ok := u.User.Password(); ok {
		add(p)
		// And as written, which may escape other characters than Go does.
		if _, rest, ok := strings.Cut(raw, "://"); ok {
			authority, _, _ := strings.Cut(rest, "/")
			authority, _, _ = strings.Cut(authority, "?")
			if at := strings.LastIndex(authority, "@"); at >= 0 {
				if _, written, ok := strings.Cut(authority[:at], ":"); ok {
					add(written)
				}
			}
		}
	}
	for _, part := range []string{u.RawQuery, u.Fragment} {
		for _, kv := range strings.FieldsFunc(part, func(r rune) bool { return r == '&' || r == ';' }) {
			k, v, _ := strings.Cut(kv, "=")
			if dk, err := url.QueryUnescape(k); err == nil {
				k = dk
			}
			if !SecretParam(k) {
				continue
			}
			add(v)
			if dv, err := url.QueryUnescape(v); err == nil {
				add(dv)
			}
		}
	}
	return out
}

// String returns s with every secret of the URLs raws replaced: by Mask,
// or by Unparseable for a URL that does not parse.
func String(s string, raws ...string) string {
	for _, raw := range raws {
		mask := Mask
		if _, err := url.Parse(raw); err != nil {
			mask = Unparseable
		}
		// Longest first, so that a secret is not left half masked by a
		// shorter one inside it.
		ss := secrets(raw)
		for i := 1; i < len(ss); i++ {
			for j := i; j > 0 && len(ss[j]) > len(ss[j-1]); j-- {
				ss[j], ss[j-1] = ss[j-1], ss[j]
			}
		}
		for _, sec := range ss {
			s = strings.ReplaceAll(s, sec, mask)
		}
	}
	return s
}

// Error returns err with every secret of the URLs raws replaced in its
// message, as String does; errors.Is and errors.As still see err. Errors of
// client libraries (go-redis, pgx, net/url) quote the URL they were given,
// password and all.
func Error(err error, raws ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if m := String(msg, raws...); m != msg {
		return &maskedError{msg: m, err: err}
	}
	return err
}

// maskedError is an error whose message has had its secrets removed.
type maskedError struct {
	msg string
	err error
}

func (e *maskedError) Error() string { return e.msg }
func (e *maskedError) Unwrap() error { return e.err }
