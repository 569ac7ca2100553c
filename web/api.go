package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"regexp"
	"strings"
	"time"

	"syndicate"
	"syndicate/article"
)

// The publish API.
//
//	POST /v1/articles
//	Authorization: Bearer TOKEN
//	Content-Type: application/json
//
//	{"title", "url", "author", "date", "tags", "summary", "image", "body",
//	 "publish_at"}
//
// takes the fields of an article file in JSON (see package article: body is
// Markdown or plain text, date an RFC 3339 time or YYYY-MM-DD) and answers
// 202 {"id", "status_url", "created"}. publish_at, an RFC 3339 time, holds
// the delivery until then. The ID is derived from the canonical URL, so a
// second POST of the same URL answers 202 with the same ID and created
// false, and changes nothing.
//
//	GET /v1/articles/{id}
//	Authorization: Bearer TOKEN
//
// answers {"article": {...}, "deliveries": [{channel, status, subscriber,
// error, attempts, remote_id, updated_at}], "counts": {channel: {status: n}}}.
//
// Every error is JSON, {"error": "..."} plus "field" when one input field is
// at fault: 400 bad input, 401 no or wrong token, 404 unknown article, 413
// body over Config.MaxBody, 415 not JSON, 503 API off or an article that
// took longer than parseTimeout to read.

// fieldError is an EINVALID error that one input field is to blame for;
// the API names the field next to the message.
type fieldError struct {
	field string
	err   *syndicate.Error
}

func (e *fieldError) Error() string { return e.err.Message }
func (e *fieldError) Unwrap() error { return e.err }

// invalidField returns an EINVALID error blaming field.
func invalidField(field, format string, args ...any) error {
	return &fieldError{field: field, err: syndicate.Errorf(syndicate.EINVALID, format, args...)}
}

// apiError is the body of every /v1 error.
type apiError struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

// writeAPIError answers with a JSON error.
func writeAPIError(w http.ResponseWriter, log *slog.Logger, status int, msg string) {
	writeJSON(w, log, status, apiError{Error: msg})
}

// failAPI answers err by its code: EINVALID 400 (naming the field when a
// *fieldError says which), ENOTFOUND 404, ECONFLICT 409. Anything else is
// logged and answered 500 with a generic message, since its text may name
// a database or a host.
func failAPI(w http.ResponseWriter, log *slog.Logger, err error, doing string) {
	var status int
	switch syndicate.ErrorCode(err) {
	case syndicate.EINVALID:
		status = http.StatusBadRequest
	case syndicate.ENOTFOUND:
		status = http.StatusNotFound
	case syndicate.ECONFLICT:
		status = http.StatusConflict
	default:
		log.Error(doing, "error", err)
		writeAPIError(w, log, http.StatusInternalServerError, "something went wrong on our side; try again later")
		return
	}
	body := apiError{Error: syndicate.ErrorMessage(err)}
	var fe *fieldError
	if errors.As(err, &fe) {
		body.Field = fe.field
	}
	writeJSON(w, log, status, body)
}

// apiOn reports whether the publish API can serve; when it returns false it
// has answered 503. An empty token turns the API off rather than letting
// an empty Authorization header in.
func apiOn(w http.ResponseWriter, log *slog.Logger, c Config, dep any) bool {
	if c.APIToken == "" {
		writeAPIError(w, log, http.StatusServiceUnavailable, "the publish API is off: set SYNDICATE_API_TOKEN")
		return false
	}
	if dep == nil {
		writeAPIError(w, log, http.StatusServiceUnavailable, "the publish API is not available on this server")
		return false
	}
	return true
}

