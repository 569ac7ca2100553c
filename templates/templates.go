// Package templates renders what syndicate sends: the subject, plain text
// and HTML of an email, and the layout of each social channel's post.
// Defaults are embedded in the binary; a newsroom can replace any of them
// by putting a file of the same name in an override folder.
//
// Templates receive a View: the EmailData given to RenderEmail (its fields
// are reachable directly, as .Brand, .Articles, .Subscriber, .ViewURL…)
// plus a few values worked out once in Go so that every template agrees on
// them (.Digest, .Accent, .LinkDark, .Preheader, .Headline, .More, .Lang,
// .Dir, .Archive). Besides the standard functions they may call date,
// longdate, wrap, underline, lines, oneline, add1, paragraphs, bodyhtml,
// outlookOpen and outlookClose; see funcs.
package templates

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	texttemplate "text/template"
	"time"
	"unicode/utf8"

	"syndicate"
	"syndicate/article"
)

//go:embed default/*
var defaults embed.FS

// Names of the templates a Set holds; an override file must have one of
// these names.
const (
	EmailSubject = "email.subject.tmpl" // text/template; the result is collapsed onto one line
	EmailText    = "email.txt.tmpl"     // text/template; the text/plain part
	EmailHTML    = "email.html.tmpl"    // html/template; the text/html part

	ConfirmSubject = "confirm.subject.tmpl" // the double opt-in email: subject,
	ConfirmText    = "confirm.txt.tmpl"     // text part
	ConfirmHTML    = "confirm.html.tmpl"    // and HTML part

	// Shell is the HTML document both HTML parts sit in (html/template,
	// defining "shell"): the emails share one fluid layout.
	Shell = "shell.html.tmpl"
)

// defaultAccent is the brand colour used when Brand.Color is empty or not a
// plain CSS colour.
const defaultAccent = "#1a56db"

// Set is a loaded set of templates. It is safe for concurrent use.
type Set struct {
	email, confirm triple
	posts          map[syndicate.Channel]*texttemplate.Template // by social channel
}

// triple is the subject, text and HTML templates of one kind of email.
type triple struct {
	subject *texttemplate.Template
	text    *texttemplate.Template
	html    *htmltemplate.Template
	plain   bool // the recipient is only printed, or tested as a shape is; see splittable
}

// New loads the embedded default templates, then replaces each one for
// which dir holds a file of the same name. dir "" means no overrides. A
// template that fails to parse is an error naming its file; other files in
// dir are ignored, so the folder can hold templates of other packages.
func New(dir string) (*Set, error) {
	if dir != "" {
		fi, err := os.Stat(dir)
		if err != nil {
			return nil, fmt.Errorf("template folder: %w", err)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("template folder %s is not a folder", dir)
		}
	}
	var s Set
	var err error
	if s.email, err = loadTriple(dir, EmailSubject, EmailText, EmailHTML); err != nil {
		return nil, err
	}
	if s.confirm, err = loadTriple(dir, ConfirmSubject, ConfirmText, ConfirmHTML); err != nil {
		return nil, err
	}
	if s.posts, err = loadPosts(dir); err != nil {
		return nil, err
	}
	return &s, nil
}

// loadTriple parses the three templates of one kind of email.
func loadTriple(dir, subject, text, html string) (triple, error) {
	var t triple
	for _, name := range []string{subject, text, html} {
		src, file, err := load(dir, name)
		if err != nil {
			return triple{}, err
		}
		switch name {
		case html:
			t.html, err = parseHTML(dir, name, src)
		case subject:
			t.subject, err = texttemplate.New(name).Funcs(funcs).Option("missingkey=error").Parse(src)
		case text:
			t.text, err = texttemplate.New(name).Funcs(funcs).Option("missingkey=error").Parse(src)
		}
		if err != nil {
			return triple{}, fmt.Errorf("parse template %s: %w", file, err)
		}
	}
	t.plain = t.splittable()
	return t, nil
}

