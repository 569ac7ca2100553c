// Package blueskyfake is a fake of the part of the AT Protocol that package
// bluesky uses (an entryway and a PDS holding one account), for tests of
// that package and end-to-end tests of the whole program.
//
// Like a real PDS it checks what it is sent: tokens, the repository, the
// record key's syntax, the post's length in graphemes and bytes (of the
// text as posted, a link shown short included), that every link facet's
// byte range lies on characters of the text and holds its URI or a short
// form of it naming the same host (as Bluesky's app shows a link), and
// that a card's thumb is a blob uploaded before. A create under a record key already taken fails
// with a 500, as the reference PDS answers it today. Knobs make it
// misbehave the ways a PDS does.
package blueskyfake

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/rivo/uniseg"
	"golang.org/x/net/idna"

	"syndicate/channels/internal/fakefail"
)

// Limits the fake enforces, as Bluesky does.
const (
	MaxGraphemes = 300       // of a post's text
	MaxBytes     = 3000      // of a post's text
	MaxBlobBytes = 1_000_000 // of an uploaded blob: the thumb limit of a link card
	maxJSONBody  = 1 << 20
)

var (
	tidRE       = regexp.MustCompile(`^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$`)
	recordKeyRE = regexp.MustCompile(`^[A-Za-z0-9._:~-]{1,512}$`)
	// cidEncoding is the base32 of a "b"-prefixed multibase CID.
	cidEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)
)

// Server is an http.Handler faking the XRPC endpoints package bluesky
// calls, for one account. Mount it with httptest.NewServer; mounting it on
// two servers and calling SetPDS with one's URL makes the other an
// entryway. It is safe for concurrent use.
type Server struct {
	handle, password, did string

	mu              sync.Mutex
	pds             string          // SetPDS; "" means the URL a request came in on
	access          map[string]bool // access token → still good (false: expired)
	refresh         map[string]bool // refresh tokens not yet used or revoked
	logins          int
	refreshes       int
	creates         int
	fails           fakefail.Queue
	failAfterCreate []int
	records         []Record
	byKey           map[string]int // rkey → index in records
	blobs           map[string]Blob
	rev             int
}

// Record is a post the fake accepted.
type Record struct {
	URI, CID, RKey string
	Text           string
	CreatedAt      string
	Facets         []Facet
	Embed          *Embed
	// Value is the record as sent, for what the fields above leave out.
	Value json.RawMessage
}

// Facet is one link facet of a record.
type Facet struct {
	ByteStart, ByteEnd int
	URI                string
}

// Embed is a record's app.bsky.embed.external link card.
type Embed struct {
	URI, Title, Description string
	Thumb                   *Blob // nil: the card has no image
}

// Blob is an uploaded blob, or a record's reference to one.
type Blob struct {
	CID      string
	MimeType string
	Size     int64
}

// NewServer returns a fake holding the account handle, which logs in with
// appPassword (by handle or by DID).
func NewServer(handle, appPassword string) *Server {
	sum := sha256.Sum256([]byte("did:" + handle))
	return &Server{
		handle:   handle,
		password: appPassword,
		did:      "did:plc:" + cidEncoding.EncodeToString(sum[:15]), // 24 characters, like a real did:plc
		access:   map[string]bool{},
		refresh:  map[string]bool{},
		byKey:    map[string]int{},
		blobs:    map[string]Blob{},
	}
}

// DID returns the account's DID.
func (s *Server) DID() string { return s.did }

// SetPDS makes the DID document name url as the account's PDS, and
// repository calls arriving anywhere else fail: a client must send them
// where the DID document says.
func (s *Server) SetPDS(url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pds = strings.TrimRight(url, "/")
}

// ExpireSessions makes every access token issued so far expired: its next
// use is answered 400 ExpiredToken. Refresh tokens still work.
func (s *Server) ExpireSessions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for tok := range s.access {
		s.access[tok] = false
	}
}

// RevokeSessions expires every access token and revokes every refresh
// token issued so far, as a password change does: only a new login helps.
func (s *Server) RevokeSessions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for tok := range s.access {
		s.access[tok] = false
	}
	clear(s.refresh)
}

