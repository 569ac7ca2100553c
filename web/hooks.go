package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html"

	"syndicate"
	"syndicate/article"
	"syndicate/channels/webhook"
)

// The CMS webhooks: a CMS calls one when a post goes live, and the post is
// published as if an editor had posted it to /v1/articles. Each answers
//
//	202 {"id", "status_url", "created"}  published (created false: it already was)
//	200 {"ignored": "..."}               not a published post; nothing done
//	401 {"error": "..."}                 missing, wrong or stale signature; nothing done
//	404                                  the hook's secret is not configured
//
// and 400, 413, 415 like the API. A replay of a signed request within the
// five minutes its timestamp allows publishes nothing new: the article ID
// comes from the post's URL.

// hookTolerance is how far a webhook's signed timestamp may be from our
// clock, either way: room for clock skew and Ghost's retries, too short to
// replay a captured request much later.
const hookTolerance = 5 * time.Minute

// summaryLimit is the length, in characters, a summary taken from a post's
// text (rather than written by its editor) is cut to: about two sentences,
// as package article cuts one found in a file.
const summaryLimit = 300

// hookOn reports whether a webhook is configured; when it returns false it
// has answered. An unconfigured hook answers 404, as if it did not exist,
// rather than trusting a signature made with an empty key. The 404 is
// deliberate: Ghost deletes a webhook whose target answers 410.
func hookOn(w http.ResponseWriter, log *slog.Logger, c Config, secret string) bool {
	if secret == "" {
		writeAPIError(w, log, http.StatusNotFound, "this webhook is not configured on this server")
		return false
	}
	if c.Publisher == nil {
		writeAPIError(w, log, http.StatusServiceUnavailable, "publishing is not available on this server")
		return false
	}
	return true
}

// refuseHook answers 401 to a webhook whose signature did not verify. The
// reason is logged and also told to the caller: it names only what was
// wrong with the request, never the secret or the expected signature.
func refuseHook(w http.ResponseWriter, log *slog.Logger, hook string, err error) {
	log.Warn("refused webhook", "hook", hook, "reason", err)
	writeAPIError(w, log, http.StatusUnauthorized, err.Error())
}

// ignored is the 200 answer to a webhook that asks for nothing to be done.
func ignored(w http.ResponseWriter, log *slog.Logger, hook, why string) {
	log.Info("webhook ignored", "hook", hook, "why", why)
	writeJSON(w, log, http.StatusOK, map[string]string{"ignored": why})
}

// decodeHook decodes a webhook payload, naming the field of a value of the
// wrong type.
func decodeHook(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.Is(err, errRendered) {
			return syndicate.Errorf(syndicate.EINVALID, "payload has a post.title, post.excerpt or post.content that is %v", err)
		}
		if errors.As(err, &te) && te.Field == "post.tags" {
			return invalidField(te.Field, "payload field post.tags must be a list of tag names, not tag IDs or objects")
		}
		if errors.As(err, &te) && te.Field != "" {
			return invalidField(te.Field, "payload field %s is a JSON %s, not the %s it should be", te.Field, te.Value, jsonKind(te.Type.Kind().String()))
		}
		return syndicate.Errorf(syndicate.EINVALID, "payload is not valid JSON: %v", err)
	}
	return nil
}

// jsonKind names a Go kind as JSON would.
func jsonKind(k string) string {
	switch k {
	case "slice":
		return "list"
	case "struct", "map":
		return "object"
	case "int", "int64", "float64":
		return "number"
	}
	return k
}

// Ghost.

// ghostHook is the body of Ghost's post.published webhook (Ghost 5): the
// post as the Admin API serializes it, with html and plaintext, tags and
// authors. Newer Ghost releases also name the event at the top.
type ghostHook struct {
	Event string `json:"event"`
	Post  *struct {
		Current *ghostPost `json:"current"`
	} `json:"post"`
}

