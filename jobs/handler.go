package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"

	"syndicate"
	"syndicate/signed"
	"syndicate/templates"
)

// Poster publishes one post to one social channel and returns its remote
// id. Errors are *syndicate.SendError or *syndicate.RateLimitError.
type Poster interface {
	Post(ctx context.Context, p syndicate.Post) (string, error)
}

// Mailer sends n messages over one connection, calling report once for
// every message, in order, as soon as its result is known. It asks for
// message i with msg(i) when its turn comes, and may ask again (a resend
// after a lost connection), so a batch in flight holds one rendered
// message, not a chunk of them; an error from msg(i) is message i's
// Permanent failure. It returns only the context's error.
type Mailer interface {
	SendEach(ctx context.Context, n int, msg func(i int) (syndicate.Message, error), report func(i int, err error)) error
}

// Enqueuer puts tasks on the queue; *asynq.Client is one.
type Enqueuer interface {
	EnqueueContext(ctx context.Context, t *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

// SubscriberStatusSetter records a bounce. Stores that lack it cannot
// suppress bounced addresses.
type SubscriberStatusSetter interface {
	SetSubscriberStatus(ctx context.Context, email string, status syndicate.SubscriberStatus) error
}

// Suppressions reads the suppression list. With a store that has it, an
// address on the list is never mailed, whatever its subscriber row says.
type Suppressions interface {
	// SuppressedAmong returns the suppressions of those of emails on the
	// list, keyed by syndicate.EmailKey.
	SuppressedAmong(ctx context.Context, emails []string) (map[string]syndicate.Suppression, error)
}

// SuppressionAdder puts an address on the suppression list; with a store
// that has it, an address refused during the send is put there too.
type SuppressionAdder interface {
	AddSuppression(ctx context.Context, s syndicate.Suppression) (bool, error)
}

// suppressed returns the suppressions among emails; none if the store
// keeps no list.
func (h *Handler) suppressed(ctx context.Context, emails []string) (map[string]syndicate.Suppression, error) {
	sl, ok := h.Store.(Suppressions)
	if !ok {
		return nil, nil
	}
	return sl.SuppressedAmong(ctx, emails)
}

// returnPath is the VERP envelope sender of the ledger row id, or "" (the
// From address) when no VERP domain is set.
func (h *Handler) returnPath(id int64) string {
	if h.VERPDomain == "" || id == 0 {
		return ""
	}
	return signed.VERPAddress(h.Secret, id, h.VERPDomain)
}

// ChannelStater records a channel whose credentials were refused, for
// `status` and `config check`.
type ChannelStater interface {
	SetChannelState(ctx context.Context, ch syndicate.Channel, state, reason string) error
}

// DailyCapper counts the posts a channel starts per day.
type DailyCapper interface {
	ClaimDailyPost(ctx context.Context, ch syndicate.Channel, day string, max int) (bool, error)
}

// Limiter is a poster whose limit comes from the network itself (Mastodon
// reads its instance's).
type Limiter interface {
	Limit(ctx context.Context) (maxChars, urlWeight int, err error)
}

// Handler runs the tasks. Zero fields are off: a nil Mailer sends no email,
// a channel missing from Posters gets no posts.
type Handler struct {
	Store     Store
	Queue     Enqueuer
	Posters   map[syndicate.Channel]Poster
	Mailer    Mailer
	Templates *templates.Set
	Composer  Composer   // writes the posts; the zero Composer uses the default templates
	Feeds     FeedPoller // polls feeds; nil: feed tasks fail
	Log       *slog.Logger

	From      string          // "Name <addr>" of the newsletter
	Brand     templates.Brand // BaseURL is where unsubscribe links point
	Secret    string          // signs unsubscribe links
	BatchSize int             // emails per batch; zero means 200
	// UnsubscribeMailto, when set, is an address that also unsubscribes
	// (List-Unsubscribe carries it as a mailto: after the https URL).
	UnsubscribeMailto string
	// VERPDomain, when set, makes each email's envelope sender
	// bounces+TOKEN@VERPDomain, the token naming its ledger row (see
	// signed.VERPToken), so a bounce names the delivery it is about.
	VERPDomain string
	MaxRetry   int // retries of each task
	// FullContent puts an instant email's whole article in the email, not
	// only its summary (email.full_content).
	FullContent bool
	// Archive keeps a public copy of every digest and instant email at
	// fan-out and links each email to it ("view in browser"); the store
	// must be an Archiver. Off: no copy, no link.
	Archive bool
	// ConfirmTTL is how long a double opt-in link works; zero means
	// DefaultConfirmTTL.
	ConfirmTTL time.Duration
	// Caps is the most posts each channel may start a day (max_posts_per_day);
	// a channel missing or zero has no cap. Days are in Location (nil: UTC).
	Caps     map[syndicate.Channel]int
	Location *time.Location
	Now      func() time.Time
	// Metrics counts deliveries, answers and waits; nil counts nothing.
	Metrics Recorder
	// FeedMetrics counts feed polls; nil counts nothing.
	FeedMetrics FeedRecorder

	planning planGate
}

// planGate holds batches back while a fan-out of this process plans its
// ledger rows: one batch sends at a time beside it (the first email is not
// delayed), the others wait for it to end, so that it is not starved of
// the CPU and the database by the batches it has already queued. A
// fan-out is a second or two of work; its batches take minutes, and on a
// machine whose CPU is all in use they send as fast after it as beside it.
type planGate struct {
	mu      sync.Mutex
	fanOuts int // running in this process
	running int // batches running in this process
}

// planGateWait bounds how long a batch waits for fan-outs: a slow one (a
// database that does not answer) must not stop the sending.
const planGateWait = 5 * time.Second

func (g *planGate) begin() {
	g.mu.Lock()
	g.fanOuts++
	g.mu.Unlock()
}

func (g *planGate) end() {
	g.mu.Lock()
	g.fanOuts--
	g.mu.Unlock()
}

// enter returns when the batch may start: no fan-out runs, no other batch
// runs, or planGateWait has passed; leave must be called when it ends.
func (g *planGate) enter(ctx context.Context) (leave func(), err error) {
	deadline := time.Now().Add(planGateWait)
	for {
		g.mu.Lock()
		ok := g.fanOuts == 0 || g.running == 0 || time.Now().After(deadline)
		if ok {
			g.running++
		}
		g.mu.Unlock()
		if ok {
			return func() {
				g.mu.Lock()
				g.running--
				g.mu.Unlock()
			}, nil
		}
		t := time.NewTimer(5 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// Register adds the handlers to mux.
func (h *Handler) Register(mux *asynq.ServeMux) {
	mux.HandleFunc(TypeArticlePublish, h.handlePublish)
	mux.HandleFunc(TypePostSend, h.handlePost)
	mux.HandleFunc(TypeEmailBatch, h.handleEmailBatch)
	mux.HandleFunc(TypeDigestBuild, h.handleDigest)
	mux.HandleFunc(TypeEmailConfirm, h.handleConfirm)
	mux.HandleFunc(TypeFeedPoll, h.handleFeedPoll)
}

// Channels returns the enabled social channels in display order.
func (h *Handler) Channels() []syndicate.Channel {
	var chs []syndicate.Channel
	for _, c := range syndicate.SocialChannels {
		if h.Posters[c] != nil {
			chs = append(chs, c)
		}
	}
	return chs
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Handler) log() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.New(slog.DiscardHandler)
}

func (h *Handler) batchSize() int64 {
	if h.BatchSize > 0 {
		return int64(h.BatchSize)
	}
	return 200
}

// enqueue puts t on the queue; a TaskID already taken means the same work
// is queued or done, which is what we want.
func (h *Handler) enqueue(ctx context.Context, t *asynq.Task, opts []asynq.Option) error {
	_, err := h.Queue.EnqueueContext(ctx, t, opts...)
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) && !errors.Is(err, asynq.ErrDuplicateTask) {
		return err
	}
	return nil
}

// handlePublish fans one article out: a post task per enabled channel and
// an email batch per bucket of instant subscribers. The posts' ledger rows
// and the batches' plans are recorded before their tasks, so status and
// --wait see the whole plan.
func (h *Handler) handlePublish(ctx context.Context, t *asynq.Task) error {
	var p publishPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("decode %s payload: %v: %w", t.Type(), err, asynq.SkipRetry)
	}
	a, err := h.Store.Article(ctx, p.ArticleID)
	if err != nil {
		if syndicate.ErrorCode(err) == syndicate.ENOTFOUND {
			return fmt.Errorf("publish article %s: %w: %w", p.ArticleID, err, asynq.SkipRetry)
		}
		return fmt.Errorf("publish article %s: %w", p.ArticleID, err)
	}
	for _, ch := range h.Channels() {
		key := syndicate.DeliveryKey{Item: a.ID, Channel: ch}
		if err := h.Store.EnsureDeliveries(ctx, []syndicate.DeliveryKey{key}); err != nil {
			return fmt.Errorf("publish article %s: plan %s post: %w", a.ID, ch, err)
		}
		task, opts := NewPostTask(a.ID, ch, h.MaxRetry)
		if err := h.enqueue(ctx, task, opts); err != nil {
			return fmt.Errorf("publish article %s: enqueue %s post: %w", a.ID, ch, err)
		}
	}
	if h.Mailer == nil {
		return h.fannedOut(ctx, a.ID)
	}
	if err := h.archive(ctx, syndicate.InstantDigestID(a.ID), syndicate.Instant, []syndicate.Article{a}); err != nil {
		return fmt.Errorf("publish article %s: %w", a.ID, err)
	}
	n, err := h.fanOutEmail(ctx, syndicate.InstantDigestID(a.ID), syndicate.Instant, []string{a.ID})
	if err != nil {
		return fmt.Errorf("publish article %s: %w", a.ID, err)
	}
	h.log().Info("article fanned out", "article", a.ID, "channels", len(h.Channels()), "emails", n)
	return h.fannedOut(ctx, a.ID)
}

// maxFanOutPage is the most batches' worth of subscribers the fan-out reads
// and plans in one go. It starts with one batch, so the first email goes
// soon, and doubles each time: a few large transactions instead of one per
// batch, each a wait for the database while the first batches are sending.
const maxFanOutPage = 64

// fanOutEmail reads the subscribers of freq in keyset pages and plans
// one batch per fixed bucket of subscriber IDs once the bucket is
// complete: each page's complete batches are recorded in one transaction
// (PlanBatches), then their tasks are queued. It returns how many
// subscribers were planned.
func (h *Handler) fanOutEmail(ctx context.Context, item string, freq syndicate.Frequency, articles []string) (int, error) {
	h.planning.begin()
	defer h.planning.end()
	size, err := h.fanOutBatchSize(ctx, item)
	if err != nil {
		return 0, err
	}
	var (
		after   int64
		cur     = syndicate.EmailPlan{Item: item, Bucket: -1}
		ready   []syndicate.EmailPlan
		planned int
	)
	// A page's tasks are queued while the next page is read and planned;
	// every plan is committed before its task is queued.
	queue := make(chan []syndicate.EmailPlan, 1)
	queued := make(chan error, 1)
	var failed atomic.Bool
	go func() {
		var err error
		for plans := range queue {
			for _, p := range plans {
				if err != nil {
					break
				}
				task, opts := NewEmailBatchTask(item, freq, articles, p.Bucket, p.Emails, h.MaxRetry)
				if err = h.enqueue(ctx, task, opts); err != nil {
					err = fmt.Errorf("enqueue email batch %d: %w", p.Bucket, err)
					failed.Store(true)
				}
			}
		}
		queued <- err
	}()
	done := func(err error) (int, error) {
		close(queue)
		if qerr := <-queued; err == nil {
			err = qerr
		}
		return planned, err
	}
	// flush plans the complete batches and hands them to be queued.
	flush := func() error {
		if len(ready) == 0 {
			return nil
		}
		if err := h.Store.PlanBatches(ctx, ready); err != nil {
			return fmt.Errorf("plan %s emails after subscriber %d: %w", freq, after, err)
		}
		for _, p := range ready {
			planned += len(p.Emails)
		}
		queue <- ready
		ready = nil
		return nil
	}
	pageBatches := 1
	for !failed.Load() {
		page := int(size) * pageBatches
		pageBatches = min(2*pageBatches, maxFanOutPage)
		subs, err := h.Store.SubscriberAddresses(ctx, freq, after, page)
		if err != nil {
			return done(fmt.Errorf("read %s subscribers after %d: %w", freq, after, err))
		}
		for _, s := range subs {
			if b := s.ID / size; b != cur.Bucket {
				if len(cur.Emails) > 0 {
					ready = append(ready, cur)
				}
				cur = syndicate.EmailPlan{Item: item, Bucket: b}
			}
			cur.Emails = append(cur.Emails, s.Email)
			after = s.ID
		}
		if len(subs) < page {
			if len(cur.Emails) > 0 {
				ready = append(ready, cur)
			}
			return done(flush())
		}
		if err := flush(); err != nil {
			return done(err)
		}
	}
	return done(nil) // the queue failed: done returns its error
}

func (h *Handler) location() *time.Location {
	if h.Location != nil {
		return h.Location
	}
	return time.UTC
}

// claimDailyPost takes one of the channel's posts for today. When the cap
// is reached it returns how long until the next day starts.
func (h *Handler) claimDailyPost(ctx context.Context, ch syndicate.Channel) (time.Duration, error) {
	max := h.Caps[ch]
	dc, ok := h.Store.(DailyCapper)
	if max <= 0 || !ok {
		return 0, nil
	}
	now := h.now().In(h.location())
	ok, err := dc.ClaimDailyPost(ctx, ch, now.Format("2006-01-02"), max)
	if err != nil || ok {
		return 0, err
	}
	y, m, d := now.Date()
	next := time.Date(y, m, d+1, 0, 0, 0, 0, h.location())
	return next.Sub(now) + time.Second, nil
}

// setChannelState records what a post learnt about the channel's
// credentials; failing to record it does not fail the post.
func (h *Handler) setChannelState(ctx context.Context, ch syndicate.Channel, state, reason string) {
	if cs, ok := h.Store.(ChannelStater); ok {
		if err := cs.SetChannelState(context.WithoutCancel(ctx), ch, state, reason); err != nil {
			h.log().Error("record channel state", "channel", ch, "error", err)
		}
	}
}

// lastAttempt reports whether the running task has no retry left.
func lastAttempt(ctx context.Context) bool {
	n, ok1 := asynq.GetRetryCount(ctx)
	max, ok2 := asynq.GetMaxRetry(ctx)
	return ok1 && ok2 && n >= max
}

// handlePost posts one article to one channel, at most once.
func (h *Handler) handlePost(ctx context.Context, t *asynq.Task) error {
	var p postPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("decode %s payload: %v: %w", t.Type(), err, asynq.SkipRetry)
	}
	key := syndicate.DeliveryKey{Item: p.ArticleID, Channel: p.Channel}
	before, err := h.Store.BeginDelivery(ctx, key)
	if err != nil {
		return fmt.Errorf("post article %s to %s: begin: %w", p.ArticleID, p.Channel, err)
	}
	if before.Status.Final() {
		return nil
	}
	finish := func(st syndicate.DeliveryStatus, remoteID, msg string) error {
		if err := h.Store.FinishDelivery(context.WithoutCancel(ctx), key, st, remoteID, msg); err != nil {
			return fmt.Errorf("post article %s to %s: record %s: %w", p.ArticleID, p.Channel, st, err)
		}
		if st.Final() {
			h.metrics().Delivered(p.Channel, st, before.CreatedAt)
		}
		return nil
	}
	// X has no idempotency key: a post that was being sent when a worker
	// died may exist, so an editor decides instead of us posting it twice.
	if before.Status == syndicate.StatusSending && p.Channel == syndicate.ChannelX {
		return finish(syndicate.StatusUnknown, "", "a worker stopped while posting; check X, then retry with --force")
	}
	poster := h.Posters[p.Channel]
	if poster == nil {
		if err := finish(syndicate.StatusFailed, "", fmt.Sprintf("channel %s is not configured", p.Channel)); err != nil {
			return err
		}
		return fmt.Errorf("post article %s: channel %s is not configured: %w", p.ArticleID, p.Channel, asynq.SkipRetry)
	}
	a, err := h.Store.Article(ctx, p.ArticleID)
	if err != nil {
		if ferr := finish(syndicate.StatusQueued, "", err.Error()); ferr != nil {
			return ferr
		}
		return fmt.Errorf("post article %s to %s: %w", p.ArticleID, p.Channel, err)
	}
	if wait, err := h.claimDailyPost(ctx, p.Channel); err != nil {
		if ferr := finish(syndicate.StatusQueued, "", err.Error()); ferr != nil {
			return ferr
		}
		return fmt.Errorf("post article %s to %s: %w", a.ID, p.Channel, err)
	} else if wait > 0 {
		// Not a failure: the task sleeps until the next day, its retries kept.
		msg := fmt.Sprintf("the daily cap of %d %s posts is reached; it goes after %s", h.Caps[p.Channel], p.Channel, h.now().Add(wait).In(h.location()).Format("2006-01-02 15:04 MST"))
		if ferr := finish(syndicate.StatusDeferred, "", msg); ferr != nil {
			return ferr
		}
		return fmt.Errorf("post article %s to %s: %w", a.ID, p.Channel, &syndicate.RateLimitError{RetryAfter: wait, Message: msg})
	}
	limit := Limits(p.Channel)
	if l, ok := poster.(Limiter); ok {
		max, urlWeight, err := l.Limit(ctx)
		if err != nil {
			h.log().Warn("read the channel's limit; using the default", "channel", p.Channel, "error", err)
		}
		limit = MastodonLimit(max, urlWeight)
	}
	post, err := h.Composer.Post(a, p.Channel, limit)
	if err != nil {
		if ferr := finish(syndicate.StatusFailed, "", err.Error()); ferr != nil {
			return ferr
		}
		return fmt.Errorf("post article %s to %s: %w: %w", a.ID, p.Channel, err, asynq.SkipRetry)
	}
	id, err := poster.Post(ctx, post)
	if err == nil {
		h.metrics().Answered(p.Channel, "sent")
		h.log().Info("posted", "article", a.ID, "channel", p.Channel, "remote_id", id)
		h.setChannelState(ctx, p.Channel, syndicate.ChannelOK, "")
		return finish(syndicate.StatusSent, id, "")
	}
	var rl *syndicate.RateLimitError
	if errors.As(err, &rl) {
		h.metrics().Answered(p.Channel, "rate_limited")
		h.metrics().Waited(p.Channel, rl.RetryAfter)
	} else {
		h.metrics().Answered(p.Channel, answerOf(err))
	}
	// asynq archives a task with no retry left even for an error that is
	// not a failure, so only wait when a retry remains.
	if errors.As(err, &rl) && !lastAttempt(ctx) {
		if ferr := finish(syndicate.StatusQueued, "", err.Error()); ferr != nil {
			return ferr
		}
		return fmt.Errorf("post article %s to %s: %w", a.ID, p.Channel, err)
	}
	h.log().Warn("post failed", "article", a.ID, "channel", p.Channel, "error", err)
	switch syndicate.OutcomeOf(err) {
	case syndicate.AuthFailed:
		h.setChannelState(ctx, p.Channel, syndicate.ChannelNeedsCredentials, err.Error())
	case syndicate.Duplicate:
		return finish(syndicate.StatusDuplicate, "", err.Error())
	case syndicate.Unknown:
		return finish(syndicate.StatusUnknown, "", err.Error())
	case syndicate.Temporary:
		if !lastAttempt(ctx) {
			if ferr := finish(syndicate.StatusQueued, "", err.Error()); ferr != nil {
				return ferr
			}
			return fmt.Errorf("post article %s to %s: %w", a.ID, p.Channel, err)
		}
	}
	if ferr := finish(syndicate.StatusFailed, "", err.Error()); ferr != nil {
		return ferr
	}
	return fmt.Errorf("post article %s to %s: %w: %w", a.ID, p.Channel, err, asynq.SkipRetry)
}

// Results of a batch are recorded in groups: every recordEvery messages,
// or once recordAfter has passed since the last group, and always before
// the batch returns. A worker that dies in between leaves those rows
// sending, and the retry resends them with the same Message-ID.
const (
	recordEvery = 50
	recordAfter = 250 * time.Millisecond
	sendChunk   = 100 // rows begun, rendered and handed to the Mailer at once
)

// handleEmailBatch mails one item to one bucket of subscribers over one
// connection, in chunks: each chunk's rows are marked sending, in one
// transaction, before its first message goes; results are recorded in
// groups as they come.
func (h *Handler) handleEmailBatch(ctx context.Context, t *asynq.Task) error {
	var p batchPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("decode %s payload: %v: %w", t.Type(), err, asynq.SkipRetry)
	}
	if h.Mailer == nil {
		return fmt.Errorf("mail %s: email is not configured: %w", p.Item, asynq.SkipRetry)
	}
	if len(p.Emails) == 0 {
		return nil
	}
	leave, err := h.planning.enter(ctx)
	if err != nil {
		return fmt.Errorf("mail %s: %w", p.Item, err)
	}
	defer leave()
	articles := make([]syndicate.Article, 0, len(p.Articles))
	for _, id := range p.Articles {
		a, err := h.Store.Article(ctx, id)
		if err != nil {
			return fmt.Errorf("mail %s: load article %s: %w", p.Item, id, err)
		}
		articles = append(articles, a)
	}
	keys := make([]syndicate.DeliveryKey, len(p.Emails))
	for i, email := range p.Emails {
		keys[i] = syndicate.DeliveryKey{Item: p.Item, Channel: syndicate.ChannelEmail, Subscriber: email}
	}
	subs, err := h.Store.SubscribersByEmail(ctx, p.Emails)
	if err != nil {
		return fmt.Errorf("mail %s: %w", p.Item, err)
	}
	suppressed, err := h.suppressed(ctx, p.Emails)
	if err != nil {
		return fmt.Errorf("mail %s: %w", p.Item, err)
	}
	mb := h.messages(p, articles)
	rec := newRecorder(h, context.WithoutCancel(ctx))
	last := lastAttempt(ctx)
	met := h.metrics()
	var retry, sendErr error
	stop := rec.every(recordAfter)
	// Begun, rendered and sent sendChunk at a time: a row is sending only
	// while its chunk is in flight, a batch holds a few dozen rendered
	// messages, and the Mailer's kept connection carries one chunk after
	// another. A chunk not reached when the task stops stays queued.
	for start := 0; start < len(keys) && sendErr == nil; start += sendChunk {
		chunk := keys[start:min(start+sendChunk, len(keys))]
		// The first chunk also makes the batch's rows from its plan.
		var (
			befores []syndicate.Delivery
			err     error
		)
		if start == 0 {
			befores, err = h.Store.BeginPlan(ctx, p.Item, p.Bucket, chunk)
		} else {
			befores, err = h.Store.BeginDeliveries(ctx, chunk)
		}
		if err != nil {
			sendErr = fmt.Errorf("begin: %w", err)
			break
		}
		// The chunk's messages to send: each is rendered when the Mailer
		// comes to it.
		var (
			msgKeys []syndicate.DeliveryKey
			msgSubs []syndicate.Subscriber
			msgRows []int64
			planned = make([]time.Time, 0, len(chunk)) // when each message's row was made, for the latency metric
		)
		for i, key := range chunk {
			if befores[i].Status.Final() {
				continue
			}
			sub, ok := subs[syndicate.EmailKey(key.Subscriber)]
			if !ok || sub.Status != syndicate.SubscriberActive {
				rec.add(syndicate.DeliveryResult{Key: key, Status: syndicate.StatusSkipped, Error: "the subscriber left before the send"})
				met.Delivered(syndicate.ChannelEmail, syndicate.StatusSkipped, befores[i].CreatedAt)
				continue
			}
			if sup, ok := suppressed[syndicate.EmailKey(key.Subscriber)]; ok {
				rec.add(syndicate.DeliveryResult{Key: key, Status: syndicate.StatusSkipped, Error: "the address is on the suppression list (" + string(sup.Reason) + ")"})
				continue
			}
			msgKeys = append(msgKeys, key)
			msgSubs = append(msgSubs, sub)
			msgRows = append(msgRows, befores[i].ID)
			planned = append(planned, befores[i].CreatedAt)
		}
		if len(msgKeys) == 0 {
			continue
		}
		// The Message-ID each message was made with; none for one that
		// could not be made, which was never sent.
		remoteIDs := make([]string, len(msgKeys))
		render := func(i int) (syndicate.Message, error) {
			m, err := mb.message(msgRows[i], msgSubs[i])
			if err != nil {
				return m, err
			}
			m.ReturnPath = h.returnPath(msgRows[i])
			remoteIDs[i] = m.MessageID
			return m, nil
		}
		sendErr = h.Mailer.SendEach(ctx, len(msgKeys), render, func(i int, err error) {
			st, msg := h.emailResult(ctx, msgKeys[i], err, last)
			if st == syndicate.StatusQueued {
				retry = err
			}
			// Recorded even when the task's context is cancelled: the message went.
			rec.add(syndicate.DeliveryResult{Key: msgKeys[i], Status: st, RemoteID: remoteIDs[i], Error: msg})
			if st.Final() {
				met.Delivered(syndicate.ChannelEmail, st, planned[i])
			}
		})
	}
	stop()
	recordErr := rec.flush()
	switch {
	case recordErr != nil:
		return fmt.Errorf("mail %s: record results: %w", p.Item, recordErr)
	case sendErr != nil:
		return fmt.Errorf("mail %s: %w", p.Item, sendErr)
	case retry != nil:
		return fmt.Errorf("mail %s: some messages will be retried: %w", p.Item, retry)
	}
	return nil
}

