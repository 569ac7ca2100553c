package article

import "fmt"

// A Warning is something an editor should check before publishing: a
// field found only by a fallback or guessed, or input that was dropped.
// A warning never rejects an article.
type Warning struct {
	// Field is the article field it concerns: "title", "author", "date",
	// "summary", "tags", "language" or "body".
	Field string
	// Message is one sentence for the editor.
	Message string
}

// String returns the warning's message.
func (w Warning) String() string { return w.Message }

// warnings collects the warnings of one parse, in the order found.
type warnings []Warning

// add records a warning about field.
func (w *warnings) add(field, format string, args ...any) {
	*w = append(*w, Warning{Field: field, Message: fmt.Sprintf(format, args...)})
}

// has reports whether a warning about field was recorded.
func (w warnings) has(field string) bool {
	for _, x := range w {
		if x.Field == field {
			return true
		}
	}
	return false
}

// report hands the warnings to o.Warn, if set.
func (w warnings) report(o Options) {
	if o.Warn == nil {
		return
	}
	for _, x := range w {
		o.Warn(x)
	}
}
