// Package config loads syndicate's configuration from a YAML file and
// SYNDICATE_* environment variables, reports every problem at once and
// prints itself with secrets redacted.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"gopkg.in/yaml.v3"

	"syndicate/internal/redact"
)

// Config is the whole configuration. Each field says what its zero value
// means; Load fills the defaults.
type Config struct {
	RedisURL    string `yaml:"redis_url" env:"SYNDICATE_REDIS_URL" secret:"url"`       // default redis://127.0.0.1:6379/0
	DatabaseURL string `yaml:"database_url" env:"SYNDICATE_DATABASE_URL" secret:"url"` // default sqlite:syndicate.db
	SMTPURL     string `yaml:"smtp_url" env:"SYNDICATE_SMTP_URL" secret:"url"`         // empty: email is off
	From        string `yaml:"from" env:"SYNDICATE_FROM"`                              // "Name <addr>"; required for email
	BaseURL     string `yaml:"base_url" env:"SYNDICATE_BASE_URL" secret:"url"`         // public URL for unsubscribe links
	Secret      string `yaml:"secret" env:"SYNDICATE_SECRET" secret:"true"`            // key for signed links; required for email
	HTTPAddr    string `yaml:"http_addr" env:"SYNDICATE_HTTP_ADDR"`                    // default 127.0.0.1:8080
	APIToken    string `yaml:"api_token" env:"SYNDICATE_API_TOKEN" secret:"true"`      // empty: the publish API is off
	// GhostSecret and WordPressSecret check the CMS webhooks; empty: off.
	GhostSecret     string `yaml:"ghost_secret" env:"SYNDICATE_GHOST_SECRET" secret:"true"`
	WordPressSecret string `yaml:"wordpress_secret" env:"SYNDICATE_WORDPRESS_SECRET" secret:"true"`

	X        X        `yaml:"x"`
	Mastodon Mastodon `yaml:"mastodon"`
	Bluesky  Bluesky  `yaml:"bluesky"`
	Webhook  Webhook  `yaml:"webhook"`

	OutboxDir    string `yaml:"outbox_dir" env:"SYNDICATE_OUTBOX_DIR"`       // non-empty: the outbox channel writes here
	TemplatesDir string `yaml:"templates_dir" env:"SYNDICATE_TEMPLATES_DIR"` // override folder; empty: embedded only
	BatchSize    int    `yaml:"batch_size" env:"SYNDICATE_BATCH_SIZE"`       // emails per batch (one SMTP connection); default 200
	Concurrency  int    `yaml:"concurrency" env:"SYNDICATE_CONCURRENCY"`     // worker goroutines; default 10
	MaxRetry     int    `yaml:"max_retry" env:"SYNDICATE_MAX_RETRY"`         // retries of a failing job; default 10
	// RetryBase is the first retry delay; later ones double. Default 10s.
	RetryBase Duration `yaml:"retry_base" env:"SYNDICATE_RETRY_BASE"`

	Brand   Brand   `yaml:"brand"`
	Digests Digests `yaml:"digests"`
	SMTP    SMTP    `yaml:"smtp"`
	// Feeds are RSS, Atom or JSON Feed URLs polled for new articles.
	Feeds []string `yaml:"feeds" env:"SYNDICATE_FEEDS" secret:"url"` // comma-separated in the environment
	// FeedInterval is how often each feed is polled; default 5m.
	FeedInterval Duration `yaml:"feed_interval" env:"SYNDICATE_FEED_INTERVAL"`
	// FeedMaxNew is the most items one poll of one feed publishes (the
	// newest; the rest are only marked seen); default 10.
	FeedMaxNew int `yaml:"feed_max_new" env:"SYNDICATE_FEED_MAX_NEW"`
	// AllowPrivate lets every fetch of a URL from content (feeds, `publish
	// URL`, card images) reach loopback and private addresses; off, such
	// addresses are refused (SSRF).
	AllowPrivate bool `yaml:"allow_private" env:"SYNDICATE_ALLOW_PRIVATE"`
	// AllowPrivateHosts are hosts ("host" or "host:port") fetched even on
	// private addresses with AllowPrivate off: a feed on the local
	// network, without opening internal addresses to every URL in content.
	AllowPrivateHosts []string `yaml:"allow_private_hosts" env:"SYNDICATE_ALLOW_PRIVATE_HOSTS"` // comma-separated in the environment
	// UnsubscribeMailto, when set, is an address whose mail unsubscribes the
	// sender; List-Unsubscribe then offers it after the https URL.
	UnsubscribeMailto string `yaml:"unsubscribe_mailto" env:"SYNDICATE_UNSUBSCRIBE_MAILTO"`
	// ConfirmTTL is how long a double opt-in link works; default 48h.
	ConfirmTTL Duration `yaml:"confirm_ttl" env:"SYNDICATE_CONFIRM_TTL"`
	Signup     Signup   `yaml:"signup"`
	// ReconcileGrace is how long a delivery or fan-out may sit not final,
	// untouched and without a task in Redis before the reconciler queues
	// it again and status calls it stalled; default 2m.
	ReconcileGrace Duration `yaml:"reconcile_grace" env:"SYNDICATE_RECONCILE_GRACE"`
	// ReconcileInterval is how often the scheduler role runs the
	// reconciler; default 1m.
	ReconcileInterval Duration `yaml:"reconcile_interval" env:"SYNDICATE_RECONCILE_INTERVAL"`
}