// recorder collects the results of a batch and writes them to the ledger
// in groups (see recordEvery), in a goroutine of its own: the sending does
// not wait for the database's commit, and one group is written while the
// next is gathered. Handing over a group waits only while the one before
// is still queued behind the one being written.
type recorder struct {
	h   *Handler
	ctx context.Context // not cancelled with the task: results are recorded whatever happens

	mu      sync.Mutex
	pending []syndicate.DeliveryResult
	last    time.Time // when the last group was handed over
	closed  bool      // flush has run: no more groups

	groups chan []syndicate.DeliveryResult
	done   chan struct{} // closed when every group is written

	errMu sync.Mutex
	err   error // the first failure to record
}

func newRecorder(h *Handler, ctx context.Context) *recorder {
	r := &recorder{h: h, ctx: ctx, last: time.Now(), groups: make(chan []syndicate.DeliveryResult, 1), done: make(chan struct{})}
	go r.run()
	return r
}

// run writes the groups in order. A failure is kept for flush to return,
// and later groups are still tried: each result that reaches the ledger is
// one fewer resent.
func (r *recorder) run() {
	defer close(r.done)
	for g := range r.groups {
		if err := r.h.Store.FinishDeliveries(r.ctx, g); err != nil {
			r.errMu.Lock()
			if r.err == nil {
				r.err = err
			}
			r.errMu.Unlock()
		}
	}
}

