package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"syndicate"
	"syndicate/article"
	"syndicate/config"
	"syndicate/internal/bench"
	"syndicate/jobs"
	"syndicate/store"
)

// benchFlags are the settings of one bench run.
type benchFlags struct {
	subscribers int
	connections int
	workers     int
	database    string
	redisURL    string
	smtpURL     string
	digest      bool
	json        bool
	cpuProfile  string
	memProfile  string
	timeout     time.Duration
	chaos       string        // a fault to inject mid-send (bench.ChaosModes); "" for none
	chaosAt     float64       // the share of subscribers mailed when the fault comes
	smtpDelay   time.Duration // the discarding server's wait per message
	grace       time.Duration // reconcile_grace of a chaos run
	batchSize   int           // emails per batch task; 0: the default
}

func (a *app) benchCmd() *cobra.Command {
	var f benchFlags
	c := &cobra.Command{
		Use:   "bench",
		Short: "Measure sending against raw go-mail, in the same run",
		Long: `bench measures the full sending path against a raw baseline, in one run:

  full path  it seeds --subscribers instant subscribers (daily ones with
             --digest), publishes an article (or builds a daily digest of 5),
             and lets --workers worker processes ("syndicate worker", the
             same binary) send it through the real queue and ledger to a
             loopback SMTP server that discards what it gets;
  baseline   a separate process sends as many messages of the same size
             with plain go-mail over --connections reused connections to a
             twin server.

It prints messages per second for each and their ratio, publish to first
and last email, fan-out time as a share of send time, the workers' peak RSS
and CPU time per message (and the baseline's), Redis bytes per queued task
and database statements per message. It fails (exit 1) unless every
subscriber got exactly one email and every ledger row is final.

The database is SQLite in a temporary folder unless --database names one;
Redis is embedded unless --redis names a server (the figure that counts).
Both should be scratch: bench adds subscribers and articles and leaves them.
With --smtp the mail goes to that relay and the baseline is skipped. The
configuration file and SYNDICATE_* variables are not read: the run is the
same everywhere.

The workers and the baseline are this binary. One built with
"go build -tags sendonly" has no article reader, the build for workers that
only send (its header line says which build ran).

With --chaos the run breaks something once --chaos-at of the subscribers
have their email, and measures the recovery:

  kill        SIGKILL a worker process and start another in its place;
  redis-loss  kill the redis-server (one the bench starts, without
              persistence) and start it again empty: the reconciler
              (a scheduler process the bench starts too) queues again
              from the ledger what Redis forgot;
  failover    a master, a replica and redis-sentinel (started by the
              bench); SENTINEL FAILOVER promotes the replica mid-send.

It reports how many emails went again with the same Message-ID (allowed:
a mail client shows them once), how many went with another one and how
many subscribers got nothing (both must be 0, else exit 1), how many
tasks the reconciler queued again, and the time from the fault until every
ledger row was final. The chaos runs use reconcile_grace --grace (10s)
and reconcile_interval half of it, not the defaults of minutes.`,
		Args: args(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.subscribers < 1 {
				return usagef("--subscribers %d is not a positive number", f.subscribers)
			}
			if f.batchSize < 0 {
				return usagef("--batch-size %d is negative", f.batchSize)
			}
			if f.connections < 1 {
				return usagef("--connections %d is not a positive number", f.connections)
			}
			if f.workers < 0 {
				return usagef("--workers %d is negative", f.workers)
			}
			if f.chaos != "" {
				switch {
				case !slices.Contains(bench.ChaosModes, f.chaos):
					return usagef("unknown --chaos %q: the modes are %s", f.chaos, strings.Join(bench.ChaosModes, ", "))
				case f.workers == 0:
					return usagef("--chaos runs workers as processes, to break them or their Redis under them: it needs --workers 1 or more")
				case f.chaos != bench.ChaosKill && f.redisURL != "":
					return usagef("--chaos %s starts and breaks its own Redis: leave out --redis", f.chaos)
				case f.smtpURL != "":
					return usagef("--chaos counts what each subscriber got at its own SMTP server: leave out --smtp")
				case f.chaosAt <= 0 || f.chaosAt >= 1:
					return usagef("--chaos-at %g is not between 0 and 1", f.chaosAt)
				case f.grace < time.Second:
					return usagef("--grace %s is shorter than 1s", f.grace)
				}
			}
			return a.bench(f)
		},
	}
	c.Flags().IntVar(&f.subscribers, "subscribers", 100000, "subscribers to seed and mail")
	c.Flags().IntVar(&f.connections, "connections", 10, "SMTP connections: the workers' concurrency in all, and the baseline's connections")
	c.Flags().IntVar(&f.workers, "workers", 1, "worker processes; 0 runs the worker inside this process")
	c.Flags().StringVar(&f.database, "database", "", "database URL (default: SQLite in a temporary folder)")
	c.Flags().StringVar(&f.redisURL, "redis", "", "Redis URL (default: embedded)")
	c.Flags().StringVar(&f.smtpURL, "smtp", "", "send to this SMTP relay instead of a discarding server; skips the baseline")
	c.Flags().BoolVar(&f.digest, "digest", false, "send a daily digest of 5 articles instead of an instant email")
	c.Flags().BoolVar(&f.json, "json", false, "print the result as JSON")
	c.Flags().StringVar(&f.memProfile, "memprofile", "", "write the worker's allocation profile here at its exit (FILE.N for worker N when there are several)")
	c.Flags().StringVar(&f.cpuProfile, "cpuprofile", "", "write the worker's CPU profile here (FILE.N for worker N when there are several)")
	c.Flags().DurationVar(&f.timeout, "timeout", 30*time.Minute, "give up after this long")
	c.Flags().IntVar(&f.batchSize, "batch-size", 0, "emails per batch task (default: batch_size's default, 200)")
	c.Flags().StringVar(&f.chaos, "chaos", "", "inject a fault mid-send: kill, redis-loss or failover")
	c.Flags().DurationVar(&f.grace, "grace", 10*time.Second, "with --chaos, the reconcile_grace of the run (the interval is half of it, at least 1s)")
	c.Flags().Float64Var(&f.chaosAt, "chaos-at", 1.0/3, "with --chaos, the share of subscribers mailed when the fault comes")
	c.Flags().DurationVar(&f.smtpDelay, "smtp-delay", 0, "the discarding SMTP server waits this long per message (for small --chaos runs)")
	if err := c.Flags().MarkHidden("smtp-delay"); err != nil {
		panic(err) // the flag was just defined
	}
	return c
}

