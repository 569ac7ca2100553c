package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"syndicate"
	"syndicate/channels/email"
	"syndicate/config"
	"syndicate/internal/bench"
	"syndicate/jobs"
	"syndicate/store"
	"syndicate/web"
)

func (a *app) workerCmd() *cobra.Command {
	var o serveOptions
	c := &cobra.Command{
		Use:   "worker",
		Short: "Process jobs until SIGINT or SIGTERM",
		Long: `worker takes jobs off the queue (fan-out, posts, email batches) and runs them
until it receives SIGINT or SIGTERM; then it stops taking new jobs, lets the
running ones finish for up to 20 seconds and hands the rest back to the queue.
When it starts it queues again what the ledger waits for and Redis has lost
(see syndicate repair).`,
		Args: args(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			leanGC(haveReader, a.getenv)
			return a.serve([]string{"worker"}, o)
		},
	}
	o.metricsFlags(c)
	// For `syndicate bench`, which runs workers as child processes.
	c.Flags().StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the worker to this file")
	c.Flags().StringVar(&o.memProfile, "memprofile", "", "at exit, write an allocation profile of the worker to this file")
	c.Flags().StringVar(&o.statsFile, "stats", "", "at exit, write the worker's database statement count to this file as JSON")
	for _, f := range []string{"cpuprofile", "memprofile", "stats"} {
		if err := c.Flags().MarkHidden(f); err != nil {
			panic(err) // the flag was just defined
		}
	}
	return c
}

// Without the article reader a worker's live heap is a few dozen MB, so
// the collector's default (a cycle whenever the heap has doubled) runs it
// every few MB of garbage: a sixth of the worker's CPU at 100 000 emails.
// leanGC lets that heap grow five times over what is live, but never past
// leanHeapLimit, which keeps the process's peak RSS under 100 MB. A full
// build is left alone: the reader's tables keep about 30 MB live, against
// which the same limit would run the collector more often, not less.
// GOGC or GOMEMLIMIT in the environment win.
const (
	leanGCPercent = 400
	leanHeapLimit = 52 << 20
)

func leanGC(reader bool, getenv func(string) string) bool {
	if reader || getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return false
	}
	debug.SetGCPercent(leanGCPercent)
	debug.SetMemoryLimit(leanHeapLimit)
	return true
}

// serveOptions are the measuring hooks of a worker process.
type serveOptions struct {
	cpuProfile string // a CPU profile is written here
	memProfile string // an allocation profile is written here at exit
	statsFile  string // workerStats is written here at exit

	metricsAddr   string // where the metrics are served; empty: not on their own listener
	metricsPublic bool   // metricsAddr may be beyond loopback
}

// metricsFlags adds --metrics-addr and --metrics-public to c.
func (o *serveOptions) metricsFlags(c *cobra.Command) {
	c.Flags().StringVar(&o.metricsAddr, "metrics-addr", "", "serve Prometheus metrics at http://ADDR/metrics (a loopback address; default off)")
	c.Flags().BoolVar(&o.metricsPublic, "metrics-public", false, "allow a --metrics-addr beyond loopback (e.g. 0.0.0.0:9100 in a container)")
}

// workerStats is what a worker process tells `syndicate bench` at exit.
type workerStats struct {
	Statements int64 `json:"statements"`
	// PeakRSS is the worker's own peak resident set (VmHWM), read by the
	// worker: the rusage its parent gets at exit counts the parent's
	// memory at the fork as well (Go forks with CLONE_VM, and exec keeps
	// the larger high-water mark), which made every worker of a large
	// bench look as big as the bench.
	PeakRSS int64 `json:"peak_rss_bytes"`
}