// Signup bounds the public sign-up form (POST /subscribe). The counts live
// in Redis, so they hold across every API process.
type Signup struct {
	// PerClientPerHour is how many sign-ups one client address may send
	// an hour; default 10.
	PerClientPerHour int `yaml:"per_client_per_hour" env:"SYNDICATE_SIGNUP_PER_CLIENT_PER_HOUR"`
	// TotalPerMinute is how many sign-ups all clients together may send a
	// minute; default 30.
	TotalPerMinute int `yaml:"total_per_minute" env:"SYNDICATE_SIGNUP_TOTAL_PER_MINUTE"`
	// TrustedProxies are the addresses or CIDR prefixes of reverse proxies
	// whose X-Forwarded-For names the client; empty: the client is the
	// connection's remote address, whatever the headers say.
	TrustedProxies []string `yaml:"trusted_proxies" env:"SYNDICATE_TRUSTED_PROXIES"` // comma-separated in the environment
}

// Proxies returns TrustedProxies as prefixes (a single address is a /32 or
// /128); check has reported any that do not parse.
func (s Signup) Proxies() []netip.Prefix {
	var out []netip.Prefix
	for _, p := range s.TrustedProxies {
		if pr, err := parsePrefix(p); err == nil {
			out = append(out, pr)
		}
	}
	return out
}

func parsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}

// SMTP tunes sending. Rate is one budget for the whole installation, kept
// in Redis, unless RateScope is "process"; MaxConns likewise, unless
// MaxConnsScope is "process".
type SMTP struct {
	Rate  float64 `yaml:"rate" env:"SYNDICATE_SMTP_RATE"`   // messages per second; 0 = no limit
	Burst int     `yaml:"burst" env:"SYNDICATE_SMTP_BURST"` // messages at once before Rate applies; 0 = 1
	// RateScope is "installation" (the default: every worker draws on one
	// budget in Redis) or "process" (each worker process has Rate to itself).
	RateScope string `yaml:"rate_scope" env:"SYNDICATE_SMTP_RATE_SCOPE"`
	MaxConns  int    `yaml:"max_connections" env:"SYNDICATE_SMTP_MAX_CONNECTIONS"` // simultaneous connections; 0 = no limit
	// MaxConnsScope is "installation" (the default: MaxConns is one budget
	// of connections for every worker, leased in Redis) or "process" (each
	// worker process may open MaxConns).
	MaxConnsScope string `yaml:"max_connections_scope" env:"SYNDICATE_SMTP_MAX_CONNECTIONS_SCOPE"`
	// DKIM signing, on when all three are set.
	DKIMDomain   string `yaml:"dkim_domain" env:"SYNDICATE_DKIM_DOMAIN"`
	DKIMSelector string `yaml:"dkim_selector" env:"SYNDICATE_DKIM_SELECTOR"`
	DKIMKeyFile  string `yaml:"dkim_key_file" env:"SYNDICATE_DKIM_KEY_FILE"`
}

