// Package xfake is a fake of the part of X's API that package x uses (v2's
// POST /2/tweets and GET /2/users/me, and v1.1's POST statuses/update), for
// tests of that package and end-to-end tests of the whole program.
//
// Like X it verifies every request's OAuth 1.0a HMAC-SHA1 signature,
// rebuilding the signature base string itself rather than trusting the
// client library, and refuses a reused nonce, a stale timestamp and a text
// it has already accepted. Knobs make it misbehave the ways X does.
package xfake

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"syndicate/channels/internal/fakefail"
)

const (
	maxBody = 1 << 20
	// maxClockSkew is how far an oauth_timestamp may be from the server's
	// clock; X refuses requests outside a similar window.
	maxClockSkew = 5 * time.Minute
	// maxHang bounds HangNext so a client that never gives up cannot keep
	// a test's server from closing forever.
	maxHang = time.Minute
	// firstID looks like an X snowflake id; ids count up from it.
	firstID = 1800000000000000001
)

// Server is an http.Handler faking X's POST /2/tweets, GET /2/users/me and
// POST /1.1/statuses/update.json for one account. Posts made through either
// API share one timeline: the same texts, ids and duplicate refusal. Mount
// it with httptest.NewServer. It is safe for concurrent use.
type Server struct {
	consumerKey, consumerSecret, accessToken, accessSecret string

	now func() time.Time // replaced in this package's tests

	mu       sync.Mutex
	posts    []string
	texts    map[string]bool // texts accepted, for duplicate refusal
	nonces   map[string]bool // nonces of accepted requests, for replay refusal
	fails    fakefail.Queue
	hangs    int
	attempts int
	nextID   int64
	noV11    bool // RefuseV11: the account's access level has no v1.1 posting
}

// NewServer returns a fake that accepts requests signed with these
// credentials.
func NewServer(consumerKey, consumerSecret, accessToken, accessSecret string) *Server {
	return &Server{
		consumerKey: consumerKey, consumerSecret: consumerSecret,
		accessToken: accessToken, accessSecret: accessSecret,
		now:    time.Now,
		texts:  map[string]bool{},
		nonces: map[string]bool{},
		nextID: firstID,
	}
}

// Posts returns the texts of the posts accepted so far, in order.
func (s *Server) Posts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.posts...)
}

// Attempts returns how many correctly signed post requests (POST /2/tweets
// or POST /1.1/statuses/update.json) arrived, accepted or not: what a test
// counts to prove nothing was posted twice.
func (s *Server) Attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts
}

// FailNext makes the next correctly signed request (of any endpoint)
// answer status with body and the given headers instead of being handled;
// nothing is posted. Calls queue up, one failure per request. For a rate
// limit, pass the header "x-rate-limit-reset" in epoch seconds.
func (s *Server) FailNext(status int, body string, header map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fails.Push(status, body, header)
}

// HangNext makes the next accepted post be recorded (it shows in Posts) and
// its response withheld until the client gives up: the timeout after which
// the post exists but the client cannot know it. Calls add up.
func (s *Server) HangNext() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hangs++
}

// RefuseV11 makes every later v1.1 post be refused with 403 and error 453,
// as X refuses statuses/update to apps on Free and Basic access. It is
// checked after the signature and any FailNext; v2 is not affected.
func (s *Server) RefuseV11() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noV11 = true
}

// The v1.1 endpoint and the errors X answers it with.
const (
	routeV11Update = "POST /1.1/statuses/update.json"
	// msgNoV11 is the start of X's own error 453 message.
	msgNoV11 = "You currently have access to a subset of Twitter API v2 endpoints and limited v1.1 endpoints " +
		"(e.g. media post, oauth) only. If you need access to this endpoint, you may need a different access level."
)

