package email

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
)

var (
	rsaKeyOnce sync.Once
	rsaKey     *rsa.PrivateKey
)

// testRSAKey is one 2048-bit key for all tests: generating it is the slow
// part.
func testRSAKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	rsaKeyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatalf("generate rsa key: %v", err)
		}
		rsaKey = k
	})
	if rsaKey == nil {
		t.Fatal("no rsa key")
	}
	return rsaKey
}

// writePEM writes a PEM file of one block and returns its path.
func writePEM(t *testing.T, typ string, der []byte) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "dkim.pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// dkimRecord returns the DNS TXT record that publishes key's public half.
func dkimRecord(t *testing.T, key crypto.Signer) string {
	t.Helper()
	switch pub := key.Public().(type) {
	case *rsa.PublicKey:
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		return "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der)
	case ed25519.PublicKey:
		return "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)
	}
	t.Fatalf("no record for %T", key.Public())
	return ""
}

// verify checks raw's one DKIM signature against the record published
// for selector "mail" of news.example.com.
func verify(t *testing.T, raw []byte, record string) *dkim.Verification {
	t.Helper()
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{
		LookupTXT: func(domain string) ([]string, error) {
			if domain != "mail._domainkey.news.example.com" {
				return nil, errors.New("no such record: " + domain)
			}
			return []string{record}, nil
		},
	})
	if err != nil {
		t.Fatalf("dkim verify: %v", err)
	}
	if len(vs) != 1 {
		t.Fatalf("%d DKIM signatures, want 1", len(vs))
	}
	return vs[0]
}

func TestDKIMSignedMessagesVerify(t *testing.T) {
	rsaKey := testRSAKey(t)
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8 := func(k any) []byte {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	for _, tc := range []struct {
		name string
		key  crypto.Signer
		conf func(t *testing.T) DKIMConfig
		algo string
	}{
		{"rsa pkcs1 file", rsaKey, func(t *testing.T) DKIMConfig {
			return DKIMConfig{KeyFile: writePEM(t, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey))}
		}, "rsa-sha256"},
		{"rsa pkcs8 file", rsaKey, func(t *testing.T) DKIMConfig {
			return DKIMConfig{KeyFile: writePEM(t, "PRIVATE KEY", pkcs8(rsaKey))}
		}, "rsa-sha256"},
		{"ed25519 pkcs8 file", edKey, func(t *testing.T) DKIMConfig {
			return DKIMConfig{KeyFile: writePEM(t, "PRIVATE KEY", pkcs8(edKey))}
		}, "ed25519-sha256"},
		{"rsa key value", rsaKey, func(*testing.T) DKIMConfig { return DKIMConfig{Key: rsaKey} }, "rsa-sha256"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, nil)
			dc := tc.conf(t)
			dc.Domain, dc.Selector = "news.example.com", "mail"
			s, err := New(Config{URL: ts.url(""), Timeout: 5 * time.Second, DKIM: &dc})
			if err != nil {
				t.Fatal(err)
			}
			msgs := messages(2)
			for i := range msgs {
				msgs[i].FeedbackID = "a_1:instant:newsletter:news.example.com"
			}
			errs, err := send(t, context.Background(), s, msgs)
			if err != nil {
				t.Fatal(err)
			}
			for i, e := range errs {
				if e != nil {
					t.Fatalf("message %d: %v", i, e)
				}
			}
			sessions, got := ts.received()
			if sessions != 1 || len(got) != 2 {
				t.Fatalf("%d sessions, %d messages; want 1 and 2", sessions, len(got))
			}
			record := dkimRecord(t, tc.key)
			for i, r := range got {
				checkMessage(t, r.data, msgs[i])
				v := verify(t, r.data, record)
				if v.Err != nil {
					t.Errorf("message %d: signature does not verify: %v\n%s", i, v.Err, r.data)
				}
				if v.Domain != "news.example.com" {
					t.Errorf("message %d: signed by %q, want news.example.com", i, v.Domain)
				}
				var signed []string
				for _, k := range v.HeaderKeys {
					signed = append(signed, strings.ToLower(k))
				}
				for _, want := range []string{"from", "to", "subject", "date", "message-id", "list-id", "list-unsubscribe", "list-unsubscribe-post", "mime-version", "content-type", "feedback-id"} {
					if !slices.Contains(signed, want) {
						t.Errorf("message %d: h=%s does not cover %s", i, strings.Join(v.HeaderKeys, ":"), want)
					}
				}
				sig := strings.Join(strings.Fields(dkimSignatureField(t, r.data)), "")
				for _, want := range []string{"a=" + tc.algo + ";", "c=relaxed/relaxed;", "s=mail;"} {
					if !strings.Contains(sig, want) {
						t.Errorf("message %d: DKIM-Signature %s lacks %s", i, sig, want)
					}
				}

				// The signature must protect the one-click unsubscribe: a
				// changed List-Unsubscribe fails.
				forged := bytes.Replace(r.data, []byte("https://news.example.com/u/"), []byte("https://evil.example.net/u/"), 1)
				if bytes.Equal(forged, r.data) {
					t.Fatalf("message %d: no unsubscribe URL to forge", i)
				}
				if v := verify(t, forged, record); v.Err == nil {
					t.Errorf("message %d: signature still verifies with a forged List-Unsubscribe", i)
				}
			}
		})
	}
}

