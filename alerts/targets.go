package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"syndicate/channels/webhook"
)

// Target formats, as for the webhook channel.
const (
	FormatSlack   = webhook.FormatSlack
	FormatDiscord = webhook.FormatDiscord
	FormatGeneric = webhook.FormatGeneric
)

// Events of a generic target's notices (X-Syndicate-Event).
const (
	EventFiring  = "alert.firing"
	EventCleared = "alert.cleared"
)

// discordMax is the most characters Discord takes in a message's content.
const discordMax = 2000

// Target is one place incidents are told to.
type Target struct {
	// URL is where the JSON is POSTed: https, or http to a loopback host.
	// Slack and Discord URLs hold their token, so errors name a target by
	// its position and host only.
	URL string
	// Format is "slack", "discord" or "generic"; empty means generic.
	Format string
	// Secret signs a generic target's requests as the webhook channel
	// does (X-Syndicate-Signature); required for generic targets.
	Secret string
}

type target struct {
	name   string // "alert target 2 (hooks.slack.com)"
	url    string
	format string
	secret string
}

func parseTarget(i int, t Target) (target, error) {
	n := fmt.Sprintf("alert target %d", i+1)
	u, err := url.Parse(t.URL)
	if err != nil || u.Host == "" {
		return target{}, fmt.Errorf("%s: the URL is not an absolute http(s) URL", n)
	}
	n = fmt.Sprintf("%s (%s)", n, u.Hostname())
	switch u.Scheme {
	case "https":
	case "http":
		if !loopback(u.Hostname()) {
			return target{}, fmt.Errorf("%s: http is only for loopback hosts; use https", n)
		}
	default:
		return target{}, fmt.Errorf("%s: the URL's scheme must be https", n)
	}
	f := strings.ToLower(t.Format)
	switch f {
	case "":
		f = FormatGeneric
	case FormatSlack, FormatDiscord, FormatGeneric:
	default:
		return target{}, fmt.Errorf("%s: format %q is not slack, discord or generic", n, t.Format)
	}
	if f == FormatGeneric && t.Secret == "" {
		return target{}, fmt.Errorf("%s: a generic target needs a secret to sign with", n)
	}
	if f != FormatGeneric && t.Secret != "" {
		return target{}, fmt.Errorf("%s: a %s target takes no secret", n, f)
	}
	return target{name: n, url: t.URL, format: f, secret: t.Secret}, nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// text is the one-line notice of inc for people.
func text(inc Incident) string {
	if inc.State == StateCleared {
		return fmt.Sprintf("✅ syndicate: cleared after %s: %s", inc.Cleared.Sub(inc.Opened).Round(time.Second), inc.Message)
	}
	return "🔴 syndicate: " + inc.Message
}

type slackMessage struct {
	Text string `json:"text"`
}

type discordMessage struct {
	Content         string          `json:"content"`
	AllowedMentions discordMentions `json:"allowed_mentions"`
}

// discordMentions with an empty Parse pings nobody, whatever the text says.
type discordMentions struct {
	Parse []string `json:"parse"`
}

type genericNotice struct {
	Event   string     `json:"event"`
	Key     string     `json:"key"`
	Kind    string     `json:"kind"`
	Message string     `json:"message"`
	Opened  time.Time  `json:"opened_at"`
	Cleared *time.Time `json:"cleared_at,omitempty"`
}

var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// body is what t is sent about inc.
func body(t target, inc Incident) ([]byte, error) {
	switch t.format {
	case FormatSlack:
		return json.Marshal(slackMessage{Text: slackEscaper.Replace(text(inc))})
	case FormatDiscord:
		return json.Marshal(discordMessage{Content: cutRunes(text(inc), discordMax), AllowedMentions: discordMentions{Parse: []string{}}})
	}
	n := genericNotice{Event: EventFiring, Key: inc.Key, Kind: inc.Kind, Message: inc.Message, Opened: inc.Opened.UTC()}
	if inc.State == StateCleared {
		c := inc.Cleared.UTC()
		n.Event, n.Cleared = EventCleared, &c
	}
	return json.Marshal(n)
}

// cutRunes bounds s to max characters, ending with "…" when cut.
func cutRunes(s string, max int) string {
	r := []rune(s)
	if len(r) <= max {
		return s
	}
	return string(r[:max-1]) + "…"
}

// send posts one notice of inc to t.
func (a *Alerter) send(ctx context.Context, t target, inc Incident) error {
	b, err := body(t, inc)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(b))
	if err != nil {
		return errors.New("build the request") // the error would repeat the URL and its token
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "syndicate-alerts/1")
	if t.format == FormatGeneric {
		ev := EventFiring
		if inc.State == StateCleared {
			ev = EventCleared
		}
		req.Header.Set(webhook.HeaderEvent, ev)
		req.Header.Set(webhook.HeaderDelivery, inc.Key+"/"+inc.State+"/"+inc.Opened.UTC().Format(time.RFC3339Nano))
		webhook.Sign(req.Header, t.secret, a.c.Now(), b)
	}
	resp, err := a.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL and its token
		}
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return nil
	}
	reply, err := io.ReadAll(io.LimitReader(resp.Body, 512)) // only for the error message
	if err != nil {
		return fmt.Errorf("answered %s", resp.Status)
	}
	return fmt.Errorf("answered %s: %s", resp.Status, oneLine(string(reply), 200))
}