// ServeHTTP answers like X: 401 for a bad signature, then any queued
// failure, then the endpoint itself. Errors under /1.1/ are in v1.1's
// {"errors":[{"code","message"}]} shape, others in v2's problem shape.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	v11 := strings.HasPrefix(r.URL.Path, "/1.1/")
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		problem(w, http.StatusBadRequest, "Invalid Request", "cannot read request body: "+err.Error())
		return
	}
	if len(body) > maxBody {
		problem(w, http.StatusRequestEntityTooLarge, "Payload Too Large", "request body is too large")
		return
	}
	if err := s.authenticate(r, body); err != nil {
		// X says no more than "Unauthorized" (v1.1: "Could not
		// authenticate you."); the reason here helps whoever debugs a
		// failing test.
		if v11 {
			v11Error(w, http.StatusUnauthorized, 32, "Could not authenticate you: "+err.Error())
			return
		}
		problem(w, http.StatusUnauthorized, "Unauthorized", "Unauthorized: "+err.Error())
		return
	}
	route := r.Method + " " + r.URL.Path

	s.mu.Lock()
	if route == "POST /2/tweets" || route == routeV11Update {
		s.attempts++
	}
	f := s.fails.Pop()
	s.mu.Unlock()
	if f != nil {
		f.Write(w, "xfake")
		return
	}

	switch route {
	case "POST /2/tweets":
		s.createPost(w, r, body)
	case "GET /2/users/me":
		writeJSON(w, http.StatusOK, map[string]any{
			"data": map[string]string{"id": "1000000000000000001", "name": "Fake Newsroom", "username": "fakenewsroom"},
		})
	case routeV11Update:
		s.updateStatus(w, r, body)
	default:
		if v11 {
			v11Error(w, http.StatusNotFound, 34, "Sorry, that page does not exist: no route "+route)
			return
		}
		problem(w, http.StatusNotFound, "Not Found Error", "no route "+route)
	}
}

// updateStatus is v1.1's POST statuses/update: a form-encoded status, whose
// parameters authenticate has already checked are signed.
func (s *Server) updateStatus(w http.ResponseWriter, r *http.Request, body []byte) {
	s.mu.Lock()
	refuse := s.noV11
	s.mu.Unlock()
	if refuse {
		v11Error(w, http.StatusForbidden, 453, msgNoV11)
		return
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		v11Error(w, http.StatusBadRequest, 38, fmt.Sprintf("Content-Type %q is not application/x-www-form-urlencoded", r.Header.Get("Content-Type")))
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		v11Error(w, http.StatusBadRequest, 38, "malformed form body: "+err.Error())
		return
	}
	for k, vs := range form {
		switch {
		case k != "status":
			// Package x sends the text alone; anything else is a mistake.
			v11Error(w, http.StatusBadRequest, 44, fmt.Sprintf("unexpected parameter %q", k))
			return
		case len(vs) != 1:
			v11Error(w, http.StatusBadRequest, 44, "status given more than once")
			return
		}
	}
	text := form.Get("status")
	if strings.TrimSpace(text) == "" {
		v11Error(w, http.StatusBadRequest, 170, "Missing required parameter: status.")
		return
	}
	id, hang, ok := s.accept(text)
	if !ok {
		v11Error(w, http.StatusForbidden, 187, "Status is a duplicate.")
		return
	}
	if hang && !waitForGiveUp(r) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": id, "id_str": strconv.FormatInt(id, 10), "text": text,
		"created_at": s.now().UTC().Format(time.RubyDate),
	})
}

// accept records text as a new post and returns its id and whether its
// response is to be withheld (HangNext); ok is false for a duplicate.
func (s *Server) accept(text string) (id int64, hang, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.texts[text] {
		return 0, false, false
	}
	s.texts[text] = true
	s.posts = append(s.posts, text)
	id = s.nextID
	s.nextID++
	hang = s.hangs > 0
	if hang {
		s.hangs--
	}
	return id, hang, true
}

// waitForGiveUp withholds a response until the client goes away, or
// maxHang passes; it reports whether there is still someone to answer.
func waitForGiveUp(r *http.Request) bool {
	t := time.NewTimer(maxHang)
	defer t.Stop()
	select {
	case <-r.Context().Done():
		return false
	case <-t.C:
		return true
	}
}

