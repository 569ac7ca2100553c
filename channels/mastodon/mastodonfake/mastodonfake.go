// Package mastodonfake is a fake of the part of Mastodon's REST API that
// package mastodon uses, for tests of that package and end-to-end tests of
// the whole program.
//
// Like Mastodon it checks the bearer token, takes a JSON or form body,
// counts the text in grapheme clusters with every http(s) link counted as
// characters_reserved_per_url, and answers a repeated Idempotency-Key with
// the status that key already made. Knobs make it misbehave the ways a real
// instance does.
package mastodonfake

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"html"
	"io"
	"log"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"syndicate/channels/internal/fakefail"
	"syndicate/textlen"
)

const (
	maxBody = 1 << 20
	// maxHang bounds HangNext so a client that never gives up cannot keep
	// a test's server from closing forever.
	maxHang = time.Minute
	// firstID looks like a Mastodon snowflake id; ids count up from it.
	firstID = 113000000000000001
)

// Server is an http.Handler faking one Mastodon account on one instance:
// POST /api/v1/statuses, GET /api/v2/instance and
// GET /api/v1/accounts/verify_credentials. Mount it with
// httptest.NewServer. It is safe for concurrent use.
//
// Unlike a real instance it remembers idempotency keys for its whole life,
// not an hour, and does not shorten @mentions when counting.
type Server struct {
	token string

	mu        sync.Mutex
	maxChars  int
	urlWeight int
	statuses  []status
	byKey     map[string]int // Idempotency-Key → index into statuses
	fails     fakefail.Queue
	afterFail []int // statuses to answer after creating, one per creation
	hangs     int
	requests  int
	nextID    int64
}

type status struct {
	ID         string
	Text       string
	Visibility string
	CreatedAt  time.Time
}

// NewServer returns a fake instance whose one account accepts the bearer
// token token, with Mastodon's default limits (500 characters, 23 per
// link).
func NewServer(token string) *Server {
	return &Server{
		token:     token,
		maxChars:  textlen.MastodonDefaultLimit,
		urlWeight: textlen.MastodonURLWeight,
		byKey:     map[string]int{},
		nextID:    firstID,
	}
}

// SetLimit sets the instance's max_characters, reported by
// GET /api/v2/instance and enforced on new statuses.
func (s *Server) SetLimit(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.maxChars = n
}

// Statuses returns the texts of the statuses created so far, in order; a
// request answered from its idempotency key adds none.
func (s *Server) Statuses() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	texts := make([]string, len(s.statuses))
	for i, st := range s.statuses {
		texts[i] = st.Text
	}
	return texts
}

// Requests returns how many requests arrived, on any path, authorised or
// not: what a test counts to prove something was cached or never sent.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// FailNext makes the next request that passes the token check (of any
// endpoint; GET /api/v2/instance needs no token) answer status with body
// and the given headers instead of being handled; nothing is created.
// Calls queue up, one failure per request. For a rate limit, pass the
// header "X-RateLimit-Reset" as an ISO 8601 time.
func (s *Server) FailNext(status int, body string, header map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fails.Push(status, body, header)
}

// FailAfterCreate makes the next status creation happen (it shows in
// Statuses and its idempotency key is remembered) and then answer status
// (a 5xx, say) instead of the status: the failure after which only the
// idempotency key keeps a retry from posting twice. Calls queue up.
func (s *Server) FailAfterCreate(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.afterFail = append(s.afterFail, status)
}

// HangNext makes the next status creation happen and its response be
// withheld until the client gives up (or a minute passes): the timeout
// after which the status exists but the client cannot know it. Calls add
// up.
func (s *Server) HangNext() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hangs++
}

// ServeHTTP answers like Mastodon: 401 for a missing or wrong token (on
// the endpoints that need one), then any queued failure, then the endpoint
// itself.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	s.mu.Unlock()

	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, "cannot read request body: "+err.Error())
		return
	}
	if len(body) > maxBody {
		writeError(w, http.StatusRequestEntityTooLarge, "request body is too large")
		return
	}
	route := r.Method + " " + r.URL.Path
	if route != "GET /api/v2/instance" && !s.authorized(r) {
		writeError(w, http.StatusUnauthorized, "The access token is invalid")
		return
	}

	s.mu.Lock()
	f := s.fails.Pop()
	s.mu.Unlock()
	if f != nil {
		f.Write(w, "mastodonfake")
		return
	}

	switch route {
	case "POST /api/v1/statuses":
		s.createStatus(w, r, body)
	case "GET /api/v2/instance":
		s.mu.Lock()
		maxChars, urlWeight := s.maxChars, s.urlWeight
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{
			"domain":  r.Host,
			"title":   "Fake Mastodon",
			"version": "4.3.0",
			"configuration": map[string]any{
				"statuses": map[string]any{
					"max_characters":              maxChars,
					"max_media_attachments":       4,
					"characters_reserved_per_url": urlWeight,
				},
			},
		})
	case "GET /api/v1/accounts/verify_credentials":
		writeJSON(w, http.StatusOK, account(r))
	default:
		writeError(w, http.StatusNotFound, "Record not found")
	}
}

