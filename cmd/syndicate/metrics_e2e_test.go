package main

import (
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/emersion/go-smtp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape reads the metrics at url, failing the test unless they parse.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape %s: %s\n%s", url, resp.Status, b)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(b)))
	if err != nil {
		t.Fatalf("scrape %s: the answer does not parse: %v\n%s", url, err, b)
	}
	return fams
}

// sample returns the value of the sample of family name whose labels
// include labels (a histogram gives its count), and whether there is one.
func sample(fams map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if v, ok := have[labels[i]]; !ok || v != labels[i+1] {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

// TestEndToEndMetrics sends a real article through the real binary (SMTP
// server, fake X) and reads /metrics on the API: the deliveries by
// channel and status, their latencies, the SMTP replies (a 5.1.1 bounce
// and a 4.3.0 deferral among them), X's answer, an empty ledger and the
// queue. A worker process serves its own on --metrics-addr, which must be
// loopback.
func TestEndToEndMetrics(t *testing.T) {
	addr := freeAddr(t)
	e := newE2E(t, "SYNDICATE_HTTP_ADDR="+addr)
	e.addSubscribers(5)
	var deferred atomic.Bool
	e.sink.Reject = func(_ int, rcpt string) error {
		switch {
		case rcpt == "reader01@example.com":
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		case rcpt == "reader02@example.com" && deferred.CompareAndSwap(false, true):
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
		}
		return nil
	}
	e.start("serve", "--roles", "api,worker")
	waitFor(t, "/readyz", func() bool {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	// One bounce: --wait reports the undelivered email and exits 1.
	e.fail("publish", e.write("a.md", articleMD("Measured Story", "https://news.example.com/measured")), "--wait")

	fams := scrape(t, "http://"+addr+"/metrics")
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"syndicate_deliveries_total", []string{"channel", "email", "status", "sent"}, 4},
		{"syndicate_deliveries_total", []string{"channel", "email", "status", "bounced"}, 1},
		{"syndicate_deliveries_total", []string{"channel", "x", "status", "sent"}, 1},
		{"syndicate_deliveries_total", []string{"channel", "x", "status", "failed"}, 0},
		{"syndicate_delivery_latency_seconds", []string{"channel", "email"}, 5},
		{"syndicate_delivery_latency_seconds", []string{"channel", "x"}, 1},
		{"syndicate_smtp_replies_total", []string{"class", "2xx", "code", "250"}, 4},
		{"syndicate_smtp_replies_total", []string{"class", "5xx", "code", "550", "enhanced", "5.1.1"}, 1},
		{"syndicate_smtp_replies_total", []string{"class", "4xx", "code", "451", "enhanced", "4.3.0"}, 1},
		{"syndicate_social_answers_total", []string{"network", "x", "outcome", "sent"}, 1},
		{"syndicate_ledger_unfinished", []string{"channel", "email", "status", "queued"}, 0},
		{"syndicate_ledger_unfinished", []string{"channel", "email", "status", "sending"}, 0},
		{"syndicate_ledger_oldest_unfinished_age_seconds", nil, 0},
		{"syndicate_ledger_up", nil, 1},
		{"syndicate_queue_up", nil, 1},
		{"syndicate_queue_tasks", []string{"queue", "default", "state", "pending"}, 0},
		{"syndicate_queue_tasks", []string{"queue", "default", "state", "archived"}, 0},
	} {
		got, ok := sample(fams, c.name, c.labels...)
		if !ok {
			t.Errorf("/metrics has no %s%v", c.name, c.labels)
		} else if got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if _, ok := sample(fams, "syndicate_queue_latency_seconds", "queue", "default"); !ok {
		t.Error("/metrics has no latency for the default queue")
	}

	// A worker on its own listener, on loopback only.
	maddr := freeAddr(t)
	e.start("worker", "--metrics-addr", maddr)
	waitFor(t, "the worker's metrics", func() bool {
		resp, err := http.Get("http://" + maddr + "/metrics")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	wf := scrape(t, "http://"+maddr+"/metrics")
	if got, ok := sample(wf, "syndicate_deliveries_total", "channel", "email", "status", "sent"); !ok || got != 0 {
		t.Errorf("a fresh worker's email deliveries = %v (present %v), want 0: each process counts its own", got, ok)
	}
	if _, ok := sample(wf, "syndicate_ledger_up"); !ok {
		t.Error("the worker's metrics have no ledger gauges")
	}
	var out strings.Builder
	c := e.cmd("worker", "--metrics-addr", "0.0.0.0:9100")
	c.Stderr = &out
	if err := c.Run(); c.ProcessState == nil || c.ProcessState.ExitCode() != 2 {
		t.Errorf("worker --metrics-addr 0.0.0.0:9100: %v, want exit 2", err)
	}
	if !strings.Contains(out.String(), "not a loopback address") {
		t.Errorf("worker --metrics-addr 0.0.0.0:9100 said %q", out.String())
	}
}