// ghostPost holds the fields of a Ghost post that make an article. Ghost
// sends null for an unset field, which leaves the string empty.
type ghostPost struct {
	ID            string `json:"id"`
	Title         string `json:"title"`
	HTML          string `json:"html"`
	Plaintext     string `json:"plaintext"`
	FeatureImage  string `json:"feature_image"`
	URL           string `json:"url"`
	CanonicalURL  string `json:"canonical_url"`
	PublishedAt   string `json:"published_at"`
	CustomExcerpt string `json:"custom_excerpt"`
	Excerpt       string `json:"excerpt"`
	Status        string `json:"status"`
	Visibility    string `json:"visibility"`
	Tags          []struct {
		Name       string `json:"name"`
		Visibility string `json:"visibility"`
	} `json:"tags"`
	PrimaryAuthor *struct {
		Name string `json:"name"`
	} `json:"primary_author"`
	Authors []struct {
		Name string `json:"name"`
	} `json:"authors"`
}

// ghostFields name, for errors, the payload field behind each article field.
var ghostFields = map[string]string{
	"title": "post.current.title", "url": "post.current.url", "summary": "post.current.custom_excerpt",
	"author": "post.current.primary_author.name", "body": "post.current.html", "date": "post.current.published_at",
}

// verifyGhost checks Ghost's X-Ghost-Signature header, "sha256=HEX, t=MS",
// as Ghost makes it (ghost/core/core/server/services/webhooks/
// WebhookTrigger.js): HEX is the HMAC-SHA256, keyed with the webhook's
// secret, of the raw body followed by MS, the send time in Unix
// milliseconds as decimal text. The time is checked only once the
// signature has proved it is Ghost's.
func verifyGhost(secret string, header http.Header, body []byte, now time.Time) error {
	v := header.Get("X-Ghost-Signature")
	if v == "" {
		return errors.New("the X-Ghost-Signature header is missing")
	}
	var sig, ts string
	for _, part := range strings.Split(v, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "sha256":
			sig = val
		case "t":
			ts = val
		}
	}
	got, err := hex.DecodeString(sig)
	ms, terr := strconv.ParseInt(ts, 10, 64)
	if sig == "" || err != nil || terr != nil {
		return errors.New(`the X-Ghost-Signature header is not "sha256=HEX, t=MILLISECONDS"`)
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body) // a hash.Hash never returns an error from Write
	m.Write([]byte(ts))
	if !hmac.Equal(got, m.Sum(nil)) {
		return errors.New("the X-Ghost-Signature does not match this body and the webhook secret")
	}
	if age := now.Sub(time.UnixMilli(ms)); age > hookTolerance || age < -hookTolerance {
		return fmt.Errorf("the X-Ghost-Signature was made at %s, more than %s from now", time.UnixMilli(ms).UTC().Format(time.RFC3339), hookTolerance)
	}
	return nil
}

// handleGhostHook is POST /v1/hooks/ghost, the target of a Ghost webhook
// on the "Post published" event (Ghost Admin, Settings, Integrations, a
// custom integration; its secret is Config.GhostSecret).
//
// Only a post whose status is "published" is published; the article's URL
// is the post's canonical_url or else its url. A post for members or paid
// members is syndicated without its text, whose place is behind Ghost's
// paywall; the summary still goes out.
func handleGhostHook(log *slog.Logger, c Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !hookOn(w, log, c, c.GhostSecret) {
			return
		}
		body, ok := readBody(w, r, log, "webhook body")
		if !ok {
			return
		}
		if err := verifyGhost(c.GhostSecret, r.Header, body, c.Now()); err != nil {
			refuseHook(w, log, "ghost", err)
			return
		}
		if !isJSON(w, r, log) {
			return
		}
		var h ghostHook
		if err := decodeHook(body, &h); err != nil {
			failAPI(w, log, err, "decode ghost webhook")
			return
		}
		if h.Event != "" && h.Event != "post.published" {
			ignored(w, log, "ghost", fmt.Sprintf("event %q is not post.published", h.Event))
			return
		}
		if h.Post == nil || h.Post.Current == nil {
			failAPI(w, log, invalidField("post.current", "payload has no post.current: is this a post.published webhook?"), "")
			return
		}
		p := h.Post.Current
		if p.Status != "published" {
			ignored(w, log, "ghost", fmt.Sprintf("post status is %q, not published", p.Status))
			return
		}
		var a syndicate.Article
		err := parseWithin(r.Context(), func() (err error) {
			a, err = ghostArticle(p, c.Now)
			return err
		})
		if err != nil {
			failParse(w, log, err, "map ghost post")
			return
		}
		publish(w, r, log, c, a, time.Time{}, "ghost")
	})
}

