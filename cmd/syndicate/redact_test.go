package main

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"syndicate"
)

var testURLs = []string{"redis://:redis-pw@h:6379/0", "postgres://u@db/x?password=pg-pw", "https://feeds.example/?token=feed-pw"}

// TestReportMasksURLs: whatever error run returns, the sentence printed
// does not show the secrets of the configured URLs.
func TestReportMasksURLs(t *testing.T) {
	for _, err := range []error{
		errors.New("dial redis://:redis-pw@h:6379/0: refused"),
		fmt.Errorf("open: %w", syndicate.Errorf(syndicate.EINTERNAL, "connect password=pg-pw failed")),
		&exitError{code: 3, msg: "poll https://feeds.example/?token=feed-pw: 500"},
	} {
		var stderr bytes.Buffer
		code := report(&secretError{err: err, urls: testURLs}, &stderr)
		if s := stderr.String(); strings.Contains(s, "-pw") || !strings.Contains(s, "xxxxx") {
			t.Errorf("report(%v) printed %q", err, s)
		}
		if want := report(err, new(bytes.Buffer)); code != want {
			t.Errorf("report(%v) = %d, want the exit code %d", err, code, want)
		}
	}
}

// TestLoggerMasksURLs: log messages and attributes, errors included, do
// not show the secrets of the configured URLs.
func TestLoggerMasksURLs(t *testing.T) {
	var buf bytes.Buffer
	a := &app{stderr: &buf, logLevel: "debug", urls: testURLs}
	log := a.logger().With("redis", testURLs[0])
	log.Info("poll https://feeds.example/?token=feed-pw failed",
		"error", errors.New("connect password=pg-pw"),
		slog.Group("feed", "url", testURLs[2]))
	if s := buf.String(); strings.Contains(s, "-pw") || strings.Count(s, "xxxxx") < 4 {
		t.Errorf("log line shows a secret: %s", s)
	}
}
