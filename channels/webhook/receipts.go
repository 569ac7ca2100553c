package webhook

import (
	"context"
	"sync"
	"time"
)

const (
	// receiptTTL is how long the in-memory record keeps a receipt: longer
	// than a job's retries run.
	receiptTTL = 24 * time.Hour
	// maxReceipts bounds the in-memory record.
	maxReceipts = 10000
)

// memoryReceipts is the default Receipts: enough for a job retried in the
// process that first ran it, which is the common case on one box.
type memoryReceipts struct {
	now func() time.Time
	mu  sync.Mutex
	m   map[string]memoryReceipt
}

type memoryReceipt struct {
	remoteID string
	at       time.Time
}

func newMemoryReceipts(now func() time.Time) *memoryReceipts {
	return &memoryReceipts{now: now, m: make(map[string]memoryReceipt)}
}

func (r *memoryReceipts) Delivered(_ context.Context, id string) (string, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rc, ok := r.m[id]
	if !ok || r.now().Sub(rc.at) > receiptTTL {
		return "", false, nil
	}
	return rc.remoteID, true, nil
}

func (r *memoryReceipts) Record(_ context.Context, id, remoteID string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if len(r.m) >= maxReceipts {
		for k, rc := range r.m {
			if now.Sub(rc.at) > receiptTTL {
				delete(r.m, k)
			}
		}
		// Still full: forget arbitrary receipts. The record only saves
		// repeats; generic receivers de-duplicate by delivery id anyway.
		for k := range r.m {
			if len(r.m) < maxReceipts {
				break
			}
			delete(r.m, k)
		}
	}
	r.m[id] = memoryReceipt{remoteID: remoteID, at: now}
	return nil
}
