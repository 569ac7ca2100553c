package jobs_test

import (
	"sync"
	"testing"
	"time"

	"syndicate"
	"syndicate/jobs"
)

// fakeRecorder keeps what the handlers count.
type fakeRecorder struct {
	mu        sync.Mutex
	delivered map[string]int // "channel status"
	untimed   int            // deliveries without a planned time
	answers   map[string]int // "channel outcome"
	waited    time.Duration
}

func newFakeRecorder() *fakeRecorder {
	return &fakeRecorder{delivered: map[string]int{}, answers: map[string]int{}}
}

func (r *fakeRecorder) Delivered(ch syndicate.Channel, st syndicate.DeliveryStatus, planned time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.delivered[string(ch)+" "+string(st)]++
	if planned.IsZero() {
		r.untimed++
	}
}

func (r *fakeRecorder) Answered(ch syndicate.Channel, outcome string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.answers[string(ch)+" "+outcome]++
}

func (r *fakeRecorder) Waited(_ syndicate.Channel, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.waited += d
}

// The handlers count each delivery as it reaches its status (with the
// time it was planned) and each answer of a network by outcome.
func TestHandlersCount(t *testing.T) {
	for _, c := range []struct {
		name    string
		err     error
		answer  string
		status  syndicate.DeliveryStatus // "" when the delivery is not final
		waitFor time.Duration
	}{
		{"sent", nil, "x sent", syndicate.StatusSent, 0},
		{"rate limited", &syndicate.RateLimitError{RetryAfter: 90 * time.Second}, "x rate_limited", "", 90 * time.Second},
		{"auth", &syndicate.SendError{Outcome: syndicate.AuthFailed, Code: 401}, "x auth", syndicate.StatusFailed, 0},
		{"duplicate", &syndicate.SendError{Outcome: syndicate.Duplicate, Code: 403}, "x duplicate", syndicate.StatusDuplicate, 0},
		{"unknown", &syndicate.SendError{Outcome: syndicate.Unknown, Code: 503}, "x unknown", syndicate.StatusUnknown, 0},
		{"temporary", &syndicate.SendError{Outcome: syndicate.Temporary}, "x error", "", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, 0)
			rec := newFakeRecorder()
			f.h.Metrics = rec
			p := &fakePoster{}
			if c.err != nil {
				p.errs = []error{c.err}
			}
			f.h.Posters[syndicate.ChannelX] = p
			if err := handle(f.h, postTask(f, syndicate.ChannelX)); err != nil {
				t.Logf("handler: %v (what it means is TestPostOutcomes' business)", err)
			}
			if len(rec.answers) != 1 || rec.answers[c.answer] != 1 {
				t.Errorf("answers = %v, want one %q", rec.answers, c.answer)
			}
			var want map[string]int
			if c.status != "" {
				want = map[string]int{"x " + string(c.status): 1}
			}
			if len(rec.delivered) != len(want) || (c.status != "" && rec.delivered["x "+string(c.status)] != 1) {
				t.Errorf("delivered = %v, want %v", rec.delivered, want)
			}
			if rec.untimed != 0 {
				t.Errorf("%d deliveries counted without their planned time", rec.untimed)
			}
			if rec.waited != c.waitFor {
				t.Errorf("waited %s, want %s", rec.waited, c.waitFor)
			}
		})
	}

	f := newFixture(t, 3)
	rec := newFakeRecorder()
	f.h.Metrics = rec
	f.h.Mailer = &fakeMailer{fail: func(m syndicate.Message, _ int) error {
		if m.To == "r01@example.com" {
			return &syndicate.SendError{Outcome: syndicate.Bounced, Code: 550, Message: "5.1.1 no such user"}
		}
		return nil
	}}
	emails := []string{"r01@example.com", "r02@example.com", "r03@example.com"}
	task, _ := jobs.NewEmailBatchTask(f.art.ID, syndicate.Instant, []string{f.art.ID}, 0, emails, 3)
	if err := handle(f.h, task); err != nil {
		t.Fatal(err)
	}
	if err := handle(f.h, task); err != nil { // a duplicated task counts nothing more
		t.Fatal(err)
	}
	if rec.delivered["email sent"] != 2 || rec.delivered["email bounced"] != 1 || len(rec.delivered) != 2 || rec.untimed != 0 {
		t.Errorf("email deliveries = %v (%d untimed), want 2 sent and 1 bounced, all timed", rec.delivered, rec.untimed)
	}
}
