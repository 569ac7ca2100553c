package syndicate_test

import (
	"strings"
	"testing"

	"syndicate"
)

func TestNormalizeEmailLookalikes(t *testing.T) {
	good := map[string]string{
		"kate@example.com": "kate@example.com",
		// Fullwidth letters and ligatures in a domain are the ASCII
		// letters they stand for (UTS #46 applies NFKC).
		"kate@ｅｘａｍｐｌｅ.com":       "kate@example.com",
		"a@ﬁle.example":          "a@file.example",
		"kate@\u212Aexample.com": "kate@kexample.com",
		// A domain with a letter from another script is another domain,
		// and is shown as one.
		"ann@exаmple.com":      "ann@xn--exmple-4nf.com",
		"a@Müller.DE":          "a@xn--mller-kva.de",
		"a@xn--mller-kva.de":   "a@xn--mller-kva.de",
		"Ann.Lee@Example.COM ": "Ann.Lee@example.com",
	}
	for in, want := range good {
		got, err := syndicate.NormalizeEmail(in)
		if err != nil || got != want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", in, got, err, want)
		}
		if again, err := syndicate.NormalizeEmail(got); err != nil || again != got {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want it unchanged", got, again, err)
		}
	}
	bad := map[string]string{
		"\u212Aate@example.com":                 "U+212A before the @", // KELVIN SIGN
		"ｋate@example.com":                      "U+FF4B before the @",
		"kаte@example.com":                      "U+0430 before the @", // Cyrillic a
		"ka\u200bte@example.com":                "U+200B before the @",
		"a@127.0.0.1":                           "IP address",
		"a@ex_ample.com":                        "no valid domain",
		"a@xn--zz.com":                          "no valid domain",
		"a@-example.com":                        "no valid domain",
		"a@" + strings.Repeat("a", 64) + ".com": "no valid domain",
		"a@[::1]":                               "valid",
		"a@[300.1.1.1]":                         "valid",
		"a@" + strings.Repeat("ü", 60) + ".de":  "no valid domain",
	}
	for in, want := range bad {
		_, err := syndicate.NormalizeEmail(in)
		if syndicate.ErrorCode(err) != syndicate.EINVALID || !strings.Contains(syndicate.ErrorMessage(err), want) {
			t.Errorf("NormalizeEmail(%q) err = %v, want an invalid-input error saying %q", in, err, want)
		}
	}
}

func TestEmailKey(t *testing.T) {
	if a, b := syndicate.EmailKey("Kate@EXAMPLE.com"), syndicate.EmailKey(" kate@ｅｘａｍｐｌｅ.com"); a != "kate@example.com" || b != a {
		t.Errorf("EmailKey = %q and %q, want both kate@example.com", a, b)
	}
	// An address that does not normalise (a row stored before the rules)
	// keeps every non-ASCII rune, so it cannot fold onto a real address.
	if k := syndicate.EmailKey("\u212Aate@example.com"); k == "kate@example.com" || k != "\u212Aate@example.com" {
		t.Errorf("EmailKey(Kelvin-sign Kate) = %q, want it apart from kate@example.com", k)
	}
	if k := syndicate.EmailKey("\u212Aate@EXAMPLE.com"); k != "\u212Aate@example.com" {
		t.Errorf("EmailKey = %q, want only ASCII letters lowercased", k)
	}
}

func TestNormalizePublicEmailRefusesDomainLiterals(t *testing.T) {
	if got, err := syndicate.NormalizeEmail("lit@[127.0.0.1]"); err != nil || got != "lit@[127.0.0.1]" {
		t.Errorf("NormalizeEmail(domain literal) = %q, %v; want it kept for editors", got, err)
	}
	for _, in := range []string{"lit@[127.0.0.1]", "lit@[10.0.0.1]"} {
		if _, err := syndicate.NormalizePublicEmail(in); syndicate.ErrorCode(err) != syndicate.EINVALID || !strings.Contains(err.Error(), "IP address") {
			t.Errorf("NormalizePublicEmail(%q) err = %v, want refused as an IP address", in, err)
		}
	}
	if got, err := syndicate.NormalizePublicEmail("Kate@Ｅxample.com"); err != nil || got != "Kate@example.com" {
		t.Errorf("NormalizePublicEmail = %q, %v; want Kate@example.com", got, err)
	}
}

func TestValidateName(t *testing.T) {
	for _, ok := range []string{"", "Ann", "Zoë Ångström", "李小龙", "Ann \"The Boss\" O'Neil", "😀"} {
		if err := syndicate.ValidateName(ok); err != nil {
			t.Errorf("ValidateName(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{
		"Ann\x1b[2J", "Ann\x07", "Ann\r\nBcc: x", "Ann\tB", "Ann\x00", "Ann\u009b31m", // Cc, C1 CSI
		"Ann\u202eevil", "Ann\u2066x", "A\u200bnn", "A\u200dnn", "A\ufeffnn", // Cf
		"Ann\u2028B", "Ann\u2029B", // line and paragraph separators
		"Ann\xff", strings.Repeat("n", syndicate.MaxNameLen+1),
	} {
		if err := syndicate.ValidateName(bad); syndicate.ErrorCode(err) != syndicate.EINVALID {
			t.Errorf("ValidateName(%q) = %v, want an invalid-input error", bad, err)
		}
		s := syndicate.Subscriber{Email: "a@example.com", Name: bad}
		if err := s.Validate(); syndicate.ErrorCode(err) != syndicate.EINVALID {
			t.Errorf("Subscriber.Validate with name %q = %v, want an invalid-input error", bad, err)
		}
	}
}

func TestSubscriberStatusSuppressed(t *testing.T) {
	for st, want := range map[syndicate.SubscriberStatus]bool{
		syndicate.SubscriberActive: false, syndicate.SubscriberPending: false,
		syndicate.SubscriberUnsubscribed: true, syndicate.SubscriberBounced: true,
		"complained": true, // a status added later is suppressed until said otherwise
	} {
		if got := st.Suppressed(); got != want {
			t.Errorf("%s.Suppressed() = %v, want %v", st, got, want)
		}
	}
}