func (a *app) serveCmd() *cobra.Command {
	var (
		roles string
		o     serveOptions
	)
	c := &cobra.Command{
		Use:   "serve",
		Short: "Run the HTTP API and the worker in one process",
		Long: `serve runs the roles given with --roles in one process:
  api        the HTTP server on SYNDICATE_HTTP_ADDR: /healthz, /readyz, the
             subscriber pages (one-click unsubscribe, preferences, sign-up
             with double opt-in) that links in the emails point to, the
             publish API (POST /v1/articles) and the Ghost and WordPress
             webhooks
  worker     the job worker (like "syndicate worker")
  scheduler  enqueues the daily and weekly digests on their cron specs
             (digests.daily, digests.weekly, in digests.timezone) and a poll
             of each feed every feed_interval; running it in several
             processes still sends each digest once and polls each feed
             once per interval; and the reconciler every
             reconcile_interval, which queues again what the ledger waits
             for and Redis has lost (see syndicate repair)`,
		Args: args(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			rs := splitList(roles)
			for _, r := range rs {
				if r != "api" && r != "worker" && r != "scheduler" {
					return usagef("unknown role %q: roles are api, worker, scheduler", r)
				}
			}
			if len(rs) == 0 {
				return usagef("--roles names no role")
			}
			if slices.Contains(rs, "api") && !haveReader {
				return noReader("syndicate serve --roles api")
			}
			return a.serve(rs, o)
		},
	}
	o.metricsFlags(c)
	c.Flags().StringVar(&roles, "roles", "api,worker,scheduler", "comma-separated roles to run: api, worker, scheduler")
	return c
}

// serve runs the roles until the context ends.
func (a *app) serve(roles []string, o serveOptions) (err error) {
	if o.metricsAddr != "" {
		if err := checkMetricsAddr(o.metricsAddr, o.metricsPublic); err != nil {
			return err
		}
	}
	cfg, err := a.config()
	if err != nil {
		return err
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return fmt.Errorf("create the CPU profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("start the CPU profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	if o.memProfile != "" {
		defer func() {
			if werr := writeMemProfile(o.memProfile); werr != nil && err == nil {
				err = werr
			}
		}()
	}
	rc, err := a.openRedis(cfg)
	if err != nil {
		return err
	}
	// A role still stopping when serve gives up keeps using Redis and the
	// store until the process exits: closing them under it would panic
	// inside asynq (and exit 2) instead of exiting 0.
	abandoned := false
	defer func() {
		if !abandoned {
			rc.Close()
		}
	}()
	st, err := a.openStore(cfg)
	if err != nil {
		return err
	}
	defer func() {
		if !abandoned {
			st.Close()
		}
	}()
	log := a.logger()
	var stops []func()
	// One set of metrics per process, whatever roles it runs: the api role
	// serves them at /metrics, --metrics-addr on a listener of their own.
	a.metrics = newMetrics(rc, st)
	if o.metricsAddr != "" {
		stop, err := serveMetrics(o.metricsAddr, a.metrics, log)
		if err != nil {
			return err
		}
		stops = append(stops, stop)
	}
	if slices.Contains(roles, "worker") {
		stop, err := a.startWorker(cfg, rc, st)
		if err != nil {
			return err
		}
		stops = append(stops, stop)
		log.Info("worker started", "concurrency", cfg.Concurrency)
	}
	if slices.Contains(roles, "scheduler") {
		stop, err := startScheduler(cfg, rc, log)
		if err != nil {
			return err
		}
		stops = append(stops, stop)
		log.Info("scheduler started", "daily", cfg.Digests.Daily, "weekly", cfg.Digests.Weekly, "timezone", cfg.Digests.Timezone)
		if n := len(cfg.Alerts.All()); n > 0 {
			stop, err := startAlerts(cfg, st, log)
			if err != nil {
				return err
			}
			stops = append(stops, stop)
			log.Info("alerts started", "targets", n, "interval", time.Duration(cfg.Alerts.Interval))
		}
		if bp := bouncePoller(cfg, st, log); bp != nil {
			stops = append(stops, runBackground(a.ctx, func(ctx context.Context) { bp.Run(ctx, time.Duration(cfg.Bounces.IMAP.Interval)) }))
			log.Info("bounce mailbox poller started", "interval", time.Duration(cfg.Bounces.IMAP.Interval))
		}
	}
	if slices.Contains(roles, "api") {
		ln, err := net.Listen("tcp", cfg.HTTPAddr)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
		}
		h := webHandler(cfg, rc, st, log, a.metrics.Handler())
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: time.Minute}
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("http server stopped", "error", err)
			}
		}()
		stops = append(stops, func() {
			ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
			defer cancel()
			if err := srv.Shutdown(ctx); err != nil {
				log.Error("http server shutdown", "error", err)
			}
		})
		log.Info("http server listening", "addr", ln.Addr().String())
	}
	<-a.ctx.Done()
	log.Info("shutting down")
	// The roles stop side by side. asynq polls an empty queue once a
	// second and notices the stop only then, so serve waits at most
	// stopWait: a job still held after that is handed back when its lease
	// expires, and the ledger makes running it again safe.
	stopped := make(chan struct{})
	go func() {
		var wg sync.WaitGroup
		for _, stop := range stops {
			wg.Go(stop)
		}
		wg.Wait()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-time.After(stopWait):
		log.Warn("not every role stopped in time; exiting anyway", "waited", stopWait)
		abandoned = true
	}
	if o.statsFile != "" {
		rss, err := bench.PeakRSS(os.Getpid())
		if err != nil {
			return fmt.Errorf("read the worker's peak memory: %w", err)
		}
		b, err := json.Marshal(workerStats{Statements: st.Statements(), PeakRSS: rss})
		if err != nil {
			return fmt.Errorf("encode worker stats: %w", err)
		}
		if err := os.WriteFile(o.statsFile, b, 0o600); err != nil {
			return fmt.Errorf("write worker stats: %w", err)
		}
	}
	return nil
}

