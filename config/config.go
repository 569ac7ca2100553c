// Package config loads syndicate's configuration from a YAML file and
// SYNDICATE_* environment variables, reports every problem at once and
// prints itself with secrets redacted.
package config

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
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
	"unicode/utf8"

	"github.com/robfig/cron/v3"
	"golang.org/x/crypto/bcrypt"
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
	Email             Email    `yaml:"email"`
	Archive           Archive  `yaml:"archive"`
	// Alerts are the incidents the scheduler role tells alerts.targets of.
	Alerts Alerts `yaml:"alerts"`
	// MetricsToken, when set, is the bearer token GET /metrics on the api
	// role needs; empty: the metrics are open to whoever reaches it.
	MetricsToken string `yaml:"metrics_token" env:"SYNDICATE_METRICS_TOKEN" secret:"true"`
	// Admin is the editor's dashboard at /admin on the api role.
	Admin Admin `yaml:"admin"`
	// Bounces says how bounces and complaints come in and what they do.
	Bounces Bounces `yaml:"bounces"`
}

// Alerts says where incidents are told and when a state is one. With no
// target, alerts are off.
type Alerts struct {
	// Targets are Slack or Discord incoming webhooks, or generic receivers
	// whose requests are signed with their secret, as webhook.targets.
	Targets []WebhookTarget `yaml:"targets"`
	// One target can also come from SYNDICATE_ALERTS_URL, _FORMAT, _SECRET.
	URL    string `yaml:"-" env:"SYNDICATE_ALERTS_URL"`
	Format string `yaml:"-" env:"SYNDICATE_ALERTS_FORMAT"`
	Secret string `yaml:"-" env:"SYNDICATE_ALERTS_SECRET" secret:"true"`
	// Stall is how long a send may make no progress, with deliveries
	// unfinished, before it is an incident; default 10m.
	Stall Duration `yaml:"stall" env:"SYNDICATE_ALERTS_STALL"`
	// Window is how long a delivery that failed for good keeps its
	// channel's incident open; default 1h.
	Window Duration `yaml:"window" env:"SYNDICATE_ALERTS_WINDOW"`
	// Interval is how often the scheduler checks; default 1m.
	Interval Duration `yaml:"interval" env:"SYNDICATE_ALERTS_INTERVAL"`
	// BounceRate and ComplaintRate are the day's thresholds as fractions
	// of the emails finished since midnight (digests.timezone); default
	// 0.05 and 0.003.
	BounceRate    float64 `yaml:"bounce_rate" env:"SYNDICATE_ALERTS_BOUNCE_RATE"`
	ComplaintRate float64 `yaml:"complaint_rate" env:"SYNDICATE_ALERTS_COMPLAINT_RATE"`
	// MinEmails is how many emails the day must have before its rates are
	// judged; default 100.
	MinEmails int `yaml:"min_emails" env:"SYNDICATE_ALERTS_MIN_EMAILS"`
}

// All returns every alert target, the one from the environment last.
func (a Alerts) All() []WebhookTarget {
	all := append([]WebhookTarget(nil), a.Targets...)
	if a.URL != "" {
		all = append(all, WebhookTarget{URL: a.URL, Format: a.Format, Secret: a.Secret})
	}
	return all
}

// Admin is the editor's dashboard. It is off until a user is configured.
type Admin struct {
	// Users may log in to /admin; empty: the dashboard is off and its
	// pages answer 404. Needs secret, which signs the session cookies.
	Users []AdminUser `yaml:"users"`
	// SessionTTL is how long a login lasts; default 12h.
	SessionTTL Duration `yaml:"session_ttl" env:"SYNDICATE_ADMIN_SESSION_TTL"`
	// LoginsPerHour bounds login attempts per client address and, apart,
	// per user name, across every API process (kept in Redis); default 20.
	LoginsPerHour int `yaml:"logins_per_hour" env:"SYNDICATE_ADMIN_LOGINS_PER_HOUR"`
}

// AdminUser is one editor: a name and the bcrypt hash of the password
// (made by `syndicate admin hash-password`).
type AdminUser struct {
	Name         string `yaml:"name"`
	PasswordHash string `yaml:"password_hash"`
}