// ghostArticle makes an article of a published Ghost post.
func ghostArticle(p *ghostPost, now func() time.Time) (syndicate.Article, error) {
	text, err := htmlText(p.HTML)
	if err != nil {
		return syndicate.Article{}, invalidField("post.current.html", "post html cannot be read: %v", err)
	}
	if len(text.paras) == 0 && p.Plaintext != "" {
		text = plainText(p.Plaintext)
	}
	cp := cmsPost{
		title: oneLine(p.Title), // Ghost titles are plain text, not HTML
		url:   p.CanonicalURL,
		image: p.FeatureImage,
		body:  text,
		html:  p.HTML,
		date:  p.PublishedAt,
	}
	if cp.url == "" {
		cp.url = p.URL
	}
	switch {
	case strings.TrimSpace(p.CustomExcerpt) != "":
		cp.summary, cp.summaryGiven = oneLine(p.CustomExcerpt), true
	case strings.TrimSpace(p.Excerpt) != "":
		// Ghost's own excerpt is the first few hundred characters of the
		// plain text, headings and all, cut anywhere: its first paragraph
		// reads as a lede, and is cut again at a sentence or word below.
		cp.summary = plainText(p.Excerpt).lede
	}
	if p.PrimaryAuthor != nil {
		cp.author = p.PrimaryAuthor.Name
	} else if len(p.Authors) > 0 {
		cp.author = p.Authors[0].Name
	}
	for _, t := range p.Tags {
		// Internal tags (#name) organise a site; readers never see them.
		if strings.HasPrefix(strings.TrimSpace(t.Name), "#") || t.Visibility == "internal" {
			continue
		}
		cp.tags = append(cp.tags, t.Name)
	}
	if p.Visibility != "" && p.Visibility != "public" {
		cp.body = postText{lede: text.lede} // the lede may still summarise it
		cp.html = ""
	}
	return cp.article(now, ghostFields)
}

// WordPress.

// wordPressHook is the body of POST /v1/hooks/wordpress, which a WordPress
// plugin or an automation sends on publish_post (WordPress has no signed
// webhooks of its own). It is close to the WP REST API's post object:
//
//	{"post": {
//	  "id": 123,                                     number or string; logged only
//	  "title": "Don&#8217;t panic",                  or {"rendered": "..."}; HTML, entities decoded
//	  "link": "https://example.com/2025/06/dont-panic/",   the article URL (required)
//	  "excerpt": "<p>Short summary</p>",             or {"rendered": "..."}; optional
//	  "content": "<p>The post&#8230;</p>",           or {"rendered": "..."}; HTML
//	  "date_gmt": "2025-06-01T09:00:00",             GMT, as WordPress gives it, or RFC 3339
//	  "status": "publish",                           anything else is ignored
//	  "author_name": "Ann Writer",
//	  "tags": ["Coffee", "Science"],                 tag names, not IDs
//	  "featured_image": "https://example.com/wp-content/uploads/cup.jpg"
//	}}
//
// signed like the generic webhook this program sends (package
// channels/webhook):
//
//	X-Syndicate-Timestamp: UNIX-SECONDS
//	X-Syndicate-Signature: sha256=HEX
//
// where HEX is the HMAC-SHA256, keyed with Config.WordPressSecret, of the
// timestamp, a ".", and the raw body. In PHP:
// hash_hmac('sha256', $ts . '.' . $body, $secret).
type wordPressHook struct {
	Post *wordPressPost `json:"post"`
}

// wordPressPost is the post of a wordPressHook.
type wordPressPost struct {
	ID            json.RawMessage `json:"id"`
	Title         rendered        `json:"title"`
	Link          string          `json:"link"`
	Excerpt       rendered        `json:"excerpt"`
	Content       rendered        `json:"content"`
	DateGMT       string          `json:"date_gmt"`
	Status        string          `json:"status"`
	AuthorName    string          `json:"author_name"`
	Tags          []string        `json:"tags"`
	FeaturedImage string          `json:"featured_image"`
}

// rendered is a WordPress text field: a string, or the REST API's
// {"rendered": "..."} object. Either way it holds HTML.
type rendered string

// errRendered says a WordPress text field has neither form.
var errRendered = errors.New(`not a string or {"rendered": string}`)

