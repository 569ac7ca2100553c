package store_test

import (
	"context"
	"fmt"
	"testing"

	"syndicate"
)

// TestBeginFinishDeliveries: a batch's rows are begun together (missing
// ones inserted, final ones left alone and reported, the rest marked
// sending with one more attempt) and finished together.
func TestBeginFinishDeliveries(t *testing.T) {
	st, _, _ := openTest(t)
	ctx := context.Background()
	var keys []syndicate.DeliveryKey
	for i := range 7 {
		keys = append(keys, syndicate.DeliveryKey{Item: "a1", Channel: syndicate.ChannelEmail, Subscriber: fmt.Sprintf("R%d@Example.com", 6-i)})
	}
	// Two rows exist: one queued, one already sent.
	if err := st.EnsureDeliveries(ctx, keys[:2]); err != nil {
		t.Fatal(err)
	}
	if _, err := st.BeginDelivery(ctx, keys[1]); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishDelivery(ctx, keys[1], syndicate.StatusSent, "m1@x", ""); err != nil {
		t.Fatal(err)
	}
	before, err := st.BeginDeliveries(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	if len(before) != len(keys) {
		t.Fatalf("got %d rows, want %d", len(before), len(keys))
	}
	for i, d := range before {
		if d.Subscriber != keys[i].Subscriber {
			t.Errorf("row %d is %s, want %s (key order)", i, d.Subscriber, keys[i].Subscriber)
		}
		want := syndicate.StatusQueued
		if i == 1 {
			want = syndicate.StatusSent
		}
		if d.Status != want {
			t.Errorf("row %d was %s, want %s", i, d.Status, want)
		}
	}
	ds, err := st.Deliveries(ctx, "a1")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		switch {
		case d.Subscriber == keys[1].Subscriber:
			if d.Status != syndicate.StatusSent || d.Attempts != 1 {
				t.Errorf("the sent row became %s after %d attempts", d.Status, d.Attempts)
			}
		case d.Status != syndicate.StatusSending || d.Attempts != 1:
			t.Errorf("%s is %s after %d attempts, want sending after 1", d.Subscriber, d.Status, d.Attempts)
		}
	}
	// A second begin sees them sending: a worker died while sending.
	again, err := st.BeginDeliveries(ctx, keys[2:4])
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range again {
		if d.Status != syndicate.StatusSending {
			t.Errorf("second begin saw %s as %s, want sending", d.Subscriber, d.Status)
		}
	}
	var res []syndicate.DeliveryResult
	for i, k := range keys {
		if i == 1 {
			continue
		}
		res = append(res, syndicate.DeliveryResult{Key: k, Status: syndicate.StatusSent, RemoteID: fmt.Sprintf("m%d@x", i)})
	}
	res[0] = syndicate.DeliveryResult{Key: keys[0], Status: syndicate.StatusQueued, Error: "451 try later"}
	if err := st.FinishDeliveries(ctx, res); err != nil {
		t.Fatal(err)
	}
	ds, err = st.Deliveries(ctx, "a1")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		switch d.Subscriber {
		case keys[0].Subscriber:
			if d.Status != syndicate.StatusQueued || d.Error != "451 try later" || d.RemoteID != "" {
				t.Errorf("first row: %+v", d)
			}
		case keys[3].Subscriber:
			if d.Status != syndicate.StatusSent || d.RemoteID != "m3@x" {
				t.Errorf("fourth row: %+v", d)
			}
		default:
			if d.Status != syndicate.StatusSent {
				t.Errorf("%s is %s, want sent", d.Subscriber, d.Status)
			}
		}
	}
	missing := syndicate.DeliveryResult{Key: syndicate.DeliveryKey{Item: "a1", Channel: syndicate.ChannelEmail, Subscriber: "nobody@example.com"}, Status: syndicate.StatusSent}
	if err := st.FinishDeliveries(ctx, []syndicate.DeliveryResult{missing}); syndicate.ErrorCode(err) != syndicate.ENOTFOUND {
		t.Errorf("finishing a missing row: %v, want ENOTFOUND", err)
	}
	// A missing row fails the whole group.
	withMissing := []syndicate.DeliveryResult{{Key: keys[0], Status: syndicate.StatusFailed}, missing}
	if err := st.FinishDeliveries(ctx, withMissing); syndicate.ErrorCode(err) != syndicate.ENOTFOUND {
		t.Errorf("finishing a group with a missing row: %v, want ENOTFOUND", err)
	}
	// A key given twice takes its last result.
	twice := []syndicate.DeliveryResult{
		{Key: keys[0], Status: syndicate.StatusQueued, Error: "first"},
		{Key: keys[1], Status: syndicate.StatusSent, RemoteID: "m1@x"},
		{Key: keys[0], Status: syndicate.StatusSent, RemoteID: "m0@x"},
	}
	if err := st.FinishDeliveries(ctx, twice); err != nil {
		t.Fatal(err)
	}
	ds, err = st.Deliveries(ctx, "a1")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.Subscriber == keys[0].Subscriber && (d.Status != syndicate.StatusSent || d.RemoteID != "m0@x" || d.Error != "") {
			t.Errorf("row given twice: %+v, want the last result (sent, m0@x)", d)
		}
	}
	mixed := []syndicate.DeliveryKey{keys[0], {Item: "a2", Channel: syndicate.ChannelEmail, Subscriber: "x@example.com"}}
	if _, err := st.BeginDeliveries(ctx, mixed); syndicate.ErrorCode(err) != syndicate.EINVALID {
		t.Errorf("begin across items: %v, want EINVALID", err)
	}
}

// TestSubscribersByEmail reads many subscribers in one call, matched by
// address key; unknown addresses are absent.
func TestSubscribersByEmail(t *testing.T) {
	st, _, _ := openTest(t)
	ctx := context.Background()
	var emails []string
	for i := range 600 { // more than one chunk
		e := fmt.Sprintf("s%03d@example.com", i)
		if _, _, err := st.UpsertSubscriber(ctx, syndicate.Subscriber{Email: e, Name: fmt.Sprint(i), Frequency: syndicate.Instant}); err != nil {
			t.Fatal(err)
		}
		emails = append(emails, e)
	}
	got, err := st.SubscribersByEmail(ctx, append([]string{"S001@EXAMPLE.com", "ghost@example.com"}, emails[2:]...))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 599 {
		t.Errorf("got %d subscribers, want 599", len(got))
	}
	if s, ok := got[syndicate.EmailKey("s001@example.com")]; !ok || s.Name != "1" {
		t.Errorf("s001: %+v, %v", s, ok)
	}
	if _, ok := got[syndicate.EmailKey("ghost@example.com")]; ok {
		t.Error("an unknown address was found")
	}
}
