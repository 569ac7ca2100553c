// Package alertsfake is a fake Slack, Discord or generic webhook receiver
// for tests of the alerts. It refuses what the real one refuses: Slack a
// body that is not JSON with a non-empty "text" (400 invalid_payload or
// no_text); Discord an empty "content" or one over 2000 characters (400);
// a generic receiver a request whose X-Syndicate-Signature does not verify
// with its secret (401).
package alertsfake

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"syndicate/channels/webhook"
)

// Server is one fake receiver.
type Server struct {
	format, secret string
	now            func() time.Time
	srv            *httptest.Server

	mu      sync.Mutex
	texts   []string // what each accepted notice said
	events  []string // generic: the event of each
	refused int
	down    bool
}

// New starts a receiver of format ("slack", "discord" or "generic", whose
// requests must be signed with secret), checking timestamps against now
// (nil: time.Now). Close it when done.
func New(format, secret string, now func() time.Time) *Server {
	if now == nil {
		now = time.Now
	}
	s := &Server{format: format, secret: secret, now: now}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is where notices are posted.
func (s *Server) URL() string { return s.srv.URL }

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// SetDown makes the receiver answer 503 to everything while down.
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// Notices returns the text of every notice accepted, in order (for a
// generic receiver, the message field).
func (s *Server) Notices() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.texts...)
}

// Events returns the X-Syndicate-Event of every notice a generic
// receiver accepted.
func (s *Server) Events() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.events...)
}

// Refused counts the requests refused as malformed or unsigned (not those
// refused while down).
func (s *Server) Refused() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused
}

func (s *Server) serve(w http.ResponseWriter, req *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	body, err := io.ReadAll(req.Body)
	if err != nil || req.Method != http.MethodPost {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	refuse := func(code int, msg string) {
		s.refused++
		http.Error(w, msg, code)
	}
	if !strings.HasPrefix(req.Header.Get("Content-Type"), "application/json") {
		refuse(http.StatusBadRequest, "invalid_payload")
		return
	}
	switch s.format {
	case webhook.FormatSlack:
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			refuse(http.StatusBadRequest, "invalid_payload")
			return
		}
		text, ok := m["text"].(string)
		if !ok || text == "" {
			refuse(http.StatusBadRequest, "no_text")
			return
		}
		s.texts = append(s.texts, text)
		io.WriteString(w, "ok")
	case webhook.FormatDiscord:
		var m struct {
			Content *string `json:"content"`
		}
		if err := json.Unmarshal(body, &m); err != nil || m.Content == nil || *m.Content == "" {
			refuse(http.StatusBadRequest, `{"message": "Cannot send an empty message", "code": 50006}`)
			return
		}
		if utf8.RuneCountInString(*m.Content) > 2000 {
			refuse(http.StatusBadRequest, `{"content": ["Must be 2000 or fewer in length."]}`)
			return
		}
		s.texts = append(s.texts, *m.Content)
		w.WriteHeader(http.StatusNoContent)
	default:
		if err := webhook.Verify(s.secret, req.Header, body, s.now(), 0); err != nil {
			refuse(http.StatusUnauthorized, err.Error())
			return
		}
		var n struct {
			Event, Message string
		}
		if err := json.Unmarshal(body, &n); err != nil || n.Event == "" || n.Event != req.Header.Get(webhook.HeaderEvent) {
			refuse(http.StatusBadRequest, "event header and body disagree")
			return
		}
		s.texts = append(s.texts, n.Message)
		s.events = append(s.events, n.Event)
		w.WriteHeader(http.StatusNoContent)
	}
}
