package alerts

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"syndicate"
	"syndicate/channels/webhook"
)

var t0 = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

// memState is State in memory, with the lease rules of the store's.
type memState struct {
	mu     sync.Mutex
	now    func() time.Time
	holder string
	until  time.Time
	incs   map[string]Incident
}

func newMemState(now func() time.Time) *memState {
	return &memState{now: now, incs: map[string]Incident{}}
}

func (s *memState) Claim(_ context.Context, holder string, until time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.holder != holder && !s.until.Before(s.now()) {
		return false, nil
	}
	s.holder, s.until = holder, until
	return true, nil
}

func (s *memState) Incidents(context.Context) ([]Incident, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Incident
	for _, inc := range s.incs {
		out = append(out, inc)
	}
	return out, nil
}

func (s *memState) Save(_ context.Context, inc Incident) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.incs[inc.Key] = inc
	return nil
}

func (s *memState) Delete(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.incs, key)
	return nil
}

// fakeLedger says what is wrong; tests change it between checks.
type fakeLedger struct {
	mu         sync.Mutex
	failures   []Failure
	refusals   []Refusal
	progress   []Progress
	total      int
	bounced    int
	complained int
	err        error
}

func (l *fakeLedger) FailedSince(context.Context, time.Time) ([]Failure, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.failures, l.err
}

func (l *fakeLedger) RefusedChannels(context.Context) ([]Refusal, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.refusals, l.err
}

func (l *fakeLedger) Unfinished(context.Context) ([]Progress, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.progress, l.err
}

func (l *fakeLedger) EmailRates(context.Context, time.Time) (int, int, int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total, l.bounced, l.complained, l.err
}

func (l *fakeLedger) set(f func(l *fakeLedger)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f(l)
}

// receiver is a fake Slack, Discord or generic webhook receiver that
// refuses what the real one refuses: Slack a body that is not JSON with a
// "text" (400 invalid_payload / no_text); Discord an empty "content" or
// one over 2000 characters (400); a generic receiver a request whose
// X-Syndicate-Signature does not verify (401).
type receiver struct {
	format, secret string
	now            func() time.Time
	srv            *httptest.Server

	mu      sync.Mutex
	texts   []string // what each accepted notice said
	events  []string // generic: X-Syndicate-Event of each
	refused int
	down    bool // answer 503 to everything
}

func newReceiver(t *testing.T, format, secret string, now func() time.Time) *receiver {
	r := &receiver{format: format, secret: secret, now: now}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	body, err := io.ReadAll(req.Body)
	if err != nil || req.Method != http.MethodPost {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	refuse := func(code int, msg string) {
		r.refused++
		http.Error(w, msg, code)
	}
	if r.down {
		refuse(http.StatusServiceUnavailable, "down")
		return
	}
	if !strings.HasPrefix(req.Header.Get("Content-Type"), "application/json") {
		refuse(http.StatusBadRequest, "invalid_payload")
		return
	}
	switch r.format {
	case FormatSlack:
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			refuse(http.StatusBadRequest, "invalid_payload")
			return
		}
		text, ok := m["text"].(string)
		if !ok || text == "" {
			refuse(http.StatusBadRequest, "no_text")
			return
		}
		r.texts = append(r.texts, text)
		io.WriteString(w, "ok")
	case FormatDiscord:
		var m struct {
			Content *string `json:"content"`
		}
		if err := json.Unmarshal(body, &m); err != nil || m.Content == nil || *m.Content == "" {
			refuse(http.StatusBadRequest, `{"message": "Cannot send an empty message", "code": 50006}`)
			return
		}
		if utf8.RuneCountInString(*m.Content) > 2000 {
			refuse(http.StatusBadRequest, `{"content": ["Must be 2000 or fewer in length."]}`)
			return
		}
		r.texts = append(r.texts, *m.Content)
		w.WriteHeader(http.StatusNoContent)
	default:
		if err := webhook.Verify(r.secret, req.Header, body, r.now(), 0); err != nil {
			refuse(http.StatusUnauthorized, err.Error())
			return
		}
		var n struct {
			Event, Key, Message string
		}
		if err := json.Unmarshal(body, &n); err != nil || n.Event != req.Header.Get(webhook.HeaderEvent) {
			refuse(http.StatusBadRequest, "event header and body disagree")
			return
		}
		r.texts = append(r.texts, n.Message)
		r.events = append(r.events, n.Event)
		w.WriteHeader(http.StatusNoContent)
	}
}

func (r *receiver) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.texts...)
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// kit is an Alerter with a fake ledger and a receiver of each format.
type kit struct {
	t                       *testing.T
	clk                     *clock
	ledger                  *fakeLedger
	state                   *memState
	slack, discord, generic *receiver
	alerter                 *Alerter
}

