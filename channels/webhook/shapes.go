package webhook

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf16"

	"syndicate"
)

// Limits of the receivers, in characters (see units).
const (
	// slackSectionMax is Slack's limit on a section block's text.
	slackSectionMax = 3000
	// slackTitleMax keeps a title to a headline's length, leaving the
	// section's room to the summary.
	slackTitleMax = 250
	// Discord's limits on a message and its embed.
	discordContentMax     = 2000
	discordTitleMax       = 256
	discordDescriptionMax = 4096
	discordAuthorMax      = 256
)

// --- Slack ---

type slackMessage struct {
	Text        string       `json:"text"`
	Blocks      []slackBlock `json:"blocks"`
	UnfurlLinks bool         `json:"unfurl_links"`
}

type slackBlock struct {
	Type string    `json:"type"`
	Text slackText `json:"text"`
}

type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// slackEscaper escapes the three characters Slack's mrkdwn gives meaning
// to. Escaped, "<!channel>" is shown as text instead of notifying everyone.
var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// slackPayload is an incoming-webhook message: the post's text (the
// notification and fallback), and a section with the linked title in bold
// over the summary.
func slackPayload(p syndicate.Post) slackMessage {
	title := truncate(oneLine(p.Article.Title), slackTitleMax)
	link := linkOf(p)
	var head string
	switch {
	case link != "" && title != "":
		// "|" ends the URL part of a link, so one inside the URL is
		// percent-encoded (which means the same to a browser).
		head = "*<" + slackEscaper.Replace(strings.ReplaceAll(link, "|", "%7C")) + "|" + slackEscaper.Replace(title) + ">*"
	case link != "":
		head = "<" + slackEscaper.Replace(strings.ReplaceAll(link, "|", "%7C")) + ">"
	default:
		head = "*" + slackEscaper.Replace(title) + "*"
	}
	if units(head) > slackSectionMax/2 {
		// A pathological URL: the title alone still says what it is.
		head = "*" + slackEscaper.Replace(title) + "*"
	}
	section := head
	if summary := strings.TrimSpace(p.Article.Summary); summary != "" {
		section += "\n" + escapeWithin(summary, slackSectionMax-units(head)-1)
	}
	return slackMessage{
		Text:        slackEscaper.Replace(p.Text),
		Blocks:      []slackBlock{{Type: "section", Text: slackText{Type: "mrkdwn", Text: section}}},
		UnfurlLinks: true,
	}
}

// escapeWithin escapes s for Slack, truncated so the escaped text is at
// most limit units long: escaping lengthens the text, so the cut is made
// before escaping and tightened until it fits.
func escapeWithin(s string, limit int) string {
	cut := limit
	for {
		e := slackEscaper.Replace(truncate(s, cut))
		over := units(e) - limit
		if over <= 0 || cut <= 1 {
			return e
		}
		cut -= over
	}
}

// --- Discord ---

type discordMessage struct {
	Content         string          `json:"content"`
	Embeds          []discordEmbed  `json:"embeds"`
	AllowedMentions discordMentions `json:"allowed_mentions"`
}

type discordEmbed struct {
	Title       string         `json:"title,omitempty"`
	URL         string         `json:"url,omitempty"`
	Description string         `json:"description,omitempty"`
	Timestamp   string         `json:"timestamp,omitempty"`
	Image       *discordImage  `json:"image,omitempty"`
	Author      *discordAuthor `json:"author,omitempty"`
}

type discordImage struct {
	URL string `json:"url"`
}

type discordAuthor struct {
	Name string `json:"name"`
}

type discordMentions struct {
	// Parse lists the kinds of mention Discord may act on; empty (not
	// absent) means none, so "@everyone" or "<@&role>" in a hostile title
	// pings nobody.
	Parse []string `json:"parse"`
}

// discordPayload is a webhook message: the post's text and an embed of the
// article, each part cut to Discord's limits.
func discordPayload(p syndicate.Post) discordMessage {
	a := p.Article
	e := discordEmbed{
		Title:       truncate(oneLine(a.Title), discordTitleMax),
		URL:         linkOf(p),
		Description: truncate(strings.TrimSpace(a.Summary), discordDescriptionMax),
	}
	if !a.PublishedAt.IsZero() {
		e.Timestamp = a.PublishedAt.UTC().Format(time.RFC3339)
	}
	if img := strings.TrimSpace(a.Image); img != "" {
		e.Image = &discordImage{URL: img}
	}
	if author := truncate(oneLine(a.Author), discordAuthorMax); author != "" {
		e.Author = &discordAuthor{Name: author}
	}
	return discordMessage{
		Content:         truncate(p.Text, discordContentMax),
		Embeds:          []discordEmbed{e},
		AllowedMentions: discordMentions{Parse: []string{}},
	}
}

// --- generic ---

type genericEvent struct {
	Event   string         `json:"event"`
	ID      string         `json:"id"`
	Article genericArticle `json:"article"`
	Post    genericPost    `json:"post"`
}

// genericArticle always has every key, so receivers need not guess which
// are optional: an unknown publication time is null, other unknowns empty.
type genericArticle struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	URL         string   `json:"url"`
	Author      string   `json:"author"`
	PublishedAt *string  `json:"published_at"`
	Tags        []string `json:"tags"`
	Summary     string   `json:"summary"`
	Image       string   `json:"image"`
}

type genericPost struct {
	Text string `json:"text"`
	Link string `json:"link"`
}

