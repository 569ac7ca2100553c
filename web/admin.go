package web

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"html/template"
	"log/slog"
	"maps"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"syndicate"
)

// The editor's dashboard at /admin: server-rendered pages behind a login
// (admin_auth.go), which work without JavaScript but for the live progress
// of a send (templates/admin/progress.js, served from our own origin so the
// Content-Security-Policy needs no inline script).

// AdminArticles reads articles and digests for the dashboard.
type AdminArticles interface {
	// RecentArticles returns up to limit articles, the latest stored first.
	RecentArticles(ctx context.Context, limit int) ([]syndicate.Article, error)
	// Article returns the article with the ID, or an error with code
	// syndicate.ENOTFOUND.
	Article(ctx context.Context, id string) (syndicate.Article, error)
	// Digest returns the digest with the ID, or an error with code
	// syndicate.ENOTFOUND.
	Digest(ctx context.Context, id string) (syndicate.Digest, error)
}

// AdminLedger reads the delivery ledger for the dashboard.
type AdminLedger interface {
	// ItemCounts counts the rows of each item by channel and status.
	ItemCounts(ctx context.Context, items []string) (map[string]map[syndicate.Channel]map[syndicate.DeliveryStatus]int, error)
	// DeliveriesToReview returns up to limit rows of one item, those that
	// failed, bounced or are unknown first, then those not yet final.
	DeliveriesToReview(ctx context.Context, item string, limit int) ([]syndicate.Delivery, error)
	// Failures returns up to limit rows of every item that failed, bounced
	// or whose outcome is unknown, the latest first.
	Failures(ctx context.Context, limit int) ([]syndicate.Delivery, error)
}

// AdminSubscribers counts the subscribers for the dashboard.
type AdminSubscribers interface {
	SubscriberCounts(ctx context.Context) (map[syndicate.Frequency]map[syndicate.SubscriberStatus]int, error)
	// SuppressionCounts counts the suppression list by reason.
	SuppressionCounts(ctx context.Context) (map[string]int, error)
}

// AdminStore is what the dashboard reads; *store.Store satisfies it.
type AdminStore interface {
	AdminArticles
	AdminLedger
	AdminSubscribers
}

// Retrier queues again what failed of an article or digest (ref is its
// ID), of one channel unless only is "": failed deliveries, and with force
// those whose outcome is unknown. It returns what it queued; an error with
// code syndicate.ECONFLICT when only unknown ones are left without force.
type Retrier interface {
	Retry(ctx context.Context, ref string, only syndicate.Channel, force bool) (posts []syndicate.Channel, emails []string, err error)
}

// Canceller withdraws what has not gone yet of an article: a sentence on
// its fan-out, the deliveries cancelled, and those being sent that could
// not be stopped.
type Canceller interface {
	Cancel(ctx context.Context, articleID string) (fanOut string, cancelled, inFlight int, err error)
}

// DigestSender queues the daily or weekly digest now.
type DigestSender interface {
	SendDigest(ctx context.Context, freq syndicate.Frequency) (taskID string, err error)
}

// Editor is the dashboard's actions; jobs.Editor satisfies it, the same
// code the CLI's retry, cancel and send digest run.
type Editor interface {
	Retrier
	Canceller
	DigestSender
}

// Admin configures the dashboard.
type Admin struct {
	// Users are the editors who may log in: name to bcrypt hash. Empty
	// means the dashboard is off and /admin answers 404.
	Users map[string]string
	// SessionTTL is how long a login lasts; zero means 12 hours.
	SessionTTL time.Duration
	// Logins bounds login attempts, per client address and per user name;
	// nil means no limit.
	Logins Limiter
	// Store is what the pages read; nil turns the dashboard off.
	Store AdminStore
	// Editor carries out retry, cancel and send digest; nil means those
	// buttons answer 503.
	Editor Editor
}

