package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"syndicate"
	"syndicate/article"
	"syndicate/channels/outbox"
	"syndicate/config"
	"syndicate/jobs"
	"syndicate/signed"
	"syndicate/store"
	"syndicate/templates"
)

// articleFlags are the overrides publish and preview share.
type articleFlags struct {
	url, title, tags string
}

func (f *articleFlags) add(c *cobra.Command) {
	c.Flags().StringVar(&f.url, "url", "", "the article's canonical URL (overrides the file)")
	c.Flags().StringVar(&f.title, "title", "", "the article's title (overrides the file)")
	c.Flags().StringVar(&f.tags, "tags", "", "comma-separated tags (override the file)")
}

// readArticle parses the article named by the argument: a file, "-" for
// stdin, or the URL of a web page, fetched by the content fetcher. It
// also returns what an editor should check before publishing (see
// article.Warning).
func (a *app) readArticle(cfg config.Config, name string, f articleFlags) (syndicate.Article, []string, error) {
	var warnings []string
	o := article.Options{URL: f.url, Title: f.title, Now: time.Now, Warn: func(w article.Warning) {
		warnings = append(warnings, w.String())
	}}
	if f.tags != "" {
		o.Tags = splitList(f.tags)
	}
	var (
		art syndicate.Article
		err error
	)
	switch {
	case name == "-":
		art, err = article.Parse("-", a.stdin, o)
	case strings.HasPrefix(name, "https://") || strings.HasPrefix(name, "http://"):
		fc := contentFetcher(cfg)
		fc.MaxBytes = article.MaxPageSize
		resp, ferr := fc.Get(a.ctx, name, http.Header{"Accept": {"text/html,application/xhtml+xml"}})
		if ferr != nil {
			return syndicate.Article{}, nil, ferr
		}
		if resp.Status < 200 || resp.Status > 299 {
			return syndicate.Article{}, nil, syndicate.Errorf(syndicate.EINVALID, "fetch %s: the server answered %d", name, resp.Status)
		}
		art, err = article.FromPage(resp.Body, resp.URL, o)
	default:
		art, err = article.ParseFile(name, o)
	}
	if err != nil {
		return syndicate.Article{}, nil, err
	}
	return art, warnings, nil
}

func (a *app) publishCmd() *cobra.Command {
	var (
		f       articleFlags
		wait    bool
		dryRun  bool
		timeout time.Duration
		atFlag  string
	)
	c := &cobra.Command{
		Use:   "publish FILE|-",
		Short: "Publish an article: queue its posts and emails",
		Long: `publish reads an article (.md with YAML front matter, .json, .txt as scraped
from a page, .html, or - for standard input), stores it and queues its
delivery: one post per enabled channel and the instant email to every
instant subscriber. The article's ID comes from its canonical URL, so
publishing the same article again sends nothing new.

With --wait it returns when every delivery is final, printing progress, and
exits 1 if any failed. With --at every delivery waits until that time
(syndicate cancel withdraws it before then). With --dry-run nothing is
stored or queued: the posts and a sample email are written to the outbox
folder instead.`,
		Args: args(1, "one article file, a web page's URL, or - for standard input"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			cfg, err := a.config()
			if err != nil {
				return err
			}
			art, warnings, err := a.readArticle(cfg, argv[0], f)
			if err != nil {
				return err
			}
			if len(warnings) > 0 {
				log := a.logger()
				for _, w := range warnings {
					log.Warn("check the article", "article", art.ID, "warning", w)
				}
			}
			if dryRun {
				return a.dryRun(cfg, art)
			}
			at, err := parseAt(atFlag, time.Now())
			if err != nil {
				return err
			}
			return a.publish(cfg, art, at, wait, timeout)
		},
	}
	f.add(c)
	c.Flags().BoolVar(&wait, "wait", false, "wait until every delivery is final")
	c.Flags().DurationVar(&timeout, "timeout", 30*time.Minute, "with --wait, give up after this long")
	c.Flags().BoolVar(&dryRun, "dry-run", false, "write what would be sent to the outbox folder instead")
	c.Flags().StringVar(&atFlag, "at", "", "deliver at this time: RFC 3339 (2026-12-01T08:00:00Z) or from now (+2h, +30m)")
	return c
}

