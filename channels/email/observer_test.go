package email

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// countingObserver keeps what a Sender reports.
type countingObserver struct {
	mu      sync.Mutex
	replies map[string]int // "code enhanced"
	paced   int
}

func (o *countingObserver) Reply(code int, enhanced string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.replies[fmt.Sprintf("%d %s", code, enhanced)]++
}

func (o *countingObserver) Paced(time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.paced++
}

// The Observer hears every reply the server gave a message, with its
// enhanced code, a login refused, and each wait for the rate limit; a
// message that got no reply is not a reply.
func TestObserverHearsReplies(t *testing.T) {
	ts := newTestServer(t, func(ts *testServer) {
		ts.rcpt = func(to string) error {
			switch to {
			case "reader1@example.org":
				return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}
			case "reader2@example.org":
				return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such mailbox here"}
			case "reader3@example.org":
				return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.NoEnhancedCode, Message: "no such user"}
			}
			return nil
		}
	})
	obs := &countingObserver{replies: map[string]int{}}
	s, err := New(Config{URL: ts.url(""), Timeout: 5 * time.Second, HELO: "test.local", Rate: 1000, Burst: 1, Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := send(t, context.Background(), s, messages(5)); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"250 ": 2, "451 4.3.0": 1, "550 5.1.1": 1, "550 ": 1}
	if len(obs.replies) != len(want) {
		t.Errorf("replies = %v, want %v", obs.replies, want)
	}
	for k, n := range want {
		if obs.replies[k] != n {
			t.Errorf("replies[%q] = %d, want %d (all: %v)", k, obs.replies[k], n, obs.replies)
		}
	}
	if obs.paced != 5 {
		t.Errorf("paced %d times, want once per message (5)", obs.paced)
	}

	// A refused login is a reply too.
	auth := newTestServer(t, func(ts *testServer) { ts.user, ts.pass = "u", "right" })
	obs = &countingObserver{replies: map[string]int{}}
	s, err = New(Config{URL: auth.url("u:wrong"), Timeout: 5 * time.Second, HELO: "test.local", Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := send(t, context.Background(), s, messages(2)); err != nil {
		t.Fatal(err)
	}
	for k, n := range obs.replies {
		if k[0] != '5' || n != 1 {
			t.Errorf("after a refused login: replies = %v, want one 5xx", obs.replies)
		}
	}
	if len(obs.replies) != 1 {
		t.Errorf("after a refused login: replies = %v, want one 5xx", obs.replies)
	}
}
