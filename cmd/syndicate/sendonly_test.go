package main

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"syndicate/jobs"
)

// readerModules are what the sendonly tag leaves out: the article reader's
// libraries, whose tables cost every process about 80 MB.
var readerModules = []string{
	"github.com/markusmobius/go-trafilatura",
	"github.com/markusmobius/go-htmldate",
	"github.com/markusmobius/go-dateparser",
}

// TestSendOnlyBuildLeavesTheReaderOut: a build with -tags sendonly links
// none of the reader's libraries, and the default build links them all.
func TestSendOnlyBuildLeavesTheReaderOut(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list the build's packages")
	}
	deps := func(tags ...string) string {
		args := append([]string{"list", "-deps"}, tags...)
		out, err := exec.Command(goTool, append(args, ".")...).CombinedOutput()
		if err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	full, lean := deps(), deps("-tags", "sendonly")
	for _, m := range readerModules {
		if !strings.Contains(full, m+"\n") {
			t.Errorf("the default build does not link %s", m)
		}
		if strings.Contains(lean, m) {
			t.Errorf("the sendonly build links %s", m)
		}
	}
}

// TestSendOnlyRefusesReaders: without the reader, the commands that take
// articles in refuse in one sentence, and a worker leaves the feed polls
// to workers that have it.
func TestSendOnlyRefusesReaders(t *testing.T) {
	defer func(h bool) { haveReader = h }(haveReader)
	haveReader = false
	dir := t.TempDir()
	getenv := func(k string) string {
		if k == "SYNDICATE_DATABASE_URL" {
			return "sqlite:" + filepath.Join(dir, "s.db")
		}
		return ""
	}
	for _, args := range [][]string{
		{"publish", "x.md"},
		{"preview", "x.md"},
		{"feeds", "poll", "https://news.example.com/feed"},
		{"serve"},
		{"demo"},
	} {
		var out, errb bytes.Buffer
		err := run(context.Background(), append([]string{"syndicate"}, args...), getenv, strings.NewReader(""), &out, &errb)
		if code := report(err, &errb); code != 1 || !strings.Contains(errb.String(), "-tags sendonly") || strings.Count(strings.TrimSpace(errb.String()), "\n") > 0 {
			t.Errorf("syndicate %s without the reader: exit %d, stderr %q; want 1 and one sentence naming the tag", strings.Join(args, " "), code, errb.String())
		}
	}
	// What only sends, schedules or reads the ledger still runs: the
	// scheduler role gets as far as checking its metrics address.
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"subscribers", "list"}, 0},
		{[]string{"serve", "--roles", "scheduler,worker", "--metrics-addr", "192.0.2.1:9100"}, 2},
	} {
		var out, errb bytes.Buffer
		err := run(context.Background(), append([]string{"syndicate"}, c.args...), getenv, strings.NewReader(""), &out, &errb)
		if code := report(err, &errb); code != c.code || strings.Contains(errb.String(), "sendonly") {
			t.Errorf("syndicate %s without the reader: exit %d, stderr %q; want %d and no refusal", strings.Join(c.args, " "), code, errb.String(), c.code)
		}
	}

	if q := workerQueues(false); q[jobs.QueueFeeds] != 0 || q[jobs.QueueDefault] == 0 {
		t.Errorf("a worker without the reader takes queues %v; want the default queue and not the feeds", q)
	}
	if q := workerQueues(true); q[jobs.QueueFeeds] == 0 || q[jobs.QueueDefault] == 0 {
		t.Errorf("a worker with the reader takes queues %v; want both", q)
	}
}

// TestLeanGC: a worker without the reader sets the collector's target and
// limit unless the environment sets either; a full build is left alone.
func TestLeanGC(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	debug.SetGCPercent(100)
	none := func(string) string { return "" }
	if leanGC(true, none) || debug.SetGCPercent(100) != 100 {
		t.Error("a full build's collector was changed")
	}
	for _, env := range []string{"GOGC", "GOMEMLIMIT"} {
		set := func(k string) string {
			if k == env {
				return "200"
			}
			return ""
		}
		if leanGC(false, set) || debug.SetGCPercent(100) != 100 {
			t.Errorf("the collector was changed with %s set", env)
		}
	}
	if !leanGC(false, none) {
		t.Fatal("a sendonly worker's collector was left alone")
	}
	if p, l := debug.SetGCPercent(100), debug.SetMemoryLimit(-1); p != leanGCPercent || l != leanHeapLimit {
		t.Errorf("GC percent %d and limit %d, want %d and %d", p, l, leanGCPercent, leanHeapLimit)
	}
}