// authorized checks the bearer token in constant time, as a token check
// should be even in a fake that someone may copy.
func (s *Server) authorized(r *http.Request) bool {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	return ok && strings.EqualFold(scheme, "Bearer") &&
		subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), []byte(s.token)) == 1
}

func (s *Server) createStatus(w http.ResponseWriter, r *http.Request, body []byte) {
	params, err := parseParams(r, body)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	key := r.Header.Get("Idempotency-Key")

	s.mu.Lock()
	// Mastodon looks the key up before validating anything, so a repeat
	// returns the first status even if the text has changed since.
	if i, ok := s.byKey[key]; ok && key != "" {
		st := s.statuses[i]
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, statusJSON(r, st))
		return
	}
	text := strings.TrimSpace(params.status)
	vis := params.visibility
	if vis == "" {
		vis = "public"
	}
	var refusal string
	switch {
	case text == "":
		refusal = "Validation failed: Text can't be blank"
	case vis != "public" && vis != "unlisted" && vis != "private" && vis != "direct":
		refusal = "'" + vis + "' is not a valid visibility"
	case textlen.Mastodon(text, s.urlWeight) > s.maxChars:
		refusal = "Validation failed: Text character limit of " + strconv.Itoa(s.maxChars) + " exceeded"
	}
	if refusal != "" {
		s.mu.Unlock()
		writeError(w, http.StatusUnprocessableEntity, refusal)
		return
	}
	// Mastodon keeps the text stripped, as it counted it.
	st := status{ID: strconv.FormatInt(s.nextID, 10), Text: text, Visibility: vis, CreatedAt: time.Now().UTC()}
	s.nextID++
	s.statuses = append(s.statuses, st)
	if key != "" {
		s.byKey[key] = len(s.statuses) - 1
	}
	failWith := 0
	if len(s.afterFail) > 0 {
		failWith, s.afterFail = s.afterFail[0], s.afterFail[1:]
	}
	hang := failWith == 0 && s.hangs > 0
	if hang {
		s.hangs--
	}
	s.mu.Unlock()

	if failWith != 0 {
		writeError(w, failWith, http.StatusText(failWith))
		return
	}
	if hang {
		t := time.NewTimer(maxHang)
		defer t.Stop()
		select {
		case <-r.Context().Done():
			return
		case <-t.C:
		}
	}
	writeJSON(w, http.StatusOK, statusJSON(r, st))
}

type statusParams struct{ status, visibility string }

// parseParams reads the parameters of a status from a JSON, form or
// multipart body. Like Rails, a body of another type has no parameters
// (and so no text).
func parseParams(r *http.Request, body []byte) (statusParams, error) {
	mt, mparams, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return statusParams{}, nil
	}
	switch mt {
	case "application/json":
		var fields struct {
			Status     *string `json:"status"`
			Visibility *string `json:"visibility"`
		}
		if err := json.Unmarshal(body, &fields); err != nil {
			return statusParams{}, errors.New("Error occurred while parsing request parameters: " + err.Error())
		}
		var p statusParams
		if fields.Status != nil {
			p.status = *fields.Status
		}
		if fields.Visibility != nil {
			p.visibility = *fields.Visibility
		}
		return p, nil
	case "application/x-www-form-urlencoded":
		v, err := url.ParseQuery(string(body))
		if err != nil {
			return statusParams{}, errors.New("Error occurred while parsing request parameters: " + err.Error())
		}
		return statusParams{status: v.Get("status"), visibility: v.Get("visibility")}, nil
	case "multipart/form-data":
		if mparams["boundary"] == "" {
			return statusParams{}, errors.New("Error occurred while parsing request parameters: no multipart boundary")
		}
		// ParseMultipartForm reads r.Body, which ServeHTTP has consumed.
		r.Body = io.NopCloser(bytes.NewReader(body))
		if err := r.ParseMultipartForm(maxBody); err != nil {
			return statusParams{}, errors.New("Error occurred while parsing request parameters: " + err.Error())
		}
		return statusParams{status: r.PostFormValue("status"), visibility: r.PostFormValue("visibility")}, nil
	}
	return statusParams{}, nil
}

func statusJSON(r *http.Request, st status) map[string]any {
	base := "http://" + r.Host
	return map[string]any{
		"id":         st.ID,
		"created_at": st.CreatedAt.Format("2006-01-02T15:04:05.000Z"),
		"visibility": st.Visibility,
		"language":   nil,
		"uri":        base + "/users/fakenewsroom/statuses/" + st.ID,
		"url":        base + "/@fakenewsroom/" + st.ID,
		"content":    "<p>" + html.EscapeString(st.Text) + "</p>",
		"account":    account(r),
	}
}

func account(r *http.Request) map[string]any {
	return map[string]any{
		"id":           "109000000000000001",
		"username":     "fakenewsroom",
		"acct":         "fakenewsroom",
		"display_name": "Fake Newsroom",
		"url":          "http://" + r.Host + "/@fakenewsroom",
	}
}

// writeError writes an error as Mastodon does: {"error": message}.
func writeError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, map[string]string{"error": message})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		// Only a client that went away makes this fail; say so for
		// whoever reads a failing test's log.
		log.Printf("mastodonfake: write %d response: %v", status, err)
	}
}