func newKit(t *testing.T) *kit {
	k := &kit{t: t, clk: &clock{t: t0}, ledger: &fakeLedger{}}
	k.state = newMemState(k.clk.Now)
	k.slack = newReceiver(t, FormatSlack, "", k.clk.Now)
	k.discord = newReceiver(t, FormatDiscord, "", k.clk.Now)
	k.generic = newReceiver(t, FormatGeneric, "alert-secret", k.clk.Now)
	k.alerter = k.newAlerter("a")
	return k
}

func (k *kit) newAlerter(holder string) *Alerter {
	a, err := New(Config{
		Targets: []Target{
			{URL: k.slack.srv.URL, Format: "slack"},
			{URL: k.discord.srv.URL, Format: "discord"},
			{URL: k.generic.srv.URL, Format: "generic", Secret: "alert-secret"},
		},
		Holder: holder,
		State:  k.state, Ledger: k.ledger, Rates: k.ledger,
		Now: k.clk.Now,
	})
	if err != nil {
		k.t.Fatal(err)
	}
	return a
}

func (k *kit) check() {
	k.t.Helper()
	if err := k.alerter.Check(context.Background()); err != nil {
		k.t.Fatalf("Check: %v", err)
	}
}

// want checks that every receiver has had exactly n notices, the last
// containing sub.
func (k *kit) want(n int, sub string) {
	k.t.Helper()
	for _, r := range []*receiver{k.slack, k.discord, k.generic} {
		got := r.got()
		if len(got) != n {
			k.t.Fatalf("%s got %d notices, want %d: %q", r.format, len(got), n, got)
		}
		if n > 0 && !strings.Contains(got[n-1], sub) {
			k.t.Errorf("%s's last notice %q does not say %q", r.format, got[n-1], sub)
		}
	}
}

// Each alert fires once however many checks see it, and clears once
// when it ends.
func TestEachAlertFiresOnceAndClears(t *testing.T) {
	for _, c := range []struct {
		name         string
		wrong, right func(l *fakeLedger)
		fired        string
	}{
		{"failed for good",
			func(l *fakeLedger) {
				l.failures = []Failure{{Channel: syndicate.ChannelX, Count: 1, LastItem: "a1", LastError: "permanent failure (403): Forbidden"}}
			},
			func(l *fakeLedger) { l.failures = nil },
			"1 x delivery failed for good"},
		{"credentials refused",
			func(l *fakeLedger) {
				l.refusals = []Refusal{{Channel: syndicate.ChannelMastodon, Reason: "401 The access token is invalid"}}
			},
			func(l *fakeLedger) { l.refusals = nil },
			"mastodon refused the credentials: 401 The access token is invalid"},
		{"stalled send",
			func(l *fakeLedger) {
				l.progress = []Progress{{Item: "digest-daily-7", Unfinished: 40, LastChange: t0.Add(-11 * time.Minute)}}
			},
			func(l *fakeLedger) {
				l.progress = []Progress{{Item: "digest-daily-7", Unfinished: 39, LastChange: t0}}
			},
			"the send of digest-daily-7 has made no progress for 11m0s with 40 deliveries unfinished"},
		{"bounce rate",
			func(l *fakeLedger) { l.total, l.bounced = 200, 15 },
			func(l *fakeLedger) { l.total, l.bounced = 1000, 15 },
			"today's bounce rate is 7.50% (15 of 200 emails), over the 5.00% threshold"},
		{"complaint rate",
			func(l *fakeLedger) { l.total, l.complained = 1000, 4 },
			func(l *fakeLedger) { l.total, l.complained = 2000, 4 },
			"today's complaint rate is 0.40% (4 of 1000 emails), over the 0.30% threshold"},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := newKit(t)
			k.check()
			k.want(0, "")

			k.ledger.set(c.wrong)
			k.check()
			k.want(1, c.fired)
			if !strings.HasPrefix(k.slack.got()[0], "🔴") {
				t.Errorf("slack notice %q does not start as firing", k.slack.got()[0])
			}
			for range 3 { // more checks, more failures of the same kind: no new notice
				k.clk.Add(time.Minute)
				k.check()
			}
			k.want(1, c.fired)

			k.ledger.set(c.right)
			k.clk.Add(time.Minute)
			k.check()
			k.want(2, "")
			for _, r := range []*receiver{k.slack, k.discord} {
				if got := r.got()[1]; !strings.Contains(got, "cleared after 4m0s") {
					t.Errorf("%s's clearing %q does not say how long it lasted", r.format, got)
				}
			}
			if ev := k.generic.events; len(ev) != 2 || ev[0] != EventFiring || ev[1] != EventCleared {
				t.Errorf("generic events = %q, want firing then cleared", ev)
			}
			k.check()
			k.want(2, "")
			if incs, _ := k.state.Incidents(context.Background()); len(incs) != 0 {
				t.Errorf("incidents left after clearing: %+v", incs)
			}
			for _, r := range []*receiver{k.slack, k.discord, k.generic} {
				if r.refused != 0 {
					t.Errorf("%s refused %d notices", r.format, r.refused)
				}
			}
		})
	}
}