// Digests says when the scheduler sends the daily and weekly digests.
type Digests struct {
	Daily    string `yaml:"daily" env:"SYNDICATE_DIGEST_DAILY"`   // cron spec; default "0 7 * * *"; "off" disables
	Weekly   string `yaml:"weekly" env:"SYNDICATE_DIGEST_WEEKLY"` // cron spec; default "0 7 * * 1"; "off" disables
	Timezone string `yaml:"timezone" env:"SYNDICATE_TIMEZONE"`    // IANA zone the specs are in; default UTC
}

// Location returns the time zone of the digest schedule.
func (d Digests) Location() *time.Location {
	loc, err := time.LoadLocation(d.Timezone)
	if err != nil {
		return time.UTC // check has reported it
	}
	return loc
}

// X holds the credentials of the X channel; it is on when all four are set.
type X struct {
	APIURL         string `yaml:"api_url" env:"SYNDICATE_X_API_URL" secret:"url"` // default https://api.x.com
	ConsumerKey    string `yaml:"consumer_key" env:"SYNDICATE_X_CONSUMER_KEY"`
	ConsumerSecret string `yaml:"consumer_secret" env:"SYNDICATE_X_CONSUMER_SECRET" secret:"true"`
	AccessToken    string `yaml:"access_token" env:"SYNDICATE_X_ACCESS_TOKEN"`
	AccessSecret   string `yaml:"access_secret" env:"SYNDICATE_X_ACCESS_SECRET" secret:"true"`
	// API is "v2" (default: POST /2/tweets) or "v1.1" (statuses/update, for
	// accounts that still have it).
	API     string  `yaml:"api" env:"SYNDICATE_X_API"`
	Posting Posting `yaml:",inline"`
}

// Enabled reports whether any X credential is set (Validate insists on all).
func (x X) Enabled() bool {
	return x.ConsumerKey != "" || x.ConsumerSecret != "" || x.AccessToken != "" || x.AccessSecret != ""
}

// Posting is what every social channel can be told.
type Posting struct {
	// MaxPostsPerDay caps the posts a day (in digests.timezone); past it,
	// posts wait for the next day as "deferred". Zero means no cap.
	MaxPostsPerDay int `yaml:"max_posts_per_day"`
	// UTM parameters added to the article link in this channel's posts.
	UTM UTM `yaml:"utm"`
}

// UTM is the campaign tagging of links; empty fields are left out.
type UTM struct {
	Source   string `yaml:"source"`
	Medium   string `yaml:"medium"`
	Campaign string `yaml:"campaign"`
}

// Mastodon holds the Mastodon channel's instance and token; it is on when
// both are set.
type Mastodon struct {
	URL        string  `yaml:"url" env:"SYNDICATE_MASTODON_URL" secret:"url"`
	Token      string  `yaml:"token" env:"SYNDICATE_MASTODON_TOKEN" secret:"true"`
	Visibility string  `yaml:"visibility" env:"SYNDICATE_MASTODON_VISIBILITY"` // public (default), unlisted, private
	Posting    Posting `yaml:",inline"`
}

// Enabled reports whether the Mastodon channel is configured.
func (m Mastodon) Enabled() bool { return m.URL != "" || m.Token != "" }

// Bluesky holds the Bluesky channel's PDS and app password; it is on when
// the handle and app password are set.
type Bluesky struct {
	URL         string  `yaml:"url" env:"SYNDICATE_BLUESKY_URL" secret:"url"` // default https://bsky.social
	Handle      string  `yaml:"handle" env:"SYNDICATE_BLUESKY_HANDLE"`
	AppPassword string  `yaml:"app_password" env:"SYNDICATE_BLUESKY_APP_PASSWORD" secret:"true"`
	Posting     Posting `yaml:",inline"`
}

// Enabled reports whether the Bluesky channel is configured.
func (b Bluesky) Enabled() bool { return b.Handle != "" || b.AppPassword != "" }

// Webhook is the webhook channel: one post per article to each target.
type Webhook struct {
	Targets []WebhookTarget `yaml:"targets"`
	// One target can also come from SYNDICATE_WEBHOOK_URL, _FORMAT, _SECRET.
	URL    string `yaml:"-" env:"SYNDICATE_WEBHOOK_URL"`
	Format string `yaml:"-" env:"SYNDICATE_WEBHOOK_FORMAT"`
	Secret string `yaml:"-" env:"SYNDICATE_WEBHOOK_SECRET" secret:"true"`
	// AllowPrivate lets targets be on loopback and private addresses (a
	// receiver on the same box); off, such targets are refused.
	AllowPrivate bool    `yaml:"allow_private" env:"SYNDICATE_WEBHOOK_ALLOW_PRIVATE"`
	Posting      Posting `yaml:",inline"`
}

