package email

import (
	"context"
	"fmt"
	"math"

	"golang.org/x/time/rate"
)

// limiter paces messages. *rate.Limiter is one; tests put in one that
// counts.
type limiter interface {
	Wait(ctx context.Context) error
}

// newLimiter returns the token bucket of c, or nil when c sets no rate.
func newLimiter(c Config) (limiter, error) {
	switch {
	case math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0) || c.Rate < 0:
		return nil, fmt.Errorf("smtp rate %v is not a number of messages per second (0 for no limit)", c.Rate)
	case c.Burst < 0:
		return nil, fmt.Errorf("smtp burst %d is negative", c.Burst)
	case c.Rate == 0:
		return nil, nil
	}
	burst := c.Burst
	if burst == 0 {
		burst = 1
	}
	return rate.NewLimiter(rate.Limit(c.Rate), burst), nil
}

// connSlots caps the connections of one Sender: a buffered channel holds a
// token for every open connection. A nil connSlots is no cap.
type connSlots chan struct{}

// newConnSlots returns the cap of c, or nil when c sets none.
func newConnSlots(c Config) (connSlots, error) {
	switch {
	case c.MaxConns < 0:
		return nil, fmt.Errorf("smtp max connections %d is negative (0 for no limit)", c.MaxConns)
	case c.MaxConns == 0:
		return nil, nil
	}
	return make(connSlots, c.MaxConns), nil
}

// acquire waits for a free connection slot, or for ctx to end.
func (s connSlots) acquire(ctx context.Context) error {
	if s == nil {
		return nil
	}
	// Checked first because select picks at random between a free slot and
	// a done ctx, and a cancelled Send must not open a connection.
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case s <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// release frees a slot taken by acquire.
func (s connSlots) release() {
	if s != nil {
		<-s
	}
}
