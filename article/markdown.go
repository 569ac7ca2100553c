package article

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	gmhtml "github.com/yuin/goldmark/renderer/html"
	"golang.org/x/net/html"
	"gopkg.in/yaml.v3"

	"syndicate"
)

// markdown renders with raw HTML passed through: the HTML is never served
// as it is, only reduced to text and to the sanitised HTML body (see
// bodyhtml.go), and passing it lets both drop scripts and keep the words
// inside inline tags.
var markdown = goldmark.New(
	goldmark.WithExtensions(extension.GFM),
	goldmark.WithRendererOptions(gmhtml.WithUnsafe()),
)

// markdownBlocks renders Markdown source to paragraphs of plain text, in
// time linear in its size: see boundMarkdown. It also returns the rendered
// document, whose markup becomes the article's HTML body once sanitised.
func markdownBlocks(src string) ([]block, *html.Node, error) {
	var buf bytes.Buffer
	if err := markdown.Convert([]byte(boundMarkdown(src)), &buf); err != nil {
		return nil, nil, fmt.Errorf("render markdown: %w", err)
	}
	doc, err := html.Parse(&buf)
	if err != nil {
		return nil, nil, fmt.Errorf("parse rendered markdown: %w", err)
	}
	return htmlBlocks(doc, false), doc, nil
}

// parseMarkdown reads a Markdown file with optional YAML front matter.
func parseMarkdown(subj, text string) (fields, error) {
	var f fields
	fm, body, err := splitFrontMatter(subj, text)
	if err != nil {
		return f, err
	}
	if fm != "" {
		if f, err = frontMatterFields(subj, fm); err != nil {
			return f, err
		}
	}
	if f.body, f.html, err = markdownBlocks(body); err != nil {
		return f, syndicate.Errorf(syndicate.EINVALID, "%s has a body that cannot be read: %v", subj, err)
	}
	return f, nil
}

// splitFrontMatter splits text into YAML front matter (between a first
// line "---" and the next "---" or "..." line) and the Markdown after it.
// Without a first "---" line, all of text is Markdown.
func splitFrontMatter(subj, text string) (fm, body string, err error) {
	first, rest, _ := strings.Cut(text, "\n")
	if strings.TrimRight(first, " \t") != "---" {
		return "", text, nil
	}
	var b strings.Builder
	for rest != "" {
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
		if l := strings.TrimRight(line, " \t"); l == "---" || l == "..." {
			return b.String(), rest, nil
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return "", "", syndicate.Errorf(syndicate.EINVALID, "%s has front matter with no closing --- line", subj)
}

// frontMatterFields decodes YAML front matter. It walks the YAML nodes
// rather than decoding into a struct so that a field of the wrong type is
// reported by name and line.
func frontMatterFields(subj, fm string) (fields, error) {
	var f fields
	var doc yaml.Node
	// The leading newline stands for the opening "---", so that line
	// numbers in errors count from the top of the file.
	if err := yaml.Unmarshal([]byte("\n"+fm), &doc); err != nil {
		return f, syndicate.Errorf(syndicate.EINVALID, "%s has bad front matter: %v", subj, err)
	}
	if len(doc.Content) == 0 {
		return f, nil // only comments or blank lines
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return f, syndicate.Errorf(syndicate.EINVALID, "%s has front matter that is not a list of \"name: value\" fields", subj)
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		key := strings.ToLower(root.Content[i].Value)
		v := root.Content[i+1]
		if v.Kind == yaml.AliasNode && v.Alias != nil {
			v = v.Alias
		}
		if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
			continue
		}
		bad := func(want string) error {
			return syndicate.Errorf(syndicate.EINVALID, "%s has front matter field %q (line %d) that is not %s", subj, key, v.Line, want)
		}
		switch key {
		case "title", "url", "author", "summary", "image", "date", "published_at", "lang", "language":
			if v.Kind != yaml.ScalarNode {
				return f, bad("text")
			}
			if err := f.set(subj, key, v.Value); err != nil {
				return f, err
			}
		case "tags":
			switch v.Kind {
			case yaml.ScalarNode:
				f.tags = splitTags(v.Value)
			case yaml.SequenceNode:
				f.tags = []string{}
				for _, t := range v.Content {
					if t.Kind != yaml.ScalarNode {
						return f, bad("a list of tags or a comma-separated string")
					}
					f.tags = append(f.tags, t.Value)
				}
			default:
				return f, bad("a list of tags or a comma-separated string")
			}
		}
	}
	return f, nil
}