// WebhookTarget is one receiver: its URL, its shape (slack, discord or
// generic) and, for generic, the key that signs the body.
type WebhookTarget struct {
	URL    string `yaml:"url"`
	Format string `yaml:"format"`
	Secret string `yaml:"secret"`
}

// All returns every target, the one from the environment last.
func (w Webhook) All() []WebhookTarget {
	all := append([]WebhookTarget(nil), w.Targets...)
	if w.URL != "" {
		all = append(all, WebhookTarget{URL: w.URL, Format: w.Format, Secret: w.Secret})
	}
	return all
}

// URLs returns every URL setting that is set, for masking their secrets
// wherever an error or a log line might quote one (see package redact).
func (c Config) URLs() []string {
	var out []string
	for _, u := range append([]string{c.RedisURL, c.DatabaseURL, c.SMTPURL, c.BaseURL, c.X.APIURL, c.Mastodon.URL, c.Bluesky.URL}, c.Feeds...) {
		if u != "" {
			out = append(out, u)
		}
	}
	for _, t := range c.Webhook.All() {
		out = append(out, t.URL)
	}
	return out
}

// Brand is what the emails say about the newsletter.
type Brand struct {
	Name    string `yaml:"name" env:"SYNDICATE_BRAND_NAME"`       // default: the From name
	Address string `yaml:"address" env:"SYNDICATE_BRAND_ADDRESS"` // postal address in the footer
	LogoURL string `yaml:"logo_url" env:"SYNDICATE_BRAND_LOGO_URL"`
	Color   string `yaml:"color" env:"SYNDICATE_BRAND_COLOR"` // default #1a73e8
}

// Duration is a time.Duration written as a Go duration string.
type Duration time.Duration

// UnmarshalYAML reads "30s", "2m".
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("%q is not a duration like 30s or 2m", n.Value)
	}
	*d = Duration(v)
	return nil
}

// Defaults.
const (
	DefaultRedisURL    = "redis://127.0.0.1:6379/0"
	DefaultDatabaseURL = "sqlite:syndicate.db"
	DefaultHTTPAddr    = "127.0.0.1:8080"
	DefaultXAPIURL     = "https://api.x.com"
	DefaultBlueskyURL  = "https://bsky.social"
	DefaultBatchSize   = 200
)

// Load reads path (if it exists; when explicit is true a missing file is an
// error), then overrides each field whose environment variable getenv
// returns non-empty, fills defaults and validates. The error lists every
// problem found.
func Load(path string, explicit bool, getenv func(string) string) (Config, error) {
	var c Config
	var problems []string
	if path != "" {
		b, err := os.ReadFile(path)
		switch {
		case err == nil:
			dec := yaml.NewDecoder(bytes.NewReader(b))
			dec.KnownFields(true)
			if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
				problems = append(problems, fmt.Sprintf("config file %s: %v", path, err))
			}
		case explicit || !errors.Is(err, os.ErrNotExist):
			problems = append(problems, fmt.Sprintf("config file %s: %v", path, err))
		}
	}
	problems = append(problems, applyEnv(reflect.ValueOf(&c).Elem(), getenv)...)
	c.fillDefaults()
	problems = append(problems, c.check()...)
	if len(problems) > 0 {
		return c, &Error{Problems: problems}
	}
	return c, nil
}

// Error lists every configuration problem.
type Error struct{ Problems []string }

func (e *Error) Error() string {
	if len(e.Problems) == 1 {
		return "configuration: " + e.Problems[0]
	}
	return "configuration has " + strconv.Itoa(len(e.Problems)) + " problems:\n  " + strings.Join(e.Problems, "\n  ")
}

