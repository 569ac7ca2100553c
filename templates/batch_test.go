package templates

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"syndicate"
)

// recipients have the values that escape differently in each context:
// '+', '&', quotes, '<', non-ASCII, spaces, and empty optional values.
var recipients = []struct {
	sub          syndicate.Subscriber
	unsub, prefs string
}{
	{syndicate.Subscriber{ID: 1, Email: "ada@example.org", Name: "Ada", Handle: "h1", Frequency: syndicate.Daily, Status: syndicate.SubscriberActive, TokenVersion: 1}, "https://news.example.com/u/h1?v=1&s=AbC-_9", "https://news.example.com/p/h1?v=1&s=x"},
	{syndicate.Subscriber{ID: 2, Email: "o'brien+news@example.org", Name: "Seán O'Brien", Handle: "h2", Frequency: syndicate.Daily, Status: syndicate.SubscriberActive, TokenVersion: 3}, "https://news.example.com/u/h2?v=3&s=%2Fq", ""},
	{syndicate.Subscriber{ID: 3, Email: "x&y<z>\"q\"@example.org", Name: "", Handle: "h3", Frequency: syndicate.Daily, Status: syndicate.SubscriberActive, TokenVersion: 1}, "https://news.example.com/u/h3?a=<b>&c='d'", "https://news.example.com/p/h3"},
	{syndicate.Subscriber{ID: 4, Email: "üser@bücher.example", Name: "Zoë Müller", Handle: "h4", Frequency: syndicate.Daily, Status: syndicate.SubscriberActive, TokenVersion: 2}, "https://news.example.com/u/h4?v=2", "https://news.example.com/p/h4"},
	{syndicate.Subscriber{ID: 5, Email: "plain@example.org", Name: "Ada", Handle: "h5", Frequency: syndicate.Daily, Status: syndicate.SubscriberActive, TokenVersion: 1}, "https://news.example.com/u/h5?v=1&s=zz", "https://news.example.com/p/h5?v=1"},
	{syndicate.Subscriber{ID: 6, Email: "o'brien+news@example.org", Name: "Ann Lee", Handle: "h6", Frequency: syndicate.Daily, Status: syndicate.SubscriberActive, TokenVersion: 1}, "https://news.example.com/u/h6?v=1&s=Q-_", ""},
	// No unsubscribe URL is the archive's view: the footer is another one.
	// Its characters are all checked by the recipients before.
	{syndicate.Subscriber{ID: 7, Email: "ada@example.org", Name: "Ada", Handle: "h1", Frequency: syndicate.Daily, Status: syndicate.SubscriberActive, TokenVersion: 1}, "", "https://news.example.com/p/h1?v=1&s=x"},
}

// checkBatch renders every recipient through a Batch, twice round, and
// compares each email with RenderEmail's.
func checkBatch(t *testing.T, s *Set, d EmailData) *Batch {
	t.Helper()
	b := s.Batch(d)
	for round := range 2 {
		for _, r := range recipients {
			got, err := b.Render(r.sub, r.unsub, r.prefs)
			if err != nil {
				t.Fatal(err)
			}
			full := d
			full.Subscriber, full.UnsubscribeURL, full.PreferencesURL = r.sub, r.unsub, r.prefs
			want, err := s.RenderEmail(full)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("round %d, %s: the batch's email differs from RenderEmail's\n got: %q\nwant: %q", round, r.sub.Email, golden(got), golden(want))
			}
		}
	}
	return b
}

// TestBatchIsRenderEmail: an email rendered through a Batch is the one
// RenderEmail renders, for the default templates, instant and digest.
func TestBatchIsRenderEmail(t *testing.T) {
	s := mustNew(t, "")
	for _, d := range []EmailData{instantData(), dailyData()} {
		b := checkBatch(t, s, d)
		// Every shape of recipient was served by the shared render: a
		// split whose emails differed from RenderEmail's is broken.
		if len(b.splits) != 4 {
			t.Errorf("%d shapes of recipient, want 4", len(b.splits))
		}
		for sh, sp := range b.splits {
			if sp == nil || sp.broken || !sp.checked {
				t.Errorf("shape %+v: the default templates were rendered in full (split nil: %v, broken: %v, checked: %v)", sh, sp == nil, sp != nil && sp.broken, sp != nil && sp.checked)
			}
		}
	}
}

