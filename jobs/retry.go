package jobs

import (
	"errors"
	"math/rand/v2"
	"time"

	"github.com/hibiken/asynq"

	"syndicate"
)

// RetryDelay returns the server's RetryDelayFunc: the wait a rate-limited
// remote asked for, else base doubled per retry (capped at an hour) with
// ±20% jitter so a batch of failures does not return as a storm.
func RetryDelay(base time.Duration) asynq.RetryDelayFunc {
	return func(n int, err error, _ *asynq.Task) time.Duration {
		var rl *syndicate.RateLimitError
		if errors.As(err, &rl) {
			return rl.RetryAfter
		}
		d := base
		for i := 0; i < n && d < time.Hour; i++ {
			d *= 2
		}
		d = min(d, time.Hour)
		return d + time.Duration((rand.Float64()*0.4-0.2)*float64(d))
	}
}

// IsFailure tells asynq which errors use up a retry: a rate limit is the
// remote asking us to wait, not a failure.
func IsFailure(err error) bool {
	var rl *syndicate.RateLimitError
	return !errors.As(err, &rl)
}
