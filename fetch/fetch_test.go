package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"syndicate"
)

func TestInternalKind(t *testing.T) {
	tests := map[string]string{
		"10.1.2.3":             "a private",
		"172.16.0.1":           "a private",
		"172.31.255.255":       "a private",
		"192.168.1.1":          "a private",
		"169.254.169.254":      "a link-local",
		"fc00::1":              "a unique-local",
		"fd12:3456::1":         "a unique-local",
		"fe80::1":              "a link-local",
		"fe80::1%eth0":         "a link-local",
		"::1":                  "a loopback",
		"127.0.0.1":            "a loopback",
		"127.9.9.9":            "a loopback",
		"100.64.0.1":           "a carrier-grade NAT",
		"100.127.255.254":      "a carrier-grade NAT",
		"0.0.0.0":              "an unspecified",
		"0.1.2.3":              "an unspecified",
		"::":                   "an unspecified",
		"::ffff:127.0.0.1":     "a loopback",
		"::ffff:10.0.0.1":      "a private",
		"64:ff9b::a00:1":       "a private", // NAT64 of 10.0.0.1
		"2002:a9fe:a9fe::1":    "a link-local",
		"::7f00:1":             "a loopback", // IPv4-compatible 127.0.0.1
		"224.0.0.1":            "a link-local",
		"239.1.1.1":            "a multicast",
		"ff02::1":              "a link-local",
		"ff05::1":              "a multicast",
		"255.255.255.255":      "a reserved",
		"240.0.0.1":            "a reserved",
		"198.18.0.1":           "a reserved",
		"93.184.216.34":        "",
		"8.8.8.8":              "",
		"172.32.0.1":           "",
		"100.128.0.1":          "",
		"2606:4700::1111":      "",
		"::ffff:93.184.216.34": "",
		"2002:5db8:d822::1":    "", // 6to4 of 93.184.216.34
	}
	for in, want := range tests {
		ip := netip.MustParseAddr(in)
		if got := internalKind(ip); got != want {
			t.Errorf("internalKind(%s) = %q, want %q", in, got, want)
		}
	}
}

// fakeResolver maps made-up host names to addresses.
type fakeResolver map[string][]string

func (r fakeResolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	ips, ok := r[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var out []net.IPAddr
	for _, s := range ips {
		out = append(out, net.IPAddr{IP: net.ParseIP(s)})
	}
	return out, nil
}

// only127001 lets a test reach its httptest server and nothing else
// internal: 127.0.0.2 and the rest of the loopback range stay refused.
func only127001(ip netip.Addr) bool { return ip == netip.MustParseAddr("127.0.0.1") }

// wantRefused checks that err is one EINVALID sentence containing msg.
func wantRefused(t *testing.T, err error, msg string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	if code := syndicate.ErrorCode(err); code != syndicate.EINVALID {
		t.Errorf("code = %q, want %q (%v)", code, syndicate.EINVALID, err)
	}
	if !strings.Contains(err.Error(), msg) {
		t.Errorf("error %q does not contain %q", err, msg)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error is more than one line: %q", err)
	}
}

func TestLoopback(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s", r.Header.Get("User-Agent"))
	}))
	defer srv.Close()

	_, err := (&Client{}).Get(context.Background(), srv.URL+"/x", nil)
	wantRefused(t, err, "fetch "+srv.URL+"/x: 127.0.0.1 is a loopback address; set allow_private to fetch it")

	resp, err := (&Client{AllowPrivate: true}).Get(context.Background(), srv.URL+"/x", nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 200 || string(resp.Body) != "hello "+DefaultUserAgent || resp.URL != srv.URL+"/x" {
		t.Errorf("got %d %q from %s", resp.Status, resp.Body, resp.URL)
	}
	resp, err = (&Client{AllowPrivate: true, UserAgent: "test/1"}).Get(context.Background(), srv.URL, http.Header{"User-Agent": {"caller/2"}})
	if err != nil {
		t.Fatal(err)
	}
	if string(resp.Body) != "hello caller/2" {
		t.Errorf("body = %q, want the caller's User-Agent", resp.Body)
	}
}

func TestResolvedAddresses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/to-internal-name":
			http.Redirect(w, r, "http://internal.test:"+r.URL.Port()+"/", http.StatusFound)
		case "/to-metadata":
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
		case "/to-file":
			http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
		default:
			fmt.Fprint(w, "public page")
		}
	}))
	defer srv.Close()
	port := strconv.Itoa(srv.Listener.Addr().(*net.TCPAddr).Port)
	c := &Client{
		Resolver: fakeResolver{
			"public.test":   {"127.0.0.1"}, // stands for a public address: see only127001
			"internal.test": {"10.0.0.7"},
			"rebind.test":   {"127.0.0.1", "127.0.0.2"},
		},
		exempt: only127001,
	}
	ctx := context.Background()

	resp, err := c.Get(ctx, "http://public.test:"+port+"/page", nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(resp.Body) != "public page" {
		t.Errorf("body = %q", resp.Body)
	}

	_, err = c.Get(ctx, "http://public.test:"+port+"/to-internal-name", nil)
	wantRefused(t, err, "internal.test resolves to 10.0.0.7, a private address; set allow_private to fetch it")
	_, err = c.Get(ctx, "http://public.test:"+port+"/to-metadata", nil)
	wantRefused(t, err, "169.254.169.254 is a link-local address")
	_, err = c.Get(ctx, "http://public.test:"+port+"/to-file", nil)
	wantRefused(t, err, "redirect to file:///etc/passwd refused")
	_, err = c.Get(ctx, "http://rebind.test:"+port+"/", nil)
	wantRefused(t, err, "rebind.test resolves to 127.0.0.2, a loopback address")
	_, err = c.Get(ctx, "ftp://public.test/", nil)
	wantRefused(t, err, "fetch ftp://public.test/: not an absolute http or https URL")

	// A client from HTTPClient has the same guard.
	_, err = c.HTTPClient().Get("http://public.test:" + port + "/to-metadata")
	wantRefused(t, err, "169.254.169.254 is a link-local address")

	_, err = c.Get(ctx, "http://user:secret@internal.test/", nil)
	wantRefused(t, err, "fetch http://user:xxxxx@internal.test/: internal.test resolves to 10.0.0.7")
}

