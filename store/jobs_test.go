package store_test

import (
	"syndicate/jobs"
	"syndicate/store"
)

// The jobs package is the store's main consumer.
var _ jobs.Store = (*store.Store)(nil)
