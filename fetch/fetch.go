// Package fetch gets web pages and feeds over HTTP with the guards a
// server that fetches URLs chosen by its users needs: a time limit, a size
// limit, a redirect limit, and no requests to loopback, private,
// link-local and similar addresses unless the configuration allows them.
//
// The address check is made on the IP address actually dialled, after DNS
// resolution, so a host name that resolves to an internal address (DNS
// rebinding) and a redirect to an internal host are refused as well as a
// literal internal address.
package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"syndicate"
	"syndicate/internal/redact"
)

// Defaults for the zero values of Client's fields.
const (
	DefaultTimeout      = 15 * time.Second
	DefaultMaxBytes     = 5 << 20
	DefaultMaxRedirects = 5
	DefaultUserAgent    = "syndicate/1 (newsletter and social-post syndication)"
)

// Resolver looks up the IP addresses of a host; *net.Resolver is one.
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// Client fetches URLs within its limits. The zero value is ready to use and
// refuses internal addresses. A Client holds no connections of its own, so
// it may be copied and shared.
type Client struct {
	// Timeout bounds the whole request, reading the body included; zero
	// means DefaultTimeout (15s).
	Timeout time.Duration
	// MaxBytes bounds the response body; zero means DefaultMaxBytes (5 MB).
	// A larger body is an error that names the limit.
	MaxBytes int64
	// MaxRedirects is how many redirects are followed; zero means
	// DefaultMaxRedirects (5). A negative value follows none.
	MaxRedirects int
	// AllowPrivate allows loopback, private, link-local, unique-local,
	// unspecified, carrier-grade NAT, multicast and reserved addresses:
	// for feeds on a local network, and tests.
	AllowPrivate bool
	// AllowHosts names hosts that may be fetched on internal addresses
	// while AllowPrivate is off: "host" (any port) or "host:port", as in a
	// URL (an IPv6 address in brackets). It is matched against the host of
	// each request, a redirect's included, never against what a name
	// resolves to. It lets a feed on the local network through without
	// letting every URL found in content reach internal addresses; the
	// end-to-end tests rely on it to serve their feeds from 127.0.0.1 while
	// proving a loopback image URL in those feeds refused.
	AllowHosts []string
	// UserAgent is sent unless the request's header has one; empty means
	// DefaultUserAgent.
	UserAgent string
	// Resolver looks up host names; nil means net.DefaultResolver. Tests
	// map made-up names to chosen addresses with it.
	Resolver Resolver

	// exempt, if set, lets tests reach their httptest servers on 127.0.0.1
	// while every other internal address is still refused.
	exempt func(netip.Addr) bool
}

// Response is a fetched resource.
type Response struct {
	URL    string // the final URL, after redirects
	Status int    // the HTTP status code
	Header http.Header
	Body   []byte
}

// Get fetches rawURL, which must be an http or https URL, sending header
// (which may be nil) with the request. A response of any status is
// returned with its body; only a failure to get one is an error. A refused
// address, a refused redirect and an oversized body are *syndicate.Error
// with code EINVALID; network failures and timeouts are wrapped as they are,
// for a caller to retry.
func (c *Client) Get(ctx context.Context, rawURL string, header http.Header) (*Response, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, syndicate.Errorf(syndicate.EINVALID, "fetch %s: not an absolute http or https URL", redact.URL(rawURL))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, syndicate.Errorf(syndicate.EINVALID, "fetch %s: %v", redact.URL(u.String()), err)
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	}

	name := redact.URL(u.String()) // errors are shown and logged: no secrets in them
	hc := c.HTTPClient()
	// Each Get has its own transport: close its idle connection rather
	// than leave it for a pool nobody will use again.
	defer hc.CloseIdleConnections()
	resp, err := hc.Do(req)
	if err != nil {
		return nil, c.fetchError(name, err)
	}
	defer resp.Body.Close() // the body is read to the end or abandoned on error; nothing to report
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, c.fetchError(name, err)
	}
	return &Response{URL: resp.Request.URL.String(), Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// fetchError turns an error from the HTTP client into one sentence that
// names the URL asked for: our own refusals keep their EINVALID code,
// anything else is wrapped so errors.Is and net.Error still work.
func (c *Client) fetchError(rawURL string, err error) error {
	var se *syndicate.Error
	if errors.As(err, &se) {
		return syndicate.Errorf(se.Code, "fetch %s: %s", rawURL, se.Message)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return fmt.Errorf("fetch %s: no complete response within %s: %w", rawURL, c.timeout(), ue.Err)
		}
		return fmt.Errorf("fetch %s: %w", rawURL, ue.Err)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("fetch %s: no complete response within %s: %w", rawURL, c.timeout(), err)
	}
	return fmt.Errorf("fetch %s: %w", rawURL, err)
}

