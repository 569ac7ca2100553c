package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"syndicate"
)

// ArticleSaver is what publishing needs of the store.
type ArticleSaver interface {
	SaveArticle(ctx context.Context, a syndicate.Article) (created bool, err error)
	Deliveries(ctx context.Context, item string) ([]syndicate.Delivery, error)
}

// Publisher stores articles and queues their fan-out: the one way in for
// the CLI, the publish API, CMS webhooks and the feed poller.
type Publisher struct {
	Store    ArticleSaver
	Queue    Enqueuer
	MaxRetry int
	Now      func() time.Time
}

// Publish stores a and queues its delivery at at (zero: now). Publishing is
// idempotent by article ID: a known article is queued again only if its
// fan-out never ran (a crash between saving and queueing), and the task's
// ID refuses a second copy of one still queued.
func (p Publisher) Publish(ctx context.Context, a syndicate.Article, at time.Time) (bool, error) {
	if a.ID == "" {
		canon, err := syndicate.CanonicalURL(a.URL)
		if err != nil {
			return false, err
		}
		a.ID = syndicate.ArticleID(canon)
	}
	save := p.Store.SaveArticle
	if ss, ok := p.Store.(ScheduleSaver); ok {
		save = func(ctx context.Context, a syndicate.Article) (bool, error) { return ss.SaveArticleAt(ctx, a, at) }
	}
	created, err := save(ctx, a)
	if err != nil {
		return false, err
	}
	if !created {
		ds, err := p.Store.Deliveries(ctx, a.ID)
		if err != nil {
			return false, err
		}
		if len(ds) > 0 {
			return false, nil
		}
	}
	t, opts := NewPublishTask(a.ID, p.MaxRetry)
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	if at.After(now()) {
		opts = append(opts, asynq.ProcessAt(at))
	}
	if _, err := p.Queue.EnqueueContext(ctx, t, opts...); err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return created, fmt.Errorf("queue article %s: %w", a.ID, err)
	}
	return created, nil
}
