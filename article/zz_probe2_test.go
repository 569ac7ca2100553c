package article

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

func TestProbeAuthor(t *testing.T) {
	for _, fn := range strings.Fields(os.Getenv("PROBE")) {
		b, _ := os.ReadFile(fn)
		doc, _ := html.Parse(strings.NewReader(string(b)))
		p := &page{meta: map[string][]string{}}
		p.collect(doc, false, false)
		r := readable(doc, nil)
		x := extract(doc, nil, r)
		site := siteNames(p.first("og:site_name", "application-name", "twitter:site"), x.sitename, os.Getenv("PURL"), p.h1s)
		body := x.body
		if len(body) == 0 {
			body = r.body
		}
		fmt.Printf("== %s\nsite=%q meta=%q x=%q r=%q p=%q other=%q bb=%q credits=%q\n => %q\n", filepath.Base(fn), site, p.first("author", "article:author", "dc.creator", "parsely-author", "sailthru.author"), x.author, r.byline, p.byline, p.otherBylines, bodyByline(body), p.credits, p.pickAuthor(x, r, site, body))
	}
}
