package email

import (
	"context"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Check connects to the server as a Send would (greeting, EHLO, STARTTLS
// or TLS, AUTH as configured), sends no message, says QUIT, and returns
// what the server answered: its EHLO line, the TLS version and the login.
// A failure is the server's reply or the connection's error.
func (s *Sender) Check(ctx context.Context) (string, error) {
	c, err := s.dial(ctx)
	if err != nil {
		return "", dialError(s.host, s.port, err)
	}
	defer c.close(true)
	ehlo, _, _ := strings.Cut(c.smtp.HelloResponse(), "\n")
	parts := []string{"EHLO " + strings.TrimSpace(ehlo)}
	if st, ok := c.smtp.TLSConnectionState(); ok {
		how := "STARTTLS"
		if s.mode == "tls" {
			how = "TLS"
		}
		parts = append(parts, how+" "+tls.VersionName(st.Version))
	} else {
		parts = append(parts, "no TLS (tls=none)")
	}
	if s.user != "" {
		parts = append(parts, "AUTH accepted for "+s.user)
	}
	return strings.Join(parts, "; "), nil
}

// Addr is the host:port the Sender connects to.
func (s *Sender) Addr() string { return net.JoinHostPort(s.host, strconv.Itoa(s.port)) }

// DKIMRecord returns the DNS TXT record that publishes the public half of
// c's key: its name (selector._domainkey.domain) and its value.
func DKIMRecord(c DKIMConfig) (name, value string, err error) {
	d, err := newDKIMSigner(c)
	if err != nil {
		return "", "", err
	}
	k, p, err := publicKey(d.opts.Signer.Public())
	if err != nil {
		return "", "", err
	}
	return c.Selector + "._domainkey." + c.Domain, "v=DKIM1; k=" + k + "; p=" + p, nil
}

// publicKey is the k= and p= of a DKIM key record (RFC 6376 3.6.1, RFC
// 8463): the DER SubjectPublicKeyInfo of an RSA key, the raw 32 bytes of an
// Ed25519 one, in base64.
func publicKey(pub any) (k, p string, err error) {
	switch pub := pub.(type) {
	case *rsa.PublicKey:
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			return "", "", fmt.Errorf("encode the dkim public key: %w", err)
		}
		return "rsa", base64.StdEncoding.EncodeToString(der), nil
	case ed25519.PublicKey:
		return "ed25519", base64.StdEncoding.EncodeToString(pub), nil
	}
	return "", "", fmt.Errorf("%T is not an RSA or Ed25519 key", pub)
}

// ErrDNSUnreachable says the DKIM record could not be looked up at all
// (no resolver answered), as opposed to being absent or different.
var ErrDNSUnreachable = errors.New("DNS could not be reached")

// CheckDKIMDNS looks up c's key record with lookup (net.Resolver.LookupTXT)
// and compares its p= with the key's public half. It returns the record
// found; an error says it is missing, different, or (ErrDNSUnreachable)
// that DNS did not answer. Either way DKIMRecord says what to publish.
func CheckDKIMDNS(ctx context.Context, c DKIMConfig, lookup func(ctx context.Context, name string) ([]string, error)) (string, error) {
	name, want, err := DKIMRecord(c)
	if err != nil {
		return "", err
	}
	txts, err := lookup(ctx, name)
	if err != nil {
		var de *net.DNSError
		if errors.As(err, &de) && de.IsNotFound {
			return "", fmt.Errorf("no TXT record at %s", name)
		}
		return "", fmt.Errorf("look up %s: %w: %v", name, ErrDNSUnreachable, err)
	}
	wantP := tagValue(want, "p")
	var found []string
	for _, txt := range txts {
		if !strings.Contains(txt, "p=") {
			continue // another TXT record at the same name
		}
		found = append(found, txt)
		if tagValue(txt, "p") == wantP {
			return txt, nil
		}
	}
	if len(found) == 0 {
		return "", fmt.Errorf("no DKIM key record at %s", name)
	}
	return "", fmt.Errorf("the key published at %s is not this key's public half", name)
}

// tagValue is the value of tag in a DKIM tag list ("v=DKIM1; p=…"),
// whitespace removed (long keys are split across strings and lines).
func tagValue(list, tag string) string {
	for _, part := range strings.Split(list, ";") {
		k, v, ok := strings.Cut(part, "=")
		if ok && strings.TrimSpace(k) == tag {
			return strings.Join(strings.Fields(v), "")
		}
	}
	return ""
}
