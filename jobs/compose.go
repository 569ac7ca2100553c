package jobs

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"syndicate"
	"syndicate/summary"
	"syndicate/templates"
	"syndicate/textlen"
)

// Limit is a channel's post limit and its way of counting.
type Limit struct {
	Max   int
	Count func(string) int
	// MaxBytes is a second limit, on the UTF-8 length of the text, for a
	// network that has one besides Max (Bluesky). Zero means none.
	MaxBytes int
	// LinkText gives the text a post shows for its link, for a network
	// that carries the link beside the text (Bluesky: summary.ShortLink,
	// the URL in a link facet). Nil means the link itself.
	LinkText func(link string) string
}

// Limits returns the counting rule of each social channel. Channels that
// have no rule of their own (webhook, outbox) follow X's, the strictest.
func Limits(ch syndicate.Channel) Limit {
	switch ch {
	case syndicate.ChannelMastodon:
		return MastodonLimit(0, 0)
	case syndicate.ChannelBluesky:
		// Bluesky counts graphemes and also refuses a record over 3000
		// bytes; 300 ZWJ emoji families are 300 graphemes but 7500 bytes,
		// so the byte limit is a real second constraint, checked beside
		// Max rather than folded into Count so Length stays graphemes.
		// Its app shows a link short, the URL in a facet: a long URL
		// must not eat the lede.
		return Limit{Max: textlen.BlueskyLimit, Count: textlen.Bluesky, MaxBytes: textlen.BlueskyMaxBytes, LinkText: summary.ShortLink}
	}
	return Limit{Max: textlen.XLimit, Count: textlen.X}
}

// MastodonLimit returns the limit of a Mastodon instance from what its
// /api/v2/instance says: configuration.statuses.max_characters and
// characters_reserved_per_url. Zero (not known) means Mastodon's defaults,
// 500 and 23.
func MastodonLimit(maxCharacters, charactersPerURL int) Limit {
	if maxCharacters <= 0 {
		maxCharacters = textlen.MastodonDefaultLimit
	}
	if charactersPerURL <= 0 {
		charactersPerURL = textlen.MastodonURLWeight
	}
	return Limit{Max: maxCharacters, Count: func(s string) int { return textlen.Mastodon(s, charactersPerURL) }}
}

// Composer writes the posts of articles from the channels' post templates.
// The zero Composer uses the embedded default templates and no UTM
// parameters.
type Composer struct {
	// Templates holds the post templates; nil means the embedded defaults.
	Templates *templates.Set
	// UTM gives the campaign parameters of each channel's link; a channel
	// not in it posts the article's URL as it is.
	UTM map[syndicate.Channel]summary.UTM
}

// Post writes the post of article a for channel ch, within l as the
// channel counts it: ch's template filled by summary.ComposeWith, which
// shortens the summary, then the title, never the link. A channel that is
// not one of syndicate.SocialChannels has no template and gets
// summary.Layout. Post.Link is the article URL with ch's UTM parameters,
// as it appears in Post.Text, or as l.LinkText shows it there (then
// Post.LinkText).
//
// It is an error if the template fails, and an EINVALID *syndicate.Error
// if the post is over l even so, which happens only when the link alone
// is; the post is then returned with the error, so a preview can show it.
func (c Composer) Post(a syndicate.Article, ch syndicate.Channel, l Limit) (syndicate.Post, error) {
	p, err := c.compose(a, ch, l)
	if err != nil {
		return syndicate.Post{}, err
	}
	if p.Length > p.Limit || (l.MaxBytes > 0 && len(p.Text) > l.MaxBytes) {
		return p, syndicate.Errorf(syndicate.EINVALID, "post of article %s for %s is over the limit (%d of %d, %d bytes) because its link alone is", a.ID, ch, p.Length, p.Limit, len(p.Text))
	}
	return p, nil
}

// compose is Post without the limit check.
func (c Composer) compose(a syndicate.Article, ch syndicate.Channel, l Limit) (syndicate.Post, error) {
	set := c.Templates
	if set == nil {
		var err error
		if set, err = defaultTemplates(); err != nil {
			return syndicate.Post{}, err
		}
	}
	f := summary.ArticleFields(a)
	f.URL = summary.WithUTM(strings.TrimSpace(a.URL), c.UTM[ch])
	fill := func(f summary.Fields) (string, error) {
		return set.RenderPost(ch, templates.PostData{
			Title:    f.Title,
			Summary:  f.Summary,
			URL:      f.URL,
			Hashtags: strings.Join(f.Hashtags, " "),
			Author:   f.Author,
		})
	}
	if !slices.Contains(syndicate.SocialChannels, ch) {
		// Only social channels have post templates; anything else (a
		// channel a newer worker knows of) gets the default layout rather
		// than no post.
		fill = summary.Layout
	}
	text, err := summary.ComposeWith(fill, f, summary.Options{Limit: l.Max, Count: l.Count, MaxBytes: l.MaxBytes, LinkText: l.LinkText})
	if err != nil {
		return syndicate.Post{}, fmt.Errorf("compose %s post of article %s: %w", ch, a.ID, err)
	}
	var linkText string
	if l.LinkText != nil && f.URL != "" {
		linkText = l.LinkText(f.URL)
	}
	return syndicate.Post{
		ArticleID: a.ID,
		Channel:   ch,
		Text:      text,
		Length:    l.Count(text),
		Limit:     l.Max,
		Link:      f.URL,
		LinkText:  linkText,
		Article:   a,
	}, nil
}

// defaultTemplates loads the embedded templates once; they cannot fail to
// load unless the binary was built wrong, which the templates tests catch.
var defaultTemplates = sync.OnceValues(func() (*templates.Set, error) { return templates.New("") })

// ComposePost writes the post of article a for channel ch with the
// embedded default templates and no UTM parameters, within the channel's
// own limit (Limits) as the channel counts it. The post is over the limit
// only when its link alone is; Composer.Post reports that as an error.
func ComposePost(a syndicate.Article, ch syndicate.Channel) syndicate.Post {
	return ComposePostWithin(a, ch, Limits(ch))
}

// ComposePostWithin is ComposePost within l rather than the channel's
// default limit, for a network that says its own (a Mastodon instance). A
// zero Max, nil Count, zero MaxBytes or nil LinkText in l means the
// channel's default, so a limit that could not be read still gives a post
// that fits.
func ComposePostWithin(a syndicate.Article, ch syndicate.Channel, l Limit) syndicate.Post {
	def := Limits(ch)
	if l.Max <= 0 {
		l.Max = def.Max
	}
	if l.Count == nil {
		l.Count = def.Count
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = def.MaxBytes
	}
	if l.LinkText == nil {
		l.LinkText = def.LinkText
	}
	p, err := Composer{}.compose(a, ch, l)
	if err != nil {
		// The embedded templates load, print the link in every case, and
		// other channels get summary.Layout, which cannot fail: an error
		// here is a build mistake, not bad input.
		panic(fmt.Sprintf("embedded post templates: %v", err))
	}
	return p
}
