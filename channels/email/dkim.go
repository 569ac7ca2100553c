package email

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"regexp"

	"github.com/emersion/go-msgauth/dkim"
)

// DKIMConfig says how to sign outgoing email with DKIM (RFC 6376):
// rsa-sha256 or ed25519-sha256, relaxed/relaxed canonicalization.
type DKIMConfig struct {
	// Domain is the signing domain (d=). For DMARC it must be the From
	// address's domain or a parent of it.
	Domain string
	// Selector (s=) names the key: receivers look up the TXT record
	// Selector._domainkey.Domain.
	Selector string
	// KeyFile is a PEM file holding the private key: RSA as PKCS#1
	// ("RSA PRIVATE KEY") or PKCS#8 ("PRIVATE KEY"), at least 1024 bits, or
	// Ed25519 as PKCS#8. It is read once, by New.
	KeyFile string
	// Key is the private key itself, in place of KeyFile: an
	// *rsa.PrivateKey, an ed25519.PrivateKey or a signer that keeps its key
	// elsewhere. Exactly one of Key and KeyFile is set.
	Key crypto.Signer
}

// signedHeaders are the header fields every signature covers. Receivers
// (Gmail among them) require the List-Unsubscribe pair to be signed before
// they offer one-click unsubscribe. A name listed but absent from a
// message is signed as absent, so adding it later breaks the signature.
var signedHeaders = []string{
	"From", "To", "Subject", "Date", "Message-ID",
	"MIME-Version", "Content-Type", "Content-Transfer-Encoding",
	"List-Id", "List-Unsubscribe", "List-Unsubscribe-Post",
	"Precedence", "Auto-Submitted",
	// Gmail counts a Feedback-ID only when the signature covers it.
	"Feedback-ID",
	// Listed twice (oversigned) so that a second instance added in transit,
	// which many clients would show instead of ours, breaks the signature.
	"From", "To", "Subject", "Date", "Message-ID", "List-Unsubscribe", "List-Unsubscribe-Post",
}

// dnsName is a domain or a selector: dot-separated labels. Underscores are
// allowed because selectors and some signing domains use them.
var dnsName = regexp.MustCompile(`^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*$`)

// dkimSigner signs messages with one loaded key.
type dkimSigner struct {
	opts dkim.SignOptions
}

// newDKIMSigner checks c and loads its key.
func newDKIMSigner(c DKIMConfig) (*dkimSigner, error) {
	if !dnsName.MatchString(c.Domain) || len(c.Domain) > 253 {
		return nil, fmt.Errorf("dkim domain %q is not a domain name", c.Domain)
	}
	if !dnsName.MatchString(c.Selector) {
		return nil, fmt.Errorf("dkim selector %q is not a DNS label", c.Selector)
	}
	key := c.Key
	switch {
	case key != nil && c.KeyFile != "":
		return nil, errors.New("dkim: give a key or a key file, not both")
	case key == nil && c.KeyFile == "":
		return nil, errors.New("dkim: no key or key file given")
	case key == nil:
		var err error
		if key, err = loadDKIMKey(c.KeyFile); err != nil {
			return nil, err
		}
	default:
		if err := checkDKIMKey(key); err != nil {
			return nil, fmt.Errorf("dkim key: %w", err)
		}
	}
	return &dkimSigner{opts: dkim.SignOptions{
		Domain:                 c.Domain,
		Selector:               c.Selector,
		Signer:                 key,
		Hash:                   crypto.SHA256,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed,
		BodyCanonicalization:   dkim.CanonicalizationRelaxed,
		HeaderKeys:             signedHeaders,
	}}, nil
}

// sign returns raw with a DKIM-Signature header field prepended.
func (d *dkimSigner) sign(raw []byte) ([]byte, error) {
	var out bytes.Buffer
	out.Grow(len(raw) + 1024)
	// dkim.Sign only reads the options, so one dkimSigner serves
	// concurrent Sends.
	if err := dkim.Sign(&out, bytes.NewReader(raw), &d.opts); err != nil {
		return nil, fmt.Errorf("dkim sign: %w", err)
	}
	return out.Bytes(), nil
}

// Sign returns raw, an RFC 5322 message with CRLF line endings, with a DKIM
// signature by c prepended. It loads c's key on every call; a Sender made
// with Config.DKIM loads it once and signs everything it sends.
func Sign(raw []byte, c DKIMConfig) ([]byte, error) {
	d, err := newDKIMSigner(c)
	if err != nil {
		return nil, err
	}
	return d.sign(raw)
}

// loadDKIMKey reads a PEM private key from file.
func loadDKIMKey(file string) (crypto.Signer, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read dkim key: %w", err) // *PathError names the file
	}
	for rest := b; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, fmt.Errorf("dkim key file %s holds no PEM private key (want RSA PRIVATE KEY or PRIVATE KEY)", file)
		}
		var key any
		switch block.Type {
		case "RSA PRIVATE KEY":
			if _, encrypted := block.Headers["DEK-Info"]; encrypted {
				return nil, fmt.Errorf("dkim key file %s is encrypted; give it unencrypted", file)
			}
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "ENCRYPTED PRIVATE KEY":
			return nil, fmt.Errorf("dkim key file %s is encrypted; give it unencrypted", file)
		default:
			continue // parameters, certificates: look further
		}
		if err != nil {
			return nil, fmt.Errorf("dkim key file %s: %s block: %w", file, block.Type, err)
		}
		signer, ok := key.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("dkim key file %s holds a %T, not a signing key", file, key)
		}
		if err := checkDKIMKey(signer); err != nil {
			return nil, fmt.Errorf("dkim key file %s: %w", file, err)
		}
		return signer, nil
	}
}

// checkDKIMKey accepts the keys DKIM defines: RSA of at least 1024 bits
// (RFC 8301) and Ed25519 (RFC 8463).
func checkDKIMKey(key crypto.Signer) error {
	switch pub := key.Public().(type) {
	case *rsa.PublicKey:
		if n := pub.N.BitLen(); n < 1024 {
			return fmt.Errorf("rsa key of %d bits is too short for DKIM (at least 1024, 2048 recommended)", n)
		}
		return nil
	case ed25519.PublicKey:
		return nil
	default:
		return fmt.Errorf("%T is not an RSA or Ed25519 key, the kinds DKIM signs with", pub)
	}
}
