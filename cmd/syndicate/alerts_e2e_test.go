package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"syndicate/alerts"
	"syndicate/alerts/alertsfake"
)

// TestEndToEndAlerts runs two schedulers with alerts.targets (a Slack
// webhook and a signed generic one) beside a worker: X refusing the
// credentials is told once to each target (two incidents: the refusal and
// the failed post), however many checks both schedulers make, and the
// refusal is told cleared once a post goes through.
func TestEndToEndAlerts(t *testing.T) {
	slack := alertsfake.New(alerts.FormatSlack, "", nil)
	t.Cleanup(slack.Close)
	generic := alertsfake.New(alerts.FormatGeneric, "e2e-alert-secret-0123", nil)
	t.Cleanup(generic.Close)
	e := newE2E(t, "SYNDICATE_ALERTS_INTERVAL=1s")
	e.write("syndicate.yaml", fmt.Sprintf("alerts:\n  targets:\n    - url: %s/services/T0/B0/token\n      format: slack\n    - url: %s/hook\n      format: generic\n      secret: e2e-alert-secret-0123\n",
		slack.URL(), generic.URL()))
	e.start("worker")
	e.start("serve", "--roles", "scheduler")
	e.start("serve", "--roles", "scheduler")

	e.x.FailNext(401, `{"title":"Unauthorized","detail":"Unauthorized","status":401}`, nil)
	e.fail("publish", e.write("a.md", articleMD("Refused Story", "https://news.example.com/refused")), "--wait")
	waitFor(t, "two incidents told to Slack", func() bool { return len(slack.Notices()) >= 2 })
	waitFor(t, "two incidents told to the generic target", func() bool { return len(generic.Notices()) >= 2 })
	time.Sleep(3 * time.Second) // several more checks by both schedulers: nothing new may be told
	got := slack.Notices()
	if len(got) != 2 {
		t.Fatalf("Slack got %d notices, want 2 (once per incident): %q", len(got), got)
	}
	joined := strings.Join(got, "\n")
	for _, want := range []string{"x refused the credentials", "1 x delivery failed for good", "Unauthorized"} {
		if !strings.Contains(joined, want) {
			t.Errorf("Slack's notices do not say %q:\n%s", want, joined)
		}
	}
	if ev := generic.Events(); len(ev) != 2 || ev[0] != alerts.EventFiring || ev[1] != alerts.EventFiring {
		t.Errorf("generic events = %q, want two firings", ev)
	}

	// A post that goes through clears the refusal (the failure stays for
	// alerts.window).
	e.run("publish", e.write("b.md", articleMD("Accepted Story", "https://news.example.com/accepted")), "--wait")
	waitFor(t, "the refusal cleared on Slack", func() bool { return len(slack.Notices()) >= 3 })
	waitFor(t, "the refusal cleared on the generic target", func() bool { return len(generic.Notices()) >= 3 })
	time.Sleep(2 * time.Second)
	got = slack.Notices()
	if len(got) != 3 || !strings.Contains(got[2], "cleared") || !strings.Contains(got[2], "x refused the credentials") {
		t.Errorf("Slack's notices after a good post = %q, want a third saying the refusal cleared", got)
	}
	if ev := generic.Events(); len(ev) != 3 || ev[2] != alerts.EventCleared {
		t.Errorf("generic events = %q, want a clearing third", ev)
	}
	if slack.Refused()+generic.Refused() != 0 {
		t.Errorf("the receivers refused %d notices", slack.Refused()+generic.Refused())
	}
}
