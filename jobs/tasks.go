// Package jobs holds the asynq task types, their payloads and constructors,
// the handlers that turn them into deliveries, and the retry policy.
//
// Every outside effect goes through the delivery ledger: a handler marks a
// row sending before it acts and records the result after, and skips rows
// already final, so a retried or duplicated task does nothing twice.
package jobs

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/hibiken/asynq"

	"syndicate"
)

// Task types.
const (
	TypeArticlePublish = "article:publish"
	TypePostSend       = "post:send"
	TypeEmailBatch     = "email:batch"
	TypeDigestBuild    = "digest:build"
	TypeEmailConfirm   = "email:confirm"
)

// Queue names. Every task but the feed polls is on QueueDefault; the polls,
// which read pages, are on QueueFeeds, so that workers built without the
// article reader (the sendonly tag) can leave them to the others.
const (
	QueueDefault = "default"
	QueueFeeds   = "feeds"
)

// Retention keeps finished tasks so their TaskID still refuses a second
// enqueue of the same work for that long.
const Retention = 7 * 24 * time.Hour

type publishPayload struct {
	ArticleID string `json:"article_id"`
}

type postPayload struct {
	ArticleID string            `json:"article_id"`
	Channel   syndicate.Channel `json:"channel"`
}

type batchPayload struct {
	Item      string              `json:"item"` // article ID for instant email, digest ID otherwise
	Frequency syndicate.Frequency `json:"frequency"`
	Articles  []string            `json:"articles"` // newest first
	Bucket    int64               `json:"bucket"`   // its plan (see Store.BeginPlan)
	Emails    []string            `json:"emails"`
}

// NewPublishTask returns the fan-out task of one article. Its TaskID makes a
// second enqueue of the same article a no-op.
func NewPublishTask(articleID string, maxRetry int) (*asynq.Task, []asynq.Option) {
	p, _ := json.Marshal(publishPayload{ArticleID: articleID}) // cannot fail: plain struct
	return asynq.NewTask(TypeArticlePublish, p), []asynq.Option{
		asynq.TaskID(PublishTaskID(articleID)), asynq.MaxRetry(maxRetry), asynq.Retention(Retention),
	}
}

// PublishTaskID is the TaskID of an article's fan-out task.
func PublishTaskID(articleID string) string { return "publish:" + articleID }

// NewPostTask returns the task that posts one article to one channel.
func NewPostTask(articleID string, ch syndicate.Channel, maxRetry int) (*asynq.Task, []asynq.Option) {
	p, _ := json.Marshal(postPayload{ArticleID: articleID, Channel: ch}) // cannot fail: plain struct
	return asynq.NewTask(TypePostSend, p), []asynq.Option{
		asynq.TaskID("post:" + string(ch) + ":" + articleID), asynq.MaxRetry(maxRetry), asynq.Retention(Retention),
	}
}

// NewEmailBatchTask returns the task that mails one item to one bucket of
// subscribers over one SMTP connection. Buckets are fixed ranges of
// subscriber IDs, so a fan-out that runs twice makes the same TaskIDs.
func NewEmailBatchTask(item string, freq syndicate.Frequency, articles []string, bucket int64, emails []string, maxRetry int) (*asynq.Task, []asynq.Option) {
	p, _ := json.Marshal(batchPayload{Item: item, Frequency: freq, Articles: articles, Bucket: bucket, Emails: emails}) // cannot fail: plain struct
	return asynq.NewTask(TypeEmailBatch, p), []asynq.Option{
		asynq.TaskID("email:" + item + ":" + strconv.FormatInt(bucket, 10)), asynq.MaxRetry(maxRetry), asynq.Retention(Retention),
	}
}