// authorized reports whether r carries the bearer token; when it returns
// false it has answered 401 with a WWW-Authenticate challenge (RFC 6750).
// The token is never logged.
func authorized(w http.ResponseWriter, r *http.Request, log *slog.Logger, token string) bool {
	scheme, got, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	got = strings.TrimSpace(got)
	if !ok || !strings.EqualFold(scheme, "Bearer") || got == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="syndicate"`)
		writeAPIError(w, log, http.StatusUnauthorized, "this API needs an Authorization: Bearer token")
		return false
	}
	// Comparing digests keeps the comparison constant-time in the token's
	// length too: subtle.ConstantTimeCompare returns early on a length
	// mismatch.
	want, have := sha256.Sum256([]byte(token)), sha256.Sum256([]byte(got))
	if subtle.ConstantTimeCompare(want[:], have[:]) != 1 {
		log.Info("refused API request with a wrong token", "path", r.URL.Path)
		w.Header().Set("WWW-Authenticate", `Bearer realm="syndicate", error="invalid_token"`)
		writeAPIError(w, log, http.StatusUnauthorized, "the bearer token is not valid")
		return false
	}
	return true
}

// isJSON reports whether r says its body is JSON; when it returns false it
// has answered 415.
func isJSON(w http.ResponseWriter, r *http.Request, log *slog.Logger) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		writeAPIError(w, log, http.StatusUnsupportedMediaType, "Content-Type must be application/json")
		return false
	}
	return true
}

// readBody reads r's whole body, bounded by limitBody. When ok is false it
// has answered: 413 naming what was too large, or 400 if the client went
// away mid-body.
func readBody(w http.ResponseWriter, r *http.Request, log *slog.Logger, what string) (body []byte, ok bool) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeAPIError(w, log, http.StatusRequestEntityTooLarge, fmt.Sprintf("%s is larger than %d bytes", what, tooBig.Limit))
			return nil, false
		}
		writeAPIError(w, log, http.StatusBadRequest, fmt.Sprintf("%s could not be read: %v", what, err))
		return nil, false
	}
	return body, true
}

// statusURL is where the state of article id can be read.
func statusURL(base, id string) string {
	return strings.TrimRight(base, "/") + "/v1/articles/" + id
}

// accepted is the 202 answer to a published article.
type accepted struct {
	ID        string `json:"id"`
	StatusURL string `json:"status_url"`
	Created   bool   `json:"created"`
}

// publish hands a to the Publisher and answers 202, or the error.
func publish(w http.ResponseWriter, r *http.Request, log *slog.Logger, c Config, a syndicate.Article, at time.Time, via string) {
	created, err := c.Publisher.Publish(r.Context(), a, at)
	if err != nil {
		failAPI(w, log, err, fmt.Sprintf("publish article %s from %s", a.ID, via))
		return
	}
	log.Info("article accepted", "article", a.ID, "via", via, "created", created)
	u := statusURL(c.BaseURL, a.ID)
	w.Header().Set("Location", u)
	writeJSON(w, log, http.StatusAccepted, accepted{ID: a.ID, StatusURL: u, Created: created})
}

// handlePublish is POST /v1/articles: see the top of this file.
func handlePublish(log *slog.Logger, c Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !apiOn(w, log, c, c.Publisher) || !authorized(w, r, log, c.APIToken) || !isJSON(w, r, log) {
			return
		}
		body, ok := readBody(w, r, log, "article")
		if !ok {
			return
		}
		var a syndicate.Article
		var at time.Time
		err := parseWithin(r.Context(), func() (err error) {
			a, at, err = parseArticleJSON(body, c.Now)
			return err
		})
		if err != nil {
			failParse(w, log, err, "parse article")
			return
		}
		publish(w, r, log, c, a, at, "api")
	})
}

// parseTimeout bounds the time a request spends making an article of its
// body. The parsers are linear in their input, so a body within MaxBody
// takes well under a second; the deadline keeps a parser's bug from holding
// a request, and its goroutine, for ever.
var parseTimeout = 10 * time.Second

// errParseTimeout is parseWithin's error when the parse outlasts the
// request or parseTimeout.
var errParseTimeout = errors.New("reading the article took too long")

// parseWithin runs parse, which sets the caller's variables, and waits for
// it until ctx is done or parseTimeout has passed. When the wait ends
// first it returns errParseTimeout, and the caller must not read what
// parse sets: Go cannot stop a goroutine, so parse runs on and its result
// is dropped. A panic in parse is returned as an error, since net/http
// recovers only the handler's own goroutine.
func parseWithin(ctx context.Context, parse func() error) error {
	ctx, cancel := context.WithTimeout(ctx, parseTimeout)
	defer cancel()
	if ctx.Err() != nil {
		return errParseTimeout // the client has gone: do not start
	}
	done := make(chan error, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				done <- fmt.Errorf("article parser panicked: %v", v)
			}
		}()
		done <- parse()
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return errParseTimeout
	}
}

// failParse answers an error of parseWithin: 503 if the parse ran out of
// time, else as failAPI does.
func failParse(w http.ResponseWriter, log *slog.Logger, err error, doing string) {
	if errors.Is(err, errParseTimeout) {
		log.Warn(doing, "error", err, "limit", parseTimeout)
		w.Header().Set("Retry-After", "60")
		writeAPIError(w, log, http.StatusServiceUnavailable,
			fmt.Sprintf("reading the article took longer than %v; try again later or send a shorter article", parseTimeout))
		return
	}
	failAPI(w, log, err, doing)
}

// articleSubject is the name article.Parse gives the input in its errors.
const articleSubject = "article file article.json"

// parseArticleJSON reads a POST /v1/articles body with article.Parse, so
// the API and `syndicate publish article.json` make the same article of the
// same input, and takes publish_at, which Parse does not know.
func parseArticleJSON(body []byte, now func() time.Time) (syndicate.Article, time.Time, error) {
	a, err := article.Parse("article.json", bytes.NewReader(body), article.Options{Now: now})
	if err != nil {
		return a, time.Time{}, apiParseError(err)
	}
	// Parse has checked that body is one JSON object.
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return a, time.Time{}, syndicate.Errorf(syndicate.EINVALID, "article is not valid JSON: %v", err)
	}
	var at time.Time
	for k, v := range raw {
		// Keys are matched without case, as Parse matches its own.
		if !strings.EqualFold(k, "publish_at") || string(bytes.TrimSpace(v)) == "null" {
			continue
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return a, at, invalidField("publish_at", "article field %q is not a string", k)
		}
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if at, err = time.Parse(time.RFC3339, s); err != nil {
			return a, at, invalidField("publish_at", "article publish_at %q is not an RFC 3339 time like 2025-06-01T09:00:00Z", s)
		}
	}
	return a, at, nil
}

// parseProblems name the field behind each of article.Parse's complaints,
// by the words that follow the subject in its message ("... has no
// title; give one with --title"). The API tests pin the common ones.
var parseProblems = []struct{ prefix, field string }{
	{"has no title", "title"},
	{"has a title", "title"},
	{"has no URL", "url"},
	{"has a bad URL", "url"},
	{"has image", "image"},
	{"has an author", "author"},
	{"has tag", "tags"},
	{"has date", "date"},
	{"has published_at", "published_at"},
	{"has a body", "body"},
	{"has a summary", "summary"},
}

// jsonFieldRe finds the field in `has JSON field "tags" that is not ...`.
var jsonFieldRe = regexp.MustCompile(`^has JSON field "([^"]+)"`)