// webHandler is the api role's HTTP handler, wired from cfg: the pages,
// the publish API and hooks, the sign-up limits in rc, and confirmation
// emails through the queue in rc.
func webHandler(cfg config.Config, rc redis.UniversalClient, st *store.Store, log *slog.Logger, metrics http.Handler) http.Handler {
	q := asynq.NewClientFromRedisClient(rc)
	perClient, total := signupLimiters(rc, cfg.Signup)
	var archive web.Archive
	if cfg.Archive.On() {
		archive = st
	}
	return web.NewServer(web.Config{
		Name: cfg.Brand.Name, BaseURL: cfg.BaseURL, Secret: cfg.Secret, Log: log,
		APIToken: cfg.APIToken, GhostSecret: cfg.GhostSecret, WordPressSecret: cfg.WordPressSecret,
		Publisher:       jobs.Publisher{Store: st, Queue: q, MaxRetry: cfg.MaxRetry},
		Articles:        st,
		SignupPerClient: perClient, SignupTotal: total, TrustedProxies: cfg.Signup.Proxies(),
		Metrics: metrics, MetricsToken: cfg.MetricsToken,
		Admin:   adminSettings(cfg, rc, st),
		Archive: archive,
		Bounces: bounceProcessor(cfg, st, log), BounceHooks: bounceHooks(cfg),
	}, st, queueConfirmer{q: q, maxRetry: cfg.MaxRetry}, ready(rc, st))
}

// startWorker starts an asynq server running the job handlers and returns
// the function that stops it gracefully.
func (a *app) startWorker(cfg config.Config, rc redis.UniversalClient, st *store.Store, tweaks ...func(*jobs.Handler)) (func(), error) {
	q := asynq.NewClientFromRedisClient(rc)
	h, err := a.handler(cfg, st, q, rc)
	if err != nil {
		return nil, err
	}
	for _, t := range tweaks {
		t(h)
	}
	mux := asynq.NewServeMux()
	mux.Use(logTasks(h.Log))
	h.Register(mux)
	rec := newReconciler(cfg, rc, st, h.Log)
	if a.metrics != nil {
		a.metrics.CountRequeued(rec.Requeued)
	}
	mux.Handle(jobs.TypeReconcile, rec)
	srv := server(rc, cfg, h.Log)
	if err := srv.Start(mux); err != nil {
		return nil, fmt.Errorf("start worker: %w", err)
	}
	// A worker starting is often one coming back after Redis did: queue
	// again what the ledger waits for and the queue has lost.
	go func() {
		if _, err := rec.Run(a.ctx, false); err != nil {
			h.Log.Error("reconcile at start", "error", err)
		}
	}()
	return func() {
		// Shutdown waits for running jobs, then hands unfinished ones back.
		srv.Shutdown()
		if m, ok := h.Mailer.(*email.Sender); ok {
			if err := m.Close(); err != nil {
				h.Log.Error("close idle smtp connections", "error", err)
			}
		}
	}, nil
}

