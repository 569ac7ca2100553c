package bouncetest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// IMAP credentials of the server IMAPServer starts.
const (
	IMAPUser     = "bounces"
	IMAPPassword = "imap-pass"
)

// IMAPServer starts an in-memory IMAP server (go-imap's imapmemserver)
// over TLS on 127.0.0.1, with a user whose INBOX holds msgs and an empty
// Processed mailbox. It returns the user, the server's imaps:// URL, a
// client TLS configuration that trusts it, and its certificate in PEM (for
// a child process's SSL_CERT_FILE). The server stops when the test ends.
func IMAPServer(t testing.TB, msgs ...string) (*imapmemserver.User, string, *tls.Config, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:   time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)

	mem := imapmemserver.New()
	user := imapmemserver.NewUser(IMAPUser, IMAPPassword)
	for _, box := range []string{"INBOX", "Processed"} {
		if err := user.Create(box, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range msgs {
		if _, err := user.Append("INBOX", bytes.NewReader([]byte(m)), &imap.AppendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	mem.AddUser(user)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps: imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
	})
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln) // returns when Close closes the listener
	t.Cleanup(func() { srv.Close() })
	return user, "imaps://" + ln.Addr().String(), &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"},
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