// benchResult is what one run measured; it is also the --json output.
type benchResult struct {
	Subscribers  int     `json:"subscribers"`
	Connections  int     `json:"connections"`
	Workers      int     `json:"workers"`
	Mode         string  `json:"mode"`     // instant or digest
	Database     string  `json:"database"` // sqlite or postgres
	Redis        string  `json:"redis"`    // embedded or server
	Build        string  `json:"build"`    // full, or sendonly: built without the article reader
	MessageBytes int     `json:"message_bytes"`
	SeedSeconds  float64 `json:"seed_seconds"`

	Full     fullResult      `json:"full"`
	Baseline *baselineResult `json:"baseline,omitempty"`
	Ratio    float64         `json:"ratio,omitempty"`

	Chaos *chaosResult `json:"chaos,omitempty"`

	Correct correctness `json:"correct"`
}

// chaosResult is what a --chaos run saw of the fault and the recovery.
type chaosResult struct {
	Mode string `json:"mode"`
	// FaultAfter is how many subscribers had their email when the fault
	// came.
	FaultAfter int `json:"fault_after"`
	// Resent counts emails that went to a subscriber again with the
	// Message-ID it already had; OtherIDs those with a different one, and
	// Missing the subscribers that got nothing (both must be 0).
	Resent   int `json:"resent"`
	OtherIDs int `json:"other_ids"`
	Missing  int `json:"missing"`
	// FinalAfterFaultMS is the time from the fault until every ledger row
	// was final; RecoveryMS how long the fault itself took (a restart, a
	// failover).
	FinalAfterFaultMS float64 `json:"final_after_fault_ms"`
	RecoveryMS        float64 `json:"recovery_ms"`
	// Requeued is how many tasks the reconciler queued again (from the
	// workers' logs).
	Requeued int    `json:"requeued"`
	Grace    string `json:"reconcile_grace"`
	Interval string `json:"reconcile_interval"`
}

type fullResult struct {
	MsgsPerSec       float64 `json:"msgs_per_sec"`
	Sent             int     `json:"sent"`
	PublishToFirstMS float64 `json:"publish_to_first_ms"`
	PublishToLastMS  float64 `json:"publish_to_last_ms"`
	FanOutMS         float64 `json:"fan_out_ms"`
	FanOutShare      float64 `json:"fan_out_share"` // fan-out time / publish to last email
	PeakRSSBytes     int64   `json:"peak_rss_bytes"`
	// PeakRSSScope says whose memory PeakRSSBytes is: "each worker process"
	// (the largest of them) or "this process" (worker, embedded Redis and
	// SMTP servers together, with --workers 0).
	PeakRSSScope      string  `json:"peak_rss_scope"`
	CPUPerMsgUS       float64 `json:"cpu_per_msg_us"`
	CPUScope          string  `json:"cpu_scope"`
	StatementsPerMsg  float64 `json:"statements_per_msg"`
	RedisBytesPerTask float64 `json:"redis_bytes_per_task"`
	RedisBytesScope   string  `json:"redis_bytes_scope"`
	EmailsPerTask     float64 `json:"emails_per_task"`
}

type baselineResult struct {
	MsgsPerSec   float64 `json:"msgs_per_sec"`
	Sent         int     `json:"sent"`
	MessageBytes int     `json:"message_bytes"`
	CPUPerMsgUS  float64 `json:"cpu_per_msg_us"`
	PeakRSSBytes int64   `json:"peak_rss_bytes"`
}

type correctness struct {
	OK          bool   `json:"ok"`
	Recipients  int    `json:"recipients"` // distinct addresses that got mail (discarding server only)
	Duplicates  int    `json:"duplicates"`
	LedgerFinal bool   `json:"ledger_final"`
	Problem     string `json:"problem,omitempty"`
}

// benchRun holds what one run set up.
type benchRun struct {
	f      benchFlags
	dir    string
	env    map[string]string // SYNDICATE_* settings of the workers
	st     *store.Store
	rc     redis.UniversalClient
	sink   *bench.Discard // nil with --smtp
	res    benchResult
	stderr io.Writer

	redis    *bench.RedisProc   // started for --chaos redis-loss
	sentinel *bench.SentinelSet // started for --chaos failover
}