// add queues one result, and hands the group over when it is due.
func (r *recorder) add(res syndicate.DeliveryResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pending = append(r.pending, res)
	if len(r.pending) >= recordEvery || time.Since(r.last) >= recordAfter {
		r.handOver()
	}
}

// handOver passes the pending results to the writer; r.mu is held.
func (r *recorder) handOver() {
	r.last = time.Now()
	if len(r.pending) == 0 || r.closed {
		return
	}
	r.groups <- r.pending
	r.pending = nil
}

// flush hands over what is pending, waits until every group is written
// and returns the first error any write met.
func (r *recorder) flush() error {
	r.mu.Lock()
	r.handOver()
	if !r.closed {
		r.closed = true
		close(r.groups)
	}
	r.mu.Unlock()
	<-r.done
	r.errMu.Lock()
	defer r.errMu.Unlock()
	return r.err
}

// every hands the results over each d until the returned stop is called,
// so results wait at most about d when the server is slow.
func (r *recorder) every(d time.Duration) (stop func()) {
	t := time.NewTicker(d)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			case <-t.C:
				r.mu.Lock()
				if time.Since(r.last) >= d {
					r.handOver()
				}
				r.mu.Unlock()
			}
		}
	})
	return func() {
		t.Stop()
		close(done)
		wg.Wait()
	}
}

