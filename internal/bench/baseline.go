package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Template is a message to send again and again: what the baseline copies
// of the message the full path sent.
type Template struct {
	From, Subject string
	Text, HTML    string
	Headers       map[string]string // List-Id, List-Unsubscribe and the like
}

// listHeaders are the headers of a newsletter message the baseline copies
// verbatim, so its messages are the same size.
var listHeaders = []string{"List-Id", "List-Unsubscribe", "List-Unsubscribe-Post"}

// ParseTemplate reads a multipart/alternative message, as the full path
// sends it, into a Template.
func ParseTemplate(raw []byte) (Template, error) {
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Template{}, fmt.Errorf("read the sample message: %w", err)
	}
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		return Template{}, fmt.Errorf("read the sample message's subject: %w", err)
	}
	t := Template{From: m.Header.Get("From"), Subject: subject, Headers: map[string]string{}}
	for _, h := range listHeaders {
		if v := m.Header.Get(h); v != "" {
			t.Headers[h] = v
		}
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(mt, "multipart/") {
		return Template{}, fmt.Errorf("the sample message is not multipart (%q)", m.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Template{}, fmt.Errorf("read the sample message's parts: %w", err)
		}
		// multipart decodes quoted-printable itself.
		b, err := io.ReadAll(p)
		if err != nil {
			return Template{}, fmt.Errorf("read the sample message's parts: %w", err)
		}
		pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		switch pt {
		case "text/plain":
			t.Text = string(b)
		case "text/html":
			t.HTML = string(b)
		}
	}
	if t.Text == "" || t.HTML == "" {
		return Template{}, errors.New("the sample message lacks a text or an HTML part")
	}
	return t, nil
}

// message builds the go-mail message of t to one recipient.
func (t Template) message(to string) (*gomail.Msg, error) {
	m := gomail.NewMsg()
	if err := m.From(t.From); err != nil {
		return nil, err
	}
	if err := m.To(to); err != nil {
		return nil, err
	}
	m.Subject(t.Subject)
	m.SetMessageID()
	m.SetDate()
	for k, v := range t.Headers {
		m.SetGenHeaderPreformatted(gomail.Header(k), v)
	}
	m.SetBodyString(gomail.TypeTextPlain, t.Text)
	m.AddAlternativeString(gomail.TypeTextHTML, t.HTML)
	return m, nil
}

// Size is the length of one rendered message of t.
func (t Template) Size() (int, error) {
	m, err := t.message("subscriber-000001@bench.example.com")
	if err != nil {
		return 0, err
	}
	var b bytes.Buffer
	if _, err := m.WriteTo(&b); err != nil {
		return 0, err
	}
	return b.Len(), nil
}

// Baseline sends n messages of t to the SMTP server at addr (no TLS, no
// login) with plain go-mail over conns connections, each kept for its
// share of the messages, and returns how long it took.
func Baseline(ctx context.Context, addr string, t Template, n, conns int) (time.Duration, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, err
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return 0, err
	}
	if conns < 1 {
		conns = 1
	}
	start := time.Now()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for c := range conns {
		share := n / conns
		if c < n%conns {
			share++
		}
		wg.Go(func() {
			if err := sendShare(ctx, host, p, t, c, conns, share); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return time.Since(start), errors.Join(errs...)
}

// sendShare sends share messages over one connection; recipients are
// numbered c, c+conns, … so the connections together cover 0..n-1.
func sendShare(ctx context.Context, host string, port int, t Template, c, conns, share int) error {
	client, err := gomail.NewClient(host, gomail.WithPort(port), gomail.WithTLSPolicy(gomail.NoTLS), gomail.WithTimeout(time.Minute))
	if err != nil {
		return err
	}
	if err := client.DialWithContext(ctx); err != nil {
		return fmt.Errorf("connect to the baseline server: %w", err)
	}
	for i := range share {
		m, err := t.message(fmt.Sprintf("subscriber-%06d@bench.example.com", c+i*conns))
		if err != nil {
			return err
		}
		if err := client.Send(m); err != nil {
			return fmt.Errorf("baseline send: %w", err)
		}
	}
	return client.Close()
}
