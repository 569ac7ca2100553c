package jobs

import (
	"syndicate"
	"syndicate/summary"
	"syndicate/textlen"
)

// Limit is a channel's post limit and its way of counting.
type Limit struct {
	Max   int
	Count func(string) int
}

// Limits returns the counting rule of each social channel. Channels that
// have no rule of their own (webhook, outbox) follow X's, the strictest.
func Limits(ch syndicate.Channel) Limit {
	switch ch {
	case syndicate.ChannelMastodon:
		return Limit{Max: 500, Count: func(s string) int { return textlen.Mastodon(s, 23) }}
	case syndicate.ChannelBluesky:
		return Limit{Max: 300, Count: textlen.Bluesky}
	}
	return Limit{Max: textlen.XLimit, Count: textlen.X}
}

// ComposePost writes the post of article a for channel ch, within the
// channel's own limit as the channel counts it.
func ComposePost(a syndicate.Article, ch syndicate.Channel) syndicate.Post {
	l := Limits(ch)
	text := summary.Compose(a, summary.Options{Limit: l.Max, Count: l.Count, Hashtags: true})
	return syndicate.Post{ArticleID: a.ID, Channel: ch, Text: text, Length: l.Count(text), Limit: l.Max, Link: a.URL, Article: a}
}