// emailResult maps a send result to the ledger. A temporary failure, or an
// unknown outcome, goes back to queued while retries remain: the retry
// resends only those, with the same Message-ID.
func (h *Handler) emailResult(ctx context.Context, key syndicate.DeliveryKey, err error, last bool) (syndicate.DeliveryStatus, string) {
	if err == nil {
		return syndicate.StatusSent, ""
	}
	h.log().Warn("email failed", "item", key.Item, "to", key.Subscriber, "error", err)
	switch syndicate.OutcomeOf(err) {
	case syndicate.Temporary:
		if !last {
			return syndicate.StatusQueued, err.Error()
		}
	case syndicate.Unknown:
		if !last {
			return syndicate.StatusQueued, err.Error()
		}
		return syndicate.StatusUnknown, err.Error()
	case syndicate.Bounced:
		if s, ok := h.Store.(SubscriberStatusSetter); ok {
			if serr := s.SetSubscriberStatus(context.WithoutCancel(ctx), key.Subscriber, syndicate.SubscriberBounced); serr != nil {
				h.log().Error("suppress bounced address", "to", key.Subscriber, "error", serr)
			}
		}
		if s, ok := h.Store.(SuppressionAdder); ok {
			sup := syndicate.Suppression{Email: key.Subscriber, Reason: syndicate.SuppressedBounced, Detail: "smtp: " + err.Error()}
			if _, serr := s.AddSuppression(context.WithoutCancel(ctx), sup); serr != nil {
				h.log().Error("add bounced address to the suppression list", "to", key.Subscriber, "error", serr)
			}
		}
		return syndicate.StatusBounced, err.Error()
	}
	return syndicate.StatusFailed, err.Error()
}

