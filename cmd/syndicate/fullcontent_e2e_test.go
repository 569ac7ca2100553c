package main

import (
	"bytes"
	"net/mail"
	"strings"
	"testing"
)

// htmlPart returns the decoded text/html part of a raw message.
func htmlPart(t *testing.T, raw []byte) string {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return messagePart(t, msg, "text/html")
}

// TestEndToEndFullContentHTML: with email.full_content on, an instant
// email built by the real worker and message builder carries the
// article's HTML body: its relative image made absolute and declared at
// most 560 pixels wide, its link resolved, and none of its scripts,
// handlers or javascript: and data: URLs.
func TestEndToEndFullContentHTML(t *testing.T) {
	e := newE2E(t, "SYNDICATE_EMAIL_FULL_CONTENT=true")
	emails := e.addSubscribers(2)
	e.start("worker")
	const title = "Harbour Wall Approved"
	path := e.write("wall.md", `---
title: "`+title+`"
url: https://news.example.com/2026/harbour-wall
author: Jo Writer
date: 2026-11-20
---
The council approved the wall on [Monday](/council/minutes), after a long debate.

![The harbour at dusk](img/harbour.jpg)

<img src="/photos/wall.jpg" width="1600" height="1200" alt="The wall" onerror="alert(1)">
<script>alert("x")</script>
<a href="javascript:alert(2)">a trap</a>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="pixel">
`)
	e.run("publish", path, "--wait")
	e.checkDelivered(title, "https://news.example.com/2026/harbour-wall", emails)

	n := 0
	for _, m := range e.sink.Messages() {
		if !bytes.Contains(m.Data, []byte("Harbour Wall")) {
			continue
		}
		n++
		h := htmlPart(t, m.Data)
		for _, want := range []string{
			`<img src="https://news.example.com/2026/img/harbour.jpg" alt="The harbour at dusk" width="560" style="display:block;max-width:100%;height:auto;border:0"/>`,
			`<img src="https://news.example.com/photos/wall.jpg" alt="The wall" width="560" height="420" style="display:block;max-width:100%;height:auto;border:0"/>`,
			`<a href="https://news.example.com/council/minutes" class="link"`,
		} {
			if !strings.Contains(h, want) {
				t.Errorf("email to %v lacks %s", m.To, want)
			}
		}
		for _, bad := range []string{"alert", "javascript:", "data:image", "onerror", "<script>alert"} {
			if strings.Contains(h, bad) {
				t.Errorf("email to %v holds %q", m.To, bad)
			}
		}
	}
	if n != len(emails) {
		t.Errorf("%d emails of the article, want %d", n, len(emails))
	}
}