// HTTPClient returns an *http.Client with the same guards as Get, for
// packages that take a client (a feed parser): the time limit, the redirect
// limit and schemes, the address check, the body size limit (reading past
// it is an error) and the User-Agent. Proxies from the environment are not
// used, since a proxy would make the connection, and the check, elsewhere.
func (c *Client) HTTPClient() *http.Client {
	c = new(*c) // a snapshot: changing c later does not change this client
	d := &net.Dialer{
		Timeout: 10 * time.Second,
		// Control sees the address of every socket about to connect: a
		// last check in case a connection is made by a path that did not
		// go through dial below.
		Control: func(network, address string, _ syscall.RawConn) error { return c.checkAddress(address) },
	}
	tr := &http.Transport{
		Proxy: nil, // HTTP(S)_PROXY would connect for us, past the address check
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return c.dial(ctx, d, network, addr)
		},
		ForceAttemptHTTP2:   true, // a custom DialContext turns HTTP/2 off unless asked
		TLSHandshakeTimeout: 10 * time.Second,
		MaxIdleConns:        10,
		IdleConnTimeout:     90 * time.Second,
	}
	return &http.Client{
		Transport:     &guard{c: c, next: tr},
		Timeout:       c.timeout(),
		CheckRedirect: c.checkRedirect,
	}
}

// checkAddress is net.Dialer.Control's check; address is "ip:port".
func (c *Client) checkAddress(address string) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return syndicate.Errorf(syndicate.EINVALID, "cannot check address %s", address)
	}
	if kind := c.refused(ap.Addr()); kind != "" {
		return syndicate.Errorf(syndicate.EINVALID, "%s is %s address; set allow_private to fetch it", ap.Addr().WithZone(""), kind)
	}
	return nil
}

// dial resolves addr's host, refuses it if any of its addresses is
// refused, and dials the checked addresses themselves, so that a second
// lookup cannot substitute another. A host in AllowHosts is not checked.
func (c *Client) dial(ctx context.Context, d *net.Dialer, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if c.hostAllowed(host, port) {
		// Not d: its Control would refuse the internal address this
		// host is on.
		return c.dialResolved(ctx, &net.Dialer{Timeout: d.Timeout}, network, host, port, false)
	}
	return c.dialResolved(ctx, d, network, host, port, true)
}

// hostAllowed reports whether host:port (from a dialled address) is named
// by AllowHosts.
func (c *Client) hostAllowed(host, port string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	for _, e := range c.AllowHosts {
		e = strings.ToLower(strings.TrimSpace(e))
		eh, ep, err := net.SplitHostPort(e)
		if err != nil { // no port: any port
			eh, ep = strings.TrimSuffix(strings.TrimPrefix(e, "["), "]"), ""
		}
		if strings.TrimSuffix(eh, ".") == host && (ep == "" || ep == port) {
			return true
		}
	}
	return false
}

// dialResolved resolves host and dials the addresses found, checking each
// first when check is set.
func (c *Client) dialResolved(ctx context.Context, d *net.Dialer, network, host, port string, check bool) (net.Conn, error) {
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = []netip.Addr{ip}
	} else {
		r := c.Resolver
		if r == nil {
			r = net.DefaultResolver
		}
		found, err := r.LookupIPAddr(ctx, host)
		if err != nil {
			return nil, err
		}
		for _, a := range found {
			ip, ok := netip.AddrFromSlice(a.IP)
			if !ok {
				continue
			}
			ips = append(ips, ip.Unmap().WithZone(a.Zone)) // net.IP holds IPv4 in 16 bytes
		}
		if len(ips) == 0 {
			return nil, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
		}
	}
	// Every address is checked before any is dialled: a name that
	// resolves to one public and one internal address is refused, rather
	// than reaching the internal one when the public one fails.
	for _, ip := range ips {
		if !check {
			break
		}
		if kind := c.refused(ip); kind != "" {
			if ip.String() == host { // a literal address: nothing was resolved
				return nil, syndicate.Errorf(syndicate.EINVALID, "%s is %s address; set allow_private to fetch it", host, kind)
			}
			return nil, syndicate.Errorf(syndicate.EINVALID, "%s resolves to %s, %s address; set allow_private to fetch it", host, ip.WithZone(""), kind)
		}
	}
	var first error
	for _, ip := range ips {
		conn, err := d.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return conn, nil
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, first
}

// refused returns the kind of internal address ip is ("a loopback") if the
// client must not connect to it, else "".
func (c *Client) refused(ip netip.Addr) string {
	if c.AllowPrivate || (c.exempt != nil && c.exempt(ip)) {
		return ""
	}
	return internalKind(ip)
}

