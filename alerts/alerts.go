// Package alerts tells a newsroom, unasked, when a send goes wrong: a
// delivery that failed for good, a channel whose credentials were
// refused, a send that stopped moving, a day's bounce or complaint rate
// over its threshold. Each is an incident, notified once when it opens
// and once ("cleared") when it ends, to Slack, Discord or a signed
// generic webhook.
//
// Everything is read from the store, level by level, at each Check: no
// hook on the sending path. Incidents are kept in the store, so a restart
// neither repeats nor forgets them, and a Check runs under a lease taken
// in the store, so several schedulers notify each incident once.
package alerts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"syndicate"
)

// Kinds of incident.
const (
	KindFailed        = "delivery_failed"
	KindCredentials   = "credentials_refused"
	KindStall         = "send_stalled"
	KindBounceRate    = "bounce_rate"
	KindComplaintRate = "complaint_rate"
)

// Incident states.
const (
	StateFiring  = "firing"
	StateCleared = "cleared" // resolved; kept until every target was told
)

// Defaults of Config.
const (
	DefaultStall         = 10 * time.Minute
	DefaultWindow        = time.Hour
	DefaultBounceRate    = 0.05
	DefaultComplaintRate = 0.003
	DefaultMinEmails     = 100
	// lease bounds one Check; a Check still running past it may overlap
	// with another process's.
	lease = 5 * time.Minute
)

// Incident is one open (or just cleared) incident as the store keeps it.
type Incident struct {
	Key     string // what the incident is about, e.g. "credentials_refused:x"
	Kind    string
	Message string
	State   string // StateFiring or StateCleared
	Opened  time.Time
	Cleared time.Time // zero while firing
	// Notified has bit i set once target i was told of the current state.
	Notified int64
}

// State keeps the incidents and the lease of the one Check running.
type State interface {
	// Claim takes (or renews, for the same holder) the checking lease until
	// until; it reports false when another holder has it. A Claim with
	// until in the past releases it.
	Claim(ctx context.Context, holder string, until time.Time) (bool, error)
	// Incidents returns every incident kept.
	Incidents(ctx context.Context) ([]Incident, error)
	// Save writes inc (inserting or replacing the row of inc.Key).
	Save(ctx context.Context, inc Incident) error
	// Delete removes the incident of key.
	Delete(ctx context.Context, key string) error
}

// Failure is how one channel's deliveries failed for good in a window.
type Failure struct {
	Channel   syndicate.Channel
	Count     int
	LastItem  string // the item (article or digest) of the latest
	LastError string // and what the server said
}

// Refusal is a channel whose credentials were refused.
type Refusal struct {
	Channel syndicate.Channel
	Reason  string
}

// Progress is one item's send with rows not yet final.
type Progress struct {
	Item       string
	Unfinished int
	LastChange time.Time
}

// Ledger is what the alerts read of the delivery ledger.
type Ledger interface {
	// FailedSince counts, per channel, the deliveries that became failed
	// at or after since.
	FailedSince(ctx context.Context, since time.Time) ([]Failure, error)
	// RefusedChannels lists the channels whose credentials were refused
	// and have not worked since.
	RefusedChannels(ctx context.Context) ([]Refusal, error)
	// Unfinished lists the items with deliveries queued or sending.
	Unfinished(ctx context.Context) ([]Progress, error)
}

// Rates counts the email outcomes behind the bounce and complaint rates.
type Rates interface {
	// EmailRates counts the emails that reached a final status since
	// since: all of them, those bounced, and those whose recipient has
	// complained.
	EmailRates(ctx context.Context, since time.Time) (total, bounced, complained int, err error)
}

// Config configures an Alerter. Zero durations and rates take the
// defaults above; a negative rate turns that alert off.
type Config struct {
	Targets []Target
	// Stall is how long a send may make no progress, with rows
	// unfinished, before it is an incident.
	Stall time.Duration
	// Window is how long a delivery that failed for good keeps its
	// channel's incident open.
	Window time.Duration
	// BounceRate and ComplaintRate are the day's thresholds, as fractions
	// of the emails that reached a final status since midnight.
	BounceRate, ComplaintRate float64
	// MinEmails is how many emails the day must have before its rates
	// count; fewer, and one bounce would be an incident.
	MinEmails int
	// Location is where the day starts; nil means UTC.
	Location *time.Location
	// Holder names this process in the lease; empty means "alerts".
	Holder string

	State  State
	Ledger Ledger
	Rates  Rates // nil: no rate alerts

	Client *http.Client // nil: a client with a 10 s timeout
	Log    *slog.Logger
	Now    func() time.Time
}

