package syndicate

import "testing"

// FuzzEmailKey: the shortcut for lowercase ASCII addresses gives the key
// normalising would.
func FuzzEmailKey(f *testing.F) {
	for _, s := range []string{"ada@example.org", "Ada@Example.org", "o'brien+news@example.org", "a@[192.0.2.1]", "a@[192.000.2.1]", "a@b", "a@b..c", "a@xn--bcher-kva.example", "a@bücher.example", "a_b@ex_ample.com", " a@b.c ", "a@b.c.", "@", "a@1.2.3.4", "\"a b\"@x.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := EmailKey(s), emailKeySlow(s); got != want {
			t.Errorf("EmailKey(%q) = %q, want %q", s, got, want)
		}
	})
}