// Below MinEmails the day's rates are not judged: one bounce in the
// morning's first three emails is not an incident.
func TestRatesNeedVolume(t *testing.T) {
	k := newKit(t)
	k.ledger.set(func(l *fakeLedger) { l.total, l.bounced = 3, 1 })
	k.check()
	k.want(0, "")
}

// A target that is down is told when it is back, and the others are not
// told twice; a restarted process (a new Alerter on the same state) and
// a second scheduler notify nothing again.
func TestNoticesSurviveFailuresRestartsAndSchedulers(t *testing.T) {
	k := newKit(t)
	k.discord.down = true
	k.ledger.set(func(l *fakeLedger) {
		l.refusals = []Refusal{{Channel: syndicate.ChannelBluesky, Reason: "AuthFactorTokenRequired"}}
	})
	if err := k.alerter.Check(context.Background()); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("Check with Discord down = %v, want its 503", err)
	}
	if n := len(k.slack.got()); n != 1 {
		t.Fatalf("slack got %d notices, want 1", n)
	}
	k.discord.mu.Lock()
	k.discord.down = false
	k.discord.mu.Unlock()

	k.alerter = k.newAlerter("b") // a restart, or another scheduler
	k.check()
	k.want(1, "bluesky refused the credentials")

	// Two schedulers at once: the lease lets one check.
	if ok, _ := k.state.Claim(context.Background(), "someone-else", t0.Add(time.Hour)); !ok {
		t.Fatal("could not take the lease for the test")
	}
	k.ledger.set(func(l *fakeLedger) { l.refusals = nil })
	k.check() // the lease is held: nothing happens
	k.want(1, "bluesky refused the credentials")
	k.clk.Add(2 * time.Hour) // the other holder died; its lease runs out
	k.check()
	k.want(2, "bluesky refused the credentials")
	if got := k.slack.got()[1]; !strings.Contains(got, "cleared") {
		t.Errorf("slack's second notice %q is not the clearing", got)
	}
	if ev := k.generic.events; len(ev) != 2 || ev[1] != EventCleared {
		t.Errorf("generic events = %q, want firing then cleared", ev)
	}
}

// A source that cannot be read leaves its incidents open: an outage of
// the database is not a recovery.
func TestUnreadableSourceDoesNotClear(t *testing.T) {
	k := newKit(t)
	k.ledger.set(func(l *fakeLedger) {
		l.failures = []Failure{{Channel: syndicate.ChannelEmail, Count: 3, LastItem: "d1", LastError: "554 5.7.1 refused"}}
	})
	k.check()
	k.want(1, "3 email deliveries failed for good")
	k.ledger.set(func(l *fakeLedger) { l.failures, l.err = nil, errors.New("database is locked") })
	if err := k.alerter.Check(context.Background()); err == nil {
		t.Fatal("Check with the ledger unreadable returned nil")
	}
	k.want(1, "3 email deliveries failed for good")
}

// Discord's 2000-character limit holds however long the server's reply
// in the message, and mentions in it ping nobody.
func TestDiscordNoticeFits(t *testing.T) {
	k := newKit(t)
	k.ledger.set(func(l *fakeLedger) {
		l.refusals = []Refusal{{Channel: syndicate.ChannelX, Reason: "@everyone " + strings.Repeat("é", 5000)}}
	})
	k.check()
	k.want(1, "x refused the credentials")
	b, err := body(target{format: FormatDiscord}, Incident{Message: strings.Repeat("ü", 3000), State: StateFiring})
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Content         string
		AllowedMentions struct{ Parse []string } `json:"allowed_mentions"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if n := utf8.RuneCountInString(m.Content); n > 2000 {
		t.Errorf("discord content has %d characters", n)
	}
	if m.AllowedMentions.Parse == nil || len(m.AllowedMentions.Parse) != 0 {
		t.Errorf("allowed_mentions.parse = %v, want [] (no pings)", m.AllowedMentions.Parse)
	}
}

func TestTargetsAreChecked(t *testing.T) {
	for _, c := range []struct {
		t    Target
		want string
	}{
		{Target{URL: "http://hooks.example.com/x", Format: "slack"}, "http is only for loopback"},
		{Target{URL: "ftp://hooks.example.com/x"}, "scheme must be https"},
		{Target{URL: "https://hooks.example.com/x", Format: "teams"}, `format "teams"`},
		{Target{URL: "https://hooks.example.com/x"}, "needs a secret"},
		{Target{URL: "https://hooks.slack.com/services/T/B/SECRETTOKEN", Format: "slack", Secret: "s"}, "takes no secret"},
		{Target{URL: "not a url"}, "not an absolute"},
	} {
		_, err := New(Config{Targets: []Target{c.t}, State: newMemState(time.Now), Ledger: &fakeLedger{}})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("target %+v: %v, want %q", c.t, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "SECRETTOKEN") {
			t.Errorf("the error %q shows the URL's token", err)
		}
	}
}
