package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"syndicate"
	"syndicate/article"
	"syndicate/channels/bluesky"
	"syndicate/channels/email"
	"syndicate/channels/mastodon"
	"syndicate/channels/outbox"
	"syndicate/channels/webhook"
	"syndicate/channels/x"
	"syndicate/config"
	"syndicate/internal/redact"
	"syndicate/jobs"
	"syndicate/metrics"
	"syndicate/store"
	"syndicate/summary"
	"syndicate/templates"
)

// app is one invocation of the program: its environment and streams.
type app struct {
	ctx        context.Context
	getenv     func(string) string
	stdin      io.Reader
	stdout     io.Writer
	stderr     io.Writer
	configPath string
	cfgSet     bool
	logLevel   string
	urls       []string         // the configured URLs, whose secrets are never printed
	metrics    *metrics.Metrics // the process's metrics, once serve has made them; nil: none
}

// run is the whole program; main only calls it.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	a := &app{ctx: ctx, getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "syndicate",
		Short: "Turn published articles into email digests and social posts",
		Long: `syndicate turns every published article into an email to its subscribers and
one post per social network (X, Mastodon, Bluesky), through a job queue on
Redis, recording every delivery in a ledger so nothing is sent twice.

Configuration comes from --config (default syndicate.yaml if present) and
SYNDICATE_* environment variables; see the README.`,
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			a.cfgSet = cmd.Flags().Changed("config")
			return checkReader(cmd)
		},
	}
	root.SetArgs(args[1:])
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetContext(ctx)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{msg: err.Error()} })
	root.PersistentFlags().StringVar(&a.configPath, "config", "syndicate.yaml", "configuration file")
	root.PersistentFlags().StringVar(&a.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	root.CompletionOptions.DisableDefaultCmd = true
	// The commands that take articles in, which a sendonly build cannot read.
	// serve refuses its api role by itself: its worker and scheduler roles
	// read none.
	readers := []*cobra.Command{a.demoCmd(), a.publishCmd(), a.previewCmd(), a.feedsCmd()}
	for _, c := range readers {
		c.Annotations = map[string]string{readsArticles: "yes"}
	}
	root.AddCommand(readers...)
	root.AddCommand(
		a.serveCmd(),
		a.workerCmd(),
		a.statusCmd(),
		a.retryCmd(),
		a.sendCmd(),
		a.cancelCmd(),
		a.repairCmd(),
		a.subscribersCmd(),
		a.configCmd(),
		a.benchCmd(),
		a.benchBaselineCmd(),
		a.adminCmd(),
		a.bouncesCmd(),
		a.suppressionsCmd(),
	)
	if err := root.Execute(); err != nil {
		return &secretError{err: err, urls: a.urls}
	}
	return nil
}

// readsArticles is the annotation of a command that reads articles.
const readsArticles = "reads-articles"

// haveReader says whether this build reads articles: false in a sendonly
// build (see article.FullReader). A variable so that a test can be one.
var haveReader = article.FullReader

// checkReader refuses a command that reads articles (or one under it) in
// a build without the reader.
func checkReader(cmd *cobra.Command) error {
	if haveReader {
		return nil
	}
	for c := cmd; c != nil; c = c.Parent() {
		if c.Annotations[readsArticles] != "" {
			return noReader(cmd.CommandPath())
		}
	}
	return nil
}

// noReader is the refusal of what reads articles in a sendonly build.
func noReader(what string) error {
	return fmt.Errorf("%s reads articles, and this syndicate was built with -tags sendonly, which leaves the article reader out; it is for workers that only send: run it from a build without the tag", what)
}

// args checks the count of positional arguments, as a usage error.
func args(n int, names string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if len(a) != n {
			return usagef("%s takes %s (see --help)", cmd.CommandPath(), names)
		}
		return nil
	}
}

func (a *app) config() (config.Config, error) {
	cfg, err := config.Load(a.configPath, a.cfgSet, a.getenv)
	if err == nil {
		a.urls = cfg.URLs()
	}
	return cfg, err
}

