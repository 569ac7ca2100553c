package outbox_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"syndicate"
	"syndicate/channels/email"
	"syndicate/channels/outbox"
)

func newOutbox(t *testing.T) *outbox.Outbox {
	t.Helper()
	o, err := outbox.New(filepath.Join(t.TempDir(), "out"), func(m syndicate.Message) (io.WriterTo, error) { return email.Build(m) })
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return o
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPostWritesAndOverwrites(t *testing.T) {
	o := newOutbox(t)
	p := syndicate.Post{ArticleID: "a_0123456789abcdef", Channel: syndicate.ChannelX, Text: "Hello world https://example.com/a"}
	id, err := o.Post(context.Background(), p)
	if err != nil {
		t.Fatalf("Post: %v", err)
	}
	want := filepath.Join(o.Dir(), "posts", "x-a_0123456789abcdef.txt")
	if id != want {
		t.Errorf("remote id %q, want %q", id, want)
	}
	if got := readFile(t, id); got != p.Text+"\n" {
		t.Errorf("file holds %q", got)
	}

	p.Text = "Edited"
	id2, err := o.Post(context.Background(), p)
	if err != nil {
		t.Fatalf("second Post: %v", err)
	}
	if id2 != id {
		t.Errorf("second post went to %q, not %q", id2, id)
	}
	if got := readFile(t, id); got != "Edited\n" {
		t.Errorf("file holds %q after overwrite", got)
	}
	entries, err := os.ReadDir(filepath.Join(o.Dir(), "posts"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("posts directory holds %d files, want 1 (no temporary files left)", len(entries))
	}
	info, err := os.Stat(id)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o644 {
		t.Errorf("file mode %v, want 0644", info.Mode().Perm())
	}
}

func TestPostNamesCannotEscape(t *testing.T) {
	o := newOutbox(t)
	seen := map[string]bool{}
	for _, p := range []syndicate.Post{
		{ArticleID: "../../etc/passwd", Channel: "x", Text: "a"},
		{ArticleID: "..", Channel: "", Text: "b"},
		{ArticleID: "a/b", Channel: "x", Text: "c"},
		{ArticleID: "a_b", Channel: "x", Text: "d"},
		{ArticleID: "a\\b", Channel: "x", Text: "e"},
		{ArticleID: "a\x00b", Channel: "x", Text: "f"},
		{ArticleID: strings.Repeat("long", 200), Channel: "mastodon", Text: "g"},
		{ArticleID: "id", Channel: "../../x", Text: "h"},
	} {
		path, err := o.Post(context.Background(), p)
		if err != nil {
			t.Fatalf("Post %q: %v", p.ArticleID, err)
		}
		if filepath.Dir(path) != filepath.Join(o.Dir(), "posts") {
			t.Errorf("article %q written to %s, outside the posts directory", p.ArticleID, path)
		}
		base := filepath.Base(path)
		if strings.HasPrefix(base, ".") || len(base) > 200 {
			t.Errorf("article %q got file name %q", p.ArticleID, base)
		}
		if seen[path] {
			t.Errorf("article %q shares file %s with another", p.ArticleID, path)
		}
		seen[path] = true
		if got := readFile(t, path); got != p.Text+"\n" {
			t.Errorf("article %q: file holds %q", p.ArticleID, got)
		}
	}
}

func TestPostRefusesEmptyIDAndCanceledContext(t *testing.T) {
	o := newOutbox(t)
	_, err := o.Post(context.Background(), syndicate.Post{Channel: "x", Text: "a"})
	if syndicate.OutcomeOf(err) != syndicate.Permanent {
		t.Errorf("empty article id: %v, want a permanent failure", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := o.Post(ctx, syndicate.Post{ArticleID: "a", Channel: "x", Text: "a"}); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled context: %v", err)
	}
}

func message(id string) syndicate.Message {
	return syndicate.Message{
		From:              "Daily News <news@example.com>",
		To:                "reader@example.org",
		ToName:            "Ada Reader",
		Subject:           "Today: Ünïcode headlines",
		Text:              "Plain text body.\n\nUnsubscribe: https://news.example.com/u/abc",
		HTML:              "<p>HTML body.</p><p><a href=\"https://news.example.com/u/abc\">Unsubscribe</a></p>",
		MessageID:         id,
		Date:              time.Date(2026, 3, 1, 7, 30, 0, 0, time.UTC),
		ListID:            "Daily News <daily.news.example.com>",
		UnsubscribeURL:    "https://news.example.com/u/abc",
		UnsubscribeMailto: "mailto:unsubscribe@example.com?subject=abc",
	}
}

func TestSendWritesEML(t *testing.T) {
	o := newOutbox(t)
	msgs := []syndicate.Message{message("d1.r1@news.example.com"), message("d1.r2@news.example.com")}
	var reported []int
	err := o.Send(context.Background(), msgs, func(i int, err error) {
		if err != nil {
			t.Errorf("message %d: %v", i, err)
		}
		reported = append(reported, i)
	})
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if len(reported) != 2 || reported[0] != 0 || reported[1] != 1 {
		t.Errorf("reported %v, want [0 1]", reported)
	}

	path := o.MailPath("d1.r1@news.example.com")
	if filepath.Base(path) != "d1.r1@news.example.com.eml" {
		t.Errorf("mail file %s", path)
	}
	raw := readFile(t, path)
	parsed, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		t.Fatalf("parse written message: %v\n%s", err, raw)
	}
	h := parsed.Header
	for k, want := range map[string]string{
		"Message-Id":            "<d1.r1@news.example.com>",
		"List-Unsubscribe":      "<https://news.example.com/u/abc>, <mailto:unsubscribe@example.com?subject=abc>",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		"List-Id":               "Daily News <daily.news.example.com>",
		"Date":                  "Sun, 01 Mar 2026 07:30:00 +0000",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if from, err := h.AddressList("From"); err != nil || len(from) != 1 || from[0].Address != "news@example.com" || from[0].Name != "Daily News" {
		t.Errorf("From: %v %v", from, err)
	}
	if to, err := h.AddressList("To"); err != nil || len(to) != 1 || to[0].Address != "reader@example.org" || to[0].Name != "Ada Reader" {
		t.Errorf("To: %v %v", to, err)
	}
	dec := new(mime.WordDecoder)
	if subj, err := dec.DecodeHeader(h.Get("Subject")); err != nil || subj != "Today: Ünïcode headlines" {
		t.Errorf("Subject: %q %v", subj, err)
	}
	ct := h.Get("Content-Type")
	if !strings.HasPrefix(ct, "multipart/alternative") {
		t.Errorf("Content-Type %q, want multipart/alternative", ct)
	}
	text, html := strings.Index(raw, "text/plain"), strings.Index(raw, "text/html")
	if text < 0 || html < 0 || text > html {
		t.Errorf("want a text/plain part before a text/html part:\n%s", raw)
	}
}

func TestSendReportsBadMessagesAndGoesOn(t *testing.T) {
	o := newOutbox(t)
	bad := message("x@news.example.com")
	bad.UnsubscribeURL = "http://insecure.example.com/u"
	injected := message("y@news.example.com")
	injected.Subject = "Hi\r\nBcc: victim@example.com"
	msgs := []syndicate.Message{bad, message(""), injected, message("ok@news.example.com")}
	errs := make([]error, len(msgs))
	calls := 0
	if err := o.Send(context.Background(), msgs, func(i int, err error) { errs[i] = err; calls++ }); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if calls != len(msgs) {
		t.Errorf("report called %d times, want %d", calls, len(msgs))
	}
	for i := 0; i < 2; i++ {
		if syndicate.OutcomeOf(errs[i]) != syndicate.Permanent || errs[i] == nil {
			t.Errorf("message %d: %v, want a permanent failure", i, errs[i])
		}
	}
	// The email builder folds a subject onto one line rather than refuse it:
	// the attempted header must not appear.
	if errs[2] != nil || errs[3] != nil {
		t.Errorf("messages 2 and 3: %v, %v; want both written", errs[2], errs[3])
	}
	if raw := readFile(t, o.MailPath("y@news.example.com")); strings.Contains(raw, "\nBcc:") || strings.Contains(raw, "\r\nBcc:") {
		t.Errorf("a header was injected through the subject:\n%s", raw)
	}
	if _, err := os.Stat(o.MailPath("x@news.example.com")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused message was written: %v", err)
	}
}

func TestSendStopsOnCanceledContext(t *testing.T) {
	o := newOutbox(t)
	ctx, cancel := context.WithCancel(context.Background())
	msgs := []syndicate.Message{message("a@news.example.com"), message("b@news.example.com"), message("c@news.example.com")}
	var reported []int
	err := o.Send(ctx, msgs, func(i int, err error) {
		reported = append(reported, i)
		cancel() // the worker is told to stop after the first message
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Send: %v, want context.Canceled", err)
	}
	if len(reported) != 1 {
		t.Errorf("reported %v, want only the first", reported)
	}
}

func TestSendSanitisesMessageIDs(t *testing.T) {
	var built []string
	o, err := outbox.New(t.TempDir(), func(m syndicate.Message) (io.WriterTo, error) {
		built = append(built, m.MessageID)
		return bytes.NewBufferString("Subject: custom\r\n\r\nbody\r\n"), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{"../../evil@x", ".hidden@x", "a/b@x", "a_b@x"}
	var msgs []syndicate.Message
	for _, id := range ids {
		msgs = append(msgs, syndicate.Message{MessageID: id})
	}
	if err := o.Send(context.Background(), msgs, func(i int, err error) {
		if err != nil {
			t.Errorf("message %d: %v", i, err)
		}
	}); err != nil {
		t.Fatal(err)
	}
	if len(built) != len(ids) {
		t.Errorf("custom builder called %d times", len(built))
	}
	entries, err := os.ReadDir(filepath.Join(o.Dir(), "mail"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(ids) {
		t.Errorf("%d files for %d distinct IDs", len(entries), len(ids))
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("hidden file %s", e.Name())
		}
	}
	for _, id := range ids {
		p := o.MailPath(id)
		if filepath.Dir(p) != filepath.Join(o.Dir(), "mail") {
			t.Errorf("ID %q maps outside the mail directory: %s", id, p)
		}
		if got := readFile(t, p); !strings.Contains(got, "custom") {
			t.Errorf("ID %q: file holds %q", id, got)
		}
	}
}

func TestNewRejectsEmptyDir(t *testing.T) {
	if _, err := outbox.New(" ", nil); err == nil {
		t.Error("New accepted an empty directory")
	}
}