func (s *Server) createPost(w http.ResponseWriter, r *http.Request, body []byte) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		problem(w, http.StatusBadRequest, "Invalid Request", fmt.Sprintf("Content-Type %q is not application/json", r.Header.Get("Content-Type")))
		return
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		problem(w, http.StatusBadRequest, "Invalid Request", "body is not a JSON object: "+err.Error())
		return
	}
	var text string
	raw, ok := fields["text"]
	if !ok || json.Unmarshal(raw, &text) != nil {
		problem(w, http.StatusBadRequest, "Invalid Request", `body has no string "text"`)
		return
	}
	for k := range fields {
		if k != "text" {
			problem(w, http.StatusBadRequest, "Invalid Request", fmt.Sprintf("unexpected field %q", k))
			return
		}
	}
	if strings.TrimSpace(text) == "" {
		problem(w, http.StatusBadRequest, "Invalid Request", "text is empty")
		return
	}

	n, hang, ok := s.accept(text)
	if !ok {
		problem(w, http.StatusForbidden, "Forbidden", "You are not allowed to create a Tweet with duplicate content.")
		return
	}
	if hang && !waitForGiveUp(r) {
		return
	}
	id := strconv.FormatInt(n, 10)
	writeJSON(w, http.StatusCreated, map[string]any{
		"data": map[string]any{"id": id, "text": text, "edit_history_tweet_ids": []string{id}},
	})
}

// authenticate checks the OAuth 1.0a header as X does. It records the
// nonce only once the signature is good, so a forger cannot burn nonces.
func (s *Server) authenticate(r *http.Request, body []byte) error {
	oauth, err := parseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		return err
	}
	for _, k := range []string{"oauth_consumer_key", "oauth_token", "oauth_nonce", "oauth_timestamp", "oauth_signature_method", "oauth_signature"} {
		if oauth[k] == "" {
			return fmt.Errorf("missing %s", k)
		}
	}
	if m := oauth["oauth_signature_method"]; m != "HMAC-SHA1" {
		return fmt.Errorf("unsupported oauth_signature_method %q", m)
	}
	if v, ok := oauth["oauth_version"]; ok && v != "1.0" {
		return fmt.Errorf("unsupported oauth_version %q", v)
	}
	if oauth["oauth_consumer_key"] != s.consumerKey {
		return errors.New("unknown oauth_consumer_key")
	}
	if oauth["oauth_token"] != s.accessToken {
		return errors.New("unknown oauth_token")
	}
	ts, err := strconv.ParseInt(oauth["oauth_timestamp"], 10, 64)
	if err != nil {
		return fmt.Errorf("oauth_timestamp %q is not a number", oauth["oauth_timestamp"])
	}
	if d := s.now().Sub(time.Unix(ts, 0)); d > maxClockSkew || d < -maxClockSkew {
		return fmt.Errorf("oauth_timestamp is %s away from the server's clock", d.Round(time.Second))
	}

	params, err := requestParams(r, body, oauth)
	if err != nil {
		return err
	}
	want := sign(signatureBase(r.Method, baseURI(r), params), s.consumerSecret, s.accessSecret)
	if !hmac.Equal([]byte(want), []byte(oauth["oauth_signature"])) {
		return errors.New("signature does not match")
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.nonces[oauth["oauth_nonce"]] {
		return errors.New("oauth_nonce was used before")
	}
	s.nonces[oauth["oauth_nonce"]] = true
	return nil
}

// parseAuthorization decodes `OAuth k="v", ...` (RFC 5849 3.5.1).
func parseAuthorization(h string) (map[string]string, error) {
	const prefix = "oauth "
	if len(h) < len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return nil, errors.New("no OAuth Authorization header")
	}
	params := map[string]string{}
	for _, part := range strings.Split(h[len(prefix):], ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok || len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
			return nil, fmt.Errorf("malformed Authorization parameter %q", part)
		}
		key, err1 := url.PathUnescape(k)
		val, err2 := url.PathUnescape(v[1 : len(v)-1])
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("malformed Authorization parameter %q: %w", part, err)
		}
		if _, dup := params[key]; dup {
			return nil, fmt.Errorf("parameter %s given twice in Authorization", key)
		}
		params[key] = val
	}
	return params, nil
}

