package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"syndicate"
	"syndicate/alerts"
	"syndicate/config"
	"syndicate/store"
)

var (
	_ alerts.State  = alertState{}
	_ alerts.Ledger = alertLedger{}
	// The day's bounce and complaint counts, from the email rows that
	// package bounce marks bounced or complained.
	_ alerts.Rates = (*store.Store)(nil)
)

// startAlerts checks for incidents every alerts.interval and tells
// alerts.targets, until the returned stop is called. Several schedulers
// may run it: the store's lease lets one check at a time.
func startAlerts(cfg config.Config, st *store.Store, log *slog.Logger) (func(), error) {
	ts := cfg.Alerts.All()
	targets := make([]alerts.Target, len(ts))
	for i, t := range ts {
		targets[i] = alerts.Target{URL: t.URL, Format: t.Format, Secret: t.Secret}
	}
	host, err := os.Hostname()
	if err != nil {
		host = "scheduler"
	}
	al, err := alerts.New(alerts.Config{
		Targets:       targets,
		Stall:         time.Duration(cfg.Alerts.Stall),
		Window:        time.Duration(cfg.Alerts.Window),
		BounceRate:    cfg.Alerts.BounceRate,
		ComplaintRate: cfg.Alerts.ComplaintRate,
		MinEmails:     cfg.Alerts.MinEmails,
		Location:      cfg.Digests.Location(),
		Holder:        fmt.Sprintf("%s/%d", host, os.Getpid()),
		State:         alertState{st},
		Ledger:        alertLedger{st},
		Rates:         st,
		Log:           log,
	})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { al.Run(ctx, time.Duration(cfg.Alerts.Interval)) })
	return func() {
		cancel()
		wg.Wait()
	}, nil
}

// alertState keeps the incidents in the store.
type alertState struct{ st *store.Store }

func (s alertState) Claim(ctx context.Context, holder string, until time.Time) (bool, error) {
	return s.st.ClaimAlertLease(ctx, holder, until)
}

func (s alertState) Incidents(ctx context.Context) ([]alerts.Incident, error) {
	incs, err := s.st.AlertIncidents(ctx)
	out := make([]alerts.Incident, len(incs))
	for i, inc := range incs {
		out[i] = alerts.Incident(inc)
	}
	return out, err
}

func (s alertState) Save(ctx context.Context, inc alerts.Incident) error {
	return s.st.SaveAlertIncident(ctx, store.AlertIncident(inc))
}

func (s alertState) Delete(ctx context.Context, key string) error {
	return s.st.DeleteAlertIncident(ctx, key)
}

// alertLedger reads what the alerts watch from the store.
type alertLedger struct{ st *store.Store }

func (l alertLedger) FailedSince(ctx context.Context, since time.Time) ([]alerts.Failure, error) {
	fs, err := l.st.FailedSince(ctx, since)
	out := make([]alerts.Failure, len(fs))
	for i, f := range fs {
		out[i] = alerts.Failure(f)
	}
	return out, err
}

func (l alertLedger) RefusedChannels(ctx context.Context) ([]alerts.Refusal, error) {
	states, err := l.st.ChannelStates(ctx)
	if err != nil {
		return nil, err
	}
	var out []alerts.Refusal
	for _, s := range states {
		if s.State == syndicate.ChannelNeedsCredentials {
			out = append(out, alerts.Refusal{Channel: s.Channel, Reason: s.Reason})
		}
	}
	return out, nil
}

func (l alertLedger) Unfinished(ctx context.Context) ([]alerts.Progress, error) {
	ps, err := l.st.UnfinishedItems(ctx)
	out := make([]alerts.Progress, len(ps))
	for i, p := range ps {
		out[i] = alerts.Progress(p)
	}
	return out, err
}