// Bounces configures the bounce and complaint sources: the webhooks of
// each mail provider (on when their key is set), the bounce mailbox read
// over IMAP, and the rule for soft bounces.
type Bounces struct {
	// VERPDomain, when set, makes each email's envelope sender
	// bounces+TOKEN@VERPDomain, the token naming the delivery; mail to
	// that domain must reach the bounce mailbox. Empty: the From address.
	VERPDomain string `yaml:"verp_domain" env:"SYNDICATE_BOUNCES_VERP_DOMAIN"`
	// SoftLimit soft bounces within SoftWindow suppress an address;
	// defaults 3 and 168h (7 days).
	SoftLimit  int      `yaml:"soft_limit" env:"SYNDICATE_BOUNCES_SOFT_LIMIT"`
	SoftWindow Duration `yaml:"soft_window" env:"SYNDICATE_BOUNCES_SOFT_WINDOW"`
	IMAP       IMAP     `yaml:"imap"`
	// SESTopicARNs are the SNS topics whose SES notifications
	// POST /v1/hooks/bounces/ses takes; empty: that hook is off.
	SESTopicARNs []string `yaml:"ses_topic_arns" env:"SYNDICATE_BOUNCES_SES_TOPIC_ARNS"` // comma-separated in the environment
	// Postmark's webhook: basic-auth user and password, or a secret path
	// segment (/v1/hooks/bounces/postmark/SECRET); all empty: off.
	PostmarkUsername string `yaml:"postmark_username" env:"SYNDICATE_BOUNCES_POSTMARK_USERNAME"`
	PostmarkPassword string `yaml:"postmark_password" env:"SYNDICATE_BOUNCES_POSTMARK_PASSWORD" secret:"true"`
	PostmarkSecret   string `yaml:"postmark_secret" env:"SYNDICATE_BOUNCES_POSTMARK_SECRET" secret:"true"`
	// SendGridPublicKey is the verification key of SendGrid's signed
	// Event Webhook (base64, as its settings show it); empty: off.
	SendGridPublicKey string `yaml:"sendgrid_public_key" env:"SYNDICATE_BOUNCES_SENDGRID_PUBLIC_KEY"`
	// MailgunSigningKey is Mailgun's HTTP webhook signing key; empty: off.
	MailgunSigningKey string `yaml:"mailgun_signing_key" env:"SYNDICATE_BOUNCES_MAILGUN_SIGNING_KEY" secret:"true"`
}

// IMAP is the bounce mailbox the scheduler role reads; on when URL is set.
type IMAP struct {
	// URL is imaps://host[:993] (TLS) or imap://host[:143] (STARTTLS).
	URL      string `yaml:"url" env:"SYNDICATE_BOUNCES_IMAP_URL" secret:"url"`
	Username string `yaml:"username" env:"SYNDICATE_BOUNCES_IMAP_USERNAME"`
	Password string `yaml:"password" env:"SYNDICATE_BOUNCES_IMAP_PASSWORD" secret:"true"`
	// Mailbox is read for unseen messages; default INBOX.
	Mailbox string `yaml:"mailbox" env:"SYNDICATE_BOUNCES_IMAP_MAILBOX"`
	// Processed, when set, is the mailbox each handled message is moved
	// to; empty: messages are only marked seen.
	Processed string `yaml:"processed_mailbox" env:"SYNDICATE_BOUNCES_IMAP_PROCESSED_MAILBOX"`
	// Interval is how often the mailbox is read; default 5m.
	Interval Duration `yaml:"interval" env:"SYNDICATE_BOUNCES_IMAP_INTERVAL"`
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
	for _, u := range append([]string{c.RedisURL, c.DatabaseURL, c.SMTPURL, c.BaseURL, c.X.APIURL, c.Mastodon.URL, c.Bluesky.URL, c.Bounces.IMAP.URL}, c.Feeds...) {
		if u != "" {
			out = append(out, u)
		}
	}
	for _, t := range append(c.Webhook.All(), c.Alerts.All()...) {
		out = append(out, t.URL)
	}
	return out
}

// Brand is what the emails say about the newsletter.
type Brand struct {
	Name    string `yaml:"name" env:"SYNDICATE_BRAND_NAME"`       // default: the From name
	Address string `yaml:"address" env:"SYNDICATE_BRAND_ADDRESS"` // postal address in the footer
	// LogoURL is an http(s) URL of a logo shown instead of the name in
	// the masthead; empty: the name.
	LogoURL string `yaml:"logo_url" env:"SYNDICATE_BRAND_LOGO_URL"`
	Color   string `yaml:"color" env:"SYNDICATE_BRAND_COLOR"` // default #1a73e8
	// SiteURL is the newsroom's own site, which the emails' masthead links
	// to; empty: the masthead is not a link.
	SiteURL string `yaml:"site_url" env:"SYNDICATE_BRAND_SITE_URL"`
}

// Email shapes what the emails carry.
type Email struct {
	// FullContent puts the whole article in instant emails instead of its
	// summary and a link; default false.
	FullContent bool `yaml:"full_content" env:"SYNDICATE_EMAIL_FULL_CONTENT"`
}

// Archive is the public archive of sent emails at /archive.
type Archive struct {
	// Enabled serves the archive and links every email to its copy there
	// ("view in browser"); nil (unset) means on, the default.
	Enabled *bool `yaml:"enabled" env:"SYNDICATE_ARCHIVE_ENABLED"`
}