func applyEnv(v reflect.Value, getenv func(string) string) []string {
	var problems []string
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f, fv := t.Field(i), v.Field(i)
		if f.Type.Kind() == reflect.Struct {
			problems = append(problems, applyEnv(fv, getenv)...)
			continue
		}
		name := f.Tag.Get("env")
		if name == "" {
			continue
		}
		s := getenv(name)
		if s == "" {
			continue
		}
		switch fv.Interface().(type) {
		case string:
			fv.SetString(s)
		case int:
			n, err := strconv.Atoi(s)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s=%q is not a whole number", name, s))
				continue
			}
			fv.SetInt(int64(n))
		case []string:
			var list []string
			for _, v := range strings.Split(s, ",") {
				if v = strings.TrimSpace(v); v != "" {
					list = append(list, v)
				}
			}
			fv.Set(reflect.ValueOf(list))
		case bool:
			b, err := strconv.ParseBool(s)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s=%q is not true or false", name, s))
				continue
			}
			fv.SetBool(b)
		case float64:
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s=%q is not a number", name, s))
				continue
			}
			fv.SetFloat(f)
		case Duration:
			d, err := time.ParseDuration(s)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s=%q is not a duration like 30s or 2m", name, s))
				continue
			}
			fv.SetInt(int64(d))
		}
	}
	return problems
}

func (c *Config) fillDefaults() {
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&c.SMTP.RateScope, "installation")
	def(&c.SMTP.MaxConnsScope, "installation")
	def(&c.RedisURL, DefaultRedisURL)
	def(&c.DatabaseURL, DefaultDatabaseURL)
	def(&c.HTTPAddr, DefaultHTTPAddr)
	def(&c.X.APIURL, DefaultXAPIURL)
	def(&c.X.API, "v2")
	def(&c.Bluesky.URL, DefaultBlueskyURL)
	def(&c.Brand.Color, "#1a73e8")
	def(&c.Digests.Daily, "0 7 * * *")
	def(&c.Digests.Weekly, "0 7 * * 1")
	def(&c.Digests.Timezone, "UTC")
	if c.Brand.Name == "" {
		if a, err := mail.ParseAddress(c.From); err == nil && a.Name != "" {
			c.Brand.Name = a.Name
		} else {
			c.Brand.Name = "Syndicate"
		}
	}
	if c.BatchSize == 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.Concurrency == 0 {
		c.Concurrency = 10
	}
	if c.MaxRetry == 0 {
		c.MaxRetry = 10
	}
	if c.FeedInterval == 0 {
		c.FeedInterval = Duration(5 * time.Minute)
	}
	if c.FeedMaxNew == 0 {
		c.FeedMaxNew = 10
	}
	if c.RetryBase == 0 {
		c.RetryBase = Duration(10 * time.Second)
	}
	if c.ReconcileGrace == 0 {
		c.ReconcileGrace = Duration(2 * time.Minute)
	}
	if c.ReconcileInterval == 0 {
		c.ReconcileInterval = Duration(time.Minute)
	}
	if c.ConfirmTTL == 0 {
		c.ConfirmTTL = Duration(48 * time.Hour)
	}
	if c.Signup.PerClientPerHour == 0 {
		c.Signup.PerClientPerHour = 10
	}
	if c.Signup.TotalPerMinute == 0 {
		c.Signup.TotalPerMinute = 30
	}
}