// genericPayload is the signed event of the generic shape: the article as
// data, not formatting, and the post's text for receivers that just relay it.
func genericPayload(p syndicate.Post, articleID, deliveryID string) genericEvent {
	a := p.Article
	tags := a.Tags
	if tags == nil {
		tags = []string{}
	}
	var published *string
	if !a.PublishedAt.IsZero() {
		s := a.PublishedAt.UTC().Format(time.RFC3339)
		published = &s
	}
	return genericEvent{
		Event: EventArticlePublished,
		ID:    deliveryID,
		Article: genericArticle{
			ID: articleID, Title: a.Title, URL: a.URL, Author: a.Author,
			PublishedAt: published, Tags: tags, Summary: a.Summary, Image: a.Image,
		},
		Post: genericPost{Text: p.Text, Link: p.Link},
	}
}

// linkOf is the URL a post links to: as it appears in the text (with any
// tracking parameters), else the article's.
func linkOf(p syndicate.Post) string {
	if l := strings.TrimSpace(p.Link); l != "" {
		return l
	}
	return strings.TrimSpace(p.Article.URL)
}

// oneLine collapses runs of white space (newlines included) to one space:
// titles and names are shown on one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// --- measuring and cutting text ---

// units measures text in UTF-16 code units. Slack and Discord count
// "characters" without saying precisely how; a UTF-16 count is never lower
// than a count of code points, so a limit kept in units holds either way.
func units(s string) int {
	n := 0
	for _, r := range s {
		if l := utf16.RuneLen(r); l > 0 {
			n += l
		} else {
			n++
		}
	}
	return n
}

const ellipsis = "…" // one unit

// truncate returns s if it fits in limit units, else its longest prefix
// that ends at a word boundary (or, failing a reasonable one, a grapheme
// cluster boundary) followed by "…", within limit units in all. It never
// splits a character, an accent from its letter, an emoji sequence or a
// flag.
func truncate(s string, limit int) string {
	if units(s) <= limit {
		return s
	}
	budget := limit - units(ellipsis)
	if budget <= 0 {
		return ellipsis
	}
	var (
		used       int  // units of s[:i]
		prev       rune = -1
		ri         int  // regional indicators in a row just before i
		cut        int  // last grapheme boundary within budget
		space      = -1 // last boundary before white space, within budget
		spaceUnits int
	)
	for i, r := range s {
		if graphemeBoundary(prev, r, ri) {
			cut = i
			if unicode.IsSpace(r) {
				space, spaceUnits = i, used
			}
		}
		n := utf16.RuneLen(r)
		if n < 0 {
			n = 1
		}
		if used+n > budget {
			break
		}
		used += n
		if isRegionalIndicator(r) {
			ri++
		} else {
			ri = 0
		}
		prev = r
	}
	// A word boundary is better unless it throws away more than half the
	// room, as it would in text without spaces or before one long URL.
	if space > 0 && spaceUnits >= budget/2 {
		cut = space
	}
	out := strings.TrimRightFunc(s[:cut], unicode.IsSpace)
	out = strings.TrimRight(out, ",;:-–—")
	return strings.TrimRightFunc(out, unicode.IsSpace) + ellipsis
}

// graphemeBoundary reports whether a cut between prev and r (prev -1 at the
// start) is allowed by Unicode's extended grapheme cluster rules (UAX #29),
// as far as they matter for cutting text: CR LF, combining marks,
// joiners, emoji modifiers and tags, regional-indicator pairs and Hangul
// syllables are kept whole. ri counts the regional indicators just before
// the cut.
func graphemeBoundary(prev, r rune, ri int) bool {
	switch {
	case prev < 0:
		return true
	case prev == '\r' && r == '\n':
		return false
	case isExtend(r) || r == zwj:
		return false
	case prev == zwj:
		// Strictly only before an emoji, but a lone ZWJ before other text
		// is rare enough not to matter, and keeping it never splits one.
		return false
	case isRegionalIndicator(r) && ri%2 == 1:
		return false
	}
	return hangulBoundary(prev, r)
}

const zwj = '\u200D'

// isExtend covers the characters that extend the one before: combining
// and spacing marks (variation selectors are marks), emoji skin-tone
// modifiers and the tag characters of subdivision flags.
func isExtend(r rune) bool {
	return unicode.Is(unicode.M, r) ||
		(r >= 0x1F3FB && r <= 0x1F3FF) ||
		(r >= 0xE0020 && r <= 0xE007F)
}

func isRegionalIndicator(r rune) bool { return r >= 0x1F1E6 && r <= 0x1F1FF }

// hangulBoundary applies the rules that keep a Hangul syllable written as
// conjoining jamo together.
func hangulBoundary(prev, r rune) bool {
	p, n := hangulKind(prev), hangulKind(r)
	switch {
	case p == hangulL && (n == hangulL || n == hangulV || n == hangulLV || n == hangulLVT):
		return false
	case (p == hangulLV || p == hangulV) && (n == hangulV || n == hangulT):
		return false
	case (p == hangulLVT || p == hangulT) && n == hangulT:
		return false
	}
	return true
}

const (
	hangulNone = iota
	hangulL
	hangulV
	hangulT
	hangulLV
	hangulLVT
)

func hangulKind(r rune) int {
	switch {
	case (r >= 0x1100 && r <= 0x115F) || (r >= 0xA960 && r <= 0xA97C):
		return hangulL
	case (r >= 0x1160 && r <= 0x11A7) || (r >= 0xD7B0 && r <= 0xD7C6):
		return hangulV
	case (r >= 0x11A8 && r <= 0x11FF) || (r >= 0xD7CB && r <= 0xD7FB):
		return hangulT
	case r >= 0xAC00 && r <= 0xD7A3:
		if (r-0xAC00)%28 == 0 {
			return hangulLV
		}
		return hangulLVT
	}
	return hangulNone
}
