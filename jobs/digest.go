package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"syndicate"
	"syndicate/signed"
	"syndicate/templates"
)

// DigestStore builds digests: the articles stored since the last digest of
// a frequency, kept so that a retried build resumes the same digest.
type DigestStore interface {
	BuildDigest(ctx context.Context, id string, freq syndicate.Frequency, now time.Time, window time.Duration) (syndicate.Digest, error)
}

type digestPayload struct {
	Frequency syndicate.Frequency `json:"frequency"`
	At        time.Time           `json:"at,omitzero"` // when it was triggered; zero: when the job runs (scheduled digests)
}

// digestWindow is how far back the first digest of a frequency looks.
func digestWindow(f syndicate.Frequency) time.Duration {
	if f == syndicate.Weekly {
		return 7 * 24 * time.Hour
	}
	return 24 * time.Hour
}

// NewDigestTask returns the task that builds and sends the digest of freq
// for the slot (to the second). Its TaskID makes a trigger that fires twice
// in one slot one task; the store makes two triggers in different slots one
// digest, since the second finds nothing new.
func NewDigestTask(freq syndicate.Frequency, at time.Time, maxRetry int) (*asynq.Task, []asynq.Option) {
	p, _ := json.Marshal(digestPayload{Frequency: freq, At: at.UTC()}) // cannot fail: plain struct
	return asynq.NewTask(TypeDigestBuild, p), []asynq.Option{
		asynq.TaskID("digest:" + syndicate.DigestID(freq, at)), asynq.MaxRetry(maxRetry), asynq.Retention(Retention),
	}
}

// NewScheduledDigestTask is the task a cron entry enqueues. It has no time
// of its own: when it runs it enqueues the digest of that moment, whose
// TaskID and time stay fixed through retries. Unique keeps two schedulers
// firing at once to one task.
func NewScheduledDigestTask(freq syndicate.Frequency, maxRetry int) (*asynq.Task, []asynq.Option) {
	p, _ := json.Marshal(digestPayload{Frequency: freq}) // cannot fail: plain struct
	return asynq.NewTask(TypeDigestBuild, p), []asynq.Option{
		asynq.Unique(50 * time.Second), asynq.MaxRetry(maxRetry), asynq.Retention(24 * time.Hour),
	}
}

// handleDigest builds the digest of one slot and fans it out to the
// subscribers of its frequency. The digest's ID is the task's result ("" if
// there was nothing new), for `send digest --wait`.
func (h *Handler) handleDigest(ctx context.Context, t *asynq.Task) error {
	var p digestPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("decode %s payload: %v: %w", t.Type(), err, asynq.SkipRetry)
	}
	if p.Frequency != syndicate.Daily && p.Frequency != syndicate.Weekly {
		return fmt.Errorf("build digest: frequency %q is not daily or weekly: %w", p.Frequency, asynq.SkipRetry)
	}
	ds, ok := h.Store.(DigestStore)
	if !ok {
		return fmt.Errorf("build %s digest: the store cannot build digests: %w", p.Frequency, asynq.SkipRetry)
	}
	if h.Mailer == nil {
		return fmt.Errorf("build %s digest: email is not configured: %w", p.Frequency, asynq.SkipRetry)
	}
	if p.At.IsZero() {
		task, opts := NewDigestTask(p.Frequency, h.now(), h.MaxRetry)
		if err := h.enqueue(ctx, task, opts); err != nil {
			return fmt.Errorf("schedule the %s digest: %w", p.Frequency, err)
		}
		return nil
	}
	// The digest holds what was stored up to the trigger: a retry, later,
	// rebuilds the same one.
	d, err := ds.BuildDigest(ctx, syndicate.DigestID(p.Frequency, p.At), p.Frequency, p.At, digestWindow(p.Frequency))
	if err != nil {
		return fmt.Errorf("build %s digest: %w", p.Frequency, err)
	}
	if d.ID == "" {
		h.log().Info("no new articles: digest skipped", "frequency", p.Frequency)
		return writeResult(t, "")
	}
	if h.archiving() {
		arts := make([]syndicate.Article, 0, len(d.ArticleIDs))
		for _, id := range d.ArticleIDs {
			a, err := h.Store.Article(ctx, id)
			if err != nil {
				return fmt.Errorf("send digest %s: load article %s: %w", d.ID, id, err)
			}
			arts = append(arts, a)
		}
		if err := h.archive(ctx, d.ID, d.Frequency, arts); err != nil {
			return fmt.Errorf("send digest %s: %w", d.ID, err)
		}
	}
	n, err := h.fanOutEmail(ctx, d.ID, d.Frequency, d.ArticleIDs)
	if err != nil {
		return fmt.Errorf("send digest %s: %w", d.ID, err)
	}
	h.log().Info("digest fanned out", "digest", d.ID, "articles", len(d.ArticleIDs), "emails", n)
	if err := h.fannedOut(ctx, d.ID); err != nil {
		return err
	}
	return writeResult(t, d.ID)
}

func writeResult(t *asynq.Task, s string) error {
	if w := t.ResultWriter(); w != nil {
		if _, err := w.Write([]byte(s)); err != nil {
			return fmt.Errorf("record the result of %s: %w", t.Type(), err)
		}
	}
	return nil
}