// TestBatchSplitsDefaultTemplates: with the default templates the shared
// render is used, not a full render per recipient.
func TestBatchSplitsDefaultTemplates(t *testing.T) {
	b := mustNew(t, "").Batch(dailyData())
	r := recipients[0]
	if _, err := b.Render(r.sub, r.unsub, r.prefs); err != nil {
		t.Fatal(err)
	}
	sp := b.split(shape{}, r.sub)
	if sp == nil || !b.trusted(sp, values{r.sub.Email, r.sub.Name, r.sub.Handle, r.unsub, r.prefs}) {
		t.Fatal("the default templates are not split, or the first recipient did not check the split")
	}
}

// TestBatchOverrides: templates that print the recipient in other
// contexts (a query string, an attribute, a script, wrapped text, a
// condition on the name, its ID) still give each recipient their own email.
func TestBatchOverrides(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		EmailSubject: `{{if .Subscriber.Name}}{{.Subscriber.Name}}, news{{else}}News{{end}} #{{.Subscriber.ID}}`,
		EmailText:    "Hi {{wrap 8 \"  \" .Subscriber.Name}} <{{.Subscriber.Email}}>\n{{len .Subscriber.Email}}\n{{.UnsubscribeURL}}\n",
		EmailHTML: `{{define "content"}}<tr><td><a href="https://t.example.com/?to={{.Subscriber.Email}}&n={{.Subscriber.Name}}" title="{{.Subscriber.Name}}">x</a>
<script>var who = {{.Subscriber.Email}};</script>
<img alt='{{.Subscriber.Email}}' src="{{.UnsubscribeURL}}"></td></tr>{{end}}{{define "footer"}}{{.Subscriber.Email}} {{.PreferencesURL}}{{end}}{{template "shell" .}}`,
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := mustNew(t, dir)
	checkBatch(t, s, instantData())
	checkBatch(t, s, dailyData())
}

// TestBatchSplittable: templates that do more with a recipient's value
// than print it, or test the emptiness of one a shape covers, are never
// split, and each recipient still gets their own email. The comparison
// template is the case a check against one full render misses: the first
// recipients are not the one compared with, and by the time it comes every
// character of its address has been checked.
func TestBatchSplittable(t *testing.T) {
	html := func(footer string) string {
		return `{{define "content"}}<tr><td>x</td></tr>{{end}}{{define "footer"}}` + footer + `{{end}}{{template "shell" .}}`
	}
	for _, c := range []struct {
		name, file, src string
		split           bool
	}{
		{"prints", EmailHTML, html(`{{.Subscriber.Email}} <a href="{{$.UnsubscribeURL}}">u</a>{{with .PreferencesURL}}<a href="{{.}}">p</a>{{end}}`), true},
		{"tests a shape", EmailText, "{{if .Subscriber.Name}}Hi {{.Subscriber.Name}}{{end}}{{if .Archive}}web{{else}}{{.UnsubscribeURL}}{{end}}\n", true},
		{"compares", EmailHTML, html(`{{if eq .Subscriber.Email "nan@example.org"}}VIP{{end}}`), false},
		{"measures", EmailText, "{{len .Subscriber.Email}}\n", false},
		{"wraps", EmailText, "{{wrap 8 \"\" .Subscriber.Name}}\n", false},
		{"tests the email", EmailSubject, "{{if .Subscriber.Email}}News{{end}}", false},
		{"prints the ID", EmailSubject, "News #{{.Subscriber.ID}}", false},
		{"declares", EmailText, "{{$n := .Subscriber.Name}}{{$n}}\n", false},
		{"hands dot on", EmailHTML, html(`{{with .PreferencesURL}}{{printf "%.9s" .}}{{end}}`), false},
		{"pipes", EmailSubject, "{{.Subscriber.Name | printf \"%q\"}}", false},
		{"passes the subscriber", EmailHTML, `{{define "who"}}{{.Email}}{{end}}` + html(`{{template "who" .Subscriber}}`), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, c.file), []byte(c.src), 0o644); err != nil {
				t.Fatal(err)
			}
			s := mustNew(t, dir)
			if s.email.plain != c.split {
				t.Errorf("splittable = %v, want %v", s.email.plain, c.split)
			}
			checkBatch(t, s, instantData())
			// Two recipients of the same characters: the second is not
			// checked against a full render.
			b := s.Batch(instantData())
			for _, email := range []string{"ann@example.org", "nan@example.org"} {
				sub := syndicate.Subscriber{ID: 8, Email: email, Name: "Ann", Handle: "h", Frequency: syndicate.Instant, Status: syndicate.SubscriberActive, TokenVersion: 1}
				got, err := b.Render(sub, "https://news.example.com/u/1", "")
				if err != nil {
					t.Fatal(err)
				}
				d := instantData()
				d.Subscriber, d.UnsubscribeURL = sub, "https://news.example.com/u/1"
				if want, _ := s.RenderEmail(d); got != want {
					t.Errorf("%s: the batch's email differs from RenderEmail's", email)
				}
			}
		})
	}
	if !mustNew(t, "").email.plain {
		t.Error("the default templates are not splittable")
	}
}

