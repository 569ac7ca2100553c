package syndicate_test

import (
	"strings"
	"testing"

	"syndicate"
)

func TestCanonicalURL(t *testing.T) {
	cases := map[string]string{
		"https://Example.COM/a/b?utm_source=x&b=2&a=1#frag": "https://example.com/a/b?a=1&b=2",
		"HTTP://example.com:80":                             "http://example.com/",
		"https://example.com:443/x?UTM_Medium=y":            "https://example.com/x",
		"  https://example.com/Path  ":                      "https://example.com/Path",
	}
	for in, want := range cases {
		got, err := syndicate.CanonicalURL(in)
		if err != nil || got != want {
			t.Errorf("CanonicalURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "example.com/x", "ftp://example.com/", "javascript:alert(1)", "https://user:pw@example.com/", "https://" + strings.Repeat("a", 3000) + ".com"} {
		if _, err := syndicate.CanonicalURL(bad); syndicate.ErrorCode(err) != syndicate.EINVALID {
			t.Errorf("CanonicalURL(%q) err = %v, want an invalid-input error", bad, err)
		}
	}
}

func TestArticleIDFollowsCanonicalURL(t *testing.T) {
	a, _ := syndicate.CanonicalURL("https://Example.com/story?utm_campaign=z#top")
	b, _ := syndicate.CanonicalURL("https://example.com/story")
	c, _ := syndicate.CanonicalURL("https://example.com/other")
	if syndicate.ArticleID(a) != syndicate.ArticleID(b) {
		t.Error("the same article by two URLs got two IDs")
	}
	if syndicate.ArticleID(a) == syndicate.ArticleID(c) {
		t.Error("two articles got one ID")
	}
}

func TestArticleValidate(t *testing.T) {
	ok := syndicate.Article{Title: "T", URL: "https://example.com/t"}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid article: %v", err)
	}
	bad := map[string]syndicate.Article{
		"no title":       {URL: "https://example.com/t"},
		"no URL":         {Title: "T"},
		"bad URL":        {Title: "T", URL: "mailto:x@example.com"},
		"long title":     {Title: strings.Repeat("x", syndicate.MaxTitleLen+1), URL: "https://example.com/t"},
		"invalid UTF-8":  {Title: "T\xff", URL: "https://example.com/t"},
		"wrong ID":       {ID: "a_0000000000000000", Title: "T", URL: "https://example.com/t"},
		"bad image":      {Title: "T", URL: "https://example.com/t", Image: "javascript:x"},
		"long HTML body": {Title: "T", URL: "https://example.com/t", BodyHTML: strings.Repeat("x", syndicate.MaxBodyLen+1)},
		"HTML not UTF-8": {Title: "T", URL: "https://example.com/t", BodyHTML: "<p>\xff</p>"},
	}
	for name, a := range bad {
		if err := a.Validate(); syndicate.ErrorCode(err) != syndicate.EINVALID {
			t.Errorf("%s: Validate = %v, want an invalid-input error", name, err)
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	got, err := syndicate.NormalizeEmail(" Ann.Lee@Example.COM ")
	if err != nil || got != "Ann.Lee@example.com" {
		t.Errorf("NormalizeEmail = %q, %v", got, err)
	}
	for _, bad := range []string{"", "ann", "ann@", "@example.com", "ann@localhost", "Ann <ann@example.com>", "a@example.com\r\nBcc: b@example.com", "a@example.com, b@example.com", "a@exa..mple.com"} {
		if _, err := syndicate.NormalizeEmail(bad); err == nil {
			t.Errorf("NormalizeEmail(%q) accepted a bad address", bad)
		}
	}
}

func TestDeliveryStatusFinal(t *testing.T) {
	for st, final := range map[syndicate.DeliveryStatus]bool{
		syndicate.StatusQueued: false, syndicate.StatusSending: false, syndicate.StatusSent: true,
		syndicate.StatusFailed: true, syndicate.StatusUnknown: true, syndicate.StatusDuplicate: true, syndicate.StatusSkipped: true,
	} {
		if st.Final() != final {
			t.Errorf("%s.Final() = %v", st, !final)
		}
	}
}

func TestArticleDir(t *testing.T) {
	for lang, want := range map[string]string{"ar": "rtl", "he": "rtl", "fa": "rtl", "ur": "rtl", "de": "ltr", "ja": "ltr", "": "ltr"} {
		if got := (syndicate.Article{Language: lang}).Dir(); got != want {
			t.Errorf("Dir of %q = %q, want %q", lang, got, want)
		}
	}
}