// ready reports whether Redis and the database answer, for /readyz.
func ready(rc redis.UniversalClient, st *store.Store) func(context.Context) error {
	return func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if err := rc.Ping(ctx).Err(); err != nil {
			return syndicate.Errorf(syndicate.EINTERNAL, "redis is not reachable")
		}
		if err := st.Ping(ctx); err != nil {
			return syndicate.Errorf(syndicate.EINTERNAL, "database is not reachable")
		}
		return nil
	}
}

// queueConfirmer sends double opt-in emails through the queue, so they go
// through the ledger and SMTP's retries like every other email.
type queueConfirmer struct {
	q        *asynq.Client
	maxRetry int
}

// RequestConfirmation queues the confirmation email; the task's ID allows
// one per address per hour, so the form cannot flood an inbox.
func (c queueConfirmer) RequestConfirmation(ctx context.Context, email string) error {
	t, opts := jobs.NewConfirmTask(email, time.Now(), c.maxRetry)
	if _, err := c.q.EnqueueContext(ctx, t, opts...); err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("queue the confirmation email: %w", err)
	}
	return nil
}

// startScheduler registers the digest cron entries. A scheduler in each of
// several processes is safe: each entry's task is Unique for the minute,
// and a digest built in one minute leaves nothing new for another.
func startScheduler(cfg config.Config, rc redis.UniversalClient, log *slog.Logger) (func(), error) {
	s := asynq.NewSchedulerFromRedisClient(rc, &asynq.SchedulerOpts{
		Location: cfg.Digests.Location(),
		Logger:   asynqLogger{log},
		LogLevel: asynq.WarnLevel,
		PostEnqueueFunc: func(info *asynq.TaskInfo, err error) {
			if err != nil && !errors.Is(err, asynq.ErrDuplicateTask) {
				log.Error("schedule a periodic task", "error", err)
			}
		},
	})
	for _, e := range []struct {
		freq syndicate.Frequency
		spec string
	}{{syndicate.Daily, cfg.Digests.Daily}, {syndicate.Weekly, cfg.Digests.Weekly}} {
		if e.spec == "off" {
			continue
		}
		t, opts := jobs.NewScheduledDigestTask(e.freq, cfg.MaxRetry)
		if _, err := s.Register(e.spec, t, opts...); err != nil {
			return nil, fmt.Errorf("schedule the %s digest %q: %w", e.freq, e.spec, err)
		}
	}
	// The reconciler, once per interval however many schedulers run.
	rt, ropts := jobs.NewReconcileTask(time.Duration(cfg.ReconcileInterval))
	if _, err := s.Register("@every "+time.Duration(cfg.ReconcileInterval).String(), rt, ropts...); err != nil {
		return nil, fmt.Errorf("schedule the reconciler: %w", err)
	}
	// One task per feed per interval; Unique keeps several schedulers to one.
	interval := time.Duration(cfg.FeedInterval)
	for _, f := range cfg.Feeds {
		t, opts := jobs.NewFeedPollTask(f, interval)
		if _, err := s.Register("@every "+interval.String(), t, opts...); err != nil {
			return nil, fmt.Errorf("schedule polls of feed %s: %w", f, err)
		}
	}
	if err := s.Start(); err != nil {
		return nil, fmt.Errorf("start scheduler: %w", err)
	}
	return s.Shutdown, nil
}

// logTasks logs every task's end with its ID and type, so a log line can be
// traced to the queue (asynqmon shows the same IDs).
func logTasks(log *slog.Logger) asynq.MiddlewareFunc {
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			id, _ := asynq.GetTaskID(ctx)
			retry, _ := asynq.GetRetryCount(ctx)
			err := next.ProcessTask(ctx, t)
			if err != nil {
				log.Warn("task did not finish", "task_id", id, "type", t.Type(), "retry", retry, "error", err)
			} else {
				log.Debug("task done", "task_id", id, "type", t.Type(), "retry", retry)
			}
			return err
		})
	}
}

// writeMemProfile writes the allocation profile of the process so far
// (pprof's allocs: every sampled allocation since start) to path.
func writeMemProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create the allocation profile: %w", err)
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return fmt.Errorf("write the allocation profile: %w", err)
	}
	return f.Close()
}
