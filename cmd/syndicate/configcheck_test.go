package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"

	"syndicate/channels/email"
	"syndicate/mailsink"
)

// checkEnv is the environment of a config check against servers the test
// starts: Redis, SQLite, a webhook target, a DKIM key.
type checkEnv struct {
	t   *testing.T
	env map[string]string
	dk  email.DKIMConfig
}

func newCheckEnv(t *testing.T) *checkEnv {
	t.Helper()
	dir := t.TempDir()
	mr := miniredis.RunT(t)
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "dkim.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return &checkEnv{t: t, dk: email.DKIMConfig{Domain: "news.example.com", Selector: "s1", KeyFile: keyFile}, env: map[string]string{
		"SYNDICATE_REDIS_URL":             "redis://" + mr.Addr() + "/0",
		"SYNDICATE_DATABASE_URL":          "sqlite:" + filepath.Join(dir, "s.db"),
		"SYNDICATE_FROM":                  "News <news@news.example.com>",
		"SYNDICATE_BASE_URL":              "https://news.example.com",
		"SYNDICATE_SECRET":                "check-secret-0123456789",
		"SYNDICATE_BRAND_ADDRESS":         "1 Harbour Street, Riverside",
		"SYNDICATE_DKIM_DOMAIN":           "news.example.com",
		"SYNDICATE_DKIM_SELECTOR":         "s1",
		"SYNDICATE_DKIM_KEY_FILE":         keyFile,
		"SYNDICATE_WEBHOOK_ALLOW_PRIVATE": "true",
		"SYNDICATE_WEBHOOK_FORMAT":        "slack",
	}}
}

// smtpSink starts a fake SMTP server with STARTTLS and AUTH PLAIN.
func (c *checkEnv) smtpSink(tlsOn bool) *mailsink.Sink {
	c.t.Helper()
	o := mailsink.Options{User: "sender", Password: "right-pass"}
	if tlsOn {
		conf, err := mailsink.SelfSigned()
		if err != nil {
			c.t.Fatal(err)
		}
		o.TLS = conf
	}
	s, err := mailsink.StartWith(o)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { s.Close() })
	return s
}

// webhook starts a target that answers HEAD with status.
func (c *checkEnv) webhook(status int) string {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodHead {
			c.t.Errorf("config check sent %s to a webhook target", r.Method)
		}
		w.WriteHeader(status)
	}))
	c.t.Cleanup(hs.Close)
	return hs.URL + "/services/T000/B000/token-in-path"
}

// check runs config check with lookup as DNS and returns its output and
// exit code.
func (c *checkEnv) check(lookup func(context.Context, string) ([]string, error)) (string, int) {
	c.t.Helper()
	var out, errb bytes.Buffer
	a := &app{ctx: context.Background(), getenv: func(k string) string { return c.env[k] }, stdout: &out, stderr: &errb, logLevel: "warn"}
	err := a.configCheck(false, lookup)
	code := 0
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		code = ee.code
	case err != nil:
		c.t.Fatalf("config check: %v\n%s", err, out.String())
	}
	return out.String(), code
}

// dns answers TXT look-ups with the record of key (nil: not found).
func dns(records map[string]string) func(context.Context, string) ([]string, error) {
	return func(_ context.Context, name string) ([]string, error) {
		if v, ok := records[name]; ok {
			return []string{"google-site-verification=abc", v}, nil
		}
		return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
	}
}

func wantLines(t *testing.T, out string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(out, l) {
			t.Errorf("config check output lacks %q:\n%s", l, out)
		}
	}
}

// TestConfigCheckHealthy: every server answers: SMTP with STARTTLS and the
// login accepted (and no message sent), the webhook target to HEAD, the
// DKIM record matching the key; exit 0, no warning.
func TestConfigCheckHealthy(t *testing.T) {
	c := newCheckEnv(t)
	sink := c.smtpSink(true)
	c.env["SYNDICATE_SMTP_URL"] = "smtp://sender:right-pass@" + sink.Addr() + "?tls=starttls&skip_verify=1"
	c.env["SYNDICATE_WEBHOOK_URL"] = c.webhook(http.StatusMethodNotAllowed)
	name, value, err := email.DKIMRecord(c.dk)
	if err != nil {
		t.Fatal(err)
	}
	out, code := c.check(dns(map[string]string{name: value}))
	if code != 0 {
		t.Errorf("exit %d, want 0:\n%s", code, out)
	}
	wantLines(t, out, "CHECK", "✓ redis", "✓ database",
		"✓ smtp "+sink.Addr(), "EHLO Hello", "STARTTLS TLS 1.3", "AUTH accepted for sender",
		"HEAD answered 405", "✓ dkim dns", "s1._domainkey.news.example.com has the key's public half")
	if strings.Contains(out, "✗") || strings.Contains(out, "\n! ") || strings.Contains(out, "token-in-path") {
		t.Errorf("a healthy setup reported a problem or printed the webhook token:\n%s", out)
	}
	if n := len(sink.Messages()); n != 0 {
		t.Errorf("config check sent %d messages", n)
	}
}

// TestConfigCheckRefused: a wrong SMTP password, a server without
// STARTTLS, a webhook URL the target does not know, one that refuses
// connections and a DKIM record of another key each fail with the reply
// or error, the record to publish is printed, and the exit is 1.
func TestConfigCheckRefused(t *testing.T) {
	c := newCheckEnv(t)
	name, value, err := email.DKIMRecord(c.dk)
	if err != nil {
		t.Fatal(err)
	}
	other := "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="

	sink := c.smtpSink(true)
	c.env["SYNDICATE_SMTP_URL"] = "smtp://sender:wrong-pass@" + sink.Addr() + "?tls=starttls&skip_verify=1"
	c.env["SYNDICATE_WEBHOOK_URL"] = c.webhook(http.StatusNotFound)
	out, code := c.check(dns(map[string]string{name: other}))
	if code != 1 {
		t.Errorf("exit %d, want 1:\n%s", code, out)
	}
	wantLines(t, out, "✗ smtp "+sink.Addr(), "535", "✗ webhook target 1", "404",
		"✗ dkim dns", "is not this key's public half", "the DKIM record to publish:", name+` TXT "`+value+`"`)

	plain := c.smtpSink(false)
	c.env["SYNDICATE_SMTP_URL"] = "smtp://sender:right-pass@" + plain.Addr() + "?tls=starttls"
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	c.env["SYNDICATE_WEBHOOK_URL"] = closed.URL + "/hook"
	out, code = c.check(dns(nil))
	if code != 1 {
		t.Errorf("exit %d, want 1:\n%s", code, out)
	}
	wantLines(t, out, "✗ smtp "+plain.Addr(), "STARTTLS", "✗ webhook target 1", "connection refused",
		"✗ dkim dns", "no TXT record at "+name, name+` TXT "`+value+`"`)
}

// TestConfigCheckDNSUnreachable: when DNS does not answer, the DKIM row is
// a warning with the record to publish, and it alone does not fail.
func TestConfigCheckDNSUnreachable(t *testing.T) {
	c := newCheckEnv(t)
	out, code := c.check(func(_ context.Context, name string) ([]string, error) {
		return nil, &net.DNSError{Err: "i/o timeout", Name: name, IsTimeout: true}
	})
	if code != 0 {
		t.Errorf("exit %d, want 0:\n%s", code, out)
	}
	wantLines(t, out, "! dkim dns", "DNS could not be reached", "the DKIM record to publish:", "s1._domainkey.news.example.com TXT \"v=DKIM1; k=ed25519; p=")
}
