package metrics

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"syndicate"
)

// The Grafana dashboard shipped in deploy/ queries only metrics that
// exist: a renamed metric fails here, not as an empty panel.
func TestDashboardQueriesExistingMetrics(t *testing.T) {
	b, err := os.ReadFile("../deploy/grafana/dashboards/syndicate.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		UID    string `json:"uid"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("the dashboard is not JSON: %v", err)
	}
	if d.UID == "" || len(d.Panels) == 0 {
		t.Fatalf("the dashboard has no uid or no panels")
	}

	m := New()
	m.WatchLedger(fakeLedger{})
	m.WatchQueues(fakeQueues{})
	m.Delivered(syndicate.ChannelEmail, syndicate.StatusSent, time.Now())
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, f := range fams {
		have[f.GetName()] = true
	}
	name := regexp.MustCompile(`\bsyndicate_[a-z_]+`)
	seen := 0
	for _, p := range d.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			for _, n := range name.FindAllString(tg.Expr, -1) {
				seen++
				base := n
				for _, suf := range []string{"_bucket", "_count", "_sum"} {
					if strings.HasSuffix(n, suf) && have[strings.TrimSuffix(n, suf)] {
						base = strings.TrimSuffix(n, suf)
					}
				}
				if !have[base] {
					t.Errorf("panel %q queries %s, which the metrics do not have", p.Title, n)
				}
			}
		}
	}
	if seen == 0 {
		t.Error("the dashboard queries no syndicate metric")
	}
}
