package jobs

import (
	"time"

	"syndicate"
)

// Recorder counts what the handlers do, for the metrics endpoint. Its
// methods run once per message: they must be cheap and must not block.
// *metrics.Metrics is one.
type Recorder interface {
	// Delivered counts a delivery that reached the final status st;
	// planned is when its ledger row was made (zero when not known).
	Delivered(ch syndicate.Channel, st syndicate.DeliveryStatus, planned time.Time)
	// Answered counts one answer of a network to a post: "sent",
	// "rate_limited", "auth", "duplicate", "unknown" or "error".
	Answered(ch syndicate.Channel, outcome string)
	// Waited counts one wait of d that a rate limit asked for.
	Waited(ch syndicate.Channel, d time.Duration)
}

// FeedRecorder counts feed polls by result: "published", "unchanged",
// "backoff" or "error".
type FeedRecorder interface {
	FeedPolled(result string)
}

// noRecorder is the Recorder of a Handler without metrics.
type noRecorder struct{}

func (noRecorder) Delivered(syndicate.Channel, syndicate.DeliveryStatus, time.Time) {}
func (noRecorder) Answered(syndicate.Channel, string)                               {}
func (noRecorder) Waited(syndicate.Channel, time.Duration)                          {}

func (h *Handler) metrics() Recorder {
	if h.Metrics != nil {
		return h.Metrics
	}
	return noRecorder{}
}

func (h *Handler) feedPolled(result string) {
	if h.FeedMetrics != nil {
		h.FeedMetrics.FeedPolled(result)
	}
}

// answerOf names the outcome of a post's error for Recorder.Answered.
func answerOf(err error) string {
	switch syndicate.OutcomeOf(err) {
	case syndicate.AuthFailed:
		return "auth"
	case syndicate.Duplicate:
		return "duplicate"
	case syndicate.Unknown:
		return "unknown"
	}
	return "error"
}