// logger writes to stderr, with the secrets of the configured URLs masked
// in every message and attribute.
func (a *app) logger() *slog.Logger {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(a.logLevel)); err != nil {
		lv = slog.LevelInfo
	}
	return slog.New(redactHandler{slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: lv}), a.urls})
}

// redactHandler masks the secrets of urls in what it passes on.
type redactHandler struct {
	slog.Handler
	urls []string
}

func (h redactHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, redact.String(r.Message, h.urls...), r.PC)
	r.Attrs(func(at slog.Attr) bool {
		out.AddAttrs(h.attr(at))
		return true
	})
	return h.Handler.Handle(ctx, out)
}

func (h redactHandler) WithAttrs(as []slog.Attr) slog.Handler {
	masked := make([]slog.Attr, len(as))
	for i, at := range as {
		masked[i] = h.attr(at)
	}
	return redactHandler{h.Handler.WithAttrs(masked), h.urls}
}

func (h redactHandler) WithGroup(name string) slog.Handler {
	return redactHandler{h.Handler.WithGroup(name), h.urls}
}

// attr masks at's value; an error or any other value is masked as text.
func (h redactHandler) attr(at slog.Attr) slog.Attr {
	v := at.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(at.Key, redact.String(v.String(), h.urls...))
	case slog.KindAny:
		if s := fmt.Sprint(v.Any()); redact.String(s, h.urls...) != s {
			return slog.String(at.Key, redact.String(s, h.urls...))
		}
	case slog.KindGroup:
		as := v.Group()
		masked := make([]any, len(as))
		for i, a := range as {
			masked[i] = h.attr(a)
		}
		return slog.Group(at.Key, masked...)
	}
	return at
}

