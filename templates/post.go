package templates

import (
	"bytes"
	"fmt"
	"strings"
	texttemplate "text/template"

	"syndicate"
)

// Names of the post templates, one per social channel; an override file
// must have one of these names (see PostFile).
const (
	PostX        = "post.x.tmpl"
	PostMastodon = "post.mastodon.tmpl"
	PostBluesky  = "post.bluesky.tmpl"
	PostWebhook  = "post.webhook.tmpl"
	PostOutbox   = "post.outbox.tmpl"
)

// PostFile returns the name of the post template of ch, "post.CH.tmpl".
func PostFile(ch syndicate.Channel) string { return "post." + string(ch) + ".tmpl" }

// PostData is what a post template is executed with. The composer fills
// it, shortened to the channel's limit, so a template only places it.
type PostData struct {
	Title   string
	Summary string
	// URL is the article's link as the post shows it, with the channel's
	// UTM parameters; on Bluesky its short form (host and start of path),
	// the full link going in the post's link facet.
	URL      string
	Hashtags string // "#One #Two", or empty
	Author   string
}

// A post template is checked at load by executing it with these: the
// link must come out exactly once whether or not the other fields are
// empty, which catches a template without {{.URL}}, one that prints it
// twice and one that prints it only when there is, say, a title.
const checkURL = "https://example.com/templates-check/link"

var postChecks = []PostData{
	{Title: "A title", Summary: "A summary.", URL: checkURL, Hashtags: "#One #Two", Author: "An Author"},
	{URL: checkURL},
}

// loadPosts parses the post template of every social channel.
func loadPosts(dir string) (map[syndicate.Channel]*texttemplate.Template, error) {
	posts := make(map[syndicate.Channel]*texttemplate.Template, len(syndicate.SocialChannels))
	for _, ch := range syndicate.SocialChannels {
		name := PostFile(ch)
		src, file, err := load(dir, name)
		if err != nil {
			return nil, err
		}
		t, err := texttemplate.New(name).Option("missingkey=error").Parse(src)
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", file, err)
		}
		for _, d := range postChecks {
			var b bytes.Buffer
			if err := t.Execute(&b, d); err != nil {
				return nil, fmt.Errorf("check template %s: %w", file, err)
			}
			if n := strings.Count(b.String(), checkURL); n != 1 {
				return nil, fmt.Errorf("template %s must print the link {{.URL}} exactly once, whatever else is empty; it printed it %d times", file, n)
			}
		}
		posts[ch] = t
	}
	return posts, nil
}

// RenderPost executes the post template of ch with d and returns the text
// as the template wrote it; the composer tidies white space. It is an
// error if ch is not a social channel.
func (s *Set) RenderPost(ch syndicate.Channel, d PostData) (string, error) {
	t := s.posts[ch]
	if t == nil {
		return "", syndicate.Errorf(syndicate.EINVALID, "no post template for channel %q", ch)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, d); err != nil {
		return "", fmt.Errorf("render %s: %w", t.Name(), err)
	}
	return b.String(), nil
}
