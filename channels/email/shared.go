package email

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// Pacer paces messages: Wait returns when the next one may go, or with an
// error when ctx ends first or its deadline would pass before then.
// *RedisRate is one; set Config.Pacer to share a budget between Senders.
type Pacer interface {
	Wait(ctx context.Context) error
}

// RedisRate is a rate limit kept in Redis (GCRA, go-redis/redis_rate):
// every Sender of every process that uses the same key draws on one
// budget, so N workers together send at the rate, not N times it.
type RedisRate struct {
	l     *redis_rate.Limiter
	key   string
	limit redis_rate.Limit
}

// NewRedisRate returns the limit of rate messages per second, burst at
// once (zero: 1), kept under key.
func NewRedisRate(rdb redis.UniversalClient, key string, rate float64, burst int) (*RedisRate, error) {
	if math.IsNaN(rate) || math.IsInf(rate, 0) || rate <= 0 {
		return nil, fmt.Errorf("smtp rate %v is not a positive number of messages per second", rate)
	}
	if burst < 0 {
		return nil, fmt.Errorf("smtp burst %d is negative", burst)
	}
	if burst == 0 {
		burst = 1
	}
	// One message per emission interval: a fractional rate stays exact.
	interval := time.Duration(float64(time.Second) / rate)
	if interval <= 0 {
		interval = 1
	}
	return &RedisRate{l: redis_rate.NewLimiter(rdb), key: key, limit: redis_rate.Limit{Rate: 1, Burst: burst, Period: interval}}, nil
}

// Wait takes one message from the shared budget, waiting as long as Redis
// says.
func (r *RedisRate) Wait(ctx context.Context) error {
	for {
		res, err := r.l.Allow(ctx, r.key, r.limit)
		if err != nil {
			return fmt.Errorf("take from the shared smtp rate: %w", err)
		}
		if res.Allowed > 0 {
			return nil
		}
		wait := res.RetryAfter
		if d, ok := ctx.Deadline(); ok && time.Until(d) < wait {
			return fmt.Errorf("the shared smtp rate allows the next message in %s, after the deadline", wait.Round(time.Millisecond))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}
