package jobs

import (
	"context"
	"testing"
	"time"
)

// TestPlanGate: while a fan-out plans, one batch sends and the next waits;
// when the fan-out ends the waiting batch starts. Without a fan-out,
// batches do not wait for each other.
func TestPlanGate(t *testing.T) {
	var g planGate
	ctx := context.Background()
	leave1, err := g.enter(ctx)
	if err != nil {
		t.Fatal(err)
	}
	leave2, err := g.enter(ctx) // no fan-out: goes beside the first
	if err != nil {
		t.Fatal(err)
	}
	leave2()

	g.begin()
	started := make(chan func())
	go func() {
		leave, err := g.enter(ctx)
		if err != nil {
			t.Error(err)
		}
		started <- leave
	}()
	select {
	case <-started:
		t.Fatal("a second batch started while a fan-out planned and a batch was sending")
	case <-time.After(100 * time.Millisecond): // it would have started by now
	}
	g.end()
	leave3 := <-started
	leave3()
	leave1()

	// A batch whose context ends while it waits gives up.
	g.begin()
	defer g.end()
	leave4, err := g.enter(ctx) // the one that may go beside the fan-out
	if err != nil {
		t.Fatal(err)
	}
	defer leave4()
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := g.enter(cctx); err == nil {
		t.Error("a batch with a cancelled context started")
	}
}