// How much one page shows: an editor reads the latest, and the CLI's
// status --json lists everything.
const (
	adminRecent     = 50
	adminFailures   = 200
	adminDeliveries = 500
)

//go:embed templates/admin/*.html templates/admin/*.js
var adminFS embed.FS

// adminPageNames are the dashboard's pages; each defines "title" and
// "content" for templates/admin/layout.html.
var adminPageNames = []string{"login", "articles", "article", "failures", "subscribers", "confirm", "message"}

var adminTemplates = func() map[string]*template.Template {
	m := make(map[string]*template.Template, len(adminPageNames))
	for _, name := range adminPageNames {
		m[name] = template.Must(template.New(name).Funcs(template.FuncMap{
			"when": func(t time.Time) string {
				if t.IsZero() {
					return ""
				}
				return t.UTC().Format("2006-01-02 15:04:05 UTC")
			},
		}).ParseFS(adminFS, "templates/admin/layout.html", "templates/admin/"+name+".html"))
	}
	return m
}()

// adminCSP lets the dashboard's pages run the one script file they load
// from this origin and fetch progress from it, and nothing else.
const adminCSP = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// admin serves the dashboard.
type admin struct {
	Admin
	log     *slog.Logger
	name    string
	secret  string
	https   bool
	base    string // the public base URL, a trusted origin of the forms
	now     func() time.Time
	proxies []netip.Prefix

	mu      sync.Mutex
	revoked map[string]time.Time // session IDs logged out, until they expire

	dummyOnce sync.Once
	dummy     []byte // a hash compared against for unknown users, so they take as long
}

// adminData is what the dashboard's templates see.
type adminData struct {
	Name string // the newsletter's name
	Page string // the page's name, the id of its <main>
	User string // who is logged in; "" on the login page
	CSRF string // the token every form carries

	Flash string // what the last action did
	Error string // what is wrong, for the editor to fix

	Articles    []articleRow
	Item        itemView
	Deliveries  []syndicate.Delivery
	More        int // deliveries not shown
	Failures    []syndicate.Delivery
	Subscribers subscriberTable
	Suppressed  []statusCount
	// SuppressionList counts the suppression list by reason.
	SuppressionList []statusCount

	Confirm confirmView

	Title   string // the message page's heading
	Message string
	Back    string // the message page's link back
}

// articleRow is one line of the recent articles.
type articleRow struct {
	ID, Title, URL string
	Published      time.Time
	Channels       []channelCount
}

// channelCount sums one channel's deliveries of an item, in words.
type channelCount struct {
	Channel string
	Summary string // "12 sent, 1 failed"
	Bad     bool   // something failed, bounced or is unknown
}

// itemView is one article or digest with its ledger.
type itemView struct {
	ID, Title, URL string
	Digest         bool
	Channels       []channelCount
	Total, Final   int
	Retryable      []retryButton
	Unknown        []string // channels with posts of unknown outcome
	Cancellable    bool
}

// retryButton retries the failed deliveries of one channel.
type retryButton struct {
	Channel string
	Failed  int
}

// confirmView is the confirmation step of a forced retry.
type confirmView struct {
	ID, Title, Channel string
}

// subscriberTable counts subscribers by frequency (rows) and status.
type subscriberTable struct {
	Statuses []string
	Rows     []subscriberRow
	Total    int
}

type subscriberRow struct {
	Frequency string
	Counts    []int
	Total     int
}

type statusCount struct {
	Status string
	Count  int
}

// render writes a dashboard page. Like pages.render, it renders into a
// buffer first so a template error is a clean 500.
func (a *admin) render(w http.ResponseWriter, status int, page string, d adminData) {
	t, ok := adminTemplates[page]
	if !ok {
		panic("web: no admin template " + page) // a typo in this package
	}
	d.Name, d.Page = a.name, page
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", d); err != nil {
		a.log.Error("render admin page", "page", page, "error", err)
		http.Error(w, "Internal server error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", adminCSP)
	w.WriteHeader(status)
	if _, err := buf.WriteTo(w); err != nil {
		a.log.Debug("write admin page", "page", page, "error", err)
	}
}

