package redact

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

func TestURL(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		// redis_url
		{"redis://:hunter2@127.0.0.1:6379/0", "redis://:xxxxx@127.0.0.1:6379/0"},
		{"redis://u:hunter2@h:6379/0?password=pw2&dial_timeout=3s", "redis://u:xxxxx@h:6379/0?dial_timeout=3s&password=xxxxx"},
		// database_url
		{"postgres://app:pg%40ss@db:5432/x?sslmode=disable", "postgres://app:xxxxx@db:5432/x?sslmode=disable"},
		{"postgresql://app@db/x?PASSWORD=pgq&sslpassword=k", "postgresql://app@db/x?PASSWORD=xxxxx&sslpassword=xxxxx"},
		{"sqlite:/var/lib/syndicate.db", "sqlite:/var/lib/syndicate.db"},
		// smtp_url
		{"smtp://user:smtppass@mail:587?tls=starttls", "smtp://user:xxxxx@mail:587?tls=starttls"},
		{"smtp://mail:25?tls=none&auth_token=t1", "smtp://mail:25?auth_token=xxxxx&tls=none"},
		// feeds, webhook targets, X, Mastodon and Bluesky URLs
		{"https://feeds.example/rss?Token=abc&page=2", "https://feeds.example/rss?Token=xxxxx&page=2"},
		{"https://hooks.example/in?api_key=k1&x-api-key=k2&apikey=k3&sig=s", "https://hooks.example/in?api_key=xxxxx&apikey=xxxxx&sig=xxxxx&x-api-key=xxxxx"},
		{"https://api.x.com/?access_token=at&pass=p", "https://api.x.com/?access_token=xxxxx&pass=xxxxx"},
		{"https://mastodon.example/#access_token=at", "https://mastodon.example/#xxxxx"},
		{"https://handle:app-pass@bsky.social", "https://handle:xxxxx@bsky.social"},
		{"https://user@bsky.social/?q=monkey", "https://user@bsky.social/?q=monkey"},
		// A URL that does not parse is hidden whole.
		{"redis://u:hun%zz@h/0", "<redacted>"},
		{"rediss://:hunter2@[::1:6379/0", "<redacted>"},
		{"https://h/?a=%zz&password=p", "https://h/?xxxxx"},
	} {
		if got := URL(tt.in); got != tt.want {
			t.Errorf("URL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSecretParam(t *testing.T) {
	for name, want := range map[string]bool{
		"password": true, "Pass": true, "pwd": true, "TOKEN": true, "access_token": true,
		"secret": true, "client-secret": true, "api_key": true, "apikey": true, "key": true,
		"sslpassword": true, "refreshToken": true,
		"tls": false, "sslmode": false, "keyword": false, "monkey": false, "passfile": false, "db": false,
	} {
		if got := SecretParam(name); got != want {
			t.Errorf("SecretParam(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestError(t *testing.T) {
	base := errors.New("base")
	for _, tt := range []struct {
		raw  string
		err  error
		hide []string
		want string
	}{
		{"redis://:hunter2@h:6379/0", fmt.Errorf("dial redis://:hunter2@h:6379/0: %w", base), []string{"hunter2"}, "dial redis://:xxxxx@h:6379/0"},
		{"postgres://u:p%40ss@db/x?password=q%20w", fmt.Errorf("connect user=u password=p@ss and q w, p%%40ss, q%%20w: %w", base), []string{"p@ss", "p%40ss", "q w", "q%20w"}, "password=xxxxx"},
		{"redis://u:hun%zz@h/0", fmt.Errorf("redis URL is not valid: %w", func() error { _, err := url.Parse("redis://u:hun%zz@h/0"); return err }()), []string{"hun%zz"}, "<redacted>"},
		{"smtp://h:25?token=tok\"1", fmt.Errorf("smtp %q: %w", "smtp://h:25?token=tok\"1", base), []string{`tok"1`, `tok\"1`}, "token=xxxxx"},
	} {
		got := Error(tt.err, tt.raw)
		for _, h := range tt.hide {
			if strings.Contains(got.Error(), h) {
				t.Errorf("Error(%q) = %q, shows %q", tt.err, got, h)
			}
		}
		if !strings.Contains(got.Error(), tt.want) {
			t.Errorf("Error(%q) = %q, want it to contain %q", tt.err, got, tt.want)
		}
		if errors.Unwrap(tt.err) == base && !errors.Is(got, base) {
			t.Errorf("Error(%q) hides the wrapped error", tt.err)
		}
	}
	if err := Error(base, "redis://:pw@h/0"); err != base {
		t.Errorf("an error without secrets is changed: %v", err)
	}
	if Error(nil, "x") != nil {
		t.Error("Error(nil) is not nil")
	}
}