// FailNext makes the next request, to any endpoint, answer status with
// body and the given headers instead of being handled; nothing happens.
// Calls queue up, one failure per request. For a rate limit, pass the
// header "ratelimit-reset" in epoch seconds.
func (s *Server) FailNext(status int, body string, header map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fails.Push(status, body, header)
}

// FailAfterCreate makes the next createRecord that succeeds store its
// record and then answer status: the failure after which the post exists
// but the client cannot know it. Calls queue up.
func (s *Server) FailAfterCreate(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failAfterCreate = append(s.failAfterCreate, status)
}

// Records returns the posts accepted so far, in order.
func (s *Server) Records() []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Record, len(s.records))
	for i, r := range s.records {
		out[i] = r
		out[i].Facets = append([]Facet(nil), r.Facets...)
		if r.Embed != nil {
			e := *r.Embed
			out[i].Embed = &e
		}
	}
	return out
}

// Logins returns how many createSession requests arrived, right password
// or not: logins are what Bluesky rate-limits most tightly.
func (s *Server) Logins() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins
}

// Refreshes returns how many refreshSession requests arrived.
func (s *Server) Refreshes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshes
}

// Creates returns how many createRecord requests arrived, accepted or not.
func (s *Server) Creates() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.creates
}

// ServeHTTP answers like a PDS: any queued failure first, then the
// endpoint, which checks its token itself.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	nsid, ok := strings.CutPrefix(r.URL.Path, "/xrpc/")
	if !ok {
		xrpcError(w, http.StatusNotFound, "NotFound", "no route "+r.URL.Path)
		return
	}
	s.mu.Lock()
	switch nsid {
	case "com.atproto.server.createSession":
		s.logins++
	case "com.atproto.server.refreshSession":
		s.refreshes++
	case "com.atproto.repo.createRecord":
		s.creates++
	}
	f := s.fails.Pop()
	s.mu.Unlock()
	if f != nil {
		f.Write(w, "blueskyfake")
		return
	}

	route := r.Method + " " + nsid
	switch route {
	case "POST com.atproto.server.createSession":
		s.createSession(w, r)
	case "POST com.atproto.server.refreshSession":
		s.refreshSession(w, r)
	case "GET com.atproto.server.getSession", "POST com.atproto.repo.createRecord",
		"GET com.atproto.repo.getRecord", "POST com.atproto.repo.uploadBlob":
		if !s.atPDS(w, r) || !s.authorize(w, r, nsid == "com.atproto.repo.getRecord") {
			return
		}
		switch nsid {
		case "com.atproto.server.getSession":
			writeJSON(w, http.StatusOK, map[string]any{"handle": s.handle, "did": s.did, "active": true})
		case "com.atproto.repo.createRecord":
			s.createRecord(w, r)
		case "com.atproto.repo.getRecord":
			s.getRecord(w, r)
		case "com.atproto.repo.uploadBlob":
			s.uploadBlob(w, r)
		}
	default:
		xrpcError(w, http.StatusNotImplemented, "MethodNotImplemented", "Method Not Implemented: "+route)
	}
}

// atPDS refuses a repository call that did not come to the PDS SetPDS
// named.
func (s *Server) atPDS(w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	pds := s.pds
	s.mu.Unlock()
	if pds == "" {
		return true
	}
	if u, err := url.Parse(pds); err == nil && strings.EqualFold(u.Host, r.Host) {
		return true
	}
	xrpcError(w, http.StatusBadRequest, "InvalidRequest", fmt.Sprintf("repository calls for %s go to %s, not %s", s.did, pds, r.Host))
	return false
}

// authorize checks the access token as a PDS does; optional lets a public
// query through without one.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, optional bool) bool {
	h := r.Header.Get("Authorization")
	if h == "" && optional {
		return true
	}
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || tok == "" {
		xrpcError(w, http.StatusUnauthorized, "AuthenticationRequired", "Authentication Required")
		return false
	}
	s.mu.Lock()
	good, issued := s.access[tok]
	isRefresh := s.refresh[tok]
	s.mu.Unlock()
	switch {
	case issued && good:
		return true
	case issued:
		xrpcError(w, http.StatusBadRequest, "ExpiredToken", "Token has expired")
	case isRefresh:
		xrpcError(w, http.StatusBadRequest, "InvalidToken", "Bad token scope")
	default:
		xrpcError(w, http.StatusUnauthorized, "AuthenticationRequired", "Token could not be verified")
	}
	return false
}

