package templates

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"sync"
	"time"

	"syndicate"
)

// A batch of one email to many subscribers renders what they all share
// once. The templates are executed with a probe recipient whose per-
// recipient values are marked, which splits each output into fixed text
// and the places where a recipient's value goes; every recipient's email
// is then the fixed text with its own values put in, each escaped as the
// template escaped it there. The split is checked once, against a full
// render of the first recipient it serves, and a recipient it cannot be
// trusted for (a value with characters the probe did not cover, a template
// whose output is not the same) is rendered in full. Templates that do
// more with a recipient's value than print it (see splittable) are not
// split at all: overrides get the same email either way.

// Batch renders one email for many subscribers; see Set.Batch. It is safe
// for concurrent use.
type Batch struct {
	set  *Set
	data EmailData // shared: everything but the recipient's own values
	tag  string    // marks the probe's values; random, so article text cannot hold it

	mu     sync.Mutex
	splits map[shape]*split // by which optional recipient values are empty
}

// Batch prepares the email of d for many recipients; d.Subscriber,
// d.UnsubscribeURL and d.PreferencesURL are ignored, each Render gives its
// own.
func (s *Set) Batch(d EmailData) *Batch {
	b := make([]byte, 5)
	if _, err := rand.Read(b); err != nil {
		// crypto/rand does not fail on supported platforms; a fixed tag
		// only makes a clash with article text possible, which the check
		// against a full render catches.
		copy(b, "zqzqz")
	}
	return &Batch{set: s, data: d, tag: "zq" + hex.EncodeToString(b), splits: map[shape]*split{}}
}

// Render renders the email of one recipient, as RenderEmail would with the
// batch's data and these values.
func (b *Batch) Render(sub syndicate.Subscriber, unsubscribeURL, preferencesURL string) (Email, error) {
	d := b.data
	d.Subscriber, d.UnsubscribeURL, d.PreferencesURL = sub, unsubscribeURL, preferencesURL
	vals := values{sub.Email, sub.Name, sub.Handle, unsubscribeURL, preferencesURL}
	sh := shape{noName: sub.Name == "", noUnsub: unsubscribeURL == "", noPrefs: preferencesURL == ""}
	sp := b.split(sh, sub)
	if sp == nil || !sp.covers(vals) {
		return b.set.RenderEmail(d)
	}
	if b.trusted(sp, vals) {
		return sp.fill(vals), nil
	}
	// A recipient with a character no recipient before had in the values
	// the outputs print is rendered both ways. If they differ, the template
	// does something with the recipient that the split cannot reproduce,
	// and every recipient of this shape is rendered in full from then on.
	full, err := b.set.RenderEmail(d)
	if err != nil {
		return Email{}, err
	}
	e := sp.fill(vals)
	b.mu.Lock()
	defer b.mu.Unlock()
	if full != e {
		sp.broken = true
		return full, nil
	}
	sp.checked = true
	for f := range nFields {
		if sp.used[f] {
			for i := 0; i < len(vals[f]); i++ {
				sp.verified[vals[f][i]-' '] = true
			}
		}
	}
	return full, nil
}

// trusted reports whether sp has been checked against a full render and
// every character of the values it prints was in a recipient's value then.
func (b *Batch) trusted(sp *split, v values) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !sp.checked || sp.broken {
		return false
	}
	for f := range nFields {
		if !sp.used[f] {
			continue
		}
		for i := 0; i < len(v[f]); i++ {
			if !sp.verified[v[f][i]-' '] {
				return false
			}
		}
	}
	return true
}

// The per-recipient string values a template may print, in this order.
const (
	fieldEmail = iota
	fieldName
	fieldHandle
	fieldUnsubscribe
	fieldPreferences
	nFields
)

type values [nFields]string

// shape says which of the optional recipient values are empty: a template
// may print something else for them, so each shape has its own split. No
// unsubscribe URL is the archive's copy (View.Archive).
type shape struct{ noName, noUnsub, noPrefs bool }

// alphabet is every character a probe value carries, so its escaped form
// at each place is known: printable ASCII. A recipient value with any
// other character, or a '%' (see covers), is rendered in full.
const alphabet = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"

// split is the three outputs cut at the recipient's values.
type split struct {
	subject, text, html []piece
	used                [nFields]bool // fields that appear in some output
	// Guarded by Batch.mu: checked once a full render agreed, broken once
	// one did not; verified marks the characters the agreeing renders'
	// values held.
	checked, broken bool
	verified        [len(alphabet)]bool
}

// piece is fixed text followed, unless field is -1, by one value escaped
// with esc (esc[c-' '] is how character c came out here).
type piece struct {
	text  string
	field int
	esc   *[len(alphabet)]string
	same  *[len(alphabet)]bool // esc[i] is the character itself
}

// split returns the split of shape sh, making it on first use; nil when
// the templates cannot be split or the check found them unsplittable.
func (b *Batch) split(sh shape, sub syndicate.Subscriber) *split {
	b.mu.Lock()
	defer b.mu.Unlock()
	sp, ok := b.splits[sh]
	if !ok {
		sp = b.makeSplit(sh, sub)
		b.splits[sh] = sp
	}
	if sp == nil || sp.broken {
		return nil
	}
	return sp
}

