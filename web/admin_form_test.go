package web

import (
	"net/url"
	"strings"
	"testing"

	"syndicate"
)

func TestParseAdminForm(t *testing.T) {
	f, err := parseAdminForm(url.Values{"csrf": {"tok"}, "channel": {"x"}, "force": {"yes"}, "confirm": {"yes"}})
	if err != nil || f != (adminForm{CSRF: "tok", Channel: syndicate.ChannelX, Force: true, Confirm: true}) {
		t.Errorf("retry form = %+v, %v", f, err)
	}
	f, err = parseAdminForm(url.Values{"csrf": {"tok"}, "frequency": {"weekly"}, "channel": {""}, "force": {""}})
	if err != nil || f != (adminForm{CSRF: "tok", Frequency: syndicate.Weekly}) {
		t.Errorf("digest form = %+v, %v", f, err)
	}
	for name, v := range map[string]url.Values{
		"twice":         {"csrf": {"a", "b"}},
		"unknown field": {"status": {"sent"}},
		"bad channel":   {"channel": {"myspace"}},
		"bad force":     {"force": {"true"}},
		"bad confirm":   {"confirm": {"1"}},
		"bad frequency": {"frequency": {"hourly"}},
	} {
		if f, err := parseAdminForm(v); err == nil || syndicate.ErrorCode(err) != syndicate.EINVALID {
			t.Errorf("%s: %+v, %v; want an EINVALID error", name, f, err)
		}
	}
}

// FuzzParseAdminForm: any body either parses to a form whose every value
// is one the dashboard writes, or is refused with one sentence.
func FuzzParseAdminForm(f *testing.F) {
	f.Add("csrf=abc&channel=x&force=yes&confirm=yes")
	f.Add("csrf=abc&frequency=daily")
	f.Add("csrf=a&csrf=b")
	f.Add("channel=%00&force=%E2%80%AE")
	f.Add(strings.Repeat("k=v&", 50))
	f.Fuzz(func(t *testing.T, body string) {
		v, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		form, err := parseAdminForm(v)
		if err != nil {
			msg := syndicate.ErrorMessage(err)
			if syndicate.ErrorCode(err) != syndicate.EINVALID || msg == "" || strings.Contains(msg, "\n") {
				t.Fatalf("refused %q with %v", body, err)
			}
			return
		}
		if form.Channel != "" {
			if _, err := syndicate.ParseChannel(string(form.Channel)); err != nil {
				t.Fatalf("%q gave channel %q", body, form.Channel)
			}
		}
		if form.Frequency != "" {
			if _, err := syndicate.ParseFrequency(string(form.Frequency)); err != nil {
				t.Fatalf("%q gave frequency %q", body, form.Frequency)
			}
		}
		if form.CSRF != v.Get("csrf") || (form.Force != (v.Get("force") == "yes")) || (form.Confirm != (v.Get("confirm") == "yes")) {
			t.Fatalf("%q parsed as %+v", body, form)
		}
	})
}
