package web

import (
	"context"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Limiter is a rate limit shared by every process that serves the pages
// (the program backs it with Redis, so a second API process does not
// double the budget). Allow takes one request from key's budget: ok says
// whether there was one left, retryAfter, when there was not, how long
// until there is.
type Limiter interface {
	Allow(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error)
}

// signupLimits bounds POST /subscribe: per client address, then for all
// clients together. A nil Limiter is no limit of that kind.
type signupLimits struct {
	perClient, total Limiter
	proxies          []netip.Prefix
}

// allow takes one sign-up from the budgets of r's client and of everyone.
// When it returns false it has answered: 429 with Retry-After over a
// limit, 503 when the limiter cannot be asked (Redis down: the
// confirmation could not be queued either).
//
// The client's own budget is asked first, so that one flooding client is
// stopped before it spends everyone's.
func (l signupLimits) allow(w http.ResponseWriter, r *http.Request, p *pages) bool {
	for _, c := range []struct {
		lim Limiter
		key string
	}{
		{l.perClient, "client:" + clientKey(clientIP(r, l.proxies))},
		{l.total, "all"},
	} {
		if c.lim == nil {
			continue
		}
		ok, after, err := c.lim.Allow(r.Context(), c.key)
		if err != nil {
			p.log.Error("subscribe: check the sign-up rate limit", "error", err)
			w.Header().Set("Retry-After", "60")
			p.message(w, http.StatusServiceUnavailable, "Something went wrong",
				"Something went wrong on our side. Please try again in a few minutes.")
			return false
		}
		if !ok {
			secs := max(int(math.Ceil(after.Seconds())), 1)
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			p.log.Info("sign-up over the rate limit", "limit", strings.SplitN(c.key, ":", 2)[0])
			p.render(w, http.StatusTooManyRequests, "limited", pageData{
				Message: "We have had too many sign-ups just now. Please try again in " + wait(secs) + ".",
			})
			return false
		}
	}
	return true
}

// wait says secs in words for a person.
func wait(secs int) string {
	switch {
	case secs <= 60:
		return "a minute"
	case secs < 3600:
		return strconv.Itoa((secs+59)/60) + " minutes"
	default:
		return "an hour or so"
	}
}

// clientIP is the address of r's client: the connection's remote address,
// unless that is a trusted proxy, in which case X-Forwarded-For is read
// from the right (each proxy appends the address it got the request from)
// and the first address that is not a trusted proxy is the client. What a
// client writes into X-Forwarded-For itself is to the left of that, and
// is never believed. An entry that does not parse stops the walk at the
// last proxy, so garbage cannot choose a budget either.
func clientIP(r *http.Request, trusted []netip.Prefix) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	ip := ap.Addr().Unmap()
	if !inAny(ip, trusted) {
		return ip
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return ip
		}
		a = a.Unmap()
		if !inAny(a, trusted) {
			return a
		}
		ip = a
	}
	return ip
}

func inAny(a netip.Addr, prefixes []netip.Prefix) bool {
	for _, p := range prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientKey is the budget a client address counts against: the address
// for IPv4, its /64 for IPv6, since one host is routinely given a whole
// /64 and could otherwise take a new budget for every request.
func clientKey(a netip.Addr) string {
	if !a.IsValid() {
		return "unknown"
	}
	if a.Is6() {
		p, err := a.Prefix(64)
		if err == nil {
			return p.String()
		}
	}
	return a.String()
}
