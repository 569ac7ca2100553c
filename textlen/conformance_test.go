package textlen

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// conformanceDir holds twitter-text's conformance suite, shared by the
// repository's packages; tests read it as it is, at run time.
var conformanceDir = filepath.Join("..", "..", "shared", "conformance", "twitter-text")

// readConformance decodes one file of the suite into v, skipping the test
// when the suite is not there.
func readConformance(t *testing.T, name string, v any) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(conformanceDir, name))
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("conformance file %s not found: %v", name, err)
	}
	if err != nil {
		t.Fatalf("read conformance file: %v", err)
	}
	if err := yaml.Unmarshal(raw, v); err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
}

type weightedCase struct {
	Description string `yaml:"description"`
	Text        string `yaml:"text"`
	Expected    struct {
		WeightedLength int `yaml:"weightedLength"`
	} `yaml:"expected"`
}

func TestWeightedLengthConformance(t *testing.T) {
	var f struct {
		Tests struct {
			Weighted      []weightedCase `yaml:"WeightedTweetsCounterTest"`
			WeightedEmoji []weightedCase `yaml:"WeightedTweetsWithDiscountedEmojiCounterTest"`
			Directional   []weightedCase `yaml:"UnicodeDirectionalMarkerCounterTest"`
		} `yaml:"tests"`
	}
	readConformance(t, "validate.yml", &f)

	// WeightedTweetsCounterTest predates emoji parsing: it is the v2
	// configuration, v3's weights with every code point counted alone.
	v2 := xV3
	v2.emoji = false
	sections := []struct {
		name  string
		w     weighting
		cases []weightedCase
	}{
		{"WeightedTweetsCounterTest", v2, f.Tests.Weighted},
		{"WeightedTweetsWithDiscountedEmojiCounterTest", xV3, f.Tests.WeightedEmoji},
		{"UnicodeDirectionalMarkerCounterTest", xV3, f.Tests.Directional},
	}
	for _, sec := range sections {
		if len(sec.cases) == 0 {
			t.Errorf("%s: no cases found", sec.name)
		}
		for _, c := range sec.cases {
			if got := sec.w.length(c.Text); got != c.Expected.WeightedLength {
				t.Errorf("%s: %s: weighted length %d, want %d", sec.name, c.Description, got, c.Expected.WeightedLength)
			}
		}
	}
	// X itself is the v3 count.
	for _, c := range f.Tests.WeightedEmoji {
		if got := X(c.Text); got != c.Expected.WeightedLength {
			t.Errorf("X(%s) = %d, want %d", c.Description, got, c.Expected.WeightedLength)
		}
	}
}

type extractCase struct {
	Description string   `yaml:"description"`
	Text        string   `yaml:"text"`
	Expected    []string `yaml:"expected"`
}

func urlTexts(spans []URLSpan, text string, t *testing.T) []string {
	t.Helper()
	var got []string
	for _, u := range spans {
		if text[u.Start:u.End] != u.URL {
			t.Errorf("span %d:%d of %q is %q, not its URL %q", u.Start, u.End, text, text[u.Start:u.End], u.URL)
		}
		got = append(got, u.URL)
	}
	return got
}

// extractSkips lists extract.yml cases known to fail, with the reason.
var extractSkips = map[string]string{}

func TestExtractURLsConformance(t *testing.T) {
	var f struct {
		Tests struct {
			URLs        []extractCase        `yaml:"urls"`
			Directional []extractIndicesCase `yaml:"urls_with_directional_markers"`
			Tco         []extractCase        `yaml:"tco_urls_with_params"`
		} `yaml:"tests"`
	}
	readConformance(t, "extract.yml", &f)
	if len(f.Tests.URLs) == 0 {
		t.Fatal("extract.yml: no urls cases found")
	}
	cases := slices.Concat(f.Tests.URLs, f.Tests.Tco)
	for _, c := range cases {
		if reason, ok := extractSkips[c.Description]; ok {
			t.Logf("skipped %q: %s", c.Description, reason)
			continue
		}
		got := urlTexts(ExtractURLs(c.Text), c.Text, t)
		if !slices.Equal(got, c.Expected) && !(len(got) == 0 && len(c.Expected) == 0) {
			t.Errorf("%s:\n text %q\n got  %q\n want %q", c.Description, c.Text, got, c.Expected)
		}
	}
}

type extractIndicesCase struct {
	Description string `yaml:"description"`
	Text        string `yaml:"text"`
	Expected    []struct {
		URL     string `yaml:"url"`
		Indices [2]int `yaml:"indices"`
	} `yaml:"expected"`
}

func TestExtractURLsIndices(t *testing.T) {
	var f struct {
		Tests struct {
			Indices     []extractIndicesCase `yaml:"urls_with_indices"`
			Directional []extractIndicesCase `yaml:"urls_with_directional_markers"`
		} `yaml:"tests"`
	}
	readConformance(t, "extract.yml", &f)
	if len(f.Tests.Indices) == 0 || len(f.Tests.Directional) == 0 {
		t.Fatal("extract.yml: no urls_with_indices or urls_with_directional_markers cases found")
	}
	for _, c := range slices.Concat(f.Tests.Indices, f.Tests.Directional) {
		got := ExtractURLs(c.Text)
		if len(got) != len(c.Expected) {
			t.Errorf("%s: got %d URLs %q, want %d", c.Description, len(got), urlTexts(got, c.Text, t), len(c.Expected))
			continue
		}
		for i, want := range c.Expected {
			// The suite counts code points; URLSpan counts bytes.
			start := utf8.RuneCountInString(c.Text[:got[i].Start])
			end := start + utf8.RuneCountInString(got[i].URL)
			if got[i].URL != want.URL || start != want.Indices[0] || end != want.Indices[1] {
				t.Errorf("%s: URL %d is %q at [%d %d], want %q at %v", c.Description, i, got[i].URL, start, end, want.URL, want.Indices)
			}
		}
	}
}

func TestExtractURLsEveryTLD(t *testing.T) {
	var f struct {
		Tests map[string][]extractCase `yaml:"tests"`
	}
	readConformance(t, "tlds.yml", &f)
	n := 0
	for _, kind := range []string{"country", "generic"} {
		for _, c := range f.Tests[kind] {
			n++
			got := urlTexts(ExtractURLs(c.Text), c.Text, t)
			if !slices.Equal(got, c.Expected) {
				t.Errorf("%s: got %q, want %q", c.Description, got, c.Expected)
			}
		}
	}
	if n != len(countryTLDs)+len(genericTLDs) {
		t.Errorf("tlds.yml has %d TLDs, the generated list %d: run go generate", n, len(countryTLDs)+len(genericTLDs))
	}
}