// UnmarshalJSON accepts a string, {"rendered": string} or null.
func (r *rendered) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*r = rendered(s)
		return nil
	}
	var o struct {
		Rendered *string `json:"rendered"`
	}
	if err := json.Unmarshal(b, &o); err != nil || o.Rendered == nil {
		return errRendered
	}
	*r = rendered(*o.Rendered)
	return nil
}

// wordPressFields name, for errors, the payload field behind each article
// field.
var wordPressFields = map[string]string{
	"title": "post.title", "url": "post.link", "summary": "post.excerpt", "author": "post.author_name",
	"body": "post.content", "date": "post.date_gmt", "image": "post.featured_image", "tags": "post.tags",
}

// handleWordPressHook is POST /v1/hooks/wordpress; see wordPressHook.
func handleWordPressHook(log *slog.Logger, c Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !hookOn(w, log, c, c.WordPressSecret) {
			return
		}
		body, ok := readBody(w, r, log, "webhook body")
		if !ok {
			return
		}
		if err := webhook.Verify(c.WordPressSecret, r.Header, body, c.Now(), hookTolerance); err != nil {
			refuseHook(w, log, "wordpress", err)
			return
		}
		if !isJSON(w, r, log) {
			return
		}
		var h wordPressHook
		if err := decodeHook(body, &h); err != nil {
			failAPI(w, log, err, "decode wordpress webhook")
			return
		}
		if h.Post == nil {
			failAPI(w, log, invalidField("post", "payload has no post object"), "")
			return
		}
		p := h.Post
		if p.Status != "publish" && p.Status != "published" {
			ignored(w, log, "wordpress", fmt.Sprintf("post status is %q, not publish", p.Status))
			return
		}
		var a syndicate.Article
		err := parseWithin(r.Context(), func() (err error) {
			a, err = wordPressArticle(p, c.Now)
			return err
		})
		if err != nil {
			failParse(w, log, err, "map wordpress post")
			return
		}
		if len(p.ID) <= 40 { // an ID, not whatever a sender put there
			log.Info("wordpress post", "post", string(p.ID), "article", a.ID)
		}
		publish(w, r, log, c, a, time.Time{}, "wordpress")
	})
}

// wordPressArticle makes an article of a published WordPress post.
func wordPressArticle(p *wordPressPost, now func() time.Time) (syndicate.Article, error) {
	text, err := htmlText(string(p.Content))
	if err != nil {
		return syndicate.Article{}, invalidField("post.content", "post content cannot be read: %v", err)
	}
	title, err := htmlLine(string(p.Title))
	if err != nil {
		return syndicate.Article{}, invalidField("post.title", "post title cannot be read: %v", err)
	}
	excerpt, err := htmlLine(string(p.Excerpt))
	if err != nil {
		return syndicate.Article{}, invalidField("post.excerpt", "post excerpt cannot be read: %v", err)
	}
	// WordPress ends an excerpt it made itself with " […]": the summary is
	// cut again below, so the marker would be noise.
	excerpt = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(excerpt, "[…]"), "[...]"))
	cp := cmsPost{
		title:   title,
		url:     p.Link,
		author:  html.UnescapeString(p.AuthorName),
		summary: excerpt,
		image:   p.FeaturedImage,
		body:    text,
		html:    string(p.Content),
		date:    p.DateGMT,
		tags:    p.Tags,
	}
	for i, t := range cp.tags {
		cp.tags[i] = html.UnescapeString(t) // WordPress stores "Food &amp; Drink"
	}
	return cp.article(now, wordPressFields)
}

// From a CMS post to an article.

// cmsPost is what a webhook found in a post, before cleaning.
type cmsPost struct {
	title, url, author, summary, image, date string
	summaryGiven                             bool // an editor's summary: kept whole
	body                                     postText
	html                                     string // the body's markup, sanitised into BodyHTML
	tags                                     []string
}

