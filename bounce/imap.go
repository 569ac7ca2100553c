package bounce

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"syndicate"
	"syndicate/internal/redact"
)

// Mailbox is the bounce mailbox: where the return path's mail (DSNs) and
// the feedback loops' reports (ARF) are delivered.
type Mailbox struct {
	// URL is imaps://host[:993] (TLS from the start) or imap://host[:143]
	// (STARTTLS, required).
	URL                string
	Username, Password string
	// Mailbox is the one read; empty means INBOX.
	Mailbox string
	// Processed, when set, is where each message handled is moved;
	// empty: it is only marked seen.
	Processed string
	// TLS is the client's TLS configuration; nil means the system's roots
	// and the URL's host name.
	TLS *tls.Config
	// Timeout bounds connecting and each command; zero means 30s.
	Timeout time.Duration
}

// Poller reads the unseen messages of a Mailbox and applies each as a
// report (see ParseMessage). A message applied, or one that is no report
// or matches no email we sent, is marked seen (and moved to Processed, if
// set); one whose processing failed for the store's sake stays unseen and
// is read again at the next poll, which is safe: events apply once.
type Poller struct {
	Mailbox   Mailbox
	Processor *Processor
	Log       *slog.Logger
}

// PollResult counts what one poll did.
type PollResult struct {
	Read    int // messages read
	Applied int // events applied (not duplicates)
	Refused int // messages that were no report or matched nothing
}

// maxPerPoll bounds the messages one poll reads; the rest wait for the next.
const maxPerPoll = 500

func (p *Poller) log() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Run polls every interval until ctx ends, logging each poll's failure.
func (p *Poller) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		res, err := p.Poll(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			p.log().Error("read the bounce mailbox", "error", err)
		case res.Read > 0:
			p.log().Info("read the bounce mailbox", "messages", res.Read, "applied", res.Applied, "refused", res.Refused)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// dial connects and logs in.
func (p *Poller) dial(ctx context.Context) (*imapclient.Client, error) {
	m := p.Mailbox
	u, err := url.Parse(m.URL)
	if err != nil || u.Hostname() == "" {
		return nil, errors.New("the bounce mailbox URL is not an imaps:// or imap:// URL")
	}
	timeout := m.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	tc := m.TLS
	if tc == nil {
		tc = &tls.Config{ServerName: u.Hostname()}
	}
	opts := &imapclient.Options{TLSConfig: tc, Dialer: &net.Dialer{Timeout: timeout}}
	var c *imapclient.Client
	switch u.Scheme {
	case "imaps":
		addr := net.JoinHostPort(u.Hostname(), portOr(u, "993"))
		c, err = imapclient.DialTLS(addr, opts)
	case "imap":
		addr := net.JoinHostPort(u.Hostname(), portOr(u, "143"))
		c, err = imapclient.DialStartTLS(addr, opts)
	default:
		return nil, fmt.Errorf("the bounce mailbox URL %s is not imaps:// or imap://", redact.URL(m.URL))
	}
	if err != nil {
		return nil, fmt.Errorf("connect to the bounce mailbox %s: %w", redact.URL(m.URL), err)
	}
	// The client's commands do not take a context: closing the
	// connection when ctx ends unblocks them.
	stop := context.AfterFunc(ctx, func() { c.Close() })
	go func() {
		<-c.Closed()
		stop()
	}()
	if err := c.Login(m.Username, m.Password).Wait(); err != nil {
		c.Close()
		return nil, fmt.Errorf("log in to the bounce mailbox as %s: %w", m.Username, err)
	}
	return c, nil
}

func portOr(u *url.URL, def string) string {
	if p := u.Port(); p != "" {
		return p
	}
	return def
}

// Poll reads the unseen messages once.
func (p *Poller) Poll(ctx context.Context) (PollResult, error) {
	var res PollResult
	c, err := p.dial(ctx)
	if err != nil {
		return res, err
	}
	defer c.Close()
	box := p.Mailbox.Mailbox
	if box == "" {
		box = "INBOX"
	}
	if _, err := c.Select(box, nil).Wait(); err != nil {
		return res, fmt.Errorf("open mailbox %s: %w", box, err)
	}
	found, err := c.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}, nil).Wait()
	if err != nil {
		return res, fmt.Errorf("search mailbox %s: %w", box, err)
	}
	uids := found.AllUIDs()
	if len(uids) > maxPerPoll {
		uids = uids[:maxPerPoll]
	}
	for _, uid := range uids {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		applied, refused, err := p.one(ctx, c, uid)
		if err != nil {
			return res, err
		}
		res.Read++
		res.Applied += applied
		if refused {
			res.Refused++
		}
	}
	if err := c.Logout().Wait(); err != nil && ctx.Err() == nil {
		p.log().Warn("log out of the bounce mailbox", "error", err)
	}
	return res, nil
}

// one reads, applies and files the message uid.
func (p *Poller) one(ctx context.Context, c *imapclient.Client, uid imap.UID) (applied int, refused bool, err error) {
	set := imap.UIDSetNum(uid)
	meta, err := c.Fetch(set, &imap.FetchOptions{UID: true, RFC822Size: true}).Collect()
	if err != nil {
		return 0, false, fmt.Errorf("read the size of message %d: %w", uid, err)
	}
	var body []byte
	if len(meta) == 1 && meta[0].RFC822Size <= MaxMessageSize {
		section := &imap.FetchItemBodySection{Peek: true}
		msgs, err := c.Fetch(set, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
		if err != nil {
			return 0, false, fmt.Errorf("read message %d: %w", uid, err)
		}
		if len(msgs) == 1 {
			body = msgs[0].FindBodySection(section)
		}
	}
	results, perr := p.Processor.ProcessMessage(ctx, bytes.NewReader(body))
	switch {
	case syndicate.ErrorCode(perr) == syndicate.EINVALID:
		// Not a report we can use: it will not become one, so it is
		// filed like the others and the reason logged.
		p.log().Warn("bounce mailbox message not applied", "uid", uint32(uid), "reason", syndicate.ErrorMessage(perr))
		refused = true
	case perr != nil:
		return 0, false, fmt.Errorf("apply message %d: %w", uid, perr)
	}
	for _, r := range results {
		if r.Outcome != Duplicate {
			applied++
		}
	}
	store := c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil)
	if err := store.Close(); err != nil {
		return applied, refused, fmt.Errorf("mark message %d seen: %w", uid, err)
	}
	if dest := p.Mailbox.Processed; dest != "" {
		if _, err := c.Move(set, dest).Wait(); err != nil {
			return applied, refused, fmt.Errorf("move message %d to %s: %w", uid, dest, err)
		}
	}
	return applied, refused, nil
}