func (s *Server) createSession(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Identifier string `json:"identifier"`
		Password   string `json:"password"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	id := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(in.Identifier), "@"))
	if in.Identifier == "" || in.Password == "" {
		xrpcError(w, http.StatusBadRequest, "InvalidRequest", `Input must have the properties "identifier" and "password"`)
		return
	}
	if (id != strings.ToLower(s.handle) && id != s.did) || in.Password != s.password {
		xrpcError(w, http.StatusUnauthorized, "AuthenticationRequired", "Invalid identifier or password")
		return
	}
	s.issue(w, r)
}

func (s *Server) refreshSession(w http.ResponseWriter, r *http.Request) {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ") // a missing prefix leaves a token no map holds
	s.mu.Lock()
	ok := s.refresh[tok]
	_, isAccess := s.access[tok]
	// A refresh token is good once: the answer carries its successor.
	delete(s.refresh, tok)
	s.mu.Unlock()
	switch {
	case ok:
		s.issue(w, r)
	case isAccess:
		xrpcError(w, http.StatusBadRequest, "InvalidToken", "Invalid token type")
	case tok == "":
		xrpcError(w, http.StatusUnauthorized, "AuthenticationRequired", "Authentication Required")
	default:
		xrpcError(w, http.StatusBadRequest, "ExpiredToken", "Token has been revoked")
	}
}

// issue answers a new session: fresh tokens and the DID document.
func (s *Server) issue(w http.ResponseWriter, r *http.Request) {
	access, refresh := "acc-"+randomHex(), "ref-"+randomHex()
	s.mu.Lock()
	s.access[access] = true
	s.refresh[refresh] = true
	pds := s.pds
	s.mu.Unlock()
	if pds == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		pds = scheme + "://" + r.Host
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"accessJwt":  access,
		"refreshJwt": refresh,
		"handle":     s.handle,
		"did":        s.did,
		"active":     true,
		"didDoc": map[string]any{
			"@context":    []string{"https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"},
			"id":          s.did,
			"alsoKnownAs": []string{"at://" + s.handle},
			"service": []map[string]string{{
				"id": "#atproto_pds", "type": "AtprotoPersonalDataServer", "serviceEndpoint": pds,
			}},
		},
	})
}

func (s *Server) createRecord(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Repo       string          `json:"repo"`
		Collection string          `json:"collection"`
		RKey       *string         `json:"rkey"`
		Record     json.RawMessage `json:"record"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	if in.Repo != s.did && !strings.EqualFold(in.Repo, s.handle) {
		xrpcError(w, http.StatusBadRequest, "InvalidRequest", "Invalid repo: "+in.Repo)
		return
	}
	if in.Collection != "app.bsky.feed.post" {
		xrpcError(w, http.StatusBadRequest, "InvalidRequest", "this fake only takes app.bsky.feed.post records, not "+in.Collection)
		return
	}
	rkey := tid()
	if in.RKey != nil {
		rkey = *in.RKey
		if !recordKeyRE.MatchString(rkey) || rkey == "." || rkey == ".." {
			xrpcError(w, http.StatusBadRequest, "InvalidRequest", "Invalid record key: "+rkey)
			return
		}
		// app.bsky.feed.post's lexicon says key "tid".
		if !tidRE.MatchString(rkey) {
			xrpcError(w, http.StatusBadRequest, "InvalidRequest", "Invalid TID record key for app.bsky.feed.post: "+rkey)
			return
		}
	}
	rec, msg := s.validatePost(in.Record)
	if msg != "" {
		xrpcError(w, http.StatusBadRequest, "InvalidRequest", "Invalid app.bsky.feed.post record: "+msg)
		return
	}
	rec.RKey = rkey
	rec.URI = "at://" + s.did + "/app.bsky.feed.post/" + rkey
	rec.CID = cid(0x71, in.Record)
	rec.Value = append(json.RawMessage(nil), in.Record...)

	s.mu.Lock()
	if _, taken := s.byKey[rkey]; taken {
		s.mu.Unlock()
		// What the reference PDS answers today; a 400 is in the works.
		xrpcError(w, http.StatusInternalServerError, "InternalServerError", "Internal Server Error")
		return
	}
	s.byKey[rkey] = len(s.records)
	s.records = append(s.records, rec)
	s.rev++
	rev := s.rev
	status := 0
	if len(s.failAfterCreate) > 0 {
		status = s.failAfterCreate[0]
		s.failAfterCreate = s.failAfterCreate[1:]
	}
	s.mu.Unlock()

	if status != 0 {
		xrpcError(w, status, http.StatusText(status), "failed after the record was written")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"uri": rec.URI, "cid": rec.CID,
		"commit":           map[string]string{"cid": cid(0x71, []byte(rec.URI)), "rev": fmt.Sprintf("3fake%08d", rev)},
		"validationStatus": "valid",
	})
}

