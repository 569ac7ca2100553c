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

	"syndicate"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(report(err, os.Stderr))
}

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
	fmt.Fprintln(stderr, "syndicate: "+msg)
	return code
}

// isCobraUsage spots the errors cobra makes itself for an unknown command.
func isCobraUsage(err error) bool {
	s := err.Error()
	return strings.HasPrefix(s, "unknown command") || strings.HasPrefix(s, "unknown flag") || strings.HasPrefix(s, "unknown shorthand flag")
}
