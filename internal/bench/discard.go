// Package bench measures sending: a discarding SMTP server that counts
// what arrives, the raw go-mail baseline, and the process figures (peak
// RSS, CPU time) that `syndicate bench` reports.
package bench

import (
	"bufio"
	"bytes"
	"io"
	"log"
	"net"
	"net/textproto"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// Discard is a loopback SMTP server that reads every message and throws it
// away, keeping only counts: how many messages each recipient got and
// with which Message-IDs, when the first and the last arrived, and one
// sample message.
type Discard struct {
	srv *smtp.Server
	ln  net.Listener

	mu          sync.Mutex
	n           int
	bytes       int64
	first, last time.Time
	perRcpt     map[string]*seen
	sample      []byte
	sessions    int
	delay       time.Duration
}

// SetDelay makes the server wait d before it accepts each message, so a
// small run lasts long enough for a fault to land in the middle of it.
func (d *Discard) SetDelay(delay time.Duration) {
	d.mu.Lock()
	d.delay = delay
	d.mu.Unlock()
}

// StartDiscard listens on 127.0.0.1 at a free port. With count set it
// counts the messages of each recipient (memory grows with recipients).
func StartDiscard(count bool) (*Discard, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	d := &Discard{ln: ln}
	if count {
		d.perRcpt = map[string]*seen{}
	}
	d.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		d.mu.Lock()
		d.sessions++
		d.mu.Unlock()
		return &discardSession{d: d}, nil
	}))
	d.srv.Domain = "localhost"
	// A client killed mid-session (bench --chaos kill) is expected here.
	d.srv.ErrorLog = log.New(io.Discard, "", 0)
	d.srv.MaxMessageBytes = 10 << 20
	d.srv.ReadTimeout = time.Minute
	d.srv.WriteTimeout = time.Minute
	go d.srv.Serve(ln) //nolint:errcheck // Serve returns only when Close is called
	return d, nil
}

// Addr is host:port of the server.
func (d *Discard) Addr() string { return d.ln.Addr().String() }

// URL is an smtp:// URL for SYNDICATE_SMTP_URL.
func (d *Discard) URL() string { return "smtp://" + d.Addr() + "?tls=none" }

// Close stops the server.
func (d *Discard) Close() error { return d.srv.Close() }

// Stats is what a Discard has seen.
type Stats struct {
	Messages    int
	Bytes       int64
	First, Last time.Time
	Sessions    int
	// Recipients is how many distinct recipients got mail, Duplicates how
	// many messages went to a recipient a second time (counting only).
	Recipients, Duplicates int
	// Of the Duplicates, Resent carried a Message-ID the recipient had
	// already got (the same email sent again, which a mail client shows
	// once), OtherIDs one it had not (a second, different email).
	Resent, OtherIDs int
}

// seen is what one recipient got: how many messages, and their distinct
// Message-IDs.
type seen struct {
	n   int
	ids []string
}

// Stats returns the counts so far.
func (d *Discard) Stats() Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := Stats{Messages: d.n, Bytes: d.bytes, First: d.first, Last: d.last, Sessions: d.sessions, Recipients: len(d.perRcpt)}
	for _, r := range d.perRcpt {
		s.Duplicates += r.n - 1
		s.OtherIDs += len(r.ids) - 1
	}
	s.Resent = s.Duplicates - s.OtherIDs
	return s
}

// Sample returns the first message that arrived, as sent.
func (d *Discard) Sample() []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	return bytes.Clone(d.sample)
}

type discardSession struct {
	d  *Discard
	to []string
}

func (s *discardSession) Reset()                               { s.to = s.to[:0] }
func (s *discardSession) Logout() error                        { return nil }
func (s *discardSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *discardSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *discardSession) Data(r io.Reader) error {
	d := s.d
	d.mu.Lock()
	keep := d.sample == nil
	d.mu.Unlock()
	cr := &countingReader{r: r}
	var (
		buf bytes.Buffer
		src io.Reader = cr
	)
	if keep {
		src = io.TeeReader(cr, &buf)
	}
	var id string
	br := bufio.NewReader(src)
	if d.perRcpt != nil {
		// Only the header is read for its Message-ID; the body is counted.
		hdr, err := textproto.NewReader(br).ReadMIMEHeader()
		if err != nil && err != io.EOF {
			return err
		}
		id = hdr.Get("Message-Id")
	}
	if _, err := io.Copy(io.Discard, br); err != nil {
		return err
	}
	d.mu.Lock()
	delay := d.delay
	d.mu.Unlock()
	if delay > 0 {
		time.Sleep(delay)
	}
	now := time.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.n == 0 {
		d.first = now
	}
	d.n++
	d.bytes += cr.n
	d.last = now
	if keep && d.sample == nil {
		d.sample = buf.Bytes()
	}
	if d.perRcpt != nil {
		for _, to := range s.to {
			to = strings.ToLower(to)
			r := d.perRcpt[to]
			if r == nil {
				r = &seen{}
				d.perRcpt[to] = r
			}
			r.n++
			if !slices.Contains(r.ids, id) {
				r.ids = append(r.ids, id)
			}
		}
	}
	return nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