// messageBuilder makes the messages of one batch: what every recipient
// shares (the rendered articles and layout, the headers) is worked out
// once, and each message only adds its recipient's links and address.
type messageBuilder struct {
	h      *Handler
	item   string
	render *templates.Batch
	domain string
	listID string
	mailto string
	date   time.Time
	// feedbackID is the Feedback-ID header of the item's emails.
	feedbackID string
}

func (h *Handler) messages(p batchPayload, articles []syndicate.Article) *messageBuilder {
	date := h.now()
	domain := fromDomain(h.From)
	mb := &messageBuilder{h: h, item: p.Item, domain: domain, listID: ListID(h.Brand.Name, domain), date: date,
		feedbackID: FeedbackID(p.Item, p.Frequency, domain)}
	mb.render = h.Templates.Batch(templates.EmailData{Brand: h.Brand, Frequency: p.Frequency, Articles: articles, Date: date,
		ViewURL: h.viewURL(p.Item), FullContent: h.FullContent})
	if h.UnsubscribeMailto != "" {
		mb.mailto = "mailto:" + h.UnsubscribeMailto + "?subject=unsubscribe"
	}
	return mb
}

// message renders the email of the batch's item for one subscriber.
// id is the subscriber's ledger row.
func (mb *messageBuilder) message(id int64, sub syndicate.Subscriber) (syndicate.Message, error) {
	h := mb.h
	unsub, err := signed.UnsubscribeURL(h.Brand.BaseURL, h.Secret, sub.Handle, sub.TokenVersion)
	if err != nil {
		return syndicate.Message{}, fmt.Errorf("render email %s for %s: unsubscribe link: %w", mb.item, sub.Email, err)
	}
	prefs, err := signed.PreferencesURL(h.Brand.BaseURL, h.Secret, sub.Handle, sub.TokenVersion)
	if err != nil {
		return syndicate.Message{}, fmt.Errorf("render email %s for %s: preferences link: %w", mb.item, sub.Email, err)
	}
	e, err := mb.render.Render(sub, unsub, prefs)
	if err != nil {
		return syndicate.Message{}, fmt.Errorf("render email %s for %s: %w", mb.item, sub.Email, err)
	}
	return syndicate.Message{
		UnsubscribeMailto: mb.mailto,
		From:              h.From,
		To:                sub.Email,
		ToName:            sub.Name,
		Subject:           e.Subject,
		Text:              e.Text,
		HTML:              e.HTML,
		MessageID:         MessageID(id, mb.item, sub.Email, mb.domain),
		Date:              mb.date,
		ListID:            mb.listID,
		UnsubscribeURL:    unsub,
		FeedbackID:        mb.feedbackID,
	}, nil
}