// cliHint is the advice for the command line that Parse appends to some
// messages ("; give one with --url"), which means nothing to an API client.
var cliHint = regexp.MustCompile(`; give one with --\w+$`)

// apiParseError rewrites an error of article.Parse for an API client: the
// message speaks of "article" rather than a file, drops command-line
// advice, and names the field at fault when it can.
func apiParseError(err error) error {
	var se *syndicate.Error
	if !errors.As(err, &se) || !strings.HasPrefix(se.Message, articleSubject+" ") {
		return err
	}
	rest := cliHint.ReplaceAllString(strings.TrimPrefix(se.Message, articleSubject+" "), "")
	msg := "article " + rest
	if m := jsonFieldRe.FindStringSubmatch(rest); m != nil {
		return invalidField(strings.ToLower(m[1]), "%s", msg)
	}
	for _, p := range parseProblems {
		if strings.HasPrefix(rest, p.prefix) {
			return invalidField(p.field, "%s", msg)
		}
	}
	return &syndicate.Error{Code: se.Code, Message: msg}
}

// deliveryJSON is one ledger row as GET /v1/articles/{id} shows it.
type deliveryJSON struct {
	Channel    syndicate.Channel        `json:"channel"`
	Status     syndicate.DeliveryStatus `json:"status"`
	Subscriber string                   `json:"subscriber"`
	Error      string                   `json:"error"`
	Attempts   int                      `json:"attempts"`
	RemoteID   string                   `json:"remote_id"`
	UpdatedAt  time.Time                `json:"updated_at"`
}

