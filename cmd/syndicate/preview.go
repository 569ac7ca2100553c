package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"syndicate"
)

// previewJSON is the shape DESIGN.md promises for `preview --json`.
type previewJSON struct {
	Article previewArticle         `json:"article"`
	Posts   map[string]previewPost `json:"posts"`
	Email   previewEmail           `json:"email"`
	// Warnings are what an editor should check before publishing; never
	// null.
	Warnings []string `json:"warnings"`
}

type previewArticle struct {
	ID          string    `json:"id"`
	Title       string    `json:"title"`
	URL         string    `json:"url"`
	Author      string    `json:"author"`
	PublishedAt time.Time `json:"published_at"`
	Tags        []string  `json:"tags"`
	Summary     string    `json:"summary"`
	Lang        string    `json:"lang"` // BCP 47 base language, "" if not known
	Dir         string    `json:"dir"`  // "ltr" or "rtl"
}

type previewEmail struct {
	Subject string `json:"subject"`
	HTML    string `json:"html"`
	Text    string `json:"text"`
}

type previewPost struct {
	Text   string `json:"text"`
	Length int    `json:"length"`
	Limit  int    `json:"limit"`
}

var previewChannels = []syndicate.Channel{syndicate.ChannelX, syndicate.ChannelMastodon, syndicate.ChannelBluesky}

func (a *app) previewCmd() *cobra.Command {
	var (
		f       articleFlags
		asJSON  bool
		channel string
		htmlOut string
	)
	c := &cobra.Command{
		Use:   "preview FILE|-",
		Short: "Show the posts and email an article would produce",
		Long: `preview reads an article like publish does and shows, without sending or
storing anything, the post for each network with its length as that
network counts it, and the email's subject. --json prints one JSON object
with the article, the posts and the whole email; --html writes the email's
HTML part to a file to open in a browser.`,
		Args: args(1, "one article file, a web page's URL, or - for standard input"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			chs := previewChannels
			if channel != "" {
				ch, err := syndicate.ParseChannel(channel)
				if err != nil {
					return &usageError{msg: err.Error()}
				}
				chs = []syndicate.Channel{ch}
			}
			cfg, err := a.config()
			if err != nil {
				return err
			}
			art, warnings, err := a.readArticle(cfg, argv[0], f)
			if err != nil {
				return err
			}
			m, err := sampleMessage(cfg, art)
			if err != nil {
				return err
			}
			postOf, err := postsOf(cfg, art)
			if err != nil {
				return err
			}
			if htmlOut != "" {
				if err := os.WriteFile(htmlOut, []byte(m.HTML), 0o644); err != nil {
					return fmt.Errorf("write email HTML: %w", err)
				}
			}
			if asJSON {
				out := previewJSON{
					Article: previewArticle{
						ID: art.ID, Title: art.Title, URL: art.URL, Author: art.Author, PublishedAt: art.PublishedAt,
						Tags: art.Tags, Summary: art.Summary, Lang: art.Language, Dir: art.Dir(),
					},
					Posts:    map[string]previewPost{},
					Warnings: append([]string{}, warnings...),
				}
				if out.Article.Tags == nil {
					out.Article.Tags = []string{}
				}
				for _, ch := range chs {
					p, err := postOf(ch)
					if err != nil {
						return err
					}
					out.Posts[string(ch)] = previewPost{Text: p.Text, Length: p.Length, Limit: p.Limit}
				}
				out.Email.Subject, out.Email.HTML, out.Email.Text = m.Subject, m.HTML, m.Text
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false)
				return enc.Encode(out)
			}
			fmt.Fprintf(a.stdout, "%s\n%s\n\n", art.Title, art.URL)
			for _, w := range warnings {
				fmt.Fprintf(a.stdout, "warning: %s\n", w)
			}
			if len(warnings) > 0 {
				fmt.Fprintln(a.stdout)
			}
			for _, ch := range chs {
				p, err := postOf(ch)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "── %s (%d/%d) ──\n%s\n\n", ch, p.Length, p.Limit, p.Text)
			}
			fmt.Fprintf(a.stdout, "── email ──\nSubject: %s\n", m.Subject)
			return nil
		},
	}
	f.add(c)
	c.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	c.Flags().StringVar(&channel, "channel", "", "show only this channel's post")
	c.Flags().StringVar(&htmlOut, "html", "", "write the email's HTML to this file")
	return c
}
