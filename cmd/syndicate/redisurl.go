package main

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"syndicate"
	"syndicate/internal/redact"
)

// masterName is what a Sentinel master name may be.
var masterName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)

// newRedisClient makes the client of a Redis URL, and says where it
// connects for messages (without the password):
//
//   - redis://[user:password@]host:port/db, rediss://… for TLS, as go-redis
//     reads them;
//   - redis+sentinel://[user:password@]host1:port,host2:port/mastername?db=N
//     (rediss+sentinel://… for TLS to the servers and Sentinels): a
//     go-redis failover client that asks the Sentinels for the master and
//     follows a failover. The password is the servers'; Sentinels that
//     need one of their own take sentinel_password=….
//
// go-redis has ParseFailoverURL, but it takes redis://sentinel?addr=…
// &master_name=…, not the redis+sentinel:// form operators know from
// other clients, so that form is read here.
func newRedisClient(raw string) (redis.UniversalClient, string, error) {
	raw = strings.TrimSpace(raw)
	scheme, _, _ := strings.Cut(raw, "://")
	switch strings.ToLower(scheme) {
	case "redis+sentinel", "rediss+sentinel":
		opt, where, err := parseSentinelURL(raw)
		if err != nil {
			return nil, "", err
		}
		return redis.NewFailoverClient(opt), where, nil
	}
	opt, err := redis.ParseURL(raw)
	if err != nil {
		return nil, "", syndicate.Errorf(syndicate.EINVALID, "redis URL is not valid: %s", redact.String(err.Error(), raw))
	}
	return redis.NewClient(opt), opt.Addr, nil
}

// parseSentinelURL reads a redis+sentinel:// URL.
func parseSentinelURL(raw string) (*redis.FailoverOptions, string, error) {
	bad := func(format string, args ...any) error {
		return syndicate.Errorf(syndicate.EINVALID, "redis URL is not valid: "+format, args...)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, "", bad("it does not parse as redis+sentinel://[:password@]host:port,host:port/mastername?db=N")
	}
	opt := &redis.FailoverOptions{}
	if u.User != nil {
		opt.Username = u.User.Username()
		opt.Password, _ = u.User.Password()
	}
	for _, hp := range strings.Split(u.Host, ",") {
		host, port, err := net.SplitHostPort(hp)
		n, perr := strconv.Atoi(port)
		if err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
			return nil, "", bad("sentinel address %q is not host:port", hp)
		}
		opt.SentinelAddrs = append(opt.SentinelAddrs, net.JoinHostPort(host, port))
	}
	opt.MasterName = strings.TrimPrefix(u.Path, "/")
	if !masterName.MatchString(opt.MasterName) {
		return nil, "", bad("the path must be the Sentinel master name (letters, digits, '.', '_', '-'), not %q", opt.MasterName)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, "", bad("its query does not parse")
	}
	for k, vs := range q {
		v := vs[len(vs)-1]
		switch k {
		case "db":
			db, err := strconv.Atoi(v)
			if err != nil || db < 0 || db > 15 {
				return nil, "", bad("db %q is not a database number from 0 to 15", v)
			}
			opt.DB = db
		case "sentinel_password":
			opt.SentinelPassword = v
		default:
			return nil, "", bad("parameter %q is not known (db, sentinel_password)", k)
		}
	}
	if strings.EqualFold(u.Scheme, "rediss+sentinel") {
		host, _, _ := net.SplitHostPort(opt.SentinelAddrs[0])
		opt.TLSConfig = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	}
	return opt, fmt.Sprintf("master %s via Sentinel %s", opt.MasterName, strings.Join(opt.SentinelAddrs, ",")), nil
}
