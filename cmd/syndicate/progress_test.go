package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"syndicate"
)

func queuedEmails(n int) []syndicate.Delivery {
	ds := make([]syndicate.Delivery, n)
	for i := range ds {
		ds[i] = syndicate.Delivery{Channel: syndicate.ChannelEmail, Status: syndicate.StatusQueued}
	}
	return ds
}

// TestBarView draws through the progress bar library's writer: the
// counts, the rate and elapsed:left times, a stall message on its own
// line, and the plain counts line at the end.
func TestBarView(t *testing.T) {
	var b bytes.Buffer
	v := newBarView(&b)
	v.show(nil) // nothing planned yet: no bar
	if b.Len() != 0 {
		t.Errorf("a bar without a total: %q", b.String())
	}
	ds := queuedEmails(4)
	v.show(ds)
	ds[0].Status = syndicate.StatusSent
	v.show(ds)
	v.say("stalled: 3 deliveries queued with no task in Redis")
	ds[1].Status = syndicate.StatusFailed
	ds = append(ds, syndicate.Delivery{Channel: syndicate.ChannelX, Status: syndicate.StatusQueued})
	v.show(ds) // the fan-out planned one more
	v.done()
	out := b.String()
	for _, want := range []string{"(1/4, ", "(2/5, ", " deliveries/", "█", "[0s:", "\rstalled: 3 deliveries queued with no task in Redis\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("the bar's output lacks %q:\n%q", want, out)
		}
	}
	if !strings.HasSuffix(out, "\nemail: 2/4 done, 1 not delivered · x: 0/1 done\n") {
		t.Errorf("the bar does not end with the counts line:\n%q", out)
	}
}

// TestLineView prints a line only when the counts change, and no bar.
func TestLineView(t *testing.T) {
	var b bytes.Buffer
	v := &lineView{w: &b}
	ds := queuedEmails(2)
	v.show(ds)
	v.show(ds)
	ds[0].Status = syndicate.StatusSent
	v.show(ds)
	v.done()
	if got, want := b.String(), "email: 0/2 done\nemail: 1/2 done\n"; got != want {
		t.Errorf("lines %q, want %q", got, want)
	}
}

// TestIsTerminal: a pseudo-terminal is one, a pipe and a buffer are not.
func TestIsTerminal(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer ptmx.Close()
	defer tty.Close()
	if !isTerminal(tty) {
		t.Error("a pseudo-terminal is not taken for a terminal")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if isTerminal(w) || isTerminal(&bytes.Buffer{}) {
		t.Error("a pipe or a buffer is taken for a terminal")
	}
	if _, ok := newWaitView(w).(*lineView); !ok {
		t.Error("a pipe gets a progress bar")
	}
}

// runPTY runs the binary with its stdout and stderr on a pseudo-terminal
// and returns what it wrote.
func (e *e2e) runPTY(args ...string) string {
	e.t.Helper()
	c := e.cmd(args...)
	ptmx, err := pty.Start(c)
	if err != nil {
		e.t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer ptmx.Close()
	var out bytes.Buffer
	copied := make(chan error, 1)
	go func() {
		_, err := io.Copy(&out, ptmx)
		copied <- err
	}()
	err = c.Wait()
	select {
	case cerr := <-copied: // EIO once the program has exited
		if cerr != nil && !errors.Is(cerr, syscall.EIO) {
			e.t.Errorf("read the terminal: %v", cerr)
		}
	case <-time.After(10 * time.Second):
		e.t.Error("the terminal did not close after the program ended")
	}
	if err != nil {
		e.t.Fatalf("syndicate %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

// TestEndToEndWaitOnTerminal: publish --wait on a terminal draws a bar
// with counts and rate and ends with the counts line; status --watch on
// a terminal redraws the screen, and through a pipe prints the table, and
// both end once everything is final.
func TestEndToEndWaitOnTerminal(t *testing.T) {
	e := newE2E(t)
	e.addSubscribers(12)
	e.sink.Delay = 50 * time.Millisecond // a send that lasts a few draws
	e.start("worker")
	path := e.write("article.md", articleMD("Night Market Opens", "https://news.example.com/market"))
	out := e.runPTY("publish", path, "--wait")
	for _, want := range []string{"delivering", "/13, ", " deliveries/", "█", "x: 1/1 done", "email: 12/12 done"} {
		if !strings.Contains(out, want) {
			t.Errorf("publish --wait on a terminal lacks %q:\n%q", want, out)
		}
	}
	if plain := e.run("publish", path, "--wait"); strings.Contains(plain, "█") || strings.Contains(plain, "\r") {
		t.Errorf("publish --wait through a pipe drew a bar: %q", plain)
	}
	watched := e.runPTY("status", "https://news.example.com/market", "--watch")
	if !strings.Contains(watched, "\x1b[2J") || !strings.Contains(watched, "12 sent") {
		t.Errorf("status --watch on a terminal:\n%q", watched)
	}
	piped := e.run("status", "https://news.example.com/market", "--watch")
	if strings.Contains(piped, "\x1b") || !strings.Contains(piped, "12 sent") {
		t.Errorf("status --watch through a pipe:\n%q", piped)
	}
}