func (a *app) bench(f benchFlags) (err error) {
	if a.logLevel == "info" {
		a.logLevel = "warn" // the bench prints its own result; an in-process worker's info logs would interleave
	}
	ctx, cancel := context.WithTimeout(a.ctx, f.timeout)
	defer cancel()
	dir, err := os.MkdirTemp("", "syndicate-bench-")
	if err != nil {
		return fmt.Errorf("create the bench folder: %w", err)
	}
	defer func() {
		if rerr := os.RemoveAll(dir); rerr != nil && err == nil {
			err = fmt.Errorf("remove the bench folder: %w", rerr)
		}
	}()
	r := &benchRun{f: f, dir: dir, stderr: a.stderr}
	r.res = benchResult{Subscribers: f.subscribers, Connections: f.connections, Workers: f.workers, Mode: "instant", Database: "sqlite", Redis: "embedded", Build: "full"}
	if !haveReader {
		r.res.Build = "sendonly"
	}
	if f.digest {
		r.res.Mode = "digest"
	}
	dbURL := f.database
	if dbURL == "" {
		dbURL = "sqlite:" + filepath.Join(dir, "bench.db")
	} else if strings.HasPrefix(strings.ToLower(dbURL), "postgres") {
		r.res.Database = "postgres"
	}
	redisURL := f.redisURL
	switch f.chaos {
	case bench.ChaosRedisLoss:
		if r.redis, err = bench.StartRedisServer(ctx, dir, "redis"); err != nil {
			return fmt.Errorf("start redis-server: %w", err)
		}
		defer r.redis.Stop()
		redisURL = "redis://" + r.redis.Addr() + "/0"
		r.res.Redis = "server (started by the bench, without persistence)"
	case bench.ChaosFailover:
		if r.sentinel, err = bench.StartSentinelSet(ctx, dir); err != nil {
			return fmt.Errorf("start redis with a replica and sentinel: %w", err)
		}
		defer r.sentinel.Close()
		redisURL = r.sentinel.URL(0)
		r.res.Redis = "master, replica and sentinel (started by the bench)"
	}
	if redisURL == "" {
		mr, err := miniredis.Run()
		if err != nil {
			return fmt.Errorf("start the embedded redis: %w", err)
		}
		defer mr.Close()
		redisURL = "redis://" + mr.Addr() + "/0"
	} else if f.chaos == "" || f.chaos == bench.ChaosKill {
		r.res.Redis = "server"
	}
	smtpURL := f.smtpURL
	if smtpURL == "" {
		if r.sink, err = bench.StartDiscard(true); err != nil {
			return fmt.Errorf("start the discarding smtp server: %w", err)
		}
		defer r.sink.Close()
		r.sink.SetDelay(f.smtpDelay)
		smtpURL = r.sink.URL()
	}
	perWorker := f.connections
	if f.workers > 1 {
		perWorker = (f.connections + f.workers - 1) / f.workers
	}
	r.env = map[string]string{
		"SYNDICATE_DATABASE_URL":  dbURL,
		"SYNDICATE_REDIS_URL":     redisURL,
		"SYNDICATE_SMTP_URL":      smtpURL,
		"SYNDICATE_FROM":          "Bench News <news@bench.example.com>",
		"SYNDICATE_BASE_URL":      "https://bench.example.com",
		"SYNDICATE_SECRET":        "bench-secret-0123456789abcdef",
		"SYNDICATE_CONCURRENCY":   strconv.Itoa(perWorker),
		"SYNDICATE_DIGEST_DAILY":  "off",
		"SYNDICATE_DIGEST_WEEKLY": "off",
	}
	if f.batchSize > 0 {
		r.env["SYNDICATE_BATCH_SIZE"] = strconv.Itoa(f.batchSize)
	}
	if f.chaos != "" {
		// Short, so that the recovery is measured in seconds and not
		// dominated by the default 2m.
		interval := max(f.grace/2, time.Second)
		r.env["SYNDICATE_RECONCILE_GRACE"] = f.grace.String()
		r.env["SYNDICATE_RECONCILE_INTERVAL"] = interval.String()
		r.res.Chaos = &chaosResult{Mode: f.chaos, Grace: f.grace.String(), Interval: interval.String()}
	}
	cfg, err := config.Load("", false, func(k string) string { return r.env[k] })
	if err != nil {
		return err
	}
	if r.st, err = a.openStore(cfg); err != nil {
		return err
	}
	defer r.st.Close()
	if r.rc, err = a.openRedis(cfg); err != nil {
		return err
	}
	defer r.rc.Close()

	if err := r.seed(ctx); err != nil {
		return err
	}
	if err := r.fullPath(ctx, a, cfg); err != nil {
		return err
	}
	if f.smtpURL == "" && f.chaos == "" {
		if err := r.baseline(ctx); err != nil {
			return err
		}
	}
	if err := r.print(a.stdout); err != nil {
		return err
	}
	if !r.res.Correct.OK {
		return &exitError{code: 1, msg: "bench: " + r.res.Correct.Problem}
	}
	return nil
}

// benchAddress is the address of seeded subscriber i. The addresses sort
// in no order of i, as a real list's are in no order of when people
// signed up: the ledger's unique index is by address, and a list whose
// addresses sorted like its IDs would flatter every insert into it.
func benchAddress(i int) string {
	h := uint32(i) * 2654435761 // Knuth's multiplicative hash: a fixed scramble
	return fmt.Sprintf("s%08x-%06d@bench.example.com", h, i)
}

