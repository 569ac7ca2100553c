// Command syndicate turns published articles into email digests and social
// posts: see `syndicate --help`.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"syndicate"
	"syndicate/internal/redact"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- run(ctx, os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr) }()
	err := wait(ctx, stop, done, shutdownGrace)
	os.Exit(report(err, os.Stderr))
}

// shutdownGrace is how long a command has, after SIGINT or SIGTERM, to
// return before main exits without it. Work that does not watch the
// context (parsing a large article, reading a terminal) cannot hold the
// process; long-running commands stop their servers within stopTimeout.
const shutdownGrace = time.Second

// stopTimeout bounds the graceful stop of the HTTP server and the worker
// once a signal has come (jobs running longer are handed back to the
// queue), and stopWait how long serve waits for them all, leaving room
// within shutdownGrace.
const (
	stopTimeout = 600 * time.Millisecond
	stopWait    = 900 * time.Millisecond
)

// wait returns run's error from done, or, if ctx ends first (a signal)
// and run does not return within grace, an error that names the signal.
// After the first signal, stop restores the default action, so a second
// one ends the process at once.
func wait(ctx context.Context, stop context.CancelFunc, done <-chan error, grace time.Duration) error {
	select {
	case err := <-done:
		stop()
		return err
	case <-ctx.Done():
	}
	stop()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
	}
	code, name := 1, "a signal"
	for _, s := range []struct {
		sig  syscall.Signal
		name string
	}{{syscall.SIGINT, "SIGINT"}, {syscall.SIGTERM, "SIGTERM"}} {
		// NotifyContext gives the signal as the context's cause.
		if strings.Contains(context.Cause(ctx).Error(), s.sig.String()) {
			code, name = 128+int(s.sig), s.name
		}
	}
	return &exitError{code: code, msg: fmt.Sprintf("stopped by %s before the command finished", name)}
}

// secretError carries the configured URLs with an error of run, so that
// report masks their secrets in whatever message it prints: the errors of
// go-redis, pgx and asynq quote the URL they were given.
type secretError struct {
	err  error
	urls []string
}

func (e *secretError) Error() string { return redact.String(e.err.Error(), e.urls...) }
func (e *secretError) Unwrap() error { return e.err }

// usageError is a misuse of the command line: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// exitError carries an exit code with a message already printed (or none).
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// report prints err as one plain sentence and returns the exit code.
func report(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	code := 1
	var ue *usageError
	var ee *exitError
	switch {
	case errors.As(err, &ue) || isCobraUsage(err):
		code = 2
	case errors.As(err, &ee):
		code = ee.code
		if ee.msg == "" {
			return code
		}
	}
	msg := syndicate.ErrorMessage(err)
	var se *secretError
	if errors.As(err, &se) {
		msg = redact.String(msg, se.urls...)
	}
	fmt.Fprintln(stderr, "syndicate: "+msg)
	return code
}

// isCobraUsage spots the errors cobra makes itself for an unknown command.
func isCobraUsage(err error) bool {
	s := err.Error()
	return strings.HasPrefix(s, "unknown command") || strings.HasPrefix(s, "unknown flag") || strings.HasPrefix(s, "unknown shorthand flag")
}