// check returns every problem, each naming the setting.
func (c *Config) check() []string {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	if u, err := url.Parse(c.RedisURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss" && u.Scheme != "redis+sentinel" && u.Scheme != "rediss+sentinel") || u.Host == "" {
		add("redis_url %q is not a redis://host:port/db or redis+sentinel://host:port,host:port/mastername URL", redact.URL(c.RedisURL))
	}
	if !strings.HasPrefix(c.DatabaseURL, "sqlite:") && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		add("database_url is neither sqlite:PATH nor postgres://… (it starts %q)", c.DatabaseURL[:min(len(c.DatabaseURL), 8)])
	}
	if c.SMTPURL != "" {
		u, err := url.Parse(c.SMTPURL)
		if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
			add("smtp_url is not an smtp://user:pass@host:port URL")
		} else if tls := u.Query().Get("tls"); tls != "" && tls != "starttls" && tls != "tls" && tls != "none" {
			add("smtp_url tls=%q is not one of starttls, tls, none", tls)
		}
		if c.From == "" {
			add("from is required when smtp_url is set (SYNDICATE_FROM=\"Name <addr>\")")
		}
		if c.Secret == "" {
			add("secret is required when smtp_url is set: it signs unsubscribe links (SYNDICATE_SECRET)")
		}
		if c.BaseURL == "" {
			add("base_url is required when smtp_url is set: unsubscribe links point there (SYNDICATE_BASE_URL)")
		}
	}
	if c.From != "" {
		if a, err := mail.ParseAddress(c.From); err != nil || strings.ContainsAny(c.From, "\r\n") || !strings.Contains(a.Address, "@") {
			add("from %q is not a Name <addr> address", c.From)
		}
	}
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			add("base_url %q is not an http(s) URL", redact.URL(c.BaseURL))
		}
	}
	if c.Secret != "" && len(c.Secret) < 16 {
		add("secret is shorter than 16 characters")
	}
	if c.X.Enabled() {
		for name, v := range map[string]string{"consumer_key": c.X.ConsumerKey, "consumer_secret": c.X.ConsumerSecret, "access_token": c.X.AccessToken, "access_secret": c.X.AccessSecret} {
			if v == "" {
				add("x.%s is missing (X needs all four credentials)", name)
			}
		}
		if u, err := url.Parse(c.X.APIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			add("x.api_url %q is not an http(s) URL", redact.URL(c.X.APIURL))
		}
	}
	if c.X.API != "" && c.X.API != "v2" && c.X.API != "v1.1" {
		add("x.api %q is not v2 or v1.1", c.X.API)
	}
	if c.Mastodon.Enabled() {
		if c.Mastodon.URL == "" || c.Mastodon.Token == "" {
			add("mastodon needs both url and token")
		} else if u, err := url.Parse(c.Mastodon.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			add("mastodon.url %q is not an http(s) URL", redact.URL(c.Mastodon.URL))
		}
	}
	if c.Bluesky.Enabled() && (c.Bluesky.Handle == "" || c.Bluesky.AppPassword == "") {
		add("bluesky needs both handle and app_password")
	}
	for i, t := range c.Webhook.All() {
		if u, err := url.Parse(t.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			add("webhook target %d is not an http(s) URL", i+1)
		}
		switch t.Format {
		case "", "generic":
			if t.Secret == "" {
				add("webhook target %d (generic) needs a secret to sign its body", i+1)
			}
		case "slack", "discord":
		default:
			add("webhook target %d format %q is not slack, discord or generic", i+1, t.Format)
		}
	}
	for name, p := range map[string]Posting{"x": c.X.Posting, "mastodon": c.Mastodon.Posting, "bluesky": c.Bluesky.Posting, "webhook": c.Webhook.Posting} {
		if p.MaxPostsPerDay < 0 {
			add("%s.max_posts_per_day must not be negative", name)
		}
	}
	if c.BatchSize < 1 || c.BatchSize > 10000 {
		add("batch_size %d is not between 1 and 10000", c.BatchSize)
	}
	if c.Concurrency < 1 || c.Concurrency > 1000 {
		add("concurrency %d is not between 1 and 1000", c.Concurrency)
	}
	if c.MaxRetry < 0 || c.MaxRetry > 100 {
		add("max_retry %d is not between 0 and 100", c.MaxRetry)
	}
	if time.Duration(c.ReconcileGrace) < time.Second {
		add("reconcile_grace %s is shorter than 1s", time.Duration(c.ReconcileGrace))
	}
	if time.Duration(c.ReconcileInterval) < time.Second {
		add("reconcile_interval %s is shorter than 1s", time.Duration(c.ReconcileInterval))
	}
	if time.Duration(c.FeedInterval) < 10*time.Second {
		add("feed_interval %s is shorter than 10s", time.Duration(c.FeedInterval))
	}
	if c.FeedMaxNew < 1 || c.FeedMaxNew > 1000 {
		add("feed_max_new %d is not between 1 and 1000", c.FeedMaxNew)
	}
	for _, h := range c.AllowPrivateHosts {
		if u, err := url.Parse("http://" + h); err != nil || u.Host != h || u.Hostname() == "" {
			add("allow_private_hosts entry %q is not a host or host:port", h)
		}
	}
	for _, f := range c.Feeds {
		if u, err := url.Parse(f); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			add("feed %q is not an http(s) URL", redact.URL(f))
		}
	}
	if c.RetryBase < 0 {
		add("retry_base must not be negative")
	}
	if d := time.Duration(c.ConfirmTTL); d < 5*time.Minute || d > 30*24*time.Hour {
		add("confirm_ttl %s is not between 5m and 720h", d)
	}
	if c.Signup.PerClientPerHour < 0 {
		add("signup.per_client_per_hour must not be negative")
	}
	if c.Signup.TotalPerMinute < 0 {
		add("signup.total_per_minute must not be negative")
	}
	for _, p := range c.Signup.TrustedProxies {
		if _, err := parsePrefix(p); err != nil {
			add("signup.trusted_proxies entry %q is not an IP address or CIDR prefix", p)
		}
	}
	if _, err := time.LoadLocation(c.Digests.Timezone); err != nil {
		add("digests.timezone %q is not a time zone like Europe/London", c.Digests.Timezone)
	}
	for name, spec := range map[string]string{"daily": c.Digests.Daily, "weekly": c.Digests.Weekly} {
		if spec == "off" {
			continue
		}
		if _, err := cron.ParseStandard(spec); err != nil {
			add("digests.%s %q is not a cron spec like \"0 7 * * *\": %v", name, spec, err)
		}
	}
	if c.UnsubscribeMailto != "" {
		if a, err := mail.ParseAddress(c.UnsubscribeMailto); err != nil || a.Name != "" || a.Address != c.UnsubscribeMailto || strings.ContainsAny(c.UnsubscribeMailto, "?&<>,") {
			add("unsubscribe_mailto %q is not a plain address", c.UnsubscribeMailto)
		}
	}
	if c.SMTP.Rate < 0 || c.SMTP.Burst < 0 || c.SMTP.MaxConns < 0 {
		add("smtp.rate, smtp.burst and smtp.max_connections must not be negative")
	}
	if c.SMTP.RateScope != "installation" && c.SMTP.RateScope != "process" {
		add("smtp.rate_scope %q is not installation or process", c.SMTP.RateScope)
	}
	if c.SMTP.MaxConnsScope != "installation" && c.SMTP.MaxConnsScope != "process" {
		add("smtp.max_connections_scope %q is not installation or process", c.SMTP.MaxConnsScope)
	}
	if d := c.SMTP; (d.DKIMDomain != "" || d.DKIMSelector != "" || d.DKIMKeyFile != "") && (d.DKIMDomain == "" || d.DKIMSelector == "" || d.DKIMKeyFile == "") {
		add("smtp.dkim_domain, smtp.dkim_selector and smtp.dkim_key_file go together: set all three or none")
	}
	sort.Strings(p) // stable report: map iteration above is random
	return p
}

