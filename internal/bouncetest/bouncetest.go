// Package bouncetest is the test kit of the bounce sources (the webhooks,
// the mail parser, the IMAP poller, the CLI): a fresh store with emails
// recorded as sent, and the checks every source's test makes of what an
// event changed.
package bouncetest

import (
	"testing"

	"syndicate"
	"syndicate/internal/testdb"
	"syndicate/signed"
	"syndicate/store"
)

// Secret is the key of the kit's VERP tokens.
const Secret = "bouncetest-secret-0123456789"

// Kit is a store of the test's own.
type Kit struct {
	Store *store.Store
	URL   string
}

// New opens a fresh store (see testdb.URL), closed when the test ends.
func New(t testing.TB) *Kit {
	t.Helper()
	url := testdb.URL(t)
	st, err := store.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &Kit{Store: st, URL: url}
}

// Sent adds email as an active subscriber and records an email of item to
// it as sent with the Message-ID; it returns the ledger row.
func (k *Kit) Sent(t testing.TB, item, email, messageID string) syndicate.Delivery {
	t.Helper()
	ctx := t.Context()
	if _, err := k.Store.AddSubscriber(ctx, syndicate.Subscriber{Email: email}, false); err != nil {
		t.Fatal(err)
	}
	key := syndicate.DeliveryKey{Item: item, Channel: syndicate.ChannelEmail, Subscriber: email}
	if _, err := k.Store.BeginDelivery(ctx, key); err != nil {
		t.Fatal(err)
	}
	if err := k.Store.FinishDelivery(ctx, key, syndicate.StatusSent, messageID, ""); err != nil {
		t.Fatal(err)
	}
	d, err := k.Store.DeliveryByMessageID(ctx, messageID)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Token is the VERP token of d under Secret.
func Token(d syndicate.Delivery) string { return signed.VERPToken(Secret, d.ID) }

// State is what the store says of one address after an event.
type State struct {
	Subscriber syndicate.SubscriberStatus // "" if there is no subscriber
	Suppressed syndicate.SuppressionReason
	Delivery   syndicate.DeliveryStatus // of the row with the Message-ID; "" if none
}

// State reads the state of email and of the delivery with messageID.
func (k *Kit) State(t testing.TB, email, messageID string) State {
	t.Helper()
	ctx := t.Context()
	var s State
	if sub, err := k.Store.Subscriber(ctx, email); err == nil {
		s.Subscriber = sub.Status
	} else if syndicate.ErrorCode(err) != syndicate.ENOTFOUND {
		t.Fatal(err)
	}
	if sup, err := k.Store.Suppression(ctx, email); err == nil {
		s.Suppressed = sup.Reason
	} else if syndicate.ErrorCode(err) != syndicate.ENOTFOUND {
		t.Fatal(err)
	}
	if messageID != "" {
		if d, err := k.Store.DeliveryByMessageID(ctx, messageID); err == nil {
			s.Delivery = d.Status
		} else if syndicate.ErrorCode(err) != syndicate.ENOTFOUND {
			t.Fatal(err)
		}
	}
	return s
}

// Untouched is the state of an address an event must not have changed:
// active, not suppressed, its email sent.
var Untouched = State{Subscriber: syndicate.SubscriberActive, Delivery: syndicate.StatusSent}