// message writes a heading, a sentence and a link back.
func (a *admin) message(w http.ResponseWriter, status int, s *session, title, text, back string) {
	d := adminData{Title: title, Message: text, Back: back}
	if s != nil {
		d.User, d.CSRF = s.User, s.csrf
	}
	a.render(w, status, "message", d)
}

// fail answers an error from the store or an action.
func (a *admin) fail(w http.ResponseWriter, s *session, err error, doing string) {
	switch syndicate.ErrorCode(err) {
	case syndicate.ENOTFOUND:
		a.message(w, http.StatusNotFound, s, "Not found", syndicate.ErrorMessage(err), "/admin")
	case syndicate.EINVALID, syndicate.ECONFLICT:
		a.message(w, http.StatusConflict, s, "That did not work", syndicate.ErrorMessage(err), "/admin")
	default:
		a.log.Error(doing, "error", err)
		a.message(w, http.StatusInternalServerError, s, "Something went wrong",
			"Something went wrong on our side; the log says what. Nothing was changed that the pages do not show.", "/admin")
	}
}

// summarize turns one channel's counts into words, sent first.
func summarize(counts map[syndicate.Channel]map[syndicate.DeliveryStatus]int) []channelCount {
	var out []channelCount
	for ch, byStatus := range counts {
		c := channelCount{Channel: string(ch)}
		var parts []string
		for _, st := range statusOrder(byStatus) {
			parts = append(parts, strconv.Itoa(byStatus[st])+" "+string(st))
			if st == syndicate.StatusFailed || st == syndicate.StatusBounced || st == syndicate.StatusUnknown {
				c.Bad = true
			}
		}
		c.Summary = strings.Join(parts, ", ")
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Channel < out[j].Channel })
	return out
}

// knownStatuses is the order statuses are shown in.
var knownStatuses = []syndicate.DeliveryStatus{
	syndicate.StatusSent, syndicate.StatusDuplicate, syndicate.StatusQueued, syndicate.StatusSending,
	syndicate.StatusDeferred, syndicate.StatusFailed, syndicate.StatusUnknown, syndicate.StatusBounced,
	syndicate.StatusSkipped, syndicate.StatusCancelled,
}

func statusOrder(m map[syndicate.DeliveryStatus]int) []syndicate.DeliveryStatus {
	var out []syndicate.DeliveryStatus
	for _, st := range knownStatuses {
		if m[st] > 0 {
			out = append(out, st)
		}
	}
	var rest []syndicate.DeliveryStatus
	for st, n := range m {
		if n > 0 && !slices.Contains(knownStatuses, st) {
			rest = append(rest, st)
		}
	}
	slices.Sort(rest)
	return append(out, rest...)
}

// handleArticles is the dashboard's front page: recent articles with
// their counts per channel, and the digest buttons.
func (a *admin) handleArticles() http.Handler {
	return a.page(func(w http.ResponseWriter, r *http.Request, s *session) {
		arts, err := a.Store.RecentArticles(r.Context(), adminRecent)
		if err != nil {
			a.fail(w, s, err, "admin: list recent articles")
			return
		}
		ids := make([]string, len(arts))
		for i, art := range arts {
			ids[i] = art.ID
		}
		counts, err := a.Store.ItemCounts(r.Context(), ids)
		if err != nil {
			a.fail(w, s, err, "admin: count deliveries")
			return
		}
		d := s.data()
		for _, art := range arts {
			d.Articles = append(d.Articles, articleRow{ID: art.ID, Title: art.Title, URL: art.URL, Published: art.PublishedAt, Channels: summarize(counts[art.ID])})
		}
		d.Flash = flash(r.URL.Query())
		a.render(w, http.StatusOK, "articles", d)
	})
}

