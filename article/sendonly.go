//go:build sendonly

package article

import (
	"net/url"
	"time"

	"golang.org/x/net/html"
)

// FullReader is false in a sendonly build: it has neither trafilatura nor
// go-dateparser, whose tables cost every process about 80 MB of memory
// before main runs. Pages are read by readability and the page walk alone,
// and dates only in the forms findDate reads itself (English month names,
// numbers). It is for workers that only send; the commands that take
// articles in refuse to run in it.
const FullReader = false

// extract has no trafilatura to run: nothing found.
func extract(*html.Node, *url.URL, readableText) extracted { return extracted{} }

// parseDateText has no date parser: no date.
func parseDateText(string, string) (time.Time, bool) { return time.Time{}, false }