// Redacted returns the configuration as YAML with every secret replaced by
// "[redacted]", and in every URL its password and secret query parameters
// (see package redact); a URL that does not parse is "<redacted>".
func (c Config) Redacted() string {
	v := reflect.ValueOf(&c).Elem()
	redactFields(v)
	// Webhook URLs carry their tokens in the path (Slack, Discord).
	targets := make([]WebhookTarget, len(c.Webhook.Targets))
	for i, t := range c.Webhook.Targets {
		targets[i] = WebhookTarget{URL: redactPath(t.URL), Format: t.Format}
		if t.Secret != "" {
			targets[i].Secret = "[redacted]"
		}
	}
	c.Webhook.Targets = targets
	b, err := yaml.Marshal(c)
	if err != nil {
		return fmt.Sprintf("cannot print configuration: %v", err)
	}
	return string(b)
}

func redactFields(v reflect.Value) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f, fv := t.Field(i), v.Field(i)
		if f.Type.Kind() == reflect.Struct {
			redactFields(fv)
			continue
		}
		switch f.Tag.Get("secret") {
		case "true":
			if fv.String() != "" {
				fv.SetString("[redacted]")
			}
		case "url":
			switch {
			case f.Type.Kind() == reflect.String && fv.String() != "":
				fv.SetString(redact.URL(fv.String()))
			case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.String:
				urls := make([]string, fv.Len())
				for i := range urls {
					urls[i] = redact.URL(fv.Index(i).String())
				}
				fv.Set(reflect.ValueOf(urls)) // a copy: c shares the slice with the caller
			}
		}
	}
}

// redactPath keeps a URL's scheme and host and hides the rest.
func redactPath(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return redact.Unparseable
	}
	return u.Scheme + "://" + u.Host + "/[redacted]"
}

// MarshalYAML prints a duration the way it is written.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }
