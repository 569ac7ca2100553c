package email

import (
	"bytes"
	"context"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"syndicate"
	"syndicate/templates"
)

// maxSpamScore is the most SpamAssassin may give a realistic digest. Its
// default threshold for spam is 5.0; a newsletter that already spends 2 on
// content and headers has nothing left for a sender whose SPF, DKIM or
// reputation is less than perfect.
const maxSpamScore = 2.0

// spamStatus is the score in SpamAssassin's X-Spam-Status header.
var spamStatus = regexp.MustCompile(`(?m)^X-Spam-Status: (?:Yes|No), score=(-?[0-9]+(?:\.[0-9]+)?)`)

// TestSpamAssassinScore renders a daily digest with the default templates,
// builds it as the Sender would send it, and has SpamAssassin score it with
// only its local rules (-L: no DNS, no network tests). It is skipped where
// spamassassin is not installed; CI installs it.
func TestSpamAssassinScore(t *testing.T) {
	sa, err := exec.LookPath("spamassassin")
	if err != nil {
		t.Skip("spamassassin is not on PATH (apt-get install spamassassin): the spam score of the default templates is not checked")
	}
	raw := digestBytes(t)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// -t adds the report to the message; -L runs local tests only.
	cmd := exec.CommandContext(ctx, sa, "-L", "-t")
	cmd.Stdin = bytes.NewReader(raw)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("run spamassassin: %v\n%s", err, stderr.String())
	}
	out := stdout.String()
	m := spamStatus.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no X-Spam-Status score in spamassassin's output:\n%s\n%s", out, stderr.String())
	}
	score, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatalf("X-Spam-Status score %q: %v", m[1], err)
	}
	report := spamReport(out)
	t.Logf("spamassassin score %.1f (limit %.1f)\n%s", score, maxSpamScore, report)
	if score > maxSpamScore {
		t.Errorf("spamassassin scored the daily digest %.1f, more than %.1f; rules that fired:\n%s", score, maxSpamScore, report)
	}
}

// spamReport returns the rule table of the report -t appends to the body:
// the lines from the " pts rule name" heading to the end of the table.
func spamReport(out string) string {
	i := strings.Index(out, " pts rule name")
	if i < 0 {
		return "(no report table in spamassassin's output)"
	}
	rest := out[i:]
	// The table ends at the first blank line, or at the report's closing
	// MIME boundary.
	if j := strings.Index(rest, "\n\n"); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// digestBytes renders a realistic daily digest and returns the bytes Build
// writes for it.
func digestBytes(t *testing.T) []byte {
	t.Helper()
	set, err := templates.New("")
	if err != nil {
		t.Fatal(err)
	}
	date := time.Date(2026, time.March, 2, 7, 0, 0, 0, time.UTC)
	sub := syndicate.Subscriber{ID: 7, Email: "ada@example.org", Name: "Ada Lovelace", Frequency: syndicate.Daily, Status: syndicate.SubscriberActive}
	unsub := "https://news.example.com/u/7.MTcyNjAwMDAwMA.x9Yk2q"
	e, err := set.RenderEmail(templates.EmailData{
		Brand: templates.Brand{
			Name:    "Riverside Daily",
			Address: "Riverside Daily\n12 Mill Lane\nRiverside RV1 2AB\nUnited Kingdom",
			BaseURL: "https://news.example.com",
		},
		Frequency: syndicate.Daily,
		Articles: []syndicate.Article{
			{
				ID:          "a_1",
				Title:       "Council approves new flood defences for the lower town",
				URL:         "https://news.example.com/2026/03/flood-defences",
				Author:      "Jane Doe",
				PublishedAt: time.Date(2026, time.March, 1, 18, 30, 0, 0, time.UTC),
				Summary:     "The sea wall and pumping station will be built in two phases, starting this autumn, after councillors voted nine to two in favour on Sunday night. Residents of the lower town, flooded twice in the last five winters, say the work is long overdue.",
			},
			{
				ID:          "a_2",
				Title:       "Ferry timetable changes for spring",
				URL:         "https://news.example.com/2026/03/ferry-timetable",
				Author:      "Tom Okafor",
				PublishedAt: time.Date(2026, time.March, 1, 9, 0, 0, 0, time.UTC),
				Summary:     "Two extra sailings on Saturdays and a later last boat on Fridays, the operator said, as it expects more visitors after the bridge closes for repairs in April.",
			},
			{
				ID:          "a_3",
				Title:       "Lifeboat crew rescues three kayakers near the estuary",
				URL:         "https://news.example.com/2026/02/lifeboat-rescue",
				Author:      "Sam Lee",
				PublishedAt: time.Date(2026, time.February, 28, 16, 0, 0, 0, time.UTC),
				Summary:     "All three were brought ashore unhurt after being caught by the turning tide. The crew urged visitors to check the tide tables before setting out.",
			},
		},
		Subscriber:     sub,
		UnsubscribeURL: unsub,
		PreferencesURL: "https://news.example.com/p/7.MTcyNjAwMDAwMA.x9Yk2q",
		Date:           date,
	})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := Build(syndicate.Message{
		From:    "Riverside Daily <news@news.example.com>",
		To:      sub.Email,
		ToName:  sub.Name,
		Subject: e.Subject,
		Text:    e.Text,
		HTML:    e.HTML,
		// The shape jobs.MessageID gives: 32 hex digits at the From domain.
		MessageID:      "5f0c8e2a9b41d7e36a8c0f1b2d4e6a79@news.example.com",
		Date:           date,
		ListID:         "Riverside Daily <daily.news.example.com>",
		UnsubscribeURL: unsub,
	})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := msg.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
