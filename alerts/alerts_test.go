package alerts

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"syndicate"
	"syndicate/alerts/alertsfake"
	"syndicate/internal/testclock"
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

// kit is an Alerter with a fake ledger and a receiver of each format.
type kit struct {
	t                       *testing.T
	clk                     *testclock.Clock
	ledger                  *fakeLedger
	state                   *memState
	slack, discord, generic *alertsfake.Server
	alerter                 *Alerter
}

func newKit(t *testing.T) *kit {
	k := &kit{t: t, clk: testclock.New(t0), ledger: &fakeLedger{}}
	k.state = newMemState(k.clk.Now)
	k.slack = alertsfake.New(FormatSlack, "", k.clk.Now)
	k.discord = alertsfake.New(FormatDiscord, "", k.clk.Now)
	k.generic = alertsfake.New(FormatGeneric, "alert-secret", k.clk.Now)
	for _, r := range []*alertsfake.Server{k.slack, k.discord, k.generic} {
		t.Cleanup(r.Close)
	}
	k.alerter = k.newAlerter("a")
	return k
}

func (k *kit) newAlerter(holder string) *Alerter {
	a, err := New(Config{
		Targets: []Target{
			{URL: k.slack.URL(), Format: "slack"},
			{URL: k.discord.URL(), Format: "discord"},
			{URL: k.generic.URL(), Format: "generic", Secret: "alert-secret"},
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

// formats names the kit's receivers, in order.
var formats = []string{FormatSlack, FormatDiscord, FormatGeneric}

// want checks that every receiver has had exactly n notices, the last
// containing sub.
func (k *kit) want(n int, sub string) {
	k.t.Helper()
	for i, r := range []*alertsfake.Server{k.slack, k.discord, k.generic} {
		got := r.Notices()
		if len(got) != n {
			k.t.Fatalf("%s got %d notices, want %d: %q", formats[i], len(got), n, got)
		}
		if n > 0 && !strings.Contains(got[n-1], sub) {
			k.t.Errorf("%s's last notice %q does not say %q", formats[i], got[n-1], sub)
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
			if !strings.HasPrefix(k.slack.Notices()[0], "🔴") {
				t.Errorf("slack notice %q does not start as firing", k.slack.Notices()[0])
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
			for i, r := range []*alertsfake.Server{k.slack, k.discord} {
				if got := r.Notices()[1]; !strings.Contains(got, "cleared after 4m0s") {
					t.Errorf("%s's clearing %q does not say how long it lasted", formats[i], got)
				}
			}
			if ev := k.generic.Events(); len(ev) != 2 || ev[0] != EventFiring || ev[1] != EventCleared {
				t.Errorf("generic events = %q, want firing then cleared", ev)
			}
			k.check()
			k.want(2, "")
			if incs, _ := k.state.Incidents(context.Background()); len(incs) != 0 {
				t.Errorf("incidents left after clearing: %+v", incs)
			}
			for i, r := range []*alertsfake.Server{k.slack, k.discord, k.generic} {
				if n := r.Refused(); n != 0 {
					t.Errorf("receiver %d refused %d notices", i, n)
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
	k.discord.SetDown(true)
	k.ledger.set(func(l *fakeLedger) {
		l.refusals = []Refusal{{Channel: syndicate.ChannelBluesky, Reason: "AuthFactorTokenRequired"}}
	})
	if err := k.alerter.Check(context.Background()); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("Check with Discord down = %v, want its 503", err)
	}
	if n := len(k.slack.Notices()); n != 1 {
		t.Fatalf("slack got %d notices, want 1", n)
	}
	k.discord.SetDown(false)

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
	if got := k.slack.Notices()[1]; !strings.Contains(got, "cleared") {
		t.Errorf("slack's second notice %q is not the clearing", got)
	}
	if ev := k.generic.Events(); len(ev) != 2 || ev[1] != EventCleared {
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