// On reports whether the archive is on: unless set to false.
func (a Archive) On() bool { return a.Enabled == nil || *a.Enabled }

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
		case *bool: // a switch whose default is on
			b, err := strconv.ParseBool(s)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s=%q is not true or false", name, s))
				continue
			}
			fv.Set(reflect.ValueOf(&b))
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
	if c.Alerts.Stall == 0 {
		c.Alerts.Stall = Duration(10 * time.Minute)
	}
	if c.Alerts.Window == 0 {
		c.Alerts.Window = Duration(time.Hour)
	}
	if c.Alerts.Interval == 0 {
		c.Alerts.Interval = Duration(time.Minute)
	}
	if c.Alerts.BounceRate == 0 {
		c.Alerts.BounceRate = 0.05
	}
	if c.Alerts.ComplaintRate == 0 {
		c.Alerts.ComplaintRate = 0.003
	}
	if c.Alerts.MinEmails == 0 {
		c.Alerts.MinEmails = 100
	}
	if c.Admin.SessionTTL == 0 {
		c.Admin.SessionTTL = Duration(12 * time.Hour)
	}
	if c.Admin.LoginsPerHour == 0 {
		c.Admin.LoginsPerHour = 20
	}
	if c.Archive.Enabled == nil {
		on := true
		c.Archive.Enabled = &on
	}
	if c.Bounces.SoftLimit == 0 {
		c.Bounces.SoftLimit = 3
	}
	if c.Bounces.SoftWindow == 0 {
		c.Bounces.SoftWindow = Duration(7 * 24 * time.Hour)
	}
	def(&c.Bounces.IMAP.Mailbox, "INBOX")
	if c.Bounces.IMAP.Interval == 0 {
		c.Bounces.IMAP.Interval = Duration(5 * time.Minute)
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
	for name, v := range map[string]string{"brand.site_url": c.Brand.SiteURL, "brand.logo_url": c.Brand.LogoURL} {
		if u, err := url.Parse(v); v != "" && (err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "") {
			add("%s %q is not an http(s) URL", name, v)
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
	checkTargets("webhook", c.Webhook.All(), add)
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
	checkTargets("alerts", c.Alerts.All(), add)
	if time.Duration(c.Alerts.Stall) < time.Minute {
		add("alerts.stall %s is shorter than 1m", time.Duration(c.Alerts.Stall))
	}
	if time.Duration(c.Alerts.Window) < time.Minute {
		add("alerts.window %s is shorter than 1m", time.Duration(c.Alerts.Window))
	}
	if time.Duration(c.Alerts.Interval) < time.Second {
		add("alerts.interval %s is shorter than 1s", time.Duration(c.Alerts.Interval))
	}
	for name, r := range map[string]float64{"bounce_rate": c.Alerts.BounceRate, "complaint_rate": c.Alerts.ComplaintRate} {
		if r <= 0 || r > 1 {
			add("alerts.%s %g is not a fraction between 0 and 1 (0.05 is 5%%)", name, r)
		}
	}
	if c.Alerts.MinEmails < 1 {
		add("alerts.min_emails %d is not 1 or more", c.Alerts.MinEmails)
	}
	p = append(p, c.Admin.check(c.Secret)...)
	p = append(p, c.Bounces.check(c.Secret)...)
	sort.Strings(p) // stable report: map iteration above is random
	return p
}

// checkTargets reports the problems of the webhook or alert targets ts,
// naming each by what ("webhook", "alerts") and its position.
func checkTargets(what string, ts []WebhookTarget, add func(string, ...any)) {
	for i, t := range ts {
		if u, err := url.Parse(t.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			add("%s target %d is not an http(s) URL", what, i+1)
		}
		switch t.Format {
		case "", "generic":
			if t.Secret == "" {
				add("%s target %d (generic) needs a secret to sign its body", what, i+1)
			}
		case "slack", "discord":
		default:
			add("%s target %d format %q is not slack, discord or generic", what, i+1, t.Format)
		}
	}
}

// check returns the problems of the bounce settings; secret is the key of
// signed links, which also signs VERP tokens.
func (b Bounces) check(secret string) []string {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	if b.VERPDomain != "" {
		if u, err := url.Parse("http://" + b.VERPDomain); err != nil || u.Host != b.VERPDomain || u.Port() != "" || !strings.Contains(b.VERPDomain, ".") {
			add("bounces.verp_domain %q is not a domain like bounces.example.com", b.VERPDomain)
		}
		if secret == "" {
			add("bounces.verp_domain needs secret: it signs the return paths")
		}
	}
	if b.SoftLimit < 1 || b.SoftLimit > 100 {
		add("bounces.soft_limit %d is not between 1 and 100", b.SoftLimit)
	}
	if d := time.Duration(b.SoftWindow); d < time.Hour || d > 365*24*time.Hour {
		add("bounces.soft_window %s is not between 1h and 8760h", d)
	}
	if m := b.IMAP; m.URL != "" {
		if u, err := url.Parse(m.URL); err != nil || (u.Scheme != "imap" && u.Scheme != "imaps") || u.Hostname() == "" {
			add("bounces.imap.url is not an imaps://host:993 or imap://host:143 URL")
		}
		if m.Username == "" || m.Password == "" {
			add("bounces.imap.url needs bounces.imap.username and bounces.imap.password")
		}
		if time.Duration(m.Interval) < 10*time.Second {
			add("bounces.imap.interval %s is shorter than 10s", time.Duration(m.Interval))
		}
	}
	for _, arn := range b.SESTopicARNs {
		if !strings.HasPrefix(arn, "arn:aws:sns:") || strings.Count(arn, ":") != 5 {
			add("bounces.ses_topic_arns entry %q is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)", arn)
		}
	}
	if (b.PostmarkUsername == "") != (b.PostmarkPassword == "") {
		add("bounces.postmark_username and bounces.postmark_password go together")
	}
	if k := b.SendGridPublicKey; k != "" && !isECDSAKey(k) {
		add("bounces.sendgrid_public_key is not an ECDSA P-256 public key in base64 (as SendGrid's Event Webhook settings show it)")
	}
	if b.PostmarkSecret != "" && len(b.PostmarkSecret) < 16 {
		add("bounces.postmark_secret is shorter than 16 characters")
	}
	return p
}

// isECDSAKey reports whether s is an ECDSA P-256 public key, in base64
// of its DER form or in PEM.
func isECDSAKey(s string) bool {
	der, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if b, _ := pem.Decode([]byte(s)); b != nil {
		der, err = b.Bytes, nil
	}
	if err != nil {
		return false
	}
	k, err := x509.ParsePKIXPublicKey(der)
	pub, ok := k.(*ecdsa.PublicKey)
	return err == nil && ok && pub.Curve == elliptic.P256()
}

// Redacted returns the configuration as YAML with every secret replaced by
// "[redacted]", and in every URL its password and secret query parameters
// (see package redact); a URL that does not parse is "<redacted>".
func (c Config) Redacted() string {
	v := reflect.ValueOf(&c).Elem()
	redactFields(v)
	c.Webhook.Targets = redactTargets(c.Webhook.Targets)
	c.Alerts.Targets = redactTargets(c.Alerts.Targets)
	users := make([]AdminUser, len(c.Admin.Users))
	for i, u := range c.Admin.Users {
		users[i] = AdminUser{Name: u.Name, PasswordHash: "[redacted]"}
	}
	c.Admin.Users = users
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

// redactTargets copies ts with their secrets hidden. Webhook URLs carry
// their tokens in the path (Slack, Discord), so only scheme and host stay.
func redactTargets(ts []WebhookTarget) []WebhookTarget {
	out := make([]WebhookTarget, len(ts))
	for i, t := range ts {
		out[i] = WebhookTarget{URL: redactPath(t.URL), Format: t.Format}
		if t.Secret != "" {
			out[i].Secret = "[redacted]"
		}
	}
	return out
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

// check returns the problems of the dashboard's settings; secret is the
// key that signs its sessions.
func (a Admin) check(secret string) []string {
	var p []string
	seen := map[string]bool{}
	for i, u := range a.Users {
		switch {
		case u.Name == "" || len(u.Name) > 64 || strings.ContainsAny(u.Name, " \t\r\n") || !utf8.ValidString(u.Name):
			p = append(p, fmt.Sprintf("admin.users[%d].name must be 1 to 64 bytes without spaces", i))
		case seen[u.Name]:
			p = append(p, fmt.Sprintf("admin.users names %q twice", u.Name))
		}
		seen[u.Name] = true
		if _, err := bcrypt.Cost([]byte(u.PasswordHash)); err != nil {
			p = append(p, fmt.Sprintf("admin.users[%d].password_hash is not a bcrypt hash (make one with `syndicate admin hash-password`)", i))
		}
	}
	if len(a.Users) > 0 && secret == "" {
		p = append(p, "admin.users needs secret (SYNDICATE_SECRET), which signs the dashboard's sessions")
	}
	if time.Duration(a.SessionTTL) < time.Minute || time.Duration(a.SessionTTL) > 30*24*time.Hour {
		p = append(p, fmt.Sprintf("admin.session_ttl %s is not between 1m and 720h", time.Duration(a.SessionTTL)))
	}
	if a.LoginsPerHour < 0 {
		p = append(p, "admin.logins_per_hour must not be negative")
	}
	return p
}