// requestParams collects the parameters that are signed (RFC 5849
// 3.4.1.3.1): the oauth_* ones but the signature (realm is not signed), the
// query, and a form-encoded body. A JSON body is not signed.
func requestParams(r *http.Request, body []byte, oauth map[string]string) ([][2]string, error) {
	var params [][2]string
	for k, v := range oauth {
		if k != "oauth_signature" && k != "realm" {
			params = append(params, [2]string{k, v})
		}
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("malformed query: %w", err)
	}
	addValues(&params, q)
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil && mt == "application/x-www-form-urlencoded" {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, fmt.Errorf("malformed form body: %w", err)
		}
		addValues(&params, form)
	}
	return params, nil
}

func addValues(params *[][2]string, v url.Values) {
	for k, vs := range v {
		for _, s := range vs {
			*params = append(*params, [2]string{k, s})
		}
	}
}

// baseURI is the base string URI of RFC 5849 3.4.1.2 as the server sees
// it: scheme and host lower case, default port dropped, the path exactly as
// sent, no query.
func baseURI(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := strings.ToLower(r.Host)
	if (scheme == "http" && strings.HasSuffix(host, ":80")) || (scheme == "https" && strings.HasSuffix(host, ":443")) {
		host = host[:strings.LastIndexByte(host, ':')]
	}
	path, _, _ := strings.Cut(r.RequestURI, "?")
	if u, err := url.Parse(r.RequestURI); err == nil && u.IsAbs() {
		// A request through a proxy carries the absolute URI.
		path = u.EscapedPath()
	}
	if path == "" {
		path = "/"
	}
	return scheme + "://" + host + path
}

// signatureBase builds the signature base string of RFC 5849 3.4.1.
func signatureBase(method, baseURI string, params [][2]string) string {
	enc := make([][2]string, len(params))
	for i, p := range params {
		enc[i] = [2]string{percentEncode(p[0]), percentEncode(p[1])}
	}
	sort.Slice(enc, func(i, j int) bool {
		if enc[i][0] != enc[j][0] {
			return enc[i][0] < enc[j][0]
		}
		return enc[i][1] < enc[j][1]
	})
	pairs := make([]string, len(enc))
	for i, p := range enc {
		pairs[i] = p[0] + "=" + p[1]
	}
	return strings.ToUpper(method) + "&" + percentEncode(baseURI) + "&" + percentEncode(strings.Join(pairs, "&"))
}

// sign is HMAC-SHA1 (RFC 5849 3.4.2) keyed by both secrets.
func sign(base, consumerSecret, tokenSecret string) string {
	mac := hmac.New(sha1.New, []byte(percentEncode(consumerSecret)+"&"+percentEncode(tokenSecret)))
	mac.Write([]byte(base)) // a hash.Hash never returns an error
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// percentEncode is RFC 3986 percent-encoding of every byte outside the
// unreserved set, as RFC 5849 3.6 requires (unlike url.QueryEscape, which
// writes a space as "+").
func percentEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// problem writes an error in X v2's problem format.
func problem(w http.ResponseWriter, status int, title, detail string) {
	writeJSON(w, status, map[string]any{
		"title": title, "detail": detail, "type": "about:blank", "status": status,
	})
}

// v11Error writes an error in X v1.1's format.
func v11Error(w http.ResponseWriter, status, code int, message string) {
	writeJSON(w, status, map[string]any{
		"errors": []map[string]any{{"code": code, "message": message}},
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		// Only a client that went away makes this fail; say so for
		// whoever reads a failing test's log.
		log.Printf("xfake: write %d response: %v", status, err)
	}
}