// loadItem reads an article or digest, its counts and the first rows of
// its ledger to show.
func (a *admin) loadItem(ctx context.Context, id string) (itemView, []syndicate.Delivery, error) {
	v := itemView{ID: id}
	if syndicate.IsDigestID(id) {
		dg, err := a.Store.Digest(ctx, id)
		if err != nil {
			return v, nil, err
		}
		v.Digest = true
		v.Title = string(dg.Frequency) + " digest of " + strconv.Itoa(len(dg.ArticleIDs)) + " articles"
	} else {
		art, err := a.Store.Article(ctx, id)
		if err != nil {
			return v, nil, err
		}
		v.Title, v.URL = art.Title, art.URL
	}
	all, err := a.Store.ItemCounts(ctx, []string{id})
	if err != nil {
		return v, nil, err
	}
	counts := all[id]
	for ch, byStatus := range counts {
		for st, n := range byStatus {
			v.Total += n
			if st.Final() {
				v.Final += n
			}
			switch st {
			case syndicate.StatusFailed:
				v.Retryable = append(v.Retryable, retryButton{Channel: string(ch), Failed: n})
			case syndicate.StatusUnknown:
				v.Unknown = append(v.Unknown, string(ch))
			case syndicate.StatusQueued, syndicate.StatusDeferred:
				v.Cancellable = !v.Digest
			}
		}
	}
	// An article with no rows yet is scheduled or not fanned out: cancel
	// withdraws its publish.
	if v.Total == 0 && !v.Digest {
		v.Cancellable = true
	}
	v.Channels = summarize(counts)
	sort.Slice(v.Retryable, func(i, j int) bool { return v.Retryable[i].Channel < v.Retryable[j].Channel })
	slices.Sort(v.Unknown)
	ds, err := a.Store.DeliveriesToReview(ctx, id, adminDeliveries)
	if err != nil {
		return v, nil, err
	}
	return v, ds, nil
}

// handleArticle shows one article's (or digest's) deliveries, each with
// the server's reply, and its actions.
func (a *admin) handleArticle() http.Handler {
	return a.page(func(w http.ResponseWriter, r *http.Request, s *session) {
		v, ds, err := a.loadItem(r.Context(), r.PathValue("id"))
		if err != nil {
			a.fail(w, s, err, "admin: read an item")
			return
		}
		d := s.data()
		d.Item = v
		d.Deliveries = ds
		d.More = max(v.Total-len(ds), 0)
		d.Flash = flash(r.URL.Query())
		a.render(w, http.StatusOK, "article", d)
	})
}

// progressJSON is GET /admin/articles/{id}/progress, which the article
// page's script polls while a send runs.
type progressJSON struct {
	Total  int                       `json:"total"`
	Final  int                       `json:"final"`
	Done   bool                      `json:"done"`
	Counts map[string]map[string]int `json:"counts"`
}

// handleProgress answers the counts of one item's deliveries as JSON.
func (a *admin) handleProgress() http.Handler {
	return a.api(func(w http.ResponseWriter, r *http.Request, _ *session) {
		id := r.PathValue("id")
		all, err := a.Store.ItemCounts(r.Context(), []string{id})
		if err != nil {
			a.log.Error("admin: read progress", "error", err)
			writeJSONError(w, http.StatusInternalServerError, "could not read the ledger")
			return
		}
		p := progressJSON{Counts: map[string]map[string]int{}}
		for ch, byStatus := range all[id] {
			p.Counts[string(ch)] = map[string]int{}
			for st, n := range byStatus {
				p.Counts[string(ch)][string(st)] = n
				p.Total += n
				if st.Final() {
					p.Final += n
				}
			}
		}
		p.Done = p.Final == p.Total
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewEncoder(w).Encode(p); err != nil {
			a.log.Debug("admin: write progress", "error", err)
		}
	})
}

