// Package fakefail is the queue of injected failures the fake X, Mastodon
// and Bluesky servers share: a test asks for the next request to fail with a
// given status, body and headers, and the fake answers so.
package fakefail

import (
	"io"
	"log"
	"net/http"
	"sync"
)

// Failure is one injected answer.
type Failure struct {
	Status int
	Body   string
	Header map[string]string
}

// Queue holds the failures to answer with, first in first out. Its zero
// value is empty and ready; it is safe for concurrent use.
type Queue struct {
	mu sync.Mutex
	q  []Failure
}

// Push queues a failure for a later request.
func (q *Queue) Push(status int, body string, header map[string]string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.q = append(q.q, Failure{Status: status, Body: body, Header: header})
}

// Pop takes the next failure, or nil when none is queued.
func (q *Queue) Pop() *Failure {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.q) == 0 {
		return nil
	}
	f := q.q[0]
	q.q = q.q[1:]
	return &f
}

// Write answers w with the failure; JSON unless its headers say otherwise.
// fake names the server in the log line of a failed write.
func (f *Failure) Write(w http.ResponseWriter, fake string) {
	for k, v := range f.Header {
		w.Header().Set(k, v)
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.WriteHeader(f.Status)
	if _, err := io.WriteString(w, f.Body); err != nil {
		log.Printf("%s: write injected %d response: %v", fake, f.Status, err)
	}
}