// dkimSignatureField returns the unfolded value of raw's DKIM-Signature.
func dkimSignatureField(t *testing.T, raw []byte) string {
	t.Helper()
	head, _, ok := bytes.Cut(raw, []byte("\r\n\r\n"))
	if !ok {
		t.Fatal("message has no header/body separator")
	}
	unfolded := strings.ReplaceAll(string(head), "\r\n ", " ")
	unfolded = strings.ReplaceAll(unfolded, "\r\n\t", " ")
	for _, line := range strings.Split(unfolded, "\r\n") {
		if name, value, ok := strings.Cut(line, ":"); ok && strings.EqualFold(name, "DKIM-Signature") {
			return value
		}
	}
	t.Fatal("no DKIM-Signature header")
	return ""
}

func TestSign(t *testing.T) {
	key := testRSAKey(t)
	msg, err := Build(message(1))
	if err != nil {
		t.Fatal(err)
	}
	var raw bytes.Buffer
	if _, err := msg.WriteTo(&raw); err != nil {
		t.Fatal(err)
	}
	signed, err := Sign(raw.Bytes(), DKIMConfig{Domain: "news.example.com", Selector: "mail", Key: key})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(signed, raw.Bytes()) || !bytes.HasPrefix(signed, []byte("DKIM-Signature: ")) {
		t.Errorf("Sign did not prepend one header to the message:\n%s", signed)
	}
	if v := verify(t, signed, dkimRecord(t, key)); v.Err != nil {
		t.Errorf("signature does not verify: %v", v.Err)
	}
}

func TestDKIMConfigErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.pem")
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not a key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalPKCS8PrivateKey(ecKey)
	if err != nil {
		t.Fatal(err)
	}
	ecFile := writePEM(t, "PRIVATE KEY", ecDER)
	certLike := writePEM(t, "CERTIFICATE", []byte("x"))
	brokenRSA := writePEM(t, "RSA PRIVATE KEY", []byte("not der"))
	encrypted := writePEM(t, "ENCRYPTED PRIVATE KEY", []byte("x"))
	rsaKey := testRSAKey(t)

	for _, tc := range []struct {
		name string
		c    DKIMConfig
		want []string // all in the error
	}{
		{"missing file", DKIMConfig{KeyFile: missing}, []string{missing}},
		{"not PEM", DKIMConfig{KeyFile: garbage}, []string{garbage, "no PEM private key"}},
		{"no key block", DKIMConfig{KeyFile: certLike}, []string{certLike, "no PEM private key"}},
		{"bad der", DKIMConfig{KeyFile: brokenRSA}, []string{brokenRSA, "RSA PRIVATE KEY"}},
		{"encrypted", DKIMConfig{KeyFile: encrypted}, []string{encrypted, "encrypted"}},
		{"ecdsa key file", DKIMConfig{KeyFile: ecFile}, []string{ecFile, "not an RSA or Ed25519 key"}},
		{"ecdsa key", DKIMConfig{Key: ecKey}, []string{"not an RSA or Ed25519 key"}},
		{"no key", DKIMConfig{}, []string{"no key"}},
		{"key and file", DKIMConfig{Key: rsaKey, KeyFile: garbage}, []string{"not both"}},
		{"bad domain", DKIMConfig{Key: rsaKey, Domain: "news example.com"}, []string{"domain"}},
		{"bad selector", DKIMConfig{Key: rsaKey, Selector: "mail;x=1"}, []string{"selector"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.c.Domain == "" {
				tc.c.Domain = "news.example.com"
			}
			if tc.c.Selector == "" {
				tc.c.Selector = "mail"
			}
			_, err := New(Config{URL: "smtp://mail.example.com", DKIM: &tc.c})
			if err == nil {
				t.Fatal("New: no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("New: %v, want it to mention %q", err, w)
				}
			}
		})
	}
}