// article cleans p into a valid article. Errors name the payload field
// (fields maps article fields to payload fields). What a CMS has already
// published is not refused for small faults: an unusable image is
// dropped, and tags past the limits are left out.
func (p cmsPost) article(now func() time.Time, fields map[string]string) (syndicate.Article, error) {
	field := func(f string) string {
		if pf, ok := fields[f]; ok {
			return pf
		}
		return f
	}
	a := syndicate.Article{Title: oneLine(p.title), Author: oneLine(p.author)}
	switch {
	case a.Title == "":
		return a, invalidField(field("title"), "post has no title")
	case len(a.Title) > syndicate.MaxTitleLen:
		return a, invalidField(field("title"), "post title is longer than %d bytes", syndicate.MaxTitleLen)
	case len(a.Author) > syndicate.MaxNameLen:
		return a, invalidField(field("author"), "post author is longer than %d bytes", syndicate.MaxNameLen)
	}
	if strings.TrimSpace(p.url) == "" {
		return a, invalidField(field("url"), "post has no URL")
	}
	canon, err := syndicate.CanonicalURL(p.url)
	if err != nil {
		return a, invalidField(field("url"), "post URL: %s", syndicate.ErrorMessage(err))
	}
	a.URL, a.ID = canon, syndicate.ArticleID(canon)
	if img := strings.TrimSpace(p.image); img != "" {
		if _, err := syndicate.CanonicalURL(img); err == nil {
			a.Image = img
		}
	}

	a.PublishedAt = now().UTC()
	if d := strings.TrimSpace(p.date); d != "" {
		t, err := parseCMSDate(d)
		if err != nil {
			return a, invalidField(field("date"), "post date %q is not an RFC 3339 time", d)
		}
		a.PublishedAt = t
	}

	a.Tags = []string{}
	seen := map[string]bool{}
	for _, t := range p.tags {
		t = oneLine(t)
		k := strings.ToLower(t)
		if t == "" || seen[k] || len(t) > syndicate.MaxTagLen || len(a.Tags) == syndicate.MaxTags {
			continue
		}
		seen[k] = true
		a.Tags = append(a.Tags, t)
	}

	a.Body = strings.Join(p.body.paras, "\n\n")
	if a.Body != "" {
		a.BodyHTML = article.SanitizeHTML(p.html, canon)
	}
	a.Summary = oneLine(p.summary)
	given := p.summaryGiven && a.Summary != ""
	if a.Summary == "" {
		a.Summary = oneLine(p.body.lede)
	}
	if !given {
		a.Summary = shorten(a.Summary, summaryLimit)
	}
	if err := a.Validate(); err != nil {
		// Title, URL and the limits were checked above; what is left is the
		// size of the body or summary, or text that is not UTF-8.
		f := "body"
		if strings.Contains(syndicate.ErrorMessage(err), "summary") {
			f = "summary"
		}
		return a, invalidField(field(f), "%s", syndicate.ErrorMessage(err))
	}
	return a, nil
}

// parseCMSDate reads a post's date: RFC 3339, or WordPress's date_gmt,
// which has no zone and is UTC.
func parseCMSDate(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t, err = time.Parse("2006-01-02T15:04:05", s)
	}
	return t.UTC(), err
}

// oneLine returns s with its runs of white space, control characters
// included, made single spaces.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// shorten cuts s to at most limit characters: after the last sentence that
// fits, if that keeps at least half, or else after the last whole word,
// with an ellipsis.
func shorten(s string, limit int) string {
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	// Keep limit-1 characters, so that an ellipsis still fits.
	n, cut := 0, len(s)
	for i := range s {
		if n == limit-1 {
			cut = i
			break
		}
		n++
	}
	head := s[:cut]
	for i := len(head) - 1; i >= len(head)/2; i-- {
		// A sentence ends at . ! or ? before a space ("3.5" does not).
		if strings.IndexByte(".!?", head[i]) >= 0 && (i+1 == len(s) || s[i+1] == ' ') {
			return head[:i+1]
		}
	}
	if cut < len(s) && s[cut] != ' ' { // mid-word: back to the word's start
		if i := strings.LastIndexByte(head, ' '); i > 0 {
			head = head[:i]
		}
	}
	return strings.TrimRight(head, " ,;:-") + "…"
}

// HTML to text.

// skipElements hold nothing a reader of the text wants: code, media and
// forms (a newsletter sign-up card in a post, for one).
var skipElements = map[string]bool{
	"script": true, "style": true, "noscript": true, "template": true, "iframe": true,
	"svg": true, "object": true, "embed": true, "video": true, "audio": true, "canvas": true,
	"form": true, "button": true, "input": true, "select": true, "textarea": true, "head": true,
}