// seed adds the subscribers (of the frequency the run mails).
func (r *benchRun) seed(ctx context.Context) error {
	start := time.Now()
	freq := syndicate.Instant
	if r.f.digest {
		freq = syndicate.Daily
	}
	// PostgreSQL commits in parallel (each commit waits for its own
	// flush); SQLite writes one at a time whatever we do.
	par := 1
	if r.res.Database == "postgres" {
		par = 8
	}
	errs := make([]error, par)
	var wg sync.WaitGroup
	for w := range par {
		wg.Go(func() {
			for i := w; i < r.f.subscribers; i += par {
				sub := syndicate.Subscriber{Email: benchAddress(i), Name: fmt.Sprintf("Subscriber %d", i), Frequency: freq, Status: syndicate.SubscriberActive}
				if _, _, err := r.st.UpsertSubscriber(ctx, sub); err != nil {
					errs[w] = fmt.Errorf("seed subscriber %d: %w", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	r.res.SeedSeconds = time.Since(start).Seconds()
	return nil
}

// benchArticle is one article of the run, its URL unique to the run so a
// reused database still sends it.
func benchArticle(run string, n int) (syndicate.Article, error) {
	return article.Parse("bench.md", bytes.NewReader(demoArticle), article.Options{
		URL: fmt.Sprintf("https://bench.example.com/articles/%s-%d", run, n), Now: time.Now,
	})
}

// workerProc is one worker child process.
type workerProc struct {
	cmd    *exec.Cmd
	stats  string // "" for the scheduler, which writes none
	log    *os.File
	killed bool // by --chaos kill: it wrote no stats
}

// fullPath starts the workers, publishes and waits until every delivery is
// final, then stops the workers and reads their figures.
func (r *benchRun) fullPath(ctx context.Context, a *app, cfg config.Config) error {
	runID := strconv.FormatInt(time.Now().UnixNano(), 36)
	var (
		procs     []*workerProc
		sched     []*workerProc // the scheduler of a chaos run
		stopLocal func()
		cpuBefore time.Duration
		startProc func(name string, argv ...string) (*workerProc, error)
	)
	stopWorkers := func() error {
		if stopLocal != nil {
			stopLocal()
			stopLocal = nil
			if r.f.cpuProfile != "" {
				pprof.StopCPUProfile()
			}
			if r.f.memProfile != "" {
				if err := writeMemProfile(r.f.memProfile); err != nil {
					return err
				}
			}
		}
		var errs []error
		for _, p := range append(procs, sched...) {
			if p.cmd.ProcessState == nil {
				if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
					errs = append(errs, fmt.Errorf("stop worker %d: %w", p.cmd.Process.Pid, err))
				}
				if err := p.cmd.Wait(); err != nil {
					errs = append(errs, fmt.Errorf("worker %d: %w (log: %s)", p.cmd.Process.Pid, err, tail(p.log.Name())))
				}
			}
			p.log.Close()
		}
		return errors.Join(errs...)
	}
	defer func() {
		if err := stopWorkers(); err != nil {
			fmt.Fprintln(r.stderr, "syndicate: bench:", err)
		}
	}()

	if r.f.workers == 0 {
		if r.f.cpuProfile != "" {
			pf, err := os.Create(r.f.cpuProfile)
			if err != nil {
				return fmt.Errorf("create the CPU profile: %w", err)
			}
			defer pf.Close()
			if err := pprof.StartCPUProfile(pf); err != nil {
				return fmt.Errorf("start the CPU profile: %w", err)
			}
		}
		if err := bench.ResetPeakRSS(os.Getpid()); err != nil {
			return fmt.Errorf("reset the peak RSS: %w", err)
		}
		var err error
		if cpuBefore, err = bench.SelfCPU(); err != nil {
			return err
		}
		if stopLocal, err = a.startWorker(cfg, r.rc, r.st); err != nil {
			return err
		}
	} else {
		exe, err := self()
		if err != nil {
			return fmt.Errorf("find this program to run workers: %w", err)
		}
		env := []string{}
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "SYNDICATE_") {
				env = append(env, kv)
			}
		}
		for k, v := range r.env {
			env = append(env, k+"="+v)
		}
		startProc = func(name string, argv ...string) (*workerProc, error) {
			p := &workerProc{}
			var err error
			if p.log, err = os.Create(filepath.Join(r.dir, name+".log")); err != nil {
				return nil, fmt.Errorf("create %s log: %w", name, err)
			}
			p.cmd = exec.Command(exe, append([]string{"--config=", "--log-level=warn"}, argv...)...)
			p.cmd.Env = env
			p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
			if err := p.cmd.Start(); err != nil {
				p.log.Close()
				return nil, fmt.Errorf("start %s: %w", name, err)
			}
			return p, nil
		}
		for i := range r.f.workers {
			stats := filepath.Join(r.dir, fmt.Sprintf("worker-%d.json", i))
			argv := []string{"worker", "--stats", stats}
			if r.f.cpuProfile != "" {
				name := r.f.cpuProfile
				if r.f.workers > 1 {
					name += "." + strconv.Itoa(i)
				}
				argv = append(argv, "--cpuprofile", name)
			}
			if r.f.memProfile != "" {
				name := r.f.memProfile
				if r.f.workers > 1 {
					name += "." + strconv.Itoa(i)
				}
				argv = append(argv, "--memprofile", name)
			}
			p, err := startProc(fmt.Sprintf("worker-%d", i), argv...)
			if err != nil {
				return err
			}
			p.stats = stats
			procs = append(procs, p)
		}
	}
	if r.f.chaos != "" {
		// The reconciler runs on the scheduler's period, as in production.
		p, err := startProc("scheduler", "serve", "--roles", "scheduler")
		if err != nil {
			return err
		}
		sched = append(sched, p)
	}
	insp := asynq.NewInspectorFromRedisClient(r.rc)
	want := max(r.f.workers, 1)
	for {
		srvs, err := insp.Servers()
		if err != nil {
			return fmt.Errorf("read the workers from redis: %w", err)
		}
		if len(srvs) >= want {
			break
		}
		for _, p := range procs {
			if p.cmd.ProcessState != nil {
				return fmt.Errorf("a worker stopped before the run (log: %s)", tail(p.log.Name()))
			}
		}
		if err := sleep(ctx, 20*time.Millisecond); err != nil {
			return fmt.Errorf("wait for the workers: %w", err)
		}
	}

	// Publish, or build the digest.
	q := asynq.NewClientFromRedisClient(r.rc)
	var (
		taskID string
		item   string
		start  time.Time
	)
	if r.f.digest {
		for n := range 5 {
			art, err := benchArticle(runID, n)
			if err != nil {
				return err
			}
			if _, err := r.st.SaveArticle(ctx, art); err != nil {
				return fmt.Errorf("save bench article: %w", err)
			}
		}
		t, opts := jobs.NewDigestTask(syndicate.Daily, time.Now(), cfg.MaxRetry)
		for _, o := range opts {
			if o.Type() == asynq.TaskIDOpt {
				taskID = o.Value().(string)
			}
		}
		start = time.Now()
		if _, err := q.EnqueueContext(ctx, t, opts...); err != nil {
			return fmt.Errorf("queue the digest: %w", err)
		}
	} else {
		art, err := benchArticle(runID, 0)
		if err != nil {
			return err
		}
		pub := jobs.Publisher{Store: r.st, Queue: q, MaxRetry: cfg.MaxRetry}
		start = time.Now()
		if _, err := pub.Publish(ctx, art, time.Time{}); err != nil {
			return err
		}
		taskID, item = jobs.PublishTaskID(art.ID), syndicate.InstantDigestID(art.ID)
	}

	// Watch the fan-out closely (its end is timed by this poll), then the
	// sending loosely.
	var fanOutEnd time.Time
	for fanOutEnd.IsZero() {
		info, err := insp.GetTaskInfo(jobs.QueueDefault, taskID)
		switch {
		case err != nil && !errors.Is(err, asynq.ErrTaskNotFound):
			return fmt.Errorf("read the fan-out task: %w", err)
		case err == nil && info.State == asynq.TaskStateArchived:
			return fmt.Errorf("the fan-out failed: %s", info.LastErr)
		case err == nil && info.State == asynq.TaskStateCompleted:
			fanOutEnd = time.Now()
			if r.f.digest {
				item = string(info.Result)
			}
		case err == nil && info.LastErr != "":
			fmt.Fprintln(r.stderr, "syndicate: bench: the fan-out is being retried:", info.LastErr)
		}
		if err := sleep(ctx, 5*time.Millisecond); err != nil {
			return fmt.Errorf("wait for the fan-out: %w", err)
		}
	}
	if item == "" {
		return errors.New("the digest found no articles to send")
	}
	var (
		counts    map[syndicate.Channel]map[syndicate.DeliveryStatus]int
		faultAt   time.Time
		lastCheck time.Time
	)
	threshold := max(1, int(float64(r.f.subscribers)*r.f.chaosAt))
	for {
		check := r.sink == nil || r.sink.Stats().Messages >= r.f.subscribers
		if r.f.chaos != "" {
			if faultAt.IsZero() && r.sink.Stats().Recipients >= threshold {
				var err error
				if faultAt, err = r.inject(ctx, &procs, startProc); err != nil {
					return err
				}
			}
			// After the fault the ledger is what says the run is over:
			// resends make the message count no guide.
			check = !faultAt.IsZero() && (r.sink.Stats().Recipients >= r.f.subscribers || time.Since(lastCheck) >= time.Second)
		}
		if check {
			lastCheck = time.Now()
			var err error
			if counts, err = r.st.DeliveryCounts(ctx, item); err != nil {
				return err
			}
			if allFinal(counts[syndicate.ChannelEmail]) {
				if r.f.chaos != "" {
					r.res.Chaos.FinalAfterFaultMS = ms(time.Since(faultAt))
				}
				break
			}
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			if r.sink == nil {
				return fmt.Errorf("wait for the emails (ledger: %v): %w", counts[syndicate.ChannelEmail], err)
			}
			return fmt.Errorf("wait for the emails (%d of %d arrived): %w", r.sinkCount(), r.f.subscribers, err)
		}
	}

	// Figures of the workers.
	fr := &r.res.Full
	fr.FanOutMS = ms(fanOutEnd.Sub(start))
	var stmts int64
	if stopLocal != nil {
		cpu, err := bench.SelfCPU()
		if err != nil {
			return err
		}
		if err := stopWorkers(); err != nil {
			return err
		}
		rss, err := bench.PeakRSS(os.Getpid())
		if err != nil {
			return err
		}
		fr.PeakRSSBytes, fr.PeakRSSScope = rss, "this process (worker, SMTP servers and embedded Redis together)"
		fr.CPUScope = "this process (worker, SMTP servers and embedded Redis together)"
		fr.CPUPerMsgUS = float64(cpu-cpuBefore) / 1e3
		stmts = r.st.Statements()
	} else {
		if err := stopWorkers(); err != nil {
			return err
		}
		var cpu time.Duration
		for _, p := range procs {
			ru, ok := p.cmd.ProcessState.SysUsage().(*syscall.Rusage)
			if !ok {
				return errors.New("the workers' resource usage is not available on this system")
			}
			cpu += bench.RusageCPU(ru)
			if r.res.Chaos != nil {
				r.res.Chaos.Requeued += countLines(p.log.Name(), requeuedLog)
			}
			if p.killed {
				continue // killed before it could write its statements and peak RSS
			}
			b, err := os.ReadFile(p.stats)
			if err != nil {
				return fmt.Errorf("read worker stats: %w", err)
			}
			var ws workerStats
			if err := json.Unmarshal(b, &ws); err != nil {
				return fmt.Errorf("read worker stats: %w", err)
			}
			stmts += ws.Statements
			fr.PeakRSSBytes = max(fr.PeakRSSBytes, ws.PeakRSS)
		}
		fr.PeakRSSScope, fr.CPUScope = "the largest worker process", "all worker processes, from start to exit"
		fr.CPUPerMsgUS = float64(cpu) / 1e3
	}
	ds, err := r.st.Deliveries(ctx, item)
	if err != nil {
		return err
	}
	var first, last time.Time
	for _, d := range ds {
		if d.Status == syndicate.StatusSent {
			fr.Sent++
			if first.IsZero() || d.UpdatedAt.Before(first) {
				first = d.UpdatedAt
			}
			if d.UpdatedAt.After(last) {
				last = d.UpdatedAt
			}
		}
	}
	if r.sink != nil {
		s := r.sink.Stats()
		first, last = s.First, s.Last
		r.res.MessageBytes = len(r.sink.Sample())
		r.res.Correct.Recipients, r.res.Correct.Duplicates = s.Recipients, s.Duplicates
		if ch := r.res.Chaos; ch != nil {
			ch.Resent, ch.OtherIDs, ch.Missing = s.Resent, s.OtherIDs, r.f.subscribers-s.Recipients
		}
	}
	if fr.Sent > 0 {
		fr.CPUPerMsgUS /= float64(fr.Sent)
		fr.StatementsPerMsg = float64(stmts) / float64(fr.Sent)
		fr.PublishToFirstMS, fr.PublishToLastMS = ms(first.Sub(start)), ms(last.Sub(start))
		fr.MsgsPerSec = float64(fr.Sent) / last.Sub(start).Seconds()
		fr.FanOutShare = fr.FanOutMS / fr.PublishToLastMS
	}
	if err := r.redisBytes(ctx, item); err != nil {
		return err
	}
	c := &r.res.Correct
	c.LedgerFinal = allFinal(counts[syndicate.ChannelEmail])
	switch {
	case fr.Sent != r.f.subscribers:
		c.Problem = fmt.Sprintf("%d of %d subscribers were sent the email (ledger: %v)", fr.Sent, r.f.subscribers, counts[syndicate.ChannelEmail])
	case r.res.Chaos != nil && r.res.Chaos.OtherIDs > 0:
		c.Problem = fmt.Sprintf("%d emails went to a subscriber a second time with a different Message-ID", r.res.Chaos.OtherIDs)
	case r.res.Chaos == nil && r.sink != nil && c.Duplicates > 0:
		c.Problem = fmt.Sprintf("%d emails went to a subscriber a second time", c.Duplicates)
	case r.sink != nil && c.Recipients != r.f.subscribers:
		c.Problem = fmt.Sprintf("%d of %d subscribers got an email", c.Recipients, r.f.subscribers)
	default:
		c.OK = true
	}
	return nil
}

// inject breaks what --chaos names, and returns when it did; with kill,
// the killed worker stays in procs (for its CPU time) and its replacement
// is added.
func (r *benchRun) inject(ctx context.Context, procs *[]*workerProc, startProc func(string, ...string) (*workerProc, error)) (time.Time, error) {
	ch := r.res.Chaos
	ch.FaultAfter = r.sink.Stats().Recipients
	at := time.Now()
	switch r.f.chaos {
	case bench.ChaosKill:
		var victim *workerProc
		for _, p := range *procs {
			if !p.killed {
				victim = p
				break
			}
		}
		if victim == nil {
			return at, errors.New("no worker left to kill")
		}
		if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			return at, fmt.Errorf("kill worker %d: %w", victim.cmd.Process.Pid, err)
		}
		victim.killed = true
		// Its exit status is the SIGKILL just sent.
		if err := victim.cmd.Wait(); err == nil {
			return at, fmt.Errorf("worker %d outlived SIGKILL", victim.cmd.Process.Pid)
		}
		n := len(*procs)
		stats := filepath.Join(r.dir, fmt.Sprintf("worker-%d.json", n))
		p, err := startProc(fmt.Sprintf("worker-%d", n), "worker", "--stats", stats)
		if err != nil {
			return at, err
		}
		p.stats = stats
		*procs = append(*procs, p)
	case bench.ChaosRedisLoss:
		if err := r.redis.Kill(); err != nil {
			return at, err
		}
		if err := r.redis.Restart(); err != nil {
			return at, err
		}
		if err := bench.WaitRedis(ctx, r.redis.Addr()); err != nil {
			return at, err
		}
	case bench.ChaosFailover:
		if err := r.sentinel.Failover(ctx); err != nil {
			return at, err
		}
	}
	ch.RecoveryMS = ms(time.Since(at))
	fmt.Fprintf(r.stderr, "syndicate: bench: %s after %d of %d emails (took %.0f ms)\n", r.f.chaos, ch.FaultAfter, r.f.subscribers, ch.RecoveryMS)
	return at, nil
}

func (r *benchRun) sinkCount() int {
	if r.sink == nil {
		return 0
	}
	return r.sink.Stats().Messages
}

// redisBytes measures what the run's email tasks hold in Redis: MEMORY
// USAGE of each task's hash on a real server; on the embedded one, which
// lacks the command, the bytes of its fields and values.
func (r *benchRun) redisBytes(ctx context.Context, item string) error {
	var (
		cursor uint64
		keys   []string
	)
	for {
		ks, next, err := r.rc.Scan(ctx, cursor, "asynq:{"+jobs.QueueDefault+"}:t:email:"+item+":*", 1000).Result()
		if err != nil {
			return fmt.Errorf("list the email tasks in redis: %w", err)
		}
		keys = append(keys, ks...)
		if cursor = next; cursor == 0 {
			break
		}
	}
	if len(keys) == 0 {
		return nil
	}
	fr := &r.res.Full
	fr.EmailsPerTask = float64(r.f.subscribers) / float64(len(keys))
	var total int64
	fr.RedisBytesScope = "MEMORY USAGE of each task's hash"
	if r.res.Redis == "embedded" {
		fr.RedisBytesScope += ", as the embedded Redis estimates it"
	}
	for _, k := range keys {
		n, err := r.rc.MemoryUsage(ctx, k).Result()
		if err != nil {
			fr.RedisBytesScope = "bytes of each task hash's fields and values (the embedded Redis has no MEMORY USAGE)"
			h, herr := r.rc.HGetAll(ctx, k).Result()
			if herr != nil {
				return fmt.Errorf("read task %s: %w", k, herr)
			}
			n = 0
			for f, v := range h {
				n += int64(len(f) + len(v))
			}
		}
		total += n
	}
	fr.RedisBytesPerTask = float64(total) / float64(len(keys))
	return nil
}

// baseline writes the template of the message the full path sent and runs
// the go-mail baseline in a child process, so its CPU time and memory are
// its own.
func (r *benchRun) baseline(ctx context.Context) error {
	tpl, err := bench.ParseTemplate(r.sink.Sample())
	if err != nil {
		return err
	}
	size, err := tpl.Size()
	if err != nil {
		return fmt.Errorf("render the baseline message: %w", err)
	}
	b, err := json.Marshal(tpl)
	if err != nil {
		return fmt.Errorf("encode the baseline message: %w", err)
	}
	tplFile := filepath.Join(r.dir, "baseline.json")
	if err := os.WriteFile(tplFile, b, 0o600); err != nil {
		return fmt.Errorf("write the baseline message: %w", err)
	}
	twin, err := bench.StartDiscard(false)
	if err != nil {
		return fmt.Errorf("start the baseline smtp server: %w", err)
	}
	defer twin.Close()
	exe, err := self()
	if err != nil {
		return fmt.Errorf("find this program to run the baseline: %w", err)
	}
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, exe, "bench-baseline", "--addr", twin.Addr(), "--template", tplFile,
		"--messages", strconv.Itoa(r.f.subscribers), "--connections", strconv.Itoa(r.f.connections))
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("run the baseline: %w: %s", err, strings.TrimSpace(errb.String()))
	}
	var br struct {
		ElapsedNS    int64 `json:"elapsed_ns"`
		PeakRSSBytes int64 `json:"peak_rss_bytes"`
	}
	if err := json.Unmarshal(out.Bytes(), &br); err != nil {
		return fmt.Errorf("read the baseline's result: %w", err)
	}
	s := twin.Stats()
	if s.Messages != r.f.subscribers {
		return fmt.Errorf("the baseline server got %d of %d messages", s.Messages, r.f.subscribers)
	}
	res := &baselineResult{Sent: s.Messages, MessageBytes: size, MsgsPerSec: float64(s.Messages) / time.Duration(br.ElapsedNS).Seconds()}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		res.CPUPerMsgUS = float64(bench.RusageCPU(ru)) / 1e3 / float64(s.Messages)
	}
	res.PeakRSSBytes = br.PeakRSSBytes
	r.res.Baseline = res
	if res.MsgsPerSec > 0 {
		r.res.Ratio = r.res.Full.MsgsPerSec / res.MsgsPerSec
	}
	return nil
}

