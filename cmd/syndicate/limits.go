package main

import (
	"context"
	"fmt"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"

	"syndicate/config"
	"syndicate/web"
)

// redisLimiter is a web.Limiter kept in Redis by redis_rate (GCRA in one
// Lua script), so every API process on the same Redis spends one budget.
type redisLimiter struct {
	l      *redis_rate.Limiter
	limit  redis_rate.Limit
	prefix string // keeps the budgets of different limits apart
}

var _ web.Limiter = redisLimiter{}

// Allow takes one request from key's budget.
func (r redisLimiter) Allow(ctx context.Context, key string) (bool, time.Duration, error) {
	res, err := r.l.Allow(ctx, r.prefix+key, r.limit)
	if err != nil {
		return false, 0, fmt.Errorf("check the %s rate limit: %w", r.prefix, err)
	}
	return res.Allowed > 0, res.RetryAfter, nil
}

// signupLimiters are the per-client and overall limits of POST /subscribe
// from cfg, kept in rc.
func signupLimiters(rc redis.UniversalClient, s config.Signup) (perClient, total web.Limiter) {
	l := redis_rate.NewLimiter(rc)
	return redisLimiter{l: l, limit: redis_rate.PerHour(s.PerClientPerHour), prefix: "syndicate:signup:"},
		redisLimiter{l: l, limit: redis_rate.PerMinute(s.TotalPerMinute), prefix: "syndicate:signup-total:"}
}