func (a *app) publish(cfg config.Config, art syndicate.Article, at time.Time, wait bool, timeout time.Duration) error {
	st, err := a.openStore(cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	rc, err := a.openRedis(cfg)
	if err != nil {
		return err
	}
	defer rc.Close()
	pub := jobs.Publisher{Store: st, Queue: asynq.NewClientFromRedisClient(rc), MaxRetry: cfg.MaxRetry}
	created, err := pub.Publish(a.ctx, art, at)
	if err != nil {
		return err
	}
	switch {
	case created && at.After(time.Now()):
		fmt.Fprintf(a.stdout, "scheduled %s %q for %s\n", art.ID, art.Title, at.Format(time.RFC3339))
	case created:
		fmt.Fprintf(a.stdout, "published %s %q\n", art.ID, art.Title)
	default:
		fmt.Fprintf(a.stdout, "%s %q was already published; nothing new is sent\n", art.ID, art.Title)
	}
	if !wait {
		return nil
	}
	return a.waitFor(cfg, rc, st, art.ID, timeout)
}

// waitFor polls until the fan-out has run and every delivery of item (of
// those only keeps, when given) is final, showing progress: a bar with
// counts, rate and time left on a terminal, else a line when it changes.
// Every few seconds it also asks the reconciler whether deliveries are
// stalled (queued or sending with no task in Redis and no progress for
// the grace period), says so, and names the stall when it gives up.
func (a *app) waitFor(cfg config.Config, rc redis.UniversalClient, st *store.Store, item string, timeout time.Duration, only ...func(syndicate.Delivery) bool) error {
	ctx, cancel := context.WithTimeout(a.ctx, timeout)
	defer cancel()
	insp := asynq.NewInspectorFromRedisClient(rc)
	rec := newReconciler(cfg, rc, st, nil)
	view := newWaitView(a.stdout)
	defer view.done()
	stall := ""
	var checked time.Time
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	gaveUp := func() error {
		if a.ctx.Err() != nil {
			return a.ctx.Err()
		}
		if stall != "" {
			return fmt.Errorf("gave up waiting for %s after %s: %s", item, timeout, stall)
		}
		return fmt.Errorf("gave up waiting for %s after %s; the deliveries go on", item, timeout)
	}
	for {
		fanned, ferr := fanOutDone(ctx, insp, st, item)
		ds, err := st.Deliveries(ctx, item)
		if err != nil {
			if ctx.Err() != nil {
				return gaveUp() // the timeout cut a query short
			}
			return err
		}
		for _, keep := range only {
			ds = slices.DeleteFunc(ds, func(d syndicate.Delivery) bool { return !keep(d) })
		}
		_, done, failed := progress(ds)
		view.show(ds)
		if ferr != nil {
			if ctx.Err() != nil {
				return gaveUp()
			}
			return ferr
		}
		if fanned && done {
			if failed > 0 {
				return fmt.Errorf("%d deliveries of %s did not succeed; see syndicate status %s", failed, item, item)
			}
			return nil
		}
		if time.Since(checked) >= 2*time.Second {
			checked = time.Now()
			lost, err := rec.Stalled(ctx, item)
			if err != nil && ctx.Err() == nil {
				return err
			}
			if s := stallMessage(lost, rec.Grace); s != stall && err == nil {
				if s != "" {
					view.say(s)
				}
				stall = s
			}
		}
		select {
		case <-ctx.Done():
			return gaveUp()
		case <-tick.C:
		}
	}
}

// stallMessage says what the reconciler found stalled; "" when nothing.
func stallMessage(lost []jobs.Lost, grace time.Duration) string {
	if len(lost) == 0 {
		return ""
	}
	rows, fanOuts := 0, 0
	for _, l := range lost {
		rows += l.Deliveries
		if l.Deliveries == 0 {
			fanOuts++
		}
	}
	what := fmt.Sprintf("%d deliveries", rows)
	switch {
	case rows == 0:
		what = "the fan-out"
	case fanOuts > 0:
		what += " and the fan-out"
	}
	return fmt.Sprintf("stalled: %s queued with no task in Redis and no progress for over %s (Redis lost them?); the scheduler role queues them again, or run syndicate repair", what, grace)
}

// fanOutDone reports whether the fan-out of item has run: its publish task
// completed, or, once the task is gone, the store says it finished.
func fanOutDone(ctx context.Context, insp *asynq.Inspector, st *store.Store, item string) (bool, error) {
	info, err := insp.GetTaskInfo(jobs.QueueDefault, jobs.PublishTaskID(item))
	switch {
	case errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound):
		// Retention has passed, or Redis lost it: the store knows.
		state, err := st.FanOutState(ctx, item)
		if err != nil {
			return false, err
		}
		return state != store.FanOutPending, nil
	case err != nil:
		return false, fmt.Errorf("read the queue: %w", err)
	case info.State == asynq.TaskStateArchived:
		return false, fmt.Errorf("the fan-out of %s failed: %s", item, info.LastErr)
	}
	return info.State == asynq.TaskStateCompleted, nil
}