func (a *app) benchBaselineCmd() *cobra.Command {
	var (
		addr, tplFile string
		n, conns      int
	)
	c := &cobra.Command{
		Use:    "bench-baseline",
		Short:  "The raw go-mail sender `syndicate bench` runs as a child process",
		Hidden: true,
		Args:   args(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := os.ReadFile(tplFile)
			if err != nil {
				return fmt.Errorf("read the baseline message: %w", err)
			}
			var tpl bench.Template
			if err := json.Unmarshal(b, &tpl); err != nil {
				return fmt.Errorf("read the baseline message %s: %w", tplFile, err)
			}
			d, err := bench.Baseline(a.ctx, addr, tpl, n, conns)
			if err != nil {
				return err
			}
			// The peak is read here, of this program's own memory: the
			// rusage a parent reads of a child it forked counts the
			// parent's memory at the fork too (see workerStats.PeakRSS).
			rss, err := bench.PeakRSS(os.Getpid())
			if err != nil {
				return err
			}
			return json.NewEncoder(a.stdout).Encode(map[string]int64{"elapsed_ns": d.Nanoseconds(), "peak_rss_bytes": rss})
		},
	}
	c.Flags().StringVar(&addr, "addr", "", "host:port of the SMTP server")
	c.Flags().StringVar(&tplFile, "template", "", "JSON file of the message to send")
	c.Flags().IntVar(&n, "messages", 0, "how many messages")
	c.Flags().IntVar(&conns, "connections", 1, "how many connections")
	return c
}