// paragraphElements start a new paragraph.
var paragraphElements = map[string]bool{
	"p": true, "div": true, "section": true, "article": true, "header": true, "footer": true,
	"aside": true, "blockquote": true, "pre": true, "figure": true, "figcaption": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true, "hr": true,
	"ul": true, "ol": true, "li": true, "dl": true, "dt": true, "dd": true,
	"table": true, "tr": true, "details": true, "summary": true, "address": true,
}

// postText is the text of a post.
type postText struct {
	paras []string // paragraphs of plain text
	lede  string   // the first real paragraph (not a heading or list item), for a summary
}

// ledeElements hold a paragraph that can summarise a post ("" is loose
// text outside any block).
var ledeElements = map[string]bool{"p": true, "div": true, "section": true, "article": true, "": true}

// htmlText returns the text of a post's HTML as paragraphs of plain text,
// entities decoded. It fails only on HTML nested too deeply to be a real
// post.
func htmlText(s string) (postText, error) {
	if strings.TrimSpace(s) == "" {
		return postText{}, nil
	}
	doc, err := html.Parse(strings.NewReader(s))
	if err != nil {
		return postText{}, err
	}
	var t textWalker
	t.walk(doc)
	t.flush()
	if t.lede == "" && len(t.paras) > 0 {
		t.lede = t.paras[0]
	}
	return t.postText, nil
}

// htmlLine returns the text of an HTML snippet (a title, an excerpt) on one
// line.
func htmlLine(s string) (string, error) {
	t, err := htmlText(s)
	return oneLine(strings.Join(t.paras, " ")), err
}

// plainText splits plain text into paragraphs at blank lines.
func plainText(s string) postText {
	var t postText
	for _, p := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			t.paras = append(t.paras, p)
		}
	}
	if len(t.paras) > 0 {
		t.lede = t.paras[0]
	}
	return t
}

// textWalker collects the paragraphs of an HTML tree.
type textWalker struct {
	postText
	cur    strings.Builder
	tag    string // the element the current paragraph belongs to
	pre    int    // depth inside <pre>, where line breaks are kept
	prefix string // "- " before a list item's first text
}

func (t *textWalker) walk(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		t.text(n.Data)
		return
	case html.ElementNode:
		if skipElements[n.Data] || hasAttr(n, "hidden") {
			return
		}
		if n.Data == "br" {
			t.cur.WriteByte('\n')
			return
		}
	case html.DocumentNode:
	default:
		return
	}
	block := paragraphElements[n.Data]
	if block {
		t.flush()
		t.tag = n.Data
	}
	if n.Data == "li" {
		t.prefix = "- "
	}
	if n.Data == "pre" {
		t.pre++
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		t.walk(c)
	}
	if block {
		t.flush() // before leaving <pre>, so its line breaks are kept
	}
	if n.Data == "pre" {
		t.pre--
	}
	if n.Data == "li" {
		t.prefix = "" // an empty item must not mark the next paragraph
	}
}

// text adds the text of a text node. Outside <pre> a line break in the
// source is only white space; a list item's marker goes before its first
// words, even when they sit in a <p> inside the <li>.
func (t *textWalker) text(s string) {
	if t.pre == 0 {
		s = strings.ReplaceAll(s, "\n", " ")
	}
	if t.prefix != "" && strings.TrimSpace(s) != "" && strings.TrimSpace(t.cur.String()) == "" {
		t.cur.Reset()
		t.cur.WriteString(t.prefix)
		t.prefix = ""
	}
	t.cur.WriteString(s)
}

// flush ends the current paragraph: white space collapsed, but line
// breaks kept inside <pre> and where a <br> put them.
func (t *textWalker) flush() {
	raw := t.cur.String()
	t.cur.Reset()
	var lines []string
	for _, l := range strings.Split(raw, "\n") {
		if t.pre == 0 {
			l = oneLine(l)
		} else {
			l = strings.TrimRight(l, " \t\r")
		}
		if l != "" || t.pre > 0 {
			lines = append(lines, l)
		}
	}
	if p := strings.Trim(strings.Join(lines, "\n"), "\n"); strings.TrimSpace(p) != "" {
		t.paras = append(t.paras, p)
		if t.lede == "" && ledeElements[t.tag] {
			t.lede = p
		}
	}
	t.tag = ""
}

// hasAttr reports whether n has the attribute key.
func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}