// makeSplit renders the probe of shape sh and cuts its outputs.
func (b *Batch) makeSplit(sh shape, sub syndicate.Subscriber) *split {
	if len(b.data.Articles) == 0 || !b.set.email.plain {
		return nil // RenderEmail says why, or renders them
	}
	var probe values
	for f := range nFields {
		probe[f] = b.probeValue(f)
	}
	if sh.noName {
		probe[fieldName] = ""
	}
	if sh.noUnsub {
		probe[fieldUnsubscribe] = ""
	}
	if sh.noPrefs {
		probe[fieldPreferences] = ""
	}
	d := b.data
	// The values that are not strings are set apart from every real
	// recipient's, so that a template printing one fails the check.
	d.Subscriber = syndicate.Subscriber{
		ID: -1, Email: probe[fieldEmail], Name: probe[fieldName], Handle: probe[fieldHandle],
		Frequency: sub.Frequency, Status: sub.Status, CreatedAt: time.Unix(1, 0).UTC(), TokenVersion: -1,
	}
	d.UnsubscribeURL, d.PreferencesURL = probe[fieldUnsubscribe], probe[fieldPreferences]
	subj, text, html, err := b.set.email.raw(b.set.view(d))
	if err != nil {
		return nil
	}
	sp := &split{}
	var ok bool
	if sp.subject, ok = b.cut(subj, sp); !ok {
		return nil
	}
	if sp.text, ok = b.cut(text, sp); !ok {
		return nil
	}
	if sp.html, ok = b.cut(html, sp); !ok {
		return nil
	}
	return sp
}

// marks of field f: where its probe value starts, between its characters,
// and where it ends. Letters and digits only, which no escaper changes.
func (b *Batch) marks(f int) (start, sep, end string) {
	p := b.tag + string(rune('a'+f))
	return p + "s", p + "p", p + "e"
}

func (b *Batch) probeValue(f int) string {
	start, sep, end := b.marks(f)
	var s strings.Builder
	s.WriteString(start)
	for i := range len(alphabet) {
		if i > 0 {
			s.WriteString(sep)
		}
		s.WriteByte(alphabet[i])
	}
	s.WriteString(end)
	return s.String()
}

// cut splits out at every probe value, learning each place's escaping.
func (b *Batch) cut(out string, sp *split) ([]piece, bool) {
	var pieces []piece
	for {
		at, f := -1, -1
		for g := range nFields {
			start, _, _ := b.marks(g)
			if i := strings.Index(out, start); i >= 0 && (at < 0 || i < at) {
				at, f = i, g
			}
		}
		if at < 0 {
			if strings.Contains(out, b.tag) {
				return nil, false // a mark cut apart: the value was not printed whole
			}
			return append(pieces, piece{text: out, field: -1}), true
		}
		start, sep, end := b.marks(f)
		rest := out[at+len(start):]
		stop := strings.Index(rest, end)
		if stop < 0 {
			return nil, false
		}
		parts := strings.Split(rest[:stop], sep)
		if len(parts) != len(alphabet) {
			return nil, false
		}
		esc, same := new([len(alphabet)]string), new([len(alphabet)]bool)
		copy(esc[:], parts)
		for i := range esc {
			same[i] = esc[i] == alphabet[i:i+1]
		}
		pieces = append(pieces, piece{text: out[:at], field: f, esc: esc, same: same})
		sp.used[f] = true
		out = rest[stop+len(end):]
	}
}

// covers reports whether every value the outputs print is made of
// characters whose escaping the probe learnt, and none starts with a URL
// scheme other than http, https or mailto (a URL attribute that begins
// with one has the whole value replaced, which the probe, having no
// scheme, did not show).
func (sp *split) covers(v values) bool {
	for f := range nFields {
		if !sp.used[f] {
			continue
		}
		if i := strings.IndexByte(v[f], ':'); i >= 0 && !strings.Contains(v[f][:i], "/") {
			switch strings.ToLower(v[f][:i]) {
			case "http", "https", "mailto":
			default:
				return false
			}
		}
		for i := 0; i < len(v[f]); i++ {
			// A '%' is left alone in a URL when a hex pair follows it and
			// escaped otherwise: its escaping depends on what comes next.
			if c := v[f][i]; c < ' ' || c > '~' || c == '%' {
				return false
			}
		}
	}
	return true
}

// fill puts the values in, and tidies as RenderEmail does.
func (sp *split) fill(v values) Email {
	return Email{
		Subject: strings.Join(strings.Fields(join(sp.subject, v)), " "),
		Text:    tidyText(join(sp.text, v)),
		HTML:    join(sp.html, v),
	}
}

func join(pieces []piece, v values) string {
	n := 0
	for _, p := range pieces {
		n += len(p.text)
		if p.field >= 0 {
			n += 2 * len(v[p.field])
		}
	}
	var s strings.Builder
	s.Grow(n)
	for _, p := range pieces {
		s.WriteString(p.text)
		if p.field < 0 {
			continue
		}
		// Runs of characters that come out as they are go in one write.
		val := v[p.field]
		from := 0
		for i := 0; i < len(val); i++ {
			if p.same[val[i]-' '] {
				continue
			}
			s.WriteString(val[from:i])
			s.WriteString(p.esc[val[i]-' '])
			from = i + 1
		}
		s.WriteString(val[from:])
	}
	return s.String()
}