// parseHTML parses the HTML part name, whose source is src, together with
// the shell it may call. The shell is parsed first so that the part's own
// definitions (of "masthead", say) win.
func parseHTML(dir, name, src string) (*htmltemplate.Template, error) {
	t := htmltemplate.New(name).Funcs(funcs).Option("missingkey=error")
	shell, file, err := load(dir, Shell)
	if err != nil {
		return nil, err
	}
	if _, err := t.New(Shell).Parse(shell); err != nil {
		return nil, fmt.Errorf("parse template %s: %w", file, err)
	}
	return t.Parse(src)
}

// render executes one kind of email with v.
func (t triple) render(v any) (Email, error) {
	subject, text, html, err := t.raw(v)
	if err != nil {
		return Email{}, err
	}
	// The subject goes into a header: one line, no CR/LF, no runs of spaces.
	return Email{Subject: strings.Join(strings.Fields(subject), " "), Text: tidyText(text), HTML: html}, nil
}

// raw executes the three templates with v, untidied.
func (t triple) raw(v any) (subject, text, html string, err error) {
	var b bytes.Buffer
	if err := t.subject.Execute(&b, v); err != nil {
		return "", "", "", fmt.Errorf("render %s: %w", t.subject.Name(), err)
	}
	subject = b.String()
	b.Reset()
	if err := t.text.Execute(&b, v); err != nil {
		return "", "", "", fmt.Errorf("render %s: %w", t.text.Name(), err)
	}
	text = b.String()
	b.Reset()
	if err := t.html.Execute(&b, v); err != nil {
		return "", "", "", fmt.Errorf("render %s: %w", t.html.Name(), err)
	}
	return subject, text, b.String(), nil
}

// ConfirmData is what the double opt-in email is rendered from.
type ConfirmData struct {
	Brand      Brand
	Email      string // the address to confirm
	ConfirmURL string
	Expires    time.Time // when the link stops working
}

// ConfirmView is what the confirmation templates are executed with.
type ConfirmView struct {
	ConfirmData
	Accent    string
	LinkDark  string // as View.LinkDark
	Preheader string // the inbox preview line
	ViewURL   string // always empty: a confirmation has no hosted copy
	Lang, Dir string // the language of the default templates' own words
}

// RenderConfirm renders the email that asks a new subscriber to confirm.
func (s *Set) RenderConfirm(d ConfirmData) (Email, error) {
	v := ConfirmView{ConfirmData: d, Preheader: "Confirm your subscription to " + d.Brand.Name, Lang: "en", Dir: "ltr"}
	v.Accent, v.LinkDark = accents(d.Brand.Color)
	return s.confirm.render(v)
}

// load returns the source of template name, from dir if it has the file and
// from the embedded defaults otherwise, and the file it came from.
func load(dir, name string) (src, file string, err error) {
	if dir != "" {
		file = filepath.Join(dir, name)
		b, err := os.ReadFile(file)
		switch {
		case err == nil:
			if !utf8.Valid(b) {
				return "", "", fmt.Errorf("parse template %s: not valid UTF-8", file)
			}
			return string(b), file, nil
		case !errors.Is(err, fs.ErrNotExist):
			return "", "", fmt.Errorf("read template %s: %w", file, err)
		}
	}
	file = "default/" + name
	b, err := defaults.ReadFile(file)
	if err != nil {
		return "", "", fmt.Errorf("read embedded template %s: %w", file, err) // a build mistake
	}
	return string(b), file, nil
}

// Brand is what the newsletter says about itself in every email.
type Brand struct {
	Name    string // the newsletter's name
	Address string // postal address, required in bulk email by CAN-SPAM and friends; may span lines
	LogoURL string // optional https URL of a logo image, shown instead of the name
	Color   string // optional accent colour: "#rgb", "#rrggbb" or a CSS colour name
	BaseURL string // the public URL of syndicate's own pages (signed links, the archive)
	// SiteURL is the newsroom's own site, which the masthead links to;
	// empty means the masthead is not a link (BaseURL has no home page).
	SiteURL string
}

// EmailData is everything an email is rendered from.
type EmailData struct {
	Brand          Brand
	Frequency      syndicate.Frequency // instant, daily or weekly
	Articles       []syndicate.Article // one for an instant email, newest first for digests
	Subscriber     syndicate.Subscriber
	UnsubscribeURL string
	PreferencesURL string // may be empty
	Date           time.Time
	// ViewURL is the hosted copy of this email (the public archive); empty
	// means the email has no "view in browser" link.
	ViewURL string
	// FullContent puts an instant email's whole article body in the email
	// instead of its summary alone (email.full_content).
	FullContent bool
	// SubscribeURL is where a reader of the hosted copy can sign up; it is
	// shown only when there is no UnsubscribeURL (the archive's copy).
	SubscribeURL string
}

