package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	c, err := Load("", false, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.RedisURL != DefaultRedisURL || c.DatabaseURL != DefaultDatabaseURL || c.BatchSize != DefaultBatchSize || c.X.APIURL != DefaultXAPIURL {
		t.Errorf("defaults not filled: %+v", c)
	}
	if c.X.Enabled() {
		t.Error("X is on without credentials")
	}
}

func TestEnvOverridesFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(p, []byte("batch_size: 50\nretry_base: 2s\nx:\n  consumer_key: file-key\n  consumer_secret: s\n  access_token: t\n  access_secret: s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(p, true, env(map[string]string{"SYNDICATE_X_CONSUMER_KEY": "env-key", "SYNDICATE_BATCH_SIZE": "7"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.X.ConsumerKey != "env-key" || c.BatchSize != 7 || time.Duration(c.RetryBase) != 2*time.Second || !c.X.Enabled() {
		t.Errorf("got %+v", c)
	}
}

func TestEveryProblemAtOnce(t *testing.T) {
	_, err := Load("", false, env(map[string]string{
		"SYNDICATE_SMTP_URL":       "smtp://mail.example.com:587?tls=maybe",
		"SYNDICATE_BATCH_SIZE":     "many",
		"SYNDICATE_X_CONSUMER_KEY": "k",
		"SYNDICATE_REDIS_URL":      "http://x",
	}))
	if err == nil {
		t.Fatal("bad configuration accepted")
	}
	for _, want := range []string{"tls=\"maybe\"", "SYNDICATE_BATCH_SIZE", "x.consumer_secret is missing", "from is required", "secret is required", "redis_url"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
}

func TestRedacted(t *testing.T) {
	c, err := Load("", false, env(map[string]string{
		"SYNDICATE_SMTP_URL": "smtp://u:pa55word@mail.example.com:587", "SYNDICATE_FROM": "N <n@example.com>",
		"SYNDICATE_SECRET": "0123456789abcdef-secret", "SYNDICATE_BASE_URL": "https://n.example.com",
		"SYNDICATE_DATABASE_URL": "postgres://app:dbpass@db/syndicate", "SYNDICATE_API_TOKEN": "tok-123",
	}))
	if err != nil {
		t.Fatal(err)
	}
	out := c.Redacted()
	for _, secret := range []string{"pa55word", "0123456789abcdef-secret", "dbpass", "tok-123"} {
		if strings.Contains(out, secret) {
			t.Errorf("Redacted shows %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "mail.example.com") {
		t.Errorf("Redacted hides too much:\n%s", out)
	}
}

func TestUnknownKeyInFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(p, []byte("batchsize: 5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(p, true, env(nil)); err == nil || !strings.Contains(err.Error(), "batchsize") {
		t.Errorf("unknown key: %v", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "none.yaml"), false, env(nil)); err != nil {
		t.Errorf("a missing default file is an error: %v", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "none.yaml"), true, env(nil)); err == nil {
		t.Error("a missing --config file is not an error")
	}
}

func TestChannelsConfig(t *testing.T) {
	p := filepath.Join(t.TempDir(), "s.yaml")
	yaml := `
mastodon:
  url: https://social.example.com
  token: masto-secret
  max_posts_per_day: 5
  utm: {source: mastodon, medium: social}
webhook:
  targets:
    - {url: "https://hooks.slack.com/services/T000/B000/slack-token", format: slack}
    - {url: "https://example.com/hook", secret: hook-secret}
`
	if err := os.WriteFile(p, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(p, true, env(map[string]string{"SYNDICATE_WEBHOOK_URL": "https://discord.com/api/webhooks/1/discord-token", "SYNDICATE_WEBHOOK_FORMAT": "discord"}))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Mastodon.Enabled() || c.Mastodon.Posting.MaxPostsPerDay != 5 || c.Mastodon.Posting.UTM.Source != "mastodon" {
		t.Errorf("mastodon = %+v", c.Mastodon)
	}
	if n := len(c.Webhook.All()); n != 3 {
		t.Errorf("%d webhook targets, want 3", n)
	}
	out := c.Redacted()
	for _, secret := range []string{"masto-secret", "slack-token", "hook-secret", "discord-token"} {
		if strings.Contains(out, secret) {
			t.Errorf("Redacted shows %q:\n%s", secret, out)
		}
	}
	_, err = Load("", false, env(map[string]string{"SYNDICATE_WEBHOOK_URL": "https://example.com/h", "SYNDICATE_X_API": "v3", "SYNDICATE_MASTODON_TOKEN": "t"}))
	for _, want := range []string{"needs a secret", "x.api \"v3\"", "mastodon needs both"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not mention %q", err, want)
		}
	}
}

func TestFeedMaxNewAndPrivateHosts(t *testing.T) {
	c, err := Load("", false, env(nil))
	if err != nil || c.FeedMaxNew != 10 || len(c.AllowPrivateHosts) != 0 {
		t.Fatalf("defaults: feed_max_new %d, allow_private_hosts %q, %v; want 10 and none", c.FeedMaxNew, c.AllowPrivateHosts, err)
	}
	c, err = Load("", false, env(map[string]string{"SYNDICATE_FEED_MAX_NEW": "3", "SYNDICATE_ALLOW_PRIVATE_HOSTS": "feeds.lan, 127.0.0.1:8081,[::1]:80"}))
	if err != nil || c.FeedMaxNew != 3 || strings.Join(c.AllowPrivateHosts, " ") != "feeds.lan 127.0.0.1:8081 [::1]:80" {
		t.Errorf("from the environment: %d %q, %v", c.FeedMaxNew, c.AllowPrivateHosts, err)
	}
	_, err = Load("", false, env(map[string]string{"SYNDICATE_FEED_MAX_NEW": "-1", "SYNDICATE_ALLOW_PRIVATE_HOSTS": "http://feeds.lan/rss"}))
	for _, want := range []string{"feed_max_new -1 is not between 1 and 1000", `allow_private_hosts entry "http://feeds.lan/rss" is not a host or host:port`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not say %q", err, want)
		}
	}
}

// TestSignupSettings: confirm_ttl and the sign-up limits have defaults,
// are read from the file and the environment, and bad values are named.
func TestSignupSettings(t *testing.T) {
	c, err := Load("", false, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if time.Duration(c.ConfirmTTL) != 48*time.Hour || c.Signup.PerClientPerHour != 10 || c.Signup.TotalPerMinute != 30 || len(c.Signup.Proxies()) != 0 {
		t.Errorf("defaults: ttl %s, signup %+v", time.Duration(c.ConfirmTTL), c.Signup)
	}
	p := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(p, []byte("confirm_ttl: 2h\nsignup:\n  per_client_per_hour: 3\n  trusted_proxies: [10.0.0.0/8, \"::1\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = Load(p, true, env(map[string]string{"SYNDICATE_SIGNUP_TOTAL_PER_MINUTE": "7"}))
	if err != nil {
		t.Fatal(err)
	}
	px := c.Signup.Proxies()
	if time.Duration(c.ConfirmTTL) != 2*time.Hour || c.Signup.PerClientPerHour != 3 || c.Signup.TotalPerMinute != 7 ||
		len(px) != 2 || px[0].String() != "10.0.0.0/8" || px[1].String() != "::1/128" {
		t.Errorf("got ttl %s, signup %+v, proxies %v", time.Duration(c.ConfirmTTL), c.Signup, px)
	}
	_, err = Load("", false, env(map[string]string{
		"SYNDICATE_CONFIRM_TTL": "1s", "SYNDICATE_SIGNUP_PER_CLIENT_PER_HOUR": "-1", "SYNDICATE_TRUSTED_PROXIES": "10.0.0.0/8,proxy.example.com",
	}))
	for _, want := range []string{"confirm_ttl 1s", "signup.per_client_per_hour", `"proxy.example.com"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q: %v", want, err)
		}
	}
}

// TestRedactedEveryURL gives every URL setting a password in its user part
// and in secret query parameters: none may show in Redacted or in the
// problems Load reports, and a URL that does not parse shows as <redacted>.
func TestRedactedEveryURL(t *testing.T) {
	vars := map[string]string{
		"SYNDICATE_REDIS_URL":    "redis://:redis-pw1@127.0.0.1:6379/0?password=redis-pw2",
		"SYNDICATE_DATABASE_URL": "postgres://app:pg-pw1@db:5432/syndicate?PASSWORD=pg-pw2&sslmode=disable",
		"SYNDICATE_SMTP_URL":     "smtp://u:smtp-pw1@mail.example.com:587?tls=starttls&token=smtp-pw2",
		"SYNDICATE_FROM":         "N <n@example.com>", "SYNDICATE_SECRET": "0123456789abcdef-secret",
		"SYNDICATE_BASE_URL":       "https://admin:base-pw1@n.example.com/?access_token=base-pw2",
		"SYNDICATE_X_API_URL":      "https://x:x-pw1@api.x.example/?api_key=x-pw2",
		"SYNDICATE_X_CONSUMER_KEY": "ck", "SYNDICATE_X_CONSUMER_SECRET": "cs", "SYNDICATE_X_ACCESS_TOKEN": "at", "SYNDICATE_X_ACCESS_SECRET": "as",
		"SYNDICATE_MASTODON_URL": "https://m:masto-pw1@social.example/?Secret=masto-pw2", "SYNDICATE_MASTODON_TOKEN": "t",
		"SYNDICATE_BLUESKY_URL": "https://b:bsky-pw1@pds.example/?pass=bsky-pw2", "SYNDICATE_BLUESKY_HANDLE": "h", "SYNDICATE_BLUESKY_APP_PASSWORD": "p",
		"SYNDICATE_FEEDS": "https://f:feed-pw1@feeds.example/rss?token=feed-pw2,https://plain.example/feed",
	}
	secrets := []string{"redis-pw", "pg-pw", "smtp-pw", "base-pw", "x-pw", "masto-pw", "bsky-pw", "feed-pw"}
	c, err := Load("", false, env(vars))
	if err != nil {
		t.Fatal(err)
	}
	out := c.Redacted()
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("Redacted shows %q:\n%s", s, out)
		}
	}
	for _, keep := range []string{"127.0.0.1:6379", "db:5432", "mail.example.com", "n.example.com", "api.x.example", "social.example", "pds.example", "feeds.example", "https://plain.example/feed", "sslmode=disable"} {
		if !strings.Contains(out, keep) {
			t.Errorf("Redacted hides %q:\n%s", keep, out)
		}
	}
	if c.Feeds[0] != vars["SYNDICATE_FEEDS"][:strings.Index(vars["SYNDICATE_FEEDS"], ",")] {
		t.Errorf("Redacted changed the configuration itself: feeds = %q", c.Feeds)
	}

	// URLs that do not parse are printed as <redacted>, in the problems
	// and in the configuration.
	bad := map[string]string{
		"SYNDICATE_REDIS_URL":      "redis://:redis-pw1%zz@h:6379/0",
		"SYNDICATE_BASE_URL":       "https://admin:base-pw1@[n.example.com/",
		"SYNDICATE_X_API_URL":      "https://x:x-pw1%@api.x.example/",
		"SYNDICATE_X_CONSUMER_KEY": "ck", "SYNDICATE_X_CONSUMER_SECRET": "cs", "SYNDICATE_X_ACCESS_TOKEN": "at", "SYNDICATE_X_ACCESS_SECRET": "as",
		"SYNDICATE_MASTODON_URL": "https://m:masto-pw1@social example/", "SYNDICATE_MASTODON_TOKEN": "t",
		"SYNDICATE_FEEDS": "https://f:feed-pw1@feeds.example/%zz",
	}
	_, err = Load("", false, env(bad))
	if err == nil {
		t.Fatal("bad URLs accepted")
	}
	for _, s := range secrets {
		if strings.Contains(err.Error(), s) {
			t.Errorf("Load error shows %q: %v", s, err)
		}
	}
	for _, want := range []string{`redis_url "<redacted>"`, `base_url "<redacted>"`, `x.api_url "<redacted>"`, `mastodon.url "<redacted>"`, `feed "<redacted>"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Load error does not say %s: %v", want, err)
		}
	}
	c = Config{RedisURL: bad["SYNDICATE_REDIS_URL"], Feeds: []string{bad["SYNDICATE_FEEDS"]}}
	if out := c.Redacted(); strings.Contains(out, "pw1") || strings.Count(out, "<redacted>") != 2 {
		t.Errorf("Redacted of unparseable URLs:\n%s", out)
	}
}

func TestAlertsSettings(t *testing.T) {
	c, err := Load("", false, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	a := c.Alerts
	if len(a.All()) != 0 || time.Duration(a.Stall) != 10*time.Minute || time.Duration(a.Window) != time.Hour ||
		time.Duration(a.Interval) != time.Minute || a.BounceRate != 0.05 || a.ComplaintRate != 0.003 || a.MinEmails != 100 {
		t.Errorf("alerts defaults = %+v", a)
	}

	p := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(p, []byte("alerts:\n  stall: 20m\n  bounce_rate: 0.02\n  targets:\n    - url: https://hooks.slack.com/services/T0/B0/slack-token\n      format: slack\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = Load(p, true, env(map[string]string{
		"SYNDICATE_ALERTS_URL": "https://alerts.example/hook", "SYNDICATE_ALERTS_SECRET": "alert-signing-secret",
		"SYNDICATE_ALERTS_MIN_EMAILS": "500",
	}))
	if err != nil {
		t.Fatal(err)
	}
	all := c.Alerts.All()
	if len(all) != 2 || all[0].Format != "slack" || all[1].URL != "https://alerts.example/hook" || all[1].Secret != "alert-signing-secret" ||
		time.Duration(c.Alerts.Stall) != 20*time.Minute || c.Alerts.BounceRate != 0.02 || c.Alerts.MinEmails != 500 {
		t.Errorf("alerts from file and environment = %+v", c.Alerts)
	}
	out := c.Redacted()
	for _, s := range []string{"slack-token", "alert-signing-secret"} {
		if strings.Contains(out, s) {
			t.Errorf("Redacted shows %q:\n%s", s, out)
		}
	}

	_, err = Load("", false, env(map[string]string{
		"SYNDICATE_ALERTS_URL": "https://alerts.example/hook", "SYNDICATE_ALERTS_STALL": "5s",
		"SYNDICATE_ALERTS_BOUNCE_RATE": "5", "SYNDICATE_ALERTS_COMPLAINT_RATE": "-1", "SYNDICATE_ALERTS_MIN_EMAILS": "-3",
	}))
	if err == nil {
		t.Fatal("bad alerts settings accepted")
	}
	for _, want := range []string{"alerts target 1 (generic) needs a secret", "alerts.stall 5s is shorter than 1m",
		"alerts.bounce_rate 5 is not a fraction", "alerts.complaint_rate -1 is not a fraction", "alerts.min_emails -3"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
}

func TestMetricsToken(t *testing.T) {
	c, err := Load("", false, env(map[string]string{"SYNDICATE_METRICS_TOKEN": "scrape-token-123"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.MetricsToken != "scrape-token-123" {
		t.Errorf("metrics_token = %q", c.MetricsToken)
	}
	if out := c.Redacted(); strings.Contains(out, "scrape-token-123") {
		t.Errorf("Redacted shows the metrics token:\n%s", out)
	}
	if c, err := Load("", false, env(nil)); err != nil || c.MetricsToken != "" {
		t.Errorf("default metrics_token = %q, %v; want empty (open)", c.MetricsToken, err)
	}
}

func TestAdminSettings(t *testing.T) {
	c, err := Load("", false, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Admin.Users) != 0 || time.Duration(c.Admin.SessionTTL) != 12*time.Hour || c.Admin.LoginsPerHour != 20 {
		t.Errorf("defaults: %+v", c.Admin)
	}
	// The hash of "correct horse", cost 4.
	const hash = "$2a$04$0Tjeb6BpmSWKGLIoUPOkgegz18Qu4wumPSvsV4j8QUsvrhQFyLVMa"
	p := filepath.Join(t.TempDir(), "s.yaml")
	yaml := "secret: 0123456789abcdef-s3cret\nadmin:\n  session_ttl: 2h\n  users:\n    - name: ann\n      password_hash: \"" + hash + "\"\n"
	if err := os.WriteFile(p, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = Load(p, true, env(map[string]string{"SYNDICATE_ADMIN_LOGINS_PER_HOUR": "5"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Admin.Users) != 1 || c.Admin.Users[0].Name != "ann" || c.Admin.Users[0].PasswordHash != hash ||
		time.Duration(c.Admin.SessionTTL) != 2*time.Hour || c.Admin.LoginsPerHour != 5 {
		t.Errorf("got %+v", c.Admin)
	}
	if r := c.Redacted(); strings.Contains(r, hash) || !strings.Contains(r, "ann") {
		t.Errorf("Redacted shows the password hash or hides the user:\n%s", r)
	}
	if c.Admin.Users[0].PasswordHash != hash {
		t.Error("Redacted changed the configuration it printed")
	}

	bad := "admin:\n  session_ttl: 1s\n  logins_per_hour: -1\n  users:\n    - name: ann\n      password_hash: hunter2\n    - name: ann\n      password_hash: \"" + hash + "\"\n    - name: \"\"\n      password_hash: \"" + hash + "\"\n"
	if err := os.WriteFile(p, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Load(p, true, env(nil))
	for _, want := range []string{"admin.users[0].password_hash is not a bcrypt hash", `admin.users names "ann" twice`, "admin.users[2].name", "admin.users needs secret", "admin.session_ttl 1s", "admin.logins_per_hour"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q: %v", want, err)
		}
	}
	if err != nil && strings.Contains(err.Error(), "hunter2") {
		t.Errorf("the error shows a password hash: %v", err)
	}
}

// TestEmailArchiveAndBrand: the archive is on unless switched off, full
// content is off unless switched on, and brand.site_url is read from the
// file and the environment and must be an http(s) URL.
func TestEmailArchiveAndBrand(t *testing.T) {
	c, err := Load("", false, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Archive.On() || c.Email.FullContent || c.Brand.SiteURL != "" {
		t.Errorf("defaults: archive %v, full content %v, site %q", c.Archive.On(), c.Email.FullContent, c.Brand.SiteURL)
	}
	if !strings.Contains(c.Redacted(), "archive:\n    enabled: true") {
		t.Errorf("Redacted does not show the archive on:\n%s", c.Redacted())
	}

	p := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(p, []byte("archive:\n  enabled: false\nemail:\n  full_content: true\nbrand:\n  site_url: https://news.example.com/\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if c, err = Load(p, true, env(nil)); err != nil {
		t.Fatal(err)
	}
	if c.Archive.On() || !c.Email.FullContent || c.Brand.SiteURL != "https://news.example.com/" {
		t.Errorf("from the file: archive %v, full content %v, site %q", c.Archive.On(), c.Email.FullContent, c.Brand.SiteURL)
	}
	if c, err = Load(p, true, env(map[string]string{"SYNDICATE_ARCHIVE_ENABLED": "true", "SYNDICATE_EMAIL_FULL_CONTENT": "false", "SYNDICATE_BRAND_SITE_URL": "https://example.org/"})); err != nil {
		t.Fatal(err)
	}
	if !c.Archive.On() || c.Email.FullContent || c.Brand.SiteURL != "https://example.org/" {
		t.Errorf("from the environment: archive %v, full content %v, site %q", c.Archive.On(), c.Email.FullContent, c.Brand.SiteURL)
	}

	_, err = Load("", false, env(map[string]string{"SYNDICATE_ARCHIVE_ENABLED": "sometimes", "SYNDICATE_BRAND_SITE_URL": "news.example.com", "SYNDICATE_BRAND_LOGO_URL": "javascript:alert(1)"}))
	for _, want := range []string{`SYNDICATE_ARCHIVE_ENABLED="sometimes" is not true or false`, `brand.site_url "news.example.com" is not an http(s) URL`, `brand.logo_url "javascript:alert(1)" is not an http(s) URL`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %s", err, want)
		}
	}
}

func TestBouncesConfig(t *testing.T) {
	c, err := Load("", false, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Bounces.SoftLimit != 3 || time.Duration(c.Bounces.SoftWindow) != 7*24*time.Hour || c.Bounces.IMAP.Mailbox != "INBOX" || time.Duration(c.Bounces.IMAP.Interval) != 5*time.Minute {
		t.Errorf("bounce defaults: %+v", c.Bounces)
	}
	c, err = Load("", false, env(map[string]string{
		"SYNDICATE_SECRET":                      "0123456789abcdef-secret",
		"SYNDICATE_BOUNCES_VERP_DOMAIN":         "bounces.example.com",
		"SYNDICATE_BOUNCES_SOFT_LIMIT":          "5",
		"SYNDICATE_BOUNCES_SOFT_WINDOW":         "72h",
		"SYNDICATE_BOUNCES_IMAP_URL":            "imaps://bounce:imappass@imap.example.com",
		"SYNDICATE_BOUNCES_IMAP_USERNAME":       "bounce",
		"SYNDICATE_BOUNCES_IMAP_PASSWORD":       "imap-password-1",
		"SYNDICATE_BOUNCES_SES_TOPIC_ARNS":      "arn:aws:sns:eu-west-1:123456789012:bounces",
		"SYNDICATE_BOUNCES_MAILGUN_SIGNING_KEY": "key-mailgun-secret",
		"SYNDICATE_BOUNCES_SENDGRID_PUBLIC_KEY": sendGridKey(t),
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Bounces.SoftLimit != 5 || time.Duration(c.Bounces.SoftWindow) != 72*time.Hour || len(c.Bounces.SESTopicARNs) != 1 {
		t.Errorf("bounces from the environment: %+v", c.Bounces)
	}
	out := c.Redacted()
	for _, secret := range []string{"imap-password-1", "imappass", "key-mailgun-secret"} {
		if strings.Contains(out, secret) {
			t.Errorf("Redacted shows %q", secret)
		}
	}
	_, err = Load("", false, env(map[string]string{
		"SYNDICATE_BOUNCES_VERP_DOMAIN":         "not a domain",
		"SYNDICATE_BOUNCES_SOFT_WINDOW":         "1m",
		"SYNDICATE_BOUNCES_IMAP_URL":            "pop3://mail.example.com",
		"SYNDICATE_BOUNCES_SES_TOPIC_ARNS":      "my-topic",
		"SYNDICATE_BOUNCES_SENDGRID_PUBLIC_KEY": "bm90IGEga2V5",
	}))
	for _, want := range []string{"bounces.verp_domain", "needs secret", "bounces.soft_window", "bounces.imap.url is not", "bounces.imap.url needs", "bounces.ses_topic_arns", "bounces.sendgrid_public_key"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q: %v", want, err)
		}
	}
}

// sendGridKey is a P-256 public key in base64 DER, the form SendGrid shows.
func sendGridKey(t *testing.T) string {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}

// TestMaxConnectionsScope: smtp.max_connections is one budget for the
// installation unless max_connections_scope says process; anything else
// is refused by name.
func TestMaxConnectionsScope(t *testing.T) {
	base := map[string]string{"SYNDICATE_FROM": "N <n@example.com>", "SYNDICATE_SECRET": "0123456789abcdef-secret", "SYNDICATE_BASE_URL": "https://n.example.com"}
	c, err := Load("", false, env(base))
	if err != nil {
		t.Fatal(err)
	}
	if c.SMTP.MaxConnsScope != "installation" {
		t.Errorf("default scope %q, want installation", c.SMTP.MaxConnsScope)
	}
	base["SYNDICATE_SMTP_MAX_CONNECTIONS_SCOPE"] = "process"
	if c, err = Load("", false, env(base)); err != nil || c.SMTP.MaxConnsScope != "process" {
		t.Errorf("scope process: %q, %v", c.SMTP.MaxConnsScope, err)
	}
	base["SYNDICATE_SMTP_MAX_CONNECTIONS_SCOPE"] = "cluster"
	if _, err := Load("", false, env(base)); err == nil || !strings.Contains(err.Error(), `smtp.max_connections_scope "cluster"`) {
		t.Errorf("scope cluster: %v", err)
	}
}
