package bench

// The servers a chaos run breaks: redis-server processes on loopback that
// can be killed and started again empty, and a master, a replica and a
// Sentinel that can be failed over. The end-to-end tests of cmd/syndicate
// start theirs with the same code.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// Chaos modes of `syndicate bench --chaos`.
const (
	ChaosKill      = "kill"       // SIGKILL a worker process mid-send and start another
	ChaosRedisLoss = "redis-loss" // kill redis-server mid-send and start it again empty
	ChaosFailover  = "failover"   // fail the Redis master over to its replica mid-send
)

// ChaosModes lists the modes, for messages.
var ChaosModes = []string{ChaosKill, ChaosRedisLoss, ChaosFailover}

// FreePort returns a loopback TCP port nothing listens on at the moment.
func FreePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	_, p, err := net.SplitHostPort(ln.Addr().String())
	return p, err
}

// RedisProc is one redis-server or Sentinel child process listening on
// 127.0.0.1. Its log goes to NAME.log in its folder.
type RedisProc struct {
	Name string
	Port string
	bin  string
	args []string
	dir  string
	cmd  *exec.Cmd
	log  *os.File
}

// StartRedis starts redis-server with args in dir; name "sentinel" starts
// a Sentinel (Debian's redis-sentinel when installed, else redis-server
// --sentinel, the same program), whose first argument is its config file.
// args must hold --port (or the config file the port); Port is taken from
// "--port P" when given.
func StartRedis(dir, name string, args ...string) (*RedisProc, error) {
	p := &RedisProc{Name: name, bin: "redis-server", args: args, dir: dir}
	if name == "sentinel" {
		if b, err := exec.LookPath("redis-sentinel"); err == nil {
			p.bin = b
		} else {
			p.args = append(p.args, "--sentinel")
		}
	}
	for i, a := range args {
		if a == "--port" && i+1 < len(args) {
			p.Port = args[i+1]
		}
	}
	return p, p.start()
}

func (p *RedisProc) start() error {
	logf, err := os.OpenFile(filepath.Join(p.dir, p.Name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("create the %s log: %w", p.Name, err)
	}
	c := exec.Command(p.bin, p.args...)
	c.Dir, c.Stdout, c.Stderr = p.dir, logf, logf
	if err := c.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start %s (%s): %w", p.Name, p.bin, err)
	}
	p.cmd, p.log = c, logf
	return nil
}

// Addr is 127.0.0.1:Port.
func (p *RedisProc) Addr() string { return "127.0.0.1:" + p.Port }

// Kill ends the process with SIGKILL, as a crash or an OOM kill would:
// what it held only in memory is gone.
func (p *RedisProc) Kill() error {
	if p.cmd == nil {
		return nil
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill %s: %w", p.Name, err)
	}
	p.wait()
	return nil
}

// Restart starts the process again with the same arguments. A redis-server
// without persistence (--save "" --appendonly no) comes back empty.
func (p *RedisProc) Restart() error {
	if p.cmd != nil && p.cmd.ProcessState == nil {
		return fmt.Errorf("restart %s: it is still running", p.Name)
	}
	return p.start()
}