// Email is a rendered email.
type Email struct{ Subject, Text, HTML string }

// View is what the templates are executed with.
type View struct {
	EmailData
	Digest bool // a daily or weekly digest rather than one instant article
	// Accent is Brand.Color (#rrggbb), darkened if need be to read at
	// 4.5:1 on white and under white button text; a default when Brand.Color
	// is not #rgb, #rrggbb or a basic colour name.
	Accent    string
	Preheader string // the inbox preview line: the lead article's lede, shortened
	More      int    // how many articles follow the first
	// Headline is the lead article's title on one line, shortened for a
	// subject and isolated (Unicode FSI…PDI) when it is written right to
	// left, so "Brand: headline, and 4 more" reads right in any script.
	Headline string
	// LinkDark is the colour of links on the dark-mode card: the accent
	// lightened until it reads at 4.5:1 there.
	LinkDark string
	// Archive is true for the hosted copy: no subscriber, no personal links.
	Archive bool
	// Lang and Dir are the email's language and writing direction: the
	// articles' language when they share one, else "en", that of the
	// default templates' own words. Each article's card carries its own
	// (syndicate.Article.Language and Dir).
	Lang, Dir string
}

// RenderEmail renders the subject, text and HTML of one email.
func (s *Set) RenderEmail(d EmailData) (Email, error) {
	if len(d.Articles) == 0 {
		return Email{}, syndicate.Errorf(syndicate.EINVALID, "email has no articles")
	}
	return s.email.render(s.view(d))
}

// view is what the email templates are executed with for d.
func (s *Set) view(d EmailData) View {
	lead := d.Articles[0]
	v := View{
		EmailData: d,
		Digest:    d.Frequency == syndicate.Daily || d.Frequency == syndicate.Weekly,
		Preheader: lede(lead),
		More:      len(d.Articles) - 1,
		Headline:  headline(lead),
		Archive:   d.UnsubscribeURL == "",
	}
	v.Accent, v.LinkDark = accents(d.Brand.Color)
	v.Lang, v.Dir = emailLanguage(d.Articles)
	return v
}

// emailLanguage returns the language and direction of an email of these
// articles: theirs if they all have the same one, else English's.
func emailLanguage(arts []syndicate.Article) (lang, dir string) {
	lang = arts[0].Language
	for _, a := range arts[1:] {
		if a.Language != lang {
			lang = ""
		}
	}
	if lang == "" {
		return "en", "ltr"
	}
	return lang, arts[0].Dir()
}

// cssColor accepts colours that are safe and meaningful in an inline style.
var cssColor = regexp.MustCompile(`^(#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}|[a-zA-Z]{3,20})$`)

// tidyText lets the text template be written for readability: trailing
// spaces go (except the "-- " signature separator), runs of blank lines
// become one, and the text ends with one newline. One pass: it runs for
// every message.
func tidyText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	b.Grow(len(s) + 1)
	newlines := 0 // seen since the last line with text
	started := false
	for {
		i := strings.IndexByte(s, '\n')
		line := s
		if i >= 0 {
			line = s[:i]
		}
		if line != "-- " {
			line = strings.TrimRight(line, " \t")
		}
		if line != "" {
			if started {
				b.WriteString("\n\n"[:min(newlines, 2)])
			}
			b.WriteString(line)
			started, newlines = true, 0
		}
		if i < 0 {
			break
		}
		newlines++
		s = s[i+1:]
	}
	b.WriteByte('\n')
	return b.String()
}

