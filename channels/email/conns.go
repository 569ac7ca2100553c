package email

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// ConnBudget caps the SMTP connections of every Sender that shares it.
// *RedisConns is one; set Config.Conns to share a cap between processes.
type ConnBudget interface {
	// TryAcquire takes a connection slot if one is free now; release gives
	// it back and must be called exactly once.
	TryAcquire(ctx context.Context) (release func(), ok bool, err error)
}

// RedisConns is a connection cap kept in Redis: a sorted set of leases,
// each scored with when it expires. Every process that uses the key draws
// on one budget of max open connections. A process refreshes the leases
// of the connections it holds while it holds them, so the leases of a
// worker that dies expire after LeaseTTL and their slots come back.
type RedisConns struct {
	// TTL is how long a lease lasts without a refresh; zero means
	// LeaseTTL. Set it before the first TryAcquire.
	TTL time.Duration

	rdb redis.UniversalClient
	key string
	max int

	mu   sync.Mutex
	held map[string]bool // leases this process holds
	stop chan struct{}   // closed to end the refresher; nil when none runs
}

// LeaseTTL is how long a connection lease lasts without a refresh, by
// default: how long the slots of a worker that died stay taken. Leases
// are refreshed every third of it.
const LeaseTTL = 15 * time.Second

// NewRedisConns returns the cap of max connections kept under key.
func NewRedisConns(rdb redis.UniversalClient, key string, max int) (*RedisConns, error) {
	if max < 1 {
		return nil, fmt.Errorf("smtp max connections %d is not a positive number", max)
	}
	return &RedisConns{rdb: rdb, key: key, max: max, held: map[string]bool{}}, nil
}

// acquireScript drops the expired leases and adds one if fewer than the
// budget remain. Times are the server's (TIME), so the clocks of the
// workers' machines do not matter.
var acquireScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
`)

// refreshScript moves the expiry of the leases given on. A lease that had
// expired meanwhile is added back: its connection is open, so it counts.
var refreshScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 2, #ARGV do
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[i])
end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]))
return 0
`)

// TryAcquire takes a lease if the budget has one free.
func (r *RedisConns) TryAcquire(ctx context.Context) (func(), bool, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return nil, false, fmt.Errorf("make a connection lease: %w", err)
	}
	id := hex.EncodeToString(b)
	ok, err := acquireScript.Run(ctx, r.rdb, []string{r.key}, r.max, r.ttl().Milliseconds(), id).Int()
	if err != nil {
		return nil, false, fmt.Errorf("take a connection from the shared smtp budget: %w", err)
	}
	if ok == 0 {
		return nil, false, nil
	}
	r.mu.Lock()
	r.held[id] = true
	if r.stop == nil {
		r.stop = make(chan struct{})
		go r.refresh(r.stop)
	}
	r.mu.Unlock()
	var once sync.Once
	return func() { once.Do(func() { r.release(id) }) }, true, nil
}

// release gives a lease back. Failing to reach Redis only delays the
// slot's return until the lease expires.
func (r *RedisConns) release(id string) {
	r.mu.Lock()
	delete(r.held, id)
	if len(r.held) == 0 && r.stop != nil {
		close(r.stop)
		r.stop = nil
	}
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.rdb.ZRem(ctx, r.key, id).Err(); err != nil {
		return // the lease expires by itself
	}
}

func (r *RedisConns) ttl() time.Duration {
	if r.TTL > 0 {
		return r.TTL
	}
	return LeaseTTL
}

// refresh renews the held leases every third of the TTL until stop is
// closed.
func (r *RedisConns) refresh(stop chan struct{}) {
	t := time.NewTicker(r.ttl() / 3)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		r.mu.Lock()
		args := []any{r.ttl().Milliseconds()}
		for id := range r.held {
			args = append(args, id)
		}
		r.mu.Unlock()
		if len(args) == 1 {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), r.ttl()/3)
		err := refreshScript.Run(ctx, r.rdb, []string{r.key}, args...).Err()
		cancel()
		if err != nil {
			continue // tried again at the next tick; a lease lasts three
		}
	}
}