func TestBatchNoArticles(t *testing.T) {
	d := instantData()
	d.Articles = nil
	r := recipients[0]
	if _, err := mustNew(t, "").Batch(d).Render(r.sub, r.unsub, r.prefs); err == nil {
		t.Error("an email with no articles was rendered")
	}
}

// FuzzBatch: whatever a recipient's values, the batch's email is the one
// RenderEmail renders.
func FuzzBatch(f *testing.F) {
	f.Add("ada@example.org", "Ada", "https://news.example.com/u/h1?v=1&s=x", "")
	f.Add("o'brien+news@example.org", "Seán", "https://news.example.com/u/%2F", "https://news.example.com/p")
	f.Add("ada@example.org", "Ada", "", "https://news.example.com/p") // the archive's copy
	s, err := New("")
	if err != nil {
		f.Fatal(err)
	}
	d := dailyData()
	b := s.Batch(d)
	f.Fuzz(func(t *testing.T, email, name, unsub, prefs string) {
		sub := syndicate.Subscriber{ID: 9, Email: email, Name: name, Handle: "h", Frequency: syndicate.Daily, Status: syndicate.SubscriberActive, TokenVersion: 1}
		got, gerr := b.Render(sub, unsub, prefs)
		full := d
		full.Subscriber, full.UnsubscribeURL, full.PreferencesURL = sub, unsub, prefs
		want, werr := s.RenderEmail(full)
		if (gerr != nil) != (werr != nil) || got != want {
			t.Errorf("batch %q (%v), RenderEmail %q (%v)", golden(got), gerr, golden(want), werr)
		}
	})
}

// tidyTextReference is tidyText as first written, plainly: the one-pass
// tidyText must do exactly what it did.
func tidyTextReference(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l != "-- " {
			lines[i] = strings.TrimRight(l, " \t")
		}
	}
	s = regexp.MustCompile(`\n{3,}`).ReplaceAllString(strings.Join(lines, "\n"), "\n\n")
	return strings.Trim(s, "\n") + "\n"
}

func FuzzTidyText(f *testing.F) {
	for _, s := range []string{"", "\n", "a", " a \n\n\n\nb \t\n-- \nc\r\n\r\n\r\n", "\n\n  \n x", "-- ", "a\r\rb\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := tidyText(s), tidyTextReference(s); got != want {
			t.Errorf("tidyText(%q) = %q, want %q", s, got, want)
		}
	})
}