// writeJSONError answers {"error": msg}.
func writeJSONError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"error": msg}) // cannot fail: a map of strings
	w.Write(append(b, '\n'))
}

// handleFailures lists the latest failures across all articles.
func (a *admin) handleFailures() http.Handler {
	return a.page(func(w http.ResponseWriter, r *http.Request, s *session) {
		fs, err := a.Store.Failures(r.Context(), adminFailures)
		if err != nil {
			a.fail(w, s, err, "admin: list failures")
			return
		}
		d := s.data()
		d.Failures = fs
		a.render(w, http.StatusOK, "failures", d)
	})
}

// handleSubscribers counts subscribers by frequency and status, the
// suppressed ones by status, and the suppression list by reason.
func (a *admin) handleSubscribers() http.Handler {
	return a.page(func(w http.ResponseWriter, r *http.Request, s *session) {
		counts, err := a.Store.SubscriberCounts(r.Context())
		if err != nil {
			a.fail(w, s, err, "admin: count subscribers")
			return
		}
		list, err := a.Store.SuppressionCounts(r.Context())
		if err != nil {
			a.fail(w, s, err, "admin: count the suppression list")
			return
		}
		d := s.data()
		d.Subscribers, d.Suppressed = subscriberTables(counts)
		for _, reason := range slices.Sorted(maps.Keys(list)) {
			d.SuppressionList = append(d.SuppressionList, statusCount{Status: reason, Count: list[reason]})
		}
		a.render(w, http.StatusOK, "subscribers", d)
	})
}

func subscriberTables(counts map[syndicate.Frequency]map[syndicate.SubscriberStatus]int) (subscriberTable, []statusCount) {
	statuses := []syndicate.SubscriberStatus{syndicate.SubscriberActive, syndicate.SubscriberPending, syndicate.SubscriberUnsubscribed, syndicate.SubscriberBounced}
	freqs := []syndicate.Frequency{syndicate.Instant, syndicate.Daily, syndicate.Weekly}
	for f, byStatus := range counts {
		if !slices.Contains(freqs, f) {
			freqs = append(freqs, f)
		}
		for st := range byStatus {
			if !slices.Contains(statuses, st) {
				statuses = append(statuses, st)
			}
		}
	}
	slices.Sort(freqs[3:])
	slices.Sort(statuses[4:])
	var t subscriberTable
	for _, st := range statuses {
		t.Statuses = append(t.Statuses, string(st))
	}
	suppressed := map[syndicate.SubscriberStatus]int{}
	for _, f := range freqs {
		row := subscriberRow{Frequency: string(f)}
		for _, st := range statuses {
			n := counts[f][st]
			row.Counts = append(row.Counts, n)
			row.Total += n
			if st.Suppressed() {
				suppressed[st] += n
			}
		}
		t.Rows = append(t.Rows, row)
		t.Total += row.Total
	}
	var sup []statusCount
	for _, st := range statuses {
		if st.Suppressed() {
			sup = append(sup, statusCount{Status: string(st), Count: suppressed[st]})
		}
	}
	return t, sup
}

// handleRetry queues again what failed of an item. A forced retry (of
// posts whose outcome is unknown) first shows a confirmation page, whose
// button posts again with confirm=yes.
func (a *admin) handleRetry() http.Handler {
	return a.action(func(w http.ResponseWriter, r *http.Request, s *session, f adminForm) {
		id := r.PathValue("id")
		if f.Force && !f.Confirm {
			v, _, err := a.loadItem(r.Context(), id)
			if err != nil {
				a.fail(w, s, err, "admin: read an item")
				return
			}
			d := s.data()
			d.Confirm = confirmView{ID: id, Title: v.Title, Channel: string(f.Channel)}
			a.render(w, http.StatusOK, "confirm", d)
			return
		}
		posts, emails, err := a.Editor.Retry(r.Context(), id, f.Channel, f.Force)
		if err != nil {
			a.fail(w, s, err, "admin: retry")
			return
		}
		a.log.Info("admin: retry", "user", s.User, "item", id, "channel", string(f.Channel), "force", f.Force, "posts", len(posts), "emails", len(emails))
		q := url.Values{"done": {"retried"}, "posts": {strconv.Itoa(len(posts))}, "emails": {strconv.Itoa(len(emails))}}
		if len(posts)+len(emails) == 0 {
			q = url.Values{"done": {"nothing"}}
		}
		http.Redirect(w, r, "/admin/articles/"+url.PathEscape(id)+"?"+q.Encode(), http.StatusSeeOther)
	})
}

