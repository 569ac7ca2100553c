package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSignalStopsBlockedCommand runs `syndicate preview -` on a standard
// input that never ends, the way a command busy with work that does not
// watch its context would hold the process, and sends it SIGTERM or SIGINT:
// it must exit with 128+signal and say why.
func TestSignalStopsBlockedCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	for _, tt := range []struct {
		sig  syscall.Signal
		name string
	}{{syscall.SIGTERM, "SIGTERM"}, {syscall.SIGINT, "SIGINT"}} {
		t.Run(tt.name, func(t *testing.T) {
			c := exec.Command("syndicate", "preview", "-")
			c.Dir = t.TempDir()
			c.Env = os.Environ()
			var stderr bytes.Buffer
			c.Stderr = &stderr
			in, err := c.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			// A write larger than a pipe's buffer returns only once the
			// command has read from it, so main has set up its signals.
			if _, err := in.Write(bytes.Repeat([]byte("word "), 256<<10/5)); err != nil {
				t.Fatalf("write standard input: %v; stderr: %s", err, stderr.String())
			}
			if err := c.Process.Signal(tt.sig); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- c.Wait() }()
			select {
			case err = <-done:
			case <-time.After(10 * time.Second): // a hang guard, not a measure
				if err := c.Process.Kill(); err != nil {
					t.Log(err)
				}
				<-done
				t.Fatalf("still running 10s after %s", tt.name)
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 128+int(tt.sig) {
				t.Errorf("exit: %v, want exit status %d", err, 128+int(tt.sig))
			}
			if want := "syndicate: stopped by " + tt.name + " before the command finished"; strings.TrimSpace(stderr.String()) != want {
				t.Errorf("stderr = %q, want %q", stderr.String(), want)
			}
		})
	}
}
