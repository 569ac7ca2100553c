package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"

	"syndicate/jobs"
)

// TestFeedPollsHaveTheirOwnQueue: feed polls wait on QueueFeeds, apart from
// the sending, so that a worker without the article reader can leave them.
func TestFeedPollsHaveTheirOwnQueue(t *testing.T) {
	mr := miniredis.RunT(t)
	c := asynq.NewClient(asynq.RedisClientOpt{Addr: mr.Addr()})
	defer c.Close()
	task, opts := jobs.NewFeedPollTask("https://news.example.com/feed.xml", 10*time.Minute)
	info, err := c.EnqueueContext(context.Background(), task, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if info.Queue != jobs.QueueFeeds {
		t.Errorf("a feed poll is queued on %q, want %q", info.Queue, jobs.QueueFeeds)
	}
}