// progress summarises deliveries: "x: sent · email: 12/20 sent, 1 failed".
func progress(ds []syndicate.Delivery) (line string, done bool, bad int) {
	type tally struct{ total, final, sent, bad int }
	var order []syndicate.Channel
	by := map[syndicate.Channel]*tally{}
	done = true
	for _, d := range ds {
		t := by[d.Channel]
		if t == nil {
			t = &tally{}
			by[d.Channel] = t
			order = append(order, d.Channel)
		}
		t.total++
		if d.Status.Final() {
			t.final++
		} else {
			done = false
		}
		switch d.Status {
		case syndicate.StatusSent, syndicate.StatusDuplicate, syndicate.StatusSkipped:
			t.sent++
		case syndicate.StatusFailed, syndicate.StatusUnknown, syndicate.StatusBounced:
			t.bad++
			bad++
		}
	}
	if len(ds) == 0 {
		return "waiting for the fan-out…", done, 0
	}
	var parts []string
	for _, ch := range order {
		t := by[ch]
		s := fmt.Sprintf("%s: %d/%d done", ch, t.final, t.total)
		if t.bad > 0 {
			s += fmt.Sprintf(", %d not delivered", t.bad)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " · "), done, bad
}

// dryRun writes each channel's post and a sample email to the outbox.
func (a *app) dryRun(cfg config.Config, art syndicate.Article) error {
	dir := cfg.OutboxDir
	if dir == "" {
		dir = "outbox"
	}
	ob, err := outbox.New(dir, buildEmail)
	if err != nil {
		return err
	}
	postOf, err := postsOf(cfg, art)
	if err != nil {
		return err
	}
	for _, ch := range []syndicate.Channel{syndicate.ChannelX, syndicate.ChannelMastodon, syndicate.ChannelBluesky} {
		p, err := postOf(ch)
		if err != nil {
			return err
		}
		path, err := ob.Post(a.ctx, p)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "%s post: %s\n", ch, path)
	}
	m, err := sampleMessage(cfg, art)
	if err != nil {
		return err
	}
	var sendErr error
	if err := ob.Send(a.ctx, []syndicate.Message{m}, func(_ int, err error) { sendErr = err }); err != nil {
		return err
	}
	if sendErr != nil {
		return sendErr
	}
	fmt.Fprintf(a.stdout, "email: %s\n", filepath.Join(dir, "mail"))
	return nil
}

// sampleMessage renders the instant email of art as a subscriber would get it.
func sampleMessage(cfg config.Config, art syndicate.Article) (syndicate.Message, error) {
	tpl, err := templates.New(cfg.TemplatesDir)
	if err != nil {
		return syndicate.Message{}, err
	}
	b := brand(cfg)
	if b.BaseURL == "" {
		b.BaseURL = "http://localhost:8080"
	}
	secret := cfg.Secret
	if secret == "" {
		secret = "preview-secret-not-for-sending"
	}
	from := cfg.From
	if from == "" {
		from = b.Name + " <newsletter@example.com>"
	}
	// A made-up handle: the sample's links name no real subscriber.
	sub := syndicate.Subscriber{ID: 1, Email: "reader@example.com", Name: "Reader", Frequency: syndicate.Instant, Status: syndicate.SubscriberActive,
		Handle: "00000000000000000000000000000001", TokenVersion: 1}
	unsub, err := signed.UnsubscribeURL(b.BaseURL, secret, sub.Handle, sub.TokenVersion)
	if err != nil {
		return syndicate.Message{}, err
	}
	prefs, err := signed.PreferencesURL(b.BaseURL, secret, sub.Handle, sub.TokenVersion)
	if err != nil {
		return syndicate.Message{}, err
	}
	now := time.Now()
	var view string
	if cfg.Archive.On() {
		view = jobs.ArchiveURL(b.BaseURL, art.ID)
	}
	e, err := tpl.RenderEmail(templates.EmailData{Brand: b, Frequency: syndicate.Instant, Articles: []syndicate.Article{art}, Subscriber: sub, UnsubscribeURL: unsub, PreferencesURL: prefs, Date: now,
		ViewURL: view, FullContent: cfg.Email.FullContent})
	if err != nil {
		return syndicate.Message{}, err
	}
	domain := "example.com"
	if i := strings.LastIndexByte(from, '@'); i >= 0 {
		domain = strings.Trim(from[i+1:], "> ")
	}
	return syndicate.Message{
		From: from, To: sub.Email, ToName: sub.Name, Subject: e.Subject, Text: e.Text, HTML: e.HTML,
		MessageID: jobs.MessageID(0, art.ID, sub.Email, domain), Date: now,
		ListID: jobs.ListID(b.Name, domain), UnsubscribeURL: unsub,
		FeedbackID: jobs.FeedbackID(art.ID, syndicate.Instant, domain),
	}, nil
}

// readAll reads at most limit bytes of r, for inputs that must be bounded.
func readAll(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, syndicate.Errorf(syndicate.EINVALID, "input is larger than %d bytes", limit)
	}
	return b, nil
}

// parseAt reads --at: an RFC 3339 time or a duration from now ("+2h").
func parseAt(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if rest, ok := strings.CutPrefix(s, "+"); ok {
		d, err := time.ParseDuration(rest)
		if err != nil || d <= 0 {
			return time.Time{}, usagef("--at %q is not a time like 2026-12-01T08:00:00Z or +2h", s)
		}
		return now.Add(d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, usagef("--at %q is not a time like 2026-12-01T08:00:00Z or +2h", s)
	}
	if t.Before(now.Add(-time.Minute)) {
		return time.Time{}, usagef("--at %s is in the past", s)
	}
	return t, nil
}