// Stop ends the process with SIGTERM and waits for it.
func (p *RedisProc) Stop() {
	if p.cmd == nil || p.cmd.ProcessState != nil {
		return
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err == nil {
		p.wait()
	}
}

func (p *RedisProc) wait() {
	// The exit status of a killed or stopped server says nothing we need.
	if err := p.cmd.Wait(); err != nil {
		fmt.Fprintf(p.log, "bench: %s exited: %v\n", p.Name, err)
	}
	p.log.Close()
}

// Log returns the end of the process's log, for an error message.
func (p *RedisProc) Log() string {
	b, err := os.ReadFile(filepath.Join(p.dir, p.Name+".log"))
	if err != nil {
		return ""
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// WaitRedis waits until the server at addr answers PING.
func WaitRedis(ctx context.Context, addr string) error {
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer c.Close()
	return poll(ctx, "redis at "+addr+" to answer", func() (bool, error) {
		return c.Ping(ctx).Err() == nil, nil
	})
}

// StartRedisServer starts a redis-server on a free loopback port without
// persistence, so that a Restart brings it back empty, and waits until it
// answers.
func StartRedisServer(ctx context.Context, dir, name string) (*RedisProc, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	p, err := StartRedis(dir, name, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err != nil {
		return nil, err
	}
	if err := WaitRedis(ctx, p.Addr()); err != nil {
		p.Stop()
		return nil, fmt.Errorf("%w: %s", err, p.Log())
	}
	return p, nil
}

// SentinelSet is a master, its replica and one Sentinel watching them
// under the master name "mymaster", all on loopback without persistence.
type SentinelSet struct {
	Master, Replica, Sentinel *RedisProc
	client                    *redis.SentinelClient
}

// MasterName is the name the Sentinel knows the master by.
const MasterName = "mymaster"

// StartSentinelSet starts the three in dir and waits until the Sentinel
// sees the replica in sync; Close stops them.
func StartSentinelSet(ctx context.Context, dir string) (s *SentinelSet, err error) {
	var ports [3]string
	for i := range ports {
		if ports[i], err = FreePort(); err != nil {
			return nil, err
		}
	}
	s = &SentinelSet{}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	common := []string{"--bind", "127.0.0.1", "--save", "", "--appendonly", "no"}
	if s.Master, err = StartRedis(dir, "master", append([]string{"--port", ports[0]}, common...)...); err != nil {
		return s, err
	}
	if s.Replica, err = StartRedis(dir, "replica", append([]string{"--port", ports[1], "--replicaof", "127.0.0.1", ports[0]}, common...)...); err != nil {
		return s, err
	}
	conf := filepath.Join(dir, "sentinel.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(`port %s
bind 127.0.0.1
sentinel monitor %s 127.0.0.1 %s 1
sentinel down-after-milliseconds %s 1000
sentinel failover-timeout %s 10000
`, ports[2], MasterName, ports[0], MasterName, MasterName)), 0o600); err != nil {
		return s, fmt.Errorf("write the sentinel config: %w", err)
	}
	if s.Sentinel, err = StartRedis(dir, "sentinel", conf); err != nil {
		return s, err
	}
	s.Sentinel.Port = ports[2]
	s.client = redis.NewSentinelClient(&redis.Options{Addr: s.Sentinel.Addr()})
	err = poll(ctx, "the Sentinel to see the replica", func() (bool, error) {
		rs, err := s.client.Replicas(ctx, MasterName).Result()
		return err == nil && len(rs) == 1 && rs[0]["master-link-status"] == "ok" && !strings.Contains(rs[0]["flags"], "down"), nil
	})
	if err != nil {
		return s, fmt.Errorf("%w (sentinel log: %s)", err, s.Sentinel.Log())
	}
	return s, nil
}

// URL is the redis+sentinel:// URL of the set, database db.
func (s *SentinelSet) URL(db int) string {
	return fmt.Sprintf("redis+sentinel://%s/%s?db=%d", s.Sentinel.Addr(), MasterName, db)
}

// Failover asks the Sentinel to promote the replica (SENTINEL FAILOVER)
// and waits until it names the replica as master. Replication is
// asynchronous: what the master had not yet passed on is lost.
func (s *SentinelSet) Failover(ctx context.Context) error {
	if err := s.client.Failover(ctx, MasterName).Err(); err != nil {
		return fmt.Errorf("SENTINEL FAILOVER: %w", err)
	}
	return poll(ctx, "the replica to become master", func() (bool, error) {
		addr, err := s.client.GetMasterAddrByName(ctx, MasterName).Result()
		return err == nil && len(addr) == 2 && addr[1] == s.Replica.Port, nil
	})
}

// Close stops the Sentinel, the replica and the master.
func (s *SentinelSet) Close() {
	if s.client != nil {
		if err := s.client.Close(); err != nil && !errors.Is(err, redis.ErrClosed) {
			fmt.Fprintln(os.Stderr, "bench: close the sentinel client:", err)
		}
	}
	for _, p := range []*RedisProc{s.Sentinel, s.Replica, s.Master} {
		if p != nil {
			p.Stop()
		}
	}
}

// poll calls cond every 50ms until it reports true, fails, or ctx ends.
func poll(ctx context.Context, what string, cond func() (bool, error)) error {
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %s: %w", what, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
