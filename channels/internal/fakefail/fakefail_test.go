package fakefail

import (
	"net/http/httptest"
	"testing"
)

func TestQueue(t *testing.T) {
	var q Queue
	if q.Pop() != nil {
		t.Fatal("an empty queue gave a failure")
	}
	q.Push(429, `{"error":"slow"}`, map[string]string{"Retry-After": "3"})
	q.Push(500, "boom", map[string]string{"Content-Type": "text/plain"})
	rec := httptest.NewRecorder()
	q.Pop().Write(rec, "test")
	if rec.Code != 429 || rec.Header().Get("Retry-After") != "3" || rec.Header().Get("Content-Type") != "application/json; charset=utf-8" || rec.Body.String() != `{"error":"slow"}` {
		t.Errorf("first failure written as %d %v %q", rec.Code, rec.Header(), rec.Body.String())
	}
	rec = httptest.NewRecorder()
	q.Pop().Write(rec, "test")
	if rec.Code != 500 || rec.Header().Get("Content-Type") != "text/plain" {
		t.Errorf("second failure written as %d %v", rec.Code, rec.Header())
	}
	if q.Pop() != nil {
		t.Error("the queue did not empty")
	}
}