// FeedbackID is the Feedback-ID header of one item's emails, in Gmail's
// "a:b:c:SenderId" form: the campaign (the digest or article), its kind
// (instant, daily, weekly), the list, and the sender (the From domain),
// so Gmail's Postmaster Tools report complaints per digest and per kind.
// Characters outside [A-Za-z0-9._-] are dropped: ":" separates fields.
func FeedbackID(item string, freq syndicate.Frequency, domain string) string {
	clean := func(s string) string {
		return strings.Map(func(r rune) rune {
			switch {
			case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
				return r
			}
			return -1
		}, s)
	}
	f := clean(string(freq))
	if f == "" {
		f = string(syndicate.Instant)
	}
	return clean(item) + ":" + f + ":newsletter:" + clean(domain)
}

// MessageID is the Message-ID (without angle brackets) of the email of
// ledger row id, one item to one subscriber: the same on every retry (the
// row is), so receivers that de-duplicate by Message-ID show one copy. The
// 32 hex digits of a hash of item and address are followed by a dot and
// the row's ID, so a bounce that names the message finds its row by
// primary key (store.DeliveryByMessageID): an index of the hashes,
// written at random places as each email was recorded, cost a fifth of a
// send's ledger time. id is 0 for mail with no row (a preview).
func MessageID(id int64, item, email, domain string) string {
	sum := sha256.Sum256([]byte(item + "\x00" + strings.ToLower(email)))
	return hex.EncodeToString(sum[:16]) + "." + strconv.FormatInt(id, 10) + "@" + domain
}

// ListID is the RFC 2919 List-Id of the newsletter.
func ListID(name, domain string) string {
	clean := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == ' ', r == '-', r == '.':
			return r
		}
		return -1
	}, name)
	if strings.TrimSpace(clean) == "" {
		clean = "Newsletter"
	}
	return fmt.Sprintf("%s <newsletter.%s>", strings.TrimSpace(clean), domain)
}

func fromDomain(from string) string {
	at := strings.LastIndexByte(from, '@')
	if at < 0 {
		return "localhost"
	}
	return strings.ToLower(strings.TrimRight(from[at+1:], "> "))
}