// articleStatus is the answer of GET /v1/articles/{id}.
type articleStatus struct {
	Article    syndicate.Article                                      `json:"article"`
	Deliveries []deliveryJSON                                         `json:"deliveries"`
	Counts     map[syndicate.Channel]map[syndicate.DeliveryStatus]int `json:"counts"`
}

// maxIDLen bounds an article ID in a path; real ones are "a_" and 16 hex
// digits, so a longer one cannot be found and need not be looked up.
const maxIDLen = 64

// handleArticle is GET /v1/articles/{id}: the article and where each of
// its deliveries stands.
func handleArticle(log *slog.Logger, c Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !apiOn(w, log, c, c.Articles) || !authorized(w, r, log, c.APIToken) {
			return
		}
		id := r.PathValue("id")
		if len(id) > maxIDLen {
			writeAPIError(w, log, http.StatusNotFound, "no article has this id")
			return
		}
		ctx := r.Context()
		a, err := c.Articles.Article(ctx, id)
		if err != nil {
			failAPI(w, log, err, "read article "+id)
			return
		}
		ds, err := c.Articles.Deliveries(ctx, id)
		if err != nil {
			failAPI(w, log, err, "read deliveries of "+id)
			return
		}
		out := articleStatus{
			Article:    a,
			Deliveries: make([]deliveryJSON, 0, len(ds)),
			Counts:     map[syndicate.Channel]map[syndicate.DeliveryStatus]int{},
		}
		for _, d := range ds {
			out.Deliveries = append(out.Deliveries, deliveryJSON{
				Channel: d.Channel, Status: d.Status, Subscriber: d.Subscriber, Error: d.Error,
				Attempts: d.Attempts, RemoteID: d.RemoteID, UpdatedAt: d.UpdatedAt,
			})
			if out.Counts[d.Channel] == nil {
				out.Counts[d.Channel] = map[syndicate.DeliveryStatus]int{}
			}
			out.Counts[d.Channel][d.Status]++
		}
		writeJSON(w, log, http.StatusOK, out)
	})
}

// apiMethods lists the methods of each /v1 path, so that a known path asked
// with the wrong method answers 405 rather than 404. The routes themselves
// are in routes.go.
var apiMethods = map[string]string{
	"/v1/articles":        http.MethodPost,
	"/v1/hooks/ghost":     http.MethodPost,
	"/v1/hooks/wordpress": http.MethodPost,
}

// handleAPINotFound answers any other /v1 request with a JSON 404, or 405
// for a known path asked with the wrong method.
func handleAPINotFound(log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		allow, known := apiMethods[r.URL.Path]
		if rest, ok := strings.CutPrefix(r.URL.Path, "/v1/articles/"); ok && rest != "" && !strings.Contains(rest, "/") {
			allow, known = http.MethodGet+", "+http.MethodHead, true
		}
		if known {
			w.Header().Set("Allow", allow)
			writeAPIError(w, log, http.StatusMethodNotAllowed, fmt.Sprintf("%s takes %s, not %s", r.URL.Path, allow, r.Method))
			return
		}
		writeAPIError(w, log, http.StatusNotFound, "there is no API at "+r.URL.Path)
	})
}