// openStore opens the database of cfg.
func (a *app) openStore(cfg config.Config) (*store.Store, error) {
	st, err := store.Open(a.ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	return st, nil
}

// openRedis connects to cfg's Redis and checks that it answers.
func (a *app) openRedis(cfg config.Config) (redis.UniversalClient, error) {
	c, where, err := newRedisClient(cfg.RedisURL)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(a.ctx, 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		return nil, fmt.Errorf("cannot reach Redis at %s: %w", where, err)
	}
	return c, nil
}

// handler wires the job handlers from cfg: every channel with credentials
// is on, and the outbox channel when an outbox folder is set.
func (a *app) handler(cfg config.Config, st *store.Store, q jobs.Enqueuer, rc redis.UniversalClient) (*jobs.Handler, error) {
	tpl, err := templates.New(cfg.TemplatesDir)
	if err != nil {
		return nil, err
	}
	h := &jobs.Handler{
		Store:     st,
		Queue:     q,
		Posters:   map[syndicate.Channel]jobs.Poster{},
		Templates: tpl,
		Composer:  composer(cfg, tpl),
		Log:       a.logger(),
		From:      cfg.From,
		Brand:     brand(cfg),
		Secret:    cfg.Secret,
		BatchSize: cfg.BatchSize,
		MaxRetry:  cfg.MaxRetry,

		UnsubscribeMailto: cfg.UnsubscribeMailto,
		ConfirmTTL:        time.Duration(cfg.ConfirmTTL),
		FullContent:       cfg.Email.FullContent,
		Archive:           cfg.Archive.On(),
		VERPDomain:        cfg.Bounces.VERPDomain,
	}
	if a.metrics != nil {
		h.Metrics, h.FeedMetrics = a.metrics, a.metrics
	}
	if cfg.X.Enabled() {
		xc, err := x.New(x.Config{
			API:            cfg.X.API,
			APIURL:         cfg.X.APIURL,
			ConsumerKey:    cfg.X.ConsumerKey,
			ConsumerSecret: cfg.X.ConsumerSecret,
			AccessToken:    cfg.X.AccessToken,
			AccessSecret:   cfg.X.AccessSecret,
		})
		if err != nil {
			return nil, err
		}
		var _ jobs.Poster = xc
		h.Posters[syndicate.ChannelX] = xc
	}
	if cfg.Mastodon.Enabled() {
		mc, err := mastodon.New(mastodon.Config{URL: cfg.Mastodon.URL, Token: cfg.Mastodon.Token, Visibility: cfg.Mastodon.Visibility})
		if err != nil {
			return nil, err
		}
		var _ jobs.Poster = mc
		var _ jobs.Limiter = mc
		h.Posters[syndicate.ChannelMastodon] = mc
	}
	if cfg.Bluesky.Enabled() {
		images := contentFetcher(cfg) // an article's image is content; the PDS is not
		images.MaxBytes = bluesky.DefaultMaxImageBytes
		var _ bluesky.Fetcher = images
		bc, err := bluesky.New(bluesky.Config{URL: cfg.Bluesky.URL, Handle: cfg.Bluesky.Handle, AppPassword: cfg.Bluesky.AppPassword, Images: images})
		if err != nil {
			return nil, err
		}
		var _ jobs.Poster = bc
		h.Posters[syndicate.ChannelBluesky] = bc
	}
	if ts := webhookTargets(cfg); len(ts) > 0 {
		wc, err := webhook.New(webhook.Config{Targets: ts, AllowPrivate: cfg.Webhook.AllowPrivate, Receipts: st})
		if err != nil {
			return nil, err
		}
		h.Posters[syndicate.ChannelWebhook] = wc
	}
	h.Caps = map[syndicate.Channel]int{
		syndicate.ChannelX:        cfg.X.Posting.MaxPostsPerDay,
		syndicate.ChannelMastodon: cfg.Mastodon.Posting.MaxPostsPerDay,
		syndicate.ChannelBluesky:  cfg.Bluesky.Posting.MaxPostsPerDay,
		syndicate.ChannelWebhook:  cfg.Webhook.Posting.MaxPostsPerDay,
	}
	h.Location = cfg.Digests.Location()
	if len(cfg.Feeds) > 0 && haveReader {
		h.Feeds = feedPoller{newPoller(cfg, st, q, h.Log)}
	}
	if cfg.OutboxDir != "" {
		ob, err := outbox.New(cfg.OutboxDir, buildEmail)
		if err != nil {
			return nil, err
		}
		h.Posters[syndicate.ChannelOutbox] = ob
	}
	if cfg.SMTPURL != "" {
		// A worker keeps one connection per concurrent batch open between
		// batches, so a batch does not pay for a connection and a login.
		ec := email.Config{URL: cfg.SMTPURL, Rate: cfg.SMTP.Rate, Burst: cfg.SMTP.Burst, MaxConns: cfg.SMTP.MaxConns, KeepIdle: cfg.Concurrency}
		if cfg.SMTP.Rate > 0 && cfg.SMTP.RateScope == "installation" {
			if ec.Pacer, err = email.NewRedisRate(rc, smtpRateKey, cfg.SMTP.Rate, cfg.SMTP.Burst); err != nil {
				return nil, err
			}
		}
		if a.metrics != nil {
			ec.Observer = a.metrics
		}
		if cfg.SMTP.MaxConns > 0 && cfg.SMTP.MaxConnsScope == "installation" {
			if ec.Conns, err = email.NewRedisConns(rc, smtpConnsKey, cfg.SMTP.MaxConns); err != nil {
				return nil, err
			}
		}
		if cfg.SMTP.DKIMKeyFile != "" {
			ec.DKIM = &email.DKIMConfig{Domain: cfg.SMTP.DKIMDomain, Selector: cfg.SMTP.DKIMSelector, KeyFile: cfg.SMTP.DKIMKeyFile}
		}
		m, err := email.New(ec)
		if err != nil {
			return nil, err
		}
		var _ jobs.Mailer = m
		h.Mailer = m
	}
	return h, nil
}

// smtpRateKey is where Redis keeps the installation's smtp.rate budget.
const smtpRateKey = "syndicate:smtp:rate"

// smtpConnsKey is where Redis keeps the leases of the installation's
// smtp.max_connections budget.
const smtpConnsKey = "syndicate:smtp:conns"

func brand(cfg config.Config) templates.Brand {
	return templates.Brand{
		Name:    cfg.Brand.Name,
		Address: cfg.Brand.Address,
		LogoURL: cfg.Brand.LogoURL,
		Color:   cfg.Brand.Color,
		BaseURL: cfg.BaseURL,
		SiteURL: cfg.Brand.SiteURL,
	}
}

// server builds the asynq server that runs h.
func server(rc redis.UniversalClient, cfg config.Config, log *slog.Logger) *asynq.Server {
	return asynq.NewServerFromRedisClient(rc, asynq.Config{
		Concurrency: cfg.Concurrency,
		// asynq looks again this long after finding the queue empty (1s by
		// default): the wait before a published article's fan-out starts,
		// and so before its first email. 40 looks a second cost an idle
		// worker a few hundred microseconds of Redis time.
		TaskCheckInterval: 25 * time.Millisecond,
		Queues:            workerQueues(haveReader),
		RetryDelayFunc:    jobs.RetryDelay(time.Duration(cfg.RetryBase)),
		IsFailure:         jobs.IsFailure,
		// Jobs still running stopTimeout after a signal are handed back to
		// the queue (the ledger makes running one again safe), so that the
		// process ends within shutdownGrace.
		ShutdownTimeout: stopTimeout,
		Logger:          asynqLogger{log},
		LogLevel:        asynq.WarnLevel,
	})
}

// workerQueues are the queues a worker takes tasks from, by weight. A
// worker that cannot read articles (a sendonly build) leaves the feed
// polls to those that can; the others take them a tenth of the time when
// both queues wait, enough for polls that are few and short.
func workerQueues(reads bool) map[string]int {
	q := map[string]int{jobs.QueueDefault: 9}
	if reads {
		q[jobs.QueueFeeds] = 1
	}
	return q
}

// asynqLogger routes asynq's logs to slog.
type asynqLogger struct{ l *slog.Logger }

func (l asynqLogger) Debug(args ...any) { l.l.Debug(fmt.Sprint(args...)) }
func (l asynqLogger) Info(args ...any)  { l.l.Info(fmt.Sprint(args...)) }
func (l asynqLogger) Warn(args ...any)  { l.l.Warn(fmt.Sprint(args...)) }
func (l asynqLogger) Error(args ...any) { l.l.Error(fmt.Sprint(args...)) }
func (l asynqLogger) Fatal(args ...any) { l.l.Error(fmt.Sprint(args...)); os.Exit(1) }

// splitList splits a comma-separated flag value.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// buildEmail is the email channel's builder, so the outbox writes exactly
// what SMTP would carry.
func buildEmail(m syndicate.Message) (io.WriterTo, error) { return email.Build(m) }

// composer writes posts from the configured templates, with each channel's
// UTM parameters.
func composer(cfg config.Config, tpl *templates.Set) jobs.Composer {
	utm := func(u config.UTM) summary.UTM {
		return summary.UTM{Source: u.Source, Medium: u.Medium, Campaign: u.Campaign}
	}
	return jobs.Composer{Templates: tpl, UTM: map[syndicate.Channel]summary.UTM{
		syndicate.ChannelX:        utm(cfg.X.Posting.UTM),
		syndicate.ChannelMastodon: utm(cfg.Mastodon.Posting.UTM),
		syndicate.ChannelBluesky:  utm(cfg.Bluesky.Posting.UTM),
		syndicate.ChannelWebhook:  utm(cfg.Webhook.Posting.UTM),
	}}
}

// postsOf returns a function that writes the post of art for a channel as
// a worker would (without asking a Mastodon instance for its limit: the
// default 500 is used), loading the templates once.
func postsOf(cfg config.Config, art syndicate.Article) (func(syndicate.Channel) (syndicate.Post, error), error) {
	tpl, err := templates.New(cfg.TemplatesDir)
	if err != nil {
		return nil, err
	}
	c := composer(cfg, tpl)
	return func(ch syndicate.Channel) (syndicate.Post, error) {
		p, err := c.Post(art, ch, jobs.Limits(ch))
		if err != nil && p.Text == "" {
			return p, err
		}
		return p, nil // a post over the limit is still shown; the worker refuses it
	}, nil
}