// validatePost checks a post record as the app.bsky.feed.post lexicon
// does, and more strictly for link facets: their bytes must be their URI.
func (s *Server) validatePost(raw json.RawMessage) (Record, string) {
	var p struct {
		Type      string  `json:"$type"`
		Text      *string `json:"text"`
		CreatedAt string  `json:"createdAt"`
		Facets    []struct {
			Index struct {
				ByteStart *int `json:"byteStart"`
				ByteEnd   *int `json:"byteEnd"`
			} `json:"index"`
			Features []struct {
				Type string `json:"$type"`
				URI  string `json:"uri"`
			} `json:"features"`
		} `json:"facets"`
		Embed *struct {
			Type     string `json:"$type"`
			External *struct {
				URI         string          `json:"uri"`
				Title       *string         `json:"title"`
				Description *string         `json:"description"`
				Thumb       json.RawMessage `json:"thumb"`
			} `json:"external"`
		} `json:"embed"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return Record{}, "record is not a post object: " + err.Error()
	}
	switch {
	case p.Type != "app.bsky.feed.post":
		return Record{}, fmt.Sprintf("$type is %q", p.Type)
	case p.Text == nil:
		return Record{}, `Record must have the property "text"`
	case uniseg.GraphemeClusterCount(*p.Text) > MaxGraphemes:
		return Record{}, fmt.Sprintf("Record/text must not be longer than %d graphemes", MaxGraphemes)
	case len(*p.Text) > MaxBytes:
		return Record{}, fmt.Sprintf("Record/text must not be longer than %d characters", MaxBytes)
	case p.CreatedAt == "":
		return Record{}, `Record must have the property "createdAt"`
	}
	if _, err := time.Parse(time.RFC3339Nano, p.CreatedAt); err != nil {
		return Record{}, "Record/createdAt must be an valid atproto datetime (both RFC-3339 and ISO-8601)"
	}
	text := *p.Text
	rec := Record{Text: text, CreatedAt: p.CreatedAt}
	for i, f := range p.Facets {
		if f.Index.ByteStart == nil || f.Index.ByteEnd == nil {
			return Record{}, fmt.Sprintf("facets/%d/index must have byteStart and byteEnd", i)
		}
		start, end := *f.Index.ByteStart, *f.Index.ByteEnd
		if start < 0 || end <= start || end > len(text) {
			return Record{}, fmt.Sprintf("facets/%d/index [%d,%d) is not inside the text's %d bytes", i, start, end, len(text))
		}
		if len(f.Features) == 0 {
			return Record{}, fmt.Sprintf("facets/%d has no features", i)
		}
		for _, ft := range f.Features {
			if ft.Type != "app.bsky.richtext.facet#link" {
				continue
			}
			if !utf8.RuneStart(text[start]) || end < len(text) && !utf8.RuneStart(text[end]) {
				return Record{}, fmt.Sprintf("facets/%d/index [%d,%d) splits a character", i, start, end)
			}
			if u, err := url.Parse(ft.URI); err != nil || u.Scheme == "" {
				return Record{}, fmt.Sprintf("facets/%d/features/0/uri must be a uri: %q", i, ft.URI)
			}
			if label := text[start:end]; label != ft.URI && !shortFormOf(label, ft.URI) {
				return Record{}, fmt.Sprintf("facets/%d covers %q, not its link %q or a short form of it", i, label, ft.URI)
			}
			rec.Facets = append(rec.Facets, Facet{ByteStart: start, ByteEnd: end, URI: ft.URI})
		}
	}
	if p.Embed != nil {
		e := p.Embed
		if e.Type != "app.bsky.embed.external" {
			return Record{}, fmt.Sprintf("this fake only takes app.bsky.embed.external embeds, not %q", e.Type)
		}
		x := e.External
		if x == nil || x.Title == nil || x.Description == nil {
			return Record{}, `Record/embed/external must have the properties "uri", "title" and "description"`
		}
		if u, err := url.Parse(x.URI); err != nil || u.Scheme == "" {
			return Record{}, "Record/embed/external/uri must be a uri"
		}
		rec.Embed = &Embed{URI: x.URI, Title: *x.Title, Description: *x.Description}
		if len(x.Thumb) > 0 {
			b, msg := s.thumb(x.Thumb)
			if msg != "" {
				return Record{}, "Record/embed/external/thumb " + msg
			}
			rec.Embed.Thumb = &b
		}
	}
	return rec, ""
}

// shortFormOf reports whether label shows uri as Bluesky's app shows a
// link: without the scheme, the same host (Unicode or punycode), then a
// start of the path, query and fragment (as written or percent-decoded),
// with an ellipsis if cut. The app warns of a link whose text names
// another host, so a facet must not send a reader somewhere its text does
// not say.
func shortFormOf(label, uri string) bool {
	u, err := url.Parse(uri)
	if err != nil || u.Host == "" {
		return false
	}
	cut := false
	for _, e := range []string{"…", "..."} {
		if l, ok := strings.CutSuffix(label, e); ok {
			label, cut = l, true
			break
		}
	}
	label = strings.TrimPrefix(strings.TrimPrefix(label, "https://"), "http://")
	host, rest := label, ""
	if i := strings.IndexAny(label, "/?#"); i >= 0 {
		host, rest = label[:i], label[i:]
	}
	if asciiHost(host) != asciiHost(u.Host) {
		return false
	}
	full := uri[strings.Index(uri, "://")+3:]
	if i := strings.IndexAny(full, "/?#"); i >= 0 {
		full = full[i:]
	} else {
		full = ""
	}
	if full == "/" && rest == "" {
		return true
	}
	decoded, err := url.PathUnescape(full)
	if err != nil {
		decoded = full
	}
	if cut {
		return strings.HasPrefix(full, rest) || strings.HasPrefix(decoded, rest)
	}
	return rest == full || rest == decoded
}

// asciiHost is host lowercased, in punycode if it is an IDN.
func asciiHost(host string) string {
	if a, err := idna.Lookup.ToASCII(host); err == nil {
		return a
	}
	return strings.ToLower(host)
}

// thumb checks a blob reference against the blobs uploaded.
func (s *Server) thumb(raw json.RawMessage) (Blob, string) {
	var ref struct {
		Type string `json:"$type"`
		Ref  struct {
			Link string `json:"$link"`
		} `json:"ref"`
		MimeType string `json:"mimeType"`
		Size     int64  `json:"size"`
	}
	if err := json.Unmarshal(raw, &ref); err != nil || ref.Type != "blob" || ref.Ref.Link == "" {
		return Blob{}, "is not a blob reference"
	}
	s.mu.Lock()
	b, ok := s.blobs[ref.Ref.Link]
	s.mu.Unlock()
	switch {
	case !ok:
		return Blob{}, "refers to a blob that was never uploaded: " + ref.Ref.Link
	case ref.MimeType != b.MimeType || ref.Size != b.Size:
		return Blob{}, "does not match the uploaded blob's mimeType and size"
	case !strings.HasPrefix(b.MimeType, "image/"):
		return Blob{}, "has the wrong MIME type: " + b.MimeType
	case b.Size > MaxBlobBytes:
		return Blob{}, fmt.Sprintf("is larger than %d bytes", MaxBlobBytes)
	}
	return b, ""
}

func (s *Server) getRecord(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	repo, collection, rkey := q.Get("repo"), q.Get("collection"), q.Get("rkey")
	if repo == "" || collection == "" || rkey == "" {
		xrpcError(w, http.StatusBadRequest, "InvalidRequest", "repo, collection and rkey are required")
		return
	}
	uri := "at://" + repo + "/" + collection + "/" + rkey
	s.mu.Lock()
	i, ok := s.byKey[rkey]
	var rec Record
	if ok {
		rec = s.records[i]
	}
	s.mu.Unlock()
	if !ok || (repo != s.did && !strings.EqualFold(repo, s.handle)) || collection != "app.bsky.feed.post" {
		xrpcError(w, http.StatusBadRequest, "RecordNotFound", "Could not locate record: "+uri)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"uri": rec.URI, "cid": rec.CID, "value": rec.Value})
}

func (s *Server) uploadBlob(w http.ResponseWriter, r *http.Request) {
	mimeType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		xrpcError(w, http.StatusBadRequest, "InvalidRequest", "uploadBlob needs the blob's Content-Type")
		return
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, MaxBlobBytes+1))
	if err != nil {
		xrpcError(w, http.StatusBadRequest, "InvalidRequest", "cannot read blob: "+err.Error())
		return
	}
	if len(data) > MaxBlobBytes {
		xrpcError(w, http.StatusRequestEntityTooLarge, "PayloadTooLarge", "request entity too large")
		return
	}
	b := Blob{CID: cid(0x55, data), MimeType: mimeType, Size: int64(len(data))}
	s.mu.Lock()
	s.blobs[b.CID] = b
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"blob": map[string]any{
		"$type": "blob", "ref": map[string]string{"$link": b.CID}, "mimeType": b.MimeType, "size": b.Size,
	}})
}

// cid returns a CIDv1 of data's SHA-256 with the given codec (0x55 raw for
// blobs, 0x71 dag-cbor for records), as a PDS writes it. A record's is of
// its JSON rather than its CBOR: only its shape matters here.
func cid(codec byte, data []byte) string {
	sum := sha256.Sum256(data)
	return "b" + cidEncoding.EncodeToString(append([]byte{0x01, codec, 0x12, 0x20}, sum[:]...))
}

// tid makes a TID from the clock, as a PDS does for a record sent
// without a key.
func tid() string {
	v := uint64(time.Now().UnixMicro())<<10 | uint64(time.Now().Nanosecond()&0x3ff)
	v &^= 1 << 63
	const alphabet = "234567abcdefghijklmnopqrstuvwxyz"
	var b [13]byte
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = alphabet[v&31]
		v >>= 5
	}
	return string(b[:])
}

func randomHex() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		// crypto/rand does not fail on any supported platform.
		panic("blueskyfake: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}

// readJSON decodes a JSON request body into v, or answers 400.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		xrpcError(w, http.StatusBadRequest, "InvalidRequest", fmt.Sprintf("Wrong request encoding (Content-Type): %s", r.Header.Get("Content-Type")))
		return false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxJSONBody+1))
	if err != nil || len(body) > maxJSONBody {
		xrpcError(w, http.StatusRequestEntityTooLarge, "PayloadTooLarge", "request entity too large")
		return false
	}
	if err := json.Unmarshal(body, v); err != nil {
		xrpcError(w, http.StatusBadRequest, "InvalidRequest", "body is not the JSON object expected: "+err.Error())
		return false
	}
	return true
}

// xrpcError writes an error as XRPC servers do.
func xrpcError(w http.ResponseWriter, status int, name, message string) {
	writeJSON(w, status, map[string]string{"error": name, "message": message})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		// Only a client that went away makes this fail; say so for
		// whoever reads a failing test's log.
		log.Printf("blueskyfake: write %d response: %v", status, err)
	}
}