func TestProxyFromEnvironmentIgnored(t *testing.T) {
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "from the proxy")
	}))
	defer proxy.Close()
	t.Setenv("HTTP_PROXY", proxy.URL)
	t.Setenv("http_proxy", proxy.URL)
	_, err := (&Client{exempt: only127001}).Get(context.Background(), "http://10.0.0.1/", nil)
	wantRefused(t, err, "10.0.0.1 is a private address")
}

func TestLimits(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/big":
			fmt.Fprint(w, strings.Repeat("x", 1025))
		case r.URL.Path == "/big-chunked":
			for range 5 {
				fmt.Fprint(w, strings.Repeat("x", 300))
				w.(http.Flusher).Flush() // no Content-Length: the limit is met while reading
			}
		case r.URL.Path == "/exact":
			fmt.Fprint(w, strings.Repeat("x", 1024))
		case strings.HasPrefix(r.URL.Path, "/hop/"):
			n, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/hop/"))
			if err != nil || n == 0 {
				fmt.Fprint(w, "arrived")
				return
			}
			http.Redirect(w, r, "/hop/"+strconv.Itoa(n-1), http.StatusFound)
		case r.URL.Path == "/slow":
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		case r.URL.Path == "/missing":
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, "no such page")
		}
	}))
	defer srv.Close()
	c := &Client{AllowPrivate: true, MaxBytes: 1024, MaxRedirects: 3, Timeout: 200 * time.Millisecond}
	ctx := context.Background()

	for _, path := range []string{"/big", "/big-chunked"} {
		_, err := c.Get(ctx, srv.URL+path, nil)
		wantRefused(t, err, "response body is larger than the 1 KB limit")
	}
	if resp, err := c.Get(ctx, srv.URL+"/exact", nil); err != nil || len(resp.Body) != 1024 {
		t.Errorf("body at the limit: %v", err)
	}
	// A client from HTTPClient fails the read that passes the limit.
	hresp, err := c.HTTPClient().Get(srv.URL + "/big-chunked")
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(hresp.Body)
	hresp.Body.Close()
	wantRefused(t, err, "larger than the 1 KB limit")

	resp, err := c.Get(ctx, srv.URL+"/hop/3", nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(resp.Body) != "arrived" || resp.URL != srv.URL+"/hop/0" {
		t.Errorf("after 3 redirects: %q at %s", resp.Body, resp.URL)
	}
	_, err = c.Get(ctx, srv.URL+"/hop/4", nil)
	wantRefused(t, err, "stopped after 3 redirects")

	_, err = c.Get(ctx, srv.URL+"/slow", nil)
	if err == nil {
		t.Fatal("slow server: no error")
	}
	if syndicate.ErrorCode(err) == syndicate.EINVALID {
		t.Errorf("a timeout is not invalid input: %v", err)
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("slow server: %v is not a timeout", err)
	}

	resp, err = c.Get(ctx, srv.URL+"/missing", nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusNotFound || string(resp.Body) != "no such page" {
		t.Errorf("got %d %q", resp.Status, resp.Body)
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{5 << 20: "5 MB", 1024: "1 KB", 1000: "1000 bytes", 1536 << 10: "1536 KB"} {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestAllowHosts: a named host is fetched on its internal address; another
// host on the same address, another port of it, and a redirect away from
// it are still refused.
func TestAllowHosts(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the host not allowed was reached: %s", r.URL)
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/away" {
			http.Redirect(w, r, other.URL+"/", http.StatusFound)
			return
		}
		fmt.Fprint(w, "feed")
	}))
	defer srv.Close()
	hostPort := strings.TrimPrefix(srv.URL, "http://")
	port := strconv.Itoa(srv.Listener.Addr().(*net.TCPAddr).Port)
	ctx := context.Background()

	for _, allow := range [][]string{{hostPort}, {"127.0.0.1"}, {"Feeds.Local."}} {
		c := &Client{AllowHosts: allow, Resolver: fakeResolver{"feeds.local": {"127.0.0.1"}}}
		u := srv.URL + "/rss"
		if allow[0] == "Feeds.Local." {
			u = "http://feeds.local:" + port + "/rss"
		}
		resp, err := c.Get(ctx, u, nil)
		if err != nil || string(resp.Body) != "feed" {
			t.Errorf("AllowHosts %q: %v", allow, err)
		}
	}
	c := &Client{AllowHosts: []string{hostPort}, Resolver: fakeResolver{"feeds.local": {"127.0.0.1"}}}
	_, err := c.Get(ctx, other.URL+"/image.png", nil)
	wantRefused(t, err, "127.0.0.1 is a loopback address")
	_, err = c.Get(ctx, srv.URL+"/away", nil)
	wantRefused(t, err, "127.0.0.1 is a loopback address")
	_, err = c.Get(ctx, "http://feeds.local:"+port+"/rss", nil) // same address, another name
	wantRefused(t, err, "feeds.local resolves to 127.0.0.1, a loopback address")
	_, err = (&Client{AllowHosts: []string{"127.0.0.1:1"}}).Get(ctx, srv.URL, nil)
	wantRefused(t, err, "127.0.0.1 is a loopback address")
}
