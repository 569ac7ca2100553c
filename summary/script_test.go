package summary

import (
	"strings"
	"testing"

	"syndicate"
	"syndicate/textlen"
)

// TestFitRespectsScript pins issue 9, point 5: a word is never cut, and
// CJK is cut at a clause mark when one is in reach.
func TestFitRespectsScript(t *testing.T) {
	const link = "https://example.com/a"
	tests := []struct {
		name, title, lede string
		slack             int    // room the limit leaves beyond the wanted post
		want              string // the shortened lede
	}{
		{
			name:  "a long compound that does not fit goes whole",
			title: "T",
			lede:  "Der Bundestag berät am Donnerstag über das Einbürgerungserleichterungsgesetz der Koalition.",
			slack: len("Einbürgerungserleichter") - 1, // most of the compound
			want:  "Der Bundestag berät am Donnerstag über das…",
		},
		{
			name:  "Chinese cut at the clause mark in reach",
			title: "T",
			lede:  "市议会周二投票决定关闭老桥进行维修，工程将持续整个夏天，费用也远高于最初提出时的计划。",
			slack: 2 * 4, // four characters past the second comma
			want:  "市议会周二投票决定关闭老桥进行维修，工程将持续整个夏天…",
		},
		{
			name:  "Chinese with no clause mark in reach is cut between characters",
			title: "T",
			lede:  "市议会周二投票决定关闭老桥进行维修工程将持续整个夏天费用也远高于最初提出时的计划。",
			slack: 1, // less than a character
			want:  "市议会周二投票决定关闭老桥进行维修工程将持续整个夏天费用也…",
		},
		{
			name:  "a Latin run inside Japanese is not cut",
			title: "T",
			lede:  "トレンドマイクロは公衆無線LANを安全に使うためのアプリFreeWiFiProtectionForEveryoneToday",
			slack: len("FreeWiFiProtection"),
			want:  "トレンドマイクロは公衆無線LANを安全に使うためのアプリ…",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := syndicate.Article{Title: tt.title, Summary: tt.lede, URL: link}
			want := tt.title + "\n\n" + tt.want + "\n\n" + link
			o := Options{Limit: textlen.X(want) + tt.slack, Count: textlen.X}
			if got := Compose(a, o); got != want {
				t.Errorf("Compose:\n%q\nwant\n%q", got, want)
			}
			checkPost(t, a, o)
		})
	}
}

func TestPercentEncodedLinksCountAsNetworksDo(t *testing.T) {
	link := "https://ja.wikipedia.org/wiki/" + strings.Repeat("%E5%A0%B1%E9%81%93", 12)
	if n := textlen.X(link); n != 23 {
		t.Errorf("X counts a percent-encoded link as %d, want 23", n)
	}
	if n := textlen.Mastodon(link, textlen.MastodonURLWeight); n != 23 {
		t.Errorf("Mastodon counts a percent-encoded link as %d, want 23", n)
	}
	// The lede keeps its room beside a long link on X.
	a := syndicate.Article{Title: "Title", Summary: strings.Repeat("word ", 40), URL: link}
	got := Compose(a, Options{Limit: textlen.XLimit, Count: textlen.X})
	if !strings.Contains(got, "word word word word word word word word word word word word word word word word word word word word") {
		t.Errorf("a long link ate the lede:\n%s", got)
	}
}