// handleCancel withdraws what has not gone of an article.
func (a *admin) handleCancel() http.Handler {
	return a.action(func(w http.ResponseWriter, r *http.Request, s *session, _ adminForm) {
		id := r.PathValue("id")
		if syndicate.IsDigestID(id) {
			a.message(w, http.StatusBadRequest, s, "That did not work", "A digest cannot be cancelled, only an article.", "/admin/articles/"+url.PathEscape(id))
			return
		}
		if _, err := a.Store.Article(r.Context(), id); err != nil {
			a.fail(w, s, err, "admin: read an article")
			return
		}
		fanOut, cancelled, inFlight, err := a.Editor.Cancel(r.Context(), id)
		if err != nil {
			a.fail(w, s, err, "admin: cancel")
			return
		}
		a.log.Info("admin: cancel", "user", s.User, "item", id, "cancelled", cancelled, "in_flight", inFlight)
		text := fanOut + "; " + strconv.Itoa(cancelled) + " deliveries cancelled"
		if inFlight > 0 {
			text += "; " + strconv.Itoa(inFlight) + " being sent now could not be stopped"
		}
		a.message(w, http.StatusOK, s, "Cancelled", text+".", "/admin/articles/"+url.PathEscape(id))
	})
}

// handleDigest queues the daily or weekly digest now.
func (a *admin) handleDigest() http.Handler {
	return a.action(func(w http.ResponseWriter, r *http.Request, s *session, f adminForm) {
		if f.Frequency != syndicate.Daily && f.Frequency != syndicate.Weekly {
			a.message(w, http.StatusBadRequest, s, "That did not work", "Choose the daily or the weekly digest.", "/admin")
			return
		}
		if _, err := a.Editor.SendDigest(r.Context(), f.Frequency); err != nil {
			a.fail(w, s, err, "admin: send digest")
			return
		}
		a.log.Info("admin: send digest", "user", s.User, "frequency", string(f.Frequency))
		http.Redirect(w, r, "/admin?"+url.Values{"done": {"digest"}, "frequency": {string(f.Frequency)}}.Encode(), http.StatusSeeOther)
	})
}

// flash says in words what the action that redirected here did; only
// known words and numbers are taken from the query.
func flash(q url.Values) string {
	num := func(k string) (int, bool) {
		n, err := strconv.Atoi(q.Get(k))
		return n, err == nil && n >= 0
	}
	switch q.Get("done") {
	case "retried":
		posts, ok1 := num("posts")
		emails, ok2 := num("emails")
		if !ok1 || !ok2 {
			return "Queued again."
		}
		return "Queued again: " + plural(posts, "post") + " and " + plural(emails, "email") + "."
	case "nothing":
		return "Nothing to retry: no delivery failed in a way that sending again could fix."
	case "digest":
		f, err := syndicate.ParseFrequency(q.Get("frequency"))
		if err != nil || (f != syndicate.Daily && f != syndicate.Weekly) {
			return "The digest was queued."
		}
		return "The " + string(f) + " digest was queued; it covers what was published since the last one."
	}
	return ""
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// handleScript serves the live progress script.
func handleScript() http.Handler {
	js, err := adminFS.ReadFile("templates/admin/progress.js")
	if err != nil {
		panic("web: " + err.Error()) // embedded: a missing file is a build bug
	}
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(js)
	})
}