// DefaultConfirmTTL is how long a double opt-in link works when
// Handler.ConfirmTTL is zero.
const DefaultConfirmTTL = 48 * time.Hour

type confirmPayload struct {
	Email string `json:"email"`
}

// NewConfirmTask returns the task that mails a double opt-in link. Its
// TaskID allows one confirmation email per address per hour, so the
// sign-up form cannot be used to flood someone's inbox.
func NewConfirmTask(email string, now time.Time, maxRetry int) (*asynq.Task, []asynq.Option) {
	email = strings.ToLower(email)
	p, _ := json.Marshal(confirmPayload{Email: email}) // cannot fail: plain struct
	return asynq.NewTask(TypeEmailConfirm, p), []asynq.Option{
		asynq.TaskID("confirm:" + confirmItem(now) + ":" + email), asynq.MaxRetry(maxRetry), asynq.Retention(2 * time.Hour),
	}
}

// confirmItem is the ledger item of the confirmation emails of one hour.
func confirmItem(t time.Time) string { return "confirm_" + t.UTC().Format("2006010215") }

// handleConfirm mails the confirmation link to a pending subscriber, once.
// The sign-up form asks for it for every address it is given, so that a
// known and an unknown address cost the form the same; this job decides:
// only a pending subscriber is mailed.
func (h *Handler) handleConfirm(ctx context.Context, t *asynq.Task) error {
	var p confirmPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("decode %s payload: %v: %w", t.Type(), err, asynq.SkipRetry)
	}
	if h.Mailer == nil {
		return fmt.Errorf("confirm %s: email is not configured: %w", p.Email, asynq.SkipRetry)
	}
	sub, err := h.Store.Subscriber(ctx, p.Email)
	if err != nil {
		if syndicate.ErrorCode(err) == syndicate.ENOTFOUND {
			return nil
		}
		return fmt.Errorf("confirm %s: %w", p.Email, err)
	}
	if sub.Status != syndicate.SubscriberPending {
		return nil // confirmed, or left, since the request: nothing to ask
	}
	id, _ := asynq.GetTaskID(ctx)
	item := confirmItem(h.now())
	if parts := strings.SplitN(id, ":", 3); len(parts) == 3 {
		item = parts[1] // the hour the request came in, so a retry keeps the row
	}
	key := syndicate.DeliveryKey{Item: item, Channel: syndicate.ChannelEmail, Subscriber: sub.Email}
	before, err := h.Store.BeginDelivery(ctx, key)
	if err != nil {
		return fmt.Errorf("confirm %s: begin: %w", p.Email, err)
	}
	if before.Status.Final() {
		return nil
	}
	if sup, err := h.suppressed(ctx, []string{sub.Email}); err != nil {
		return fmt.Errorf("confirm %s: %w", p.Email, err)
	} else if s, ok := sup[syndicate.EmailKey(sub.Email)]; ok {
		err := h.Store.FinishDelivery(context.WithoutCancel(ctx), key, syndicate.StatusSkipped, "", "the address is on the suppression list ("+string(s.Reason)+")")
		if err != nil {
			return fmt.Errorf("confirm %s: record: %w", p.Email, err)
		}
		return nil
	}
	ttl := h.ConfirmTTL
	if ttl <= 0 {
		ttl = DefaultConfirmTTL
	}
	now := h.now()
	link, err := signed.ConfirmURL(h.Brand.BaseURL, h.Secret, sub.Handle, sub.TokenVersion, now.Add(ttl))
	if err != nil {
		return fmt.Errorf("confirm %s: %w: %w", p.Email, err, asynq.SkipRetry)
	}
	e, err := h.Templates.RenderConfirm(templates.ConfirmData{
		Brand: h.Brand, Email: sub.Email, ConfirmURL: link, Expires: now.Add(ttl),
	})
	if err != nil {
		return fmt.Errorf("confirm %s: %w: %w", p.Email, err, asynq.SkipRetry)
	}
	domain := fromDomain(h.From)
	// Transactional: the person asked for this one email, so it carries no
	// List-Unsubscribe (there is no list to leave yet) and no bulk headers.
	m := syndicate.Message{
		From: h.From, To: sub.Email, ToName: sub.Name, Subject: e.Subject, Text: e.Text, HTML: e.HTML,
		MessageID: MessageID(before.ID, item, sub.Email, domain), Date: now, Transactional: true,
		ReturnPath: h.returnPath(before.ID),
	}
	var result error
	if err := h.Mailer.SendEach(ctx, 1, func(int) (syndicate.Message, error) { return m, nil }, func(_ int, err error) { result = err }); err != nil {
		return fmt.Errorf("confirm %s: %w", p.Email, err)
	}
	st, msg := h.emailResult(ctx, key, result, lastAttempt(ctx))
	if err := h.Store.FinishDelivery(context.WithoutCancel(ctx), key, st, m.MessageID, msg); err != nil {
		return fmt.Errorf("confirm %s: record: %w", p.Email, err)
	}
	if st == syndicate.StatusQueued {
		return fmt.Errorf("confirm %s: %w", p.Email, result)
	}
	return nil
}
