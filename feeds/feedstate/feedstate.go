// Package feedstate holds what the feed poller remembers about each feed
// between polls. It is a package of its own, importing only the standard
// library, so that the store can persist the state without importing the
// poller and, through it, the HTTP and feed-parsing code. The feeds package
// re-exports State as feeds.State; use that name.
package feedstate

import "time"

// State is one feed's polling state.
type State struct {
	URL string
	// ETag and LastModified are the validators of the last response whose
	// items were all handled, sent back as If-None-Match and
	// If-Modified-Since. Empty means none.
	ETag, LastModified string
	// Initialized says the first poll has run: the items found then were
	// marked seen without being published.
	Initialized bool
	// Failures counts consecutive failed polls; zero after a success.
	Failures int
	// NextTry is the earliest time of the next poll after a failure; zero
	// when the feed is healthy.
	NextTry time.Time
	// LastError is the message of the last failure, "" after a success.
	LastError string
	// LastPolled is when the feed was last fetched, successfully or not.
	LastPolled time.Time
}
