// Package testredis gives each test a Redis of its own: a database of the
// real server named by SYNDICATE_TEST_REDIS_URL, flushed first, or else an
// embedded in-memory Redis (miniredis).
package testredis

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// URL returns a redis:// URL for the test's own use. db picks the database
// of a real server; packages and tests that run at the same time must pick
// different ones (1 to 15), because asynq's queues have fixed key names.
func URL(t testing.TB, db int) string {
	t.Helper()
	base := os.Getenv("SYNDICATE_TEST_REDIS_URL")
	if base == "" {
		mr := miniredis.RunT(t)
		return "redis://" + mr.Addr() + "/0"
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("SYNDICATE_TEST_REDIS_URL: %v", err)
	}
	u.Path = "/" + strconv.Itoa(db)
	opt, err := redis.ParseURL(u.String())
	if err != nil {
		t.Fatalf("SYNDICATE_TEST_REDIS_URL: %v", err)
	}
	c := redis.NewClient(opt)
	defer c.Close()
	if err := c.FlushDB(context.Background()).Err(); err != nil {
		t.Fatalf("flush test redis db %d: %v", db, err)
	}
	t.Cleanup(func() {
		c := redis.NewClient(opt)
		defer c.Close()
		if err := c.FlushDB(context.Background()).Err(); err != nil {
			t.Logf("flush test redis db %d: %v", db, err)
		}
	})
	return u.String()
}

// Describe says which Redis the tests use, for logs.
func Describe() string {
	if u := os.Getenv("SYNDICATE_TEST_REDIS_URL"); u != "" {
		return fmt.Sprintf("real redis at %s", u)
	}
	return "embedded miniredis"
}