// Alerter checks for incidents and notifies the targets.
type Alerter struct {
	c       Config
	targets []target
	client  *http.Client
	log     *slog.Logger
}

// New checks c and returns an Alerter.
func New(c Config) (*Alerter, error) {
	if c.State == nil || c.Ledger == nil {
		return nil, errors.New("alerts need a store for their incidents and the ledger")
	}
	a := &Alerter{c: c, client: c.Client, log: c.Log}
	if len(c.Targets) > 62 {
		return nil, fmt.Errorf("alerts.targets has %d targets, at most 62", len(c.Targets))
	}
	for i, t := range c.Targets {
		pt, err := parseTarget(i, t)
		if err != nil {
			return nil, err
		}
		a.targets = append(a.targets, pt)
	}
	if a.c.Stall == 0 {
		a.c.Stall = DefaultStall
	}
	if a.c.Window == 0 {
		a.c.Window = DefaultWindow
	}
	if a.c.BounceRate == 0 {
		a.c.BounceRate = DefaultBounceRate
	}
	if a.c.ComplaintRate == 0 {
		a.c.ComplaintRate = DefaultComplaintRate
	}
	if a.c.MinEmails == 0 {
		a.c.MinEmails = DefaultMinEmails
	}
	if a.c.Location == nil {
		a.c.Location = time.UTC
	}
	if a.c.Holder == "" {
		a.c.Holder = "alerts"
	}
	if a.c.Now == nil {
		a.c.Now = time.Now
	}
	if a.client == nil {
		a.client = &http.Client{Timeout: 10 * time.Second}
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	return a, nil
}

// Run checks every interval until ctx ends, logging what fails.
func (a *Alerter) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := a.Check(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("check alerts", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// condition is an incident that is true now.
type condition struct{ kind, message string }

// Check opens the incidents that have begun, clears those that have
// ended, and notifies the targets of each change not yet notified. It
// does nothing while another process holds the lease.
func (a *Alerter) Check(ctx context.Context) error {
	ok, err := a.c.State.Claim(ctx, a.c.Holder, a.c.Now().Add(lease))
	if err != nil {
		return fmt.Errorf("take the alerts lease: %w", err)
	}
	if !ok {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, lease-time.Minute)
	defer cancel()
	defer func() {
		if _, err := a.c.State.Claim(context.WithoutCancel(ctx), a.c.Holder, time.Unix(0, 0)); err != nil {
			a.log.Error("release the alerts lease", "error", err)
		}
	}()

	now := a.c.Now()
	conds, known, errs := a.conditions(ctx, now)
	incs, err := a.c.State.Incidents(ctx)
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("read incidents: %w", err))...)
	}
	byKey := map[string]*Incident{}
	for i := range incs {
		byKey[incs[i].Key] = &incs[i]
	}
	for key, c := range conds {
		inc := byKey[key]
		switch {
		case inc == nil:
			incs = append(incs, Incident{Key: key, Kind: c.kind, Message: c.message, State: StateFiring, Opened: now})
			if err := a.c.State.Save(ctx, incs[len(incs)-1]); err != nil {
				return errors.Join(append(errs, fmt.Errorf("open incident %s: %w", key, err))...)
			}
		case inc.State == StateCleared:
			// Back before its clearing went out: it never ended for the
			// targets not yet told, so it fires again only for those told.
			inc.State, inc.Message, inc.Cleared = StateFiring, c.message, time.Time{}
			inc.Notified = a.all() &^ inc.Notified
			if err := a.c.State.Save(ctx, *inc); err != nil {
				return errors.Join(append(errs, fmt.Errorf("reopen incident %s: %w", key, err))...)
			}
		case inc.Message != c.message:
			inc.Message = c.message // the latest numbers, for the clearing
			if err := a.c.State.Save(ctx, *inc); err != nil {
				return errors.Join(append(errs, fmt.Errorf("update incident %s: %w", key, err))...)
			}
		}
	}
	for i := range incs {
		inc := &incs[i]
		if _, still := conds[inc.Key]; still || inc.State != StateFiring || !known[inc.Kind] {
			continue // a kind that could not be read is not taken as cleared
		}
		inc.State, inc.Cleared, inc.Notified = StateCleared, now, 0
		if err := a.c.State.Save(ctx, *inc); err != nil {
			return errors.Join(append(errs, fmt.Errorf("clear incident %s: %w", inc.Key, err))...)
		}
	}
	slices.SortFunc(incs, func(x, y Incident) int { return strings.Compare(x.Key, y.Key) })
	for _, inc := range incs {
		if err := a.notify(ctx, inc); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// all is the Notified mask of every target.
func (a *Alerter) all() int64 { return int64(1)<<len(a.targets) - 1 }

// notify tells every target not yet told of inc's state, records who was
// told, and forgets a cleared incident once all were.
func (a *Alerter) notify(ctx context.Context, inc Incident) error {
	var errs []error
	done := inc.Notified
	for i, t := range a.targets {
		if done&(1<<i) != 0 {
			continue
		}
		if err := a.send(ctx, t, inc); err != nil {
			errs = append(errs, fmt.Errorf("notify %s of %s: %w", t.name, inc.Key, err))
			continue
		}
		done |= 1 << i
	}
	if done != inc.Notified {
		a.log.Info("alert notified", "incident", inc.Key, "state", inc.State, "message", inc.Message)
	}
	switch {
	case inc.State == StateCleared && done&a.all() == a.all():
		if err := a.c.State.Delete(ctx, inc.Key); err != nil {
			errs = append(errs, fmt.Errorf("forget cleared incident %s: %w", inc.Key, err))
		}
	case done != inc.Notified:
		inc.Notified = done
		if err := a.c.State.Save(ctx, inc); err != nil {
			errs = append(errs, fmt.Errorf("record notice of %s: %w", inc.Key, err))
		}
	}
	return errors.Join(errs...)
}

// conditions reads what is wrong now. known says which kinds were read;
// a kind whose source failed is absent, so its incidents stay open.
func (a *Alerter) conditions(ctx context.Context, now time.Time) (map[string]condition, map[string]bool, []error) {
	conds := map[string]condition{}
	known := map[string]bool{}
	var errs []error

	if fs, err := a.c.Ledger.FailedSince(ctx, now.Add(-a.c.Window)); err != nil {
		errs = append(errs, fmt.Errorf("read failed deliveries: %w", err))
	} else {
		known[KindFailed] = true
		for _, f := range fs {
			if f.Count == 0 {
				continue
			}
			what := "delivery"
			if f.Count > 1 {
				what = "deliveries"
			}
			conds[KindFailed+":"+string(f.Channel)] = condition{KindFailed, fmt.Sprintf("%d %s %s failed for good in the last %s; the latest, of %s: %s",
				f.Count, f.Channel, what, a.c.Window, f.LastItem, oneLine(f.LastError, 300))}
		}
	}
	if rs, err := a.c.Ledger.RefusedChannels(ctx); err != nil {
		errs = append(errs, fmt.Errorf("read channel states: %w", err))
	} else {
		known[KindCredentials] = true
		for _, r := range rs {
			conds[KindCredentials+":"+string(r.Channel)] = condition{KindCredentials, fmt.Sprintf("%s refused the credentials: %s", r.Channel, oneLine(r.Reason, 300))}
		}
	}
	if ps, err := a.c.Ledger.Unfinished(ctx); err != nil {
		errs = append(errs, fmt.Errorf("read unfinished sends: %w", err))
	} else {
		known[KindStall] = true
		for _, p := range ps {
			if idle := now.Sub(p.LastChange); p.Unfinished > 0 && idle >= a.c.Stall {
				conds[KindStall+":"+p.Item] = condition{KindStall, fmt.Sprintf("the send of %s has made no progress for %s with %d deliveries unfinished",
					p.Item, idle.Round(time.Minute), p.Unfinished)}
			}
		}
	}
	if a.c.Rates != nil {
		y, m, d := now.In(a.c.Location).Date()
		midnight := time.Date(y, m, d, 0, 0, 0, 0, a.c.Location)
		total, bounced, complained, err := a.c.Rates.EmailRates(ctx, midnight)
		if err != nil {
			errs = append(errs, fmt.Errorf("read the day's email rates: %w", err))
		} else {
			known[KindBounceRate], known[KindComplaintRate] = true, true
			for _, r := range []struct {
				kind, what string
				n          int
				max        float64
			}{{KindBounceRate, "bounce", bounced, a.c.BounceRate}, {KindComplaintRate, "complaint", complained, a.c.ComplaintRate}} {
				if r.max < 0 || total < a.c.MinEmails {
					continue
				}
				if rate := float64(r.n) / float64(total); rate > r.max {
					conds[r.kind] = condition{r.kind, fmt.Sprintf("today's %s rate is %.2f%% (%d of %d emails), over the %.2f%% threshold",
						r.what, 100*rate, r.n, total, 100*r.max)}
				}
			}
		}
	}
	return conds, known, errs
}

// oneLine joins s onto one line and bounds it to max bytes, on a rune
// boundary.
func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