// funcs are the functions the templates may call besides the standard ones.
var funcs = map[string]any{
	// date formats an article's date: "2 Mar 2026".
	"date": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format("2 Jan 2006")
	},
	// longdate formats the date of an email: "Monday, 2 March 2026".
	"longdate": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format("Monday, 2 January 2006")
	},
	"wrap": wrap,
	// underline returns a rule as long as s, at most 72 runes.
	"underline": func(s, with string) string { return strings.Repeat(with, min(utf8.RuneCountInString(s), 72)) },
	// lines splits a multi-line value such as a postal address.
	"lines": nonEmptyLines,
	// oneline collapses all whitespace, newlines included, to single spaces.
	"oneline": func(s string) string { return strings.Join(strings.Fields(s), " ") },
	"add1":    func(i int) int { return i + 1 },
	// paragraphs splits an article body (plain text, blank-line separated)
	// into its paragraphs, each on one line.
	"paragraphs": paragraphs,
	// bodyhtml renders an article's HTML body (syndicate.Article.BodyHTML)
	// for an email: sanitised again, then styled inline; see bodyHTML.
	"bodyhtml": bodyHTML,
	// outlookOpen and outlookClose wrap the fluid column in a fixed 600px
	// table that only Outlook for Windows sees (it ignores max-width).
	// html/template drops comments, so the conditional comments come from
	// here, as fixed text.
	"outlookOpen": func() htmltemplate.HTML {
		return `<!--[if mso]><table role="presentation" align="center" width="600" cellpadding="0" cellspacing="0" border="0"><tr><td><![endif]-->`
	},
	"outlookClose": func() htmltemplate.HTML { return `<!--[if mso]></td></tr></table><![endif]-->` },
}

// wrap fills s into lines of at most width runes, each prefixed by indent
// after the first. Words longer than width (URLs) are never broken.
// Paragraphs (blank-line separated) are kept.
func wrap(width int, indent, s string) string {
	var out strings.Builder
	paras := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n")
	first := true
	for _, p := range paras {
		words := strings.Fields(p)
		if len(words) == 0 {
			continue
		}
		if !first {
			out.WriteString("\n\n" + indent)
		}
		first = false
		n := 0
		for i, w := range words {
			wl := utf8.RuneCountInString(w)
			switch {
			case i == 0:
			case n+1+wl > width:
				out.WriteString("\n" + indent)
				n = 0
			default:
				out.WriteByte(' ')
				n++
			}
			out.WriteString(w)
			n += wl
		}
	}
	return out.String()
}

// nonEmptyLines returns the trimmed, non-blank lines of s.
func nonEmptyLines(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// bodyHTML renders an article's stored HTML body with the email's inline
// styles: links in accent (and the dark-mode link colour through class
// "link"), headings and quotes like the body text, images fluid and at
// most article.MaxBodyImageWidth wide. article.RenderBodyHTML sanitises
// the body again first, so only markup from its allow-list reaches the
// email, whatever the store holds. It returns "" when nothing readable is
// left, and the template then shows the plain-text body.
func bodyHTML(body, accent string) htmltemplate.HTML {
	if !cssColor.MatchString(accent) {
		accent = defaultAccent
	}
	// Margins are left to the clients' defaults, as for the plain-text
	// paragraphs: Outlook honours them only in part.
	heading := func(size, line int) article.BodyStyle {
		return article.BodyStyle{Class: "fg", Style: fmt.Sprintf("font-family:Arial,Helvetica,sans-serif;font-size:%dpx;line-height:%dpx;color:#111827;", size, line)}
	}
	return article.RenderBodyHTML(body, article.BodyStyles{
		"h2":         heading(20, 26),
		"h3":         heading(18, 24),
		"h4":         heading(17, 24),
		"a":          {Class: "link", Style: "color:" + accent + ";"},
		"img":        {Style: "display:block;max-width:100%;height:auto;border:0"},
		"blockquote": {Class: "fg", Style: "padding:0 0 0 16px;border-left:4px solid #d1d5db;font-size:17px;line-height:27px;color:#1f2937;font-style:italic;"},
		"pre":        {Style: "padding:12px;border:1px solid #d1d5db;font-family:Courier,monospace;font-size:14px;line-height:20px;white-space:pre-wrap;word-wrap:break-word;"},
		// Many clients know no <figure>: it is written as a <div>.
		"figure":     {Tag: "div", Style: "padding:8px 0 16px 0;"},
		"figcaption": {Tag: "div", Class: "muted", Style: "padding-top:6px;font-size:14px;line-height:20px;color:#4b5563;"},
	})
}
