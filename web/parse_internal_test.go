package web

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestParseWithin(t *testing.T) {
	ctx := context.Background()
	v := 0
	if err := parseWithin(ctx, func() error { v = 1; return nil }); err != nil || v != 1 {
		t.Errorf("quick parse: v, err = %d, %v", v, err)
	}
	want := errors.New("bad input")
	if err := parseWithin(ctx, func() error { return want }); err != want {
		t.Errorf("failed parse: err = %v, want %v", err, want)
	}
	if err := parseWithin(ctx, func() error { panic("boom") }); err == nil || errors.Is(err, errParseTimeout) {
		t.Errorf("panicking parse: err = %v, want the panic", err)
	}

	// A parse that never ends on its own is given up after parseTimeout.
	defer func(d time.Duration) { parseTimeout = d }(parseTimeout)
	parseTimeout = 50 * time.Millisecond
	release := make(chan struct{})
	defer close(release)
	if err := parseWithin(ctx, func() error { <-release; return nil }); !errors.Is(err, errParseTimeout) {
		t.Errorf("endless parse: err = %v, want errParseTimeout", err)
	}
	// So is one whose request ends first.
	parseTimeout = time.Hour
	cctx, cancel := context.WithCancel(ctx)
	time.AfterFunc(10*time.Millisecond, cancel)
	if err := parseWithin(cctx, func() error { <-release; return nil }); !errors.Is(err, errParseTimeout) {
		t.Errorf("parse past the request: err = %v, want errParseTimeout", err)
	}
}