// Address ranges that are not on the public internet, beyond those netip
// knows by name.
var (
	cgnat       = netip.MustParsePrefix("100.64.0.0/10")
	thisNetwork = netip.MustParsePrefix("0.0.0.0/8")
	reserved4   = netip.MustParsePrefix("240.0.0.0/4") // and 255.255.255.255
	ietf4       = netip.MustParsePrefix("192.0.0.0/24")
	benchmark4  = netip.MustParsePrefix("198.18.0.0/15")
	nat64       = netip.MustParsePrefix("64:ff9b::/96")   // IPv4 in the last 32 bits
	nat64Local  = netip.MustParsePrefix("64:ff9b:1::/48") // site-local translation
	sixToFour   = netip.MustParsePrefix("2002::/16")      // IPv4 in bits 16-48
	ipv4Compat  = netip.MustParsePrefix("::/96")          // deprecated IPv4-compatible
)

// internalKind names the kind of address ip is, with its article ("a
// loopback"), if it is not a public unicast address; "" if it is.
func internalKind(ip netip.Addr) string {
	ip = ip.WithZone("").Unmap()
	// Addresses that embed an IPv4 address reach it through a translator
	// or tunnel: judge the embedded one.
	if ip.Is6() {
		b := ip.As16()
		switch {
		case nat64.Contains(ip) || (ipv4Compat.Contains(ip) && !ip.IsLoopback() && !ip.IsUnspecified()):
			return internalKind(netip.AddrFrom4([4]byte(b[12:16])))
		case sixToFour.Contains(ip):
			return internalKind(netip.AddrFrom4([4]byte(b[2:6])))
		case nat64Local.Contains(ip):
			return "a private"
		}
	}
	switch {
	case ip.IsLoopback():
		return "a loopback"
	case ip.IsUnspecified(), thisNetwork.Contains(ip):
		return "an unspecified"
	case ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast():
		return "a link-local"
	case ip.Is6() && ip.IsPrivate():
		return "a unique-local"
	case ip.IsPrivate():
		return "a private"
	case cgnat.Contains(ip):
		return "a carrier-grade NAT"
	case ip.IsMulticast(), ip.IsInterfaceLocalMulticast():
		return "a multicast"
	case reserved4.Contains(ip), ietf4.Contains(ip), benchmark4.Contains(ip):
		return "a reserved"
	case !ip.IsGlobalUnicast():
		return "a non-unicast"
	}
	return ""
}

// checkRedirect follows at most MaxRedirects redirects, to http and https
// URLs only. The address of the new host is checked when it is dialled.
func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return syndicate.Errorf(syndicate.EINVALID, "redirect to %s refused: only http and https are fetched", redact.URL(req.URL.String()))
	}
	if max := c.maxRedirects(); len(via) > max {
		return syndicate.Errorf(syndicate.EINVALID, "stopped after %d redirects", max)
	}
	return nil
}

func (c *Client) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
}

func (c *Client) maxBytes() int64 {
	if c.MaxBytes > 0 {
		return c.MaxBytes
	}
	return DefaultMaxBytes
}

func (c *Client) maxRedirects() int {
	switch {
	case c.MaxRedirects < 0:
		return 0
	case c.MaxRedirects == 0:
		return DefaultMaxRedirects
	}
	return c.MaxRedirects
}

// guard is the RoundTripper that sets the User-Agent and bounds each
// response body, so that a client from HTTPClient enforces them too.
type guard struct {
	c    *Client
	next http.RoundTripper
}

func (g *guard) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("User-Agent") == "" {
		ua := g.c.UserAgent
		if ua == "" {
			ua = DefaultUserAgent
		}
		req = req.Clone(req.Context()) // a RoundTripper must not change its request
		req.Header.Set("User-Agent", ua)
	}
	resp, err := g.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	limit := g.c.maxBytes()
	if resp.ContentLength > limit {
		resp.Body.Close() // refused unread; its close error says nothing more
		return nil, tooLarge(limit)
	}
	resp.Body = &limitedBody{rc: resp.Body, left: limit, limit: limit}
	return resp, nil
}

// limitedBody fails a read that would go past the limit, rather than
// truncating silently: a cut page or feed must not pass for a whole one.
type limitedBody struct {
	rc          io.ReadCloser
	left, limit int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, tooLarge(b.limit)
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1] // one byte more than allowed shows the body is too large
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return n - 1, tooLarge(b.limit)
	}
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

func tooLarge(limit int64) error {
	return syndicate.Errorf(syndicate.EINVALID, "response body is larger than the %s limit", formatBytes(limit))
}

// formatBytes writes n in the largest unit that divides it exactly.
func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}
