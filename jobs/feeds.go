package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
)

// TypeFeedPoll polls one feed for new articles.
const TypeFeedPoll = "feed:poll"

// FeedPoller fetches a feed and publishes what is new. ErrBackoff (any
// error for which IsBackoff is true) means the feed failed recently and is
// not due yet.
type FeedPoller interface {
	Poll(ctx context.Context, url string) (published int, err error)
}

type feedPayload struct {
	URL string `json:"url"`
}

// NewFeedPollTask returns the task that polls url once. Unique for most of
// the interval: several schedulers firing at once poll the feed once.
func NewFeedPollTask(url string, interval time.Duration) (*asynq.Task, []asynq.Option) {
	p, _ := json.Marshal(feedPayload{URL: url}) // cannot fail: plain struct
	return asynq.NewTask(TypeFeedPoll, p), []asynq.Option{
		asynq.Queue(QueueFeeds), asynq.Unique(interval * 9 / 10), asynq.MaxRetry(0), asynq.Retention(time.Hour),
	}
}

// ErrFeedBackoff is what a FeedPoller may return (wrapped) for a feed that
// is waiting after a failure.
var ErrFeedBackoff = errors.New("feed is backing off after a failure")

// handleFeedPoll polls one feed. A broken feed is logged and left to its
// backoff, never retried by the queue: the next interval polls it again,
// and the other feeds are their own tasks, so nothing else waits.
func (h *Handler) handleFeedPoll(ctx context.Context, t *asynq.Task) error {
	var p feedPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("decode %s payload: %v: %w", t.Type(), err, asynq.SkipRetry)
	}
	if h.Feeds == nil {
		return fmt.Errorf("poll feed %s: feeds are not configured: %w", p.URL, asynq.SkipRetry)
	}
	n, err := h.Feeds.Poll(ctx, p.URL)
	switch {
	case err == nil:
		if n > 0 {
			h.feedPolled("published")
			h.log().Info("feed polled", "feed", p.URL, "published", n)
		} else {
			h.feedPolled("unchanged")
		}
	case errors.Is(err, ErrFeedBackoff):
		h.feedPolled("backoff")
		h.log().Debug("feed backing off", "feed", p.URL)
	default:
		h.feedPolled("error")
		h.log().Warn("feed poll failed; it backs off and is tried again", "feed", p.URL, "error", err)
	}
	return nil
}