// print writes the result as a table or, with --json, as JSON.
func (r *benchRun) print(w io.Writer) error {
	res := r.res
	if r.f.json {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	fr := res.Full
	fmt.Fprintf(w, "%d subscribers, %s, %s, %s redis, %d connections, %d worker process(es), %s build; seeding took %.1fs\n",
		res.Subscribers, res.Mode, res.Database, res.Redis, res.Connections, res.Workers, res.Build, res.SeedSeconds)
	fmt.Fprintf(w, "%-34s %14s %14s\n", "", "syndicate", "raw go-mail")
	bl := func(f func(*baselineResult) string) string {
		if res.Baseline == nil {
			return "-"
		}
		return f(res.Baseline)
	}
	fmt.Fprintf(w, "%-34s %14.0f %14s\n", "messages per second", fr.MsgsPerSec, bl(func(b *baselineResult) string { return fmt.Sprintf("%.0f", b.MsgsPerSec) }))
	fmt.Fprintf(w, "%-34s %14d %14s\n", "message size (bytes)", res.MessageBytes, bl(func(b *baselineResult) string { return strconv.Itoa(b.MessageBytes) }))
	fmt.Fprintf(w, "%-34s %14.0f %14s\n", "CPU per message (µs)", fr.CPUPerMsgUS, bl(func(b *baselineResult) string { return fmt.Sprintf("%.0f", b.CPUPerMsgUS) }))
	fmt.Fprintf(w, "%-34s %14.1f %14s\n", "peak RSS (MB)", float64(fr.PeakRSSBytes)/1e6, bl(func(b *baselineResult) string { return fmt.Sprintf("%.1f", float64(b.PeakRSSBytes)/1e6) }))
	if res.Baseline != nil {
		fmt.Fprintf(w, "ratio: %.2f×\n", res.Ratio)
	}
	fmt.Fprintf(w, "publish → first email: %.0f ms; → last email: %.0f ms\n", fr.PublishToFirstMS, fr.PublishToLastMS)
	fmt.Fprintf(w, "fan-out: %.0f ms, %.1f%% of send time\n", fr.FanOutMS, 100*fr.FanOutShare)
	fmt.Fprintf(w, "database statements per message: %.2f\n", fr.StatementsPerMsg)
	fmt.Fprintf(w, "redis bytes per queued task: %.0f (%.0f emails per task; %s)\n", fr.RedisBytesPerTask, fr.EmailsPerTask, fr.RedisBytesScope)
	fmt.Fprintf(w, "peak RSS is of %s; CPU is of %s\n", fr.PeakRSSScope, fr.CPUScope)
	if ch := res.Chaos; ch != nil {
		fmt.Fprintf(w, "chaos %s after %d of %d emails (the fault took %.1f s; reconcile grace %s, interval %s)\n",
			ch.Mode, ch.FaultAfter, res.Subscribers, ch.RecoveryMS/1e3, ch.Grace, ch.Interval)
		fmt.Fprintf(w, "  resent with the same Message-ID: %d; with another Message-ID: %d; missing: %d\n", ch.Resent, ch.OtherIDs, ch.Missing)
		fmt.Fprintf(w, "  ledger all final %.1f s after the fault; the reconciler queued %d tasks again\n", ch.FinalAfterFaultMS/1e3, ch.Requeued)
	}
	switch {
	case res.Correct.OK && r.sink == nil:
		fmt.Fprintln(w, "correct: every subscriber's ledger row is sent (what the relay received is not counted)")
	case res.Correct.OK && res.Chaos != nil:
		fmt.Fprintln(w, "correct: each subscriber got the email, resends only with the same Message-ID; every ledger row is final")
	case res.Correct.OK:
		fmt.Fprintln(w, "correct: each subscriber got one email; every ledger row is final")
	}
	return nil
}

// allFinal reports whether every row counted is final (and there is one).
func allFinal(byStatus map[syndicate.DeliveryStatus]int) bool {
	n := 0
	for st, c := range byStatus {
		if !st.Final() && c > 0 {
			return false
		}
		n += c
	}
	return n > 0
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// requeuedLog is what the reconciler logs for each task it queues again
// (jobs.Reconciler.Run).
const requeuedLog = "queued again a task the queue had lost"

// countLines counts the lines of a log file that contain s.
func countLines(path, s string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return strings.Count(string(b), s)
}

// tail is the end of a log file, for an error message.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return path
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return strings.TrimSpace(string(b))
}

// self is this program, to run as a worker or the baseline: the name it
// was started by when that is found (a test binary standing in for
// syndicate is one only under its name), else the executable itself.
func self() (string, error) {
	if p, err := exec.LookPath(os.Args[0]); err == nil {
		return p, nil
	}
	return os.Executable()
}
