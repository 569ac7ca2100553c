package store_test

import (
	"fmt"
	"testing"
	"time"

	"syndicate"
)

func TestSuppressionList(t *testing.T) {
	s, _, _ := openTest(t)
	ctx := t.Context()
	added, err := s.AddSuppression(ctx, syndicate.Suppression{Email: "Ann@Example.COM", Reason: syndicate.SuppressedBounced, Detail: "5.1.1"})
	if err != nil || !added {
		t.Fatalf("AddSuppression = %v, %v", added, err)
	}
	// The first reason stays; the address is one however it is written.
	if added, err := s.AddSuppression(ctx, syndicate.Suppression{Email: "ann@example.com", Reason: syndicate.SuppressedManual}); err != nil || added {
		t.Errorf("second AddSuppression = %v, %v; want not added", added, err)
	}
	sup, err := s.Suppression(ctx, "ANN@example.com")
	if err != nil || sup.Reason != syndicate.SuppressedBounced || sup.Email != "Ann@example.com" || !sup.CreatedAt.Equal(t0) {
		t.Errorf("Suppression = %+v, %v", sup, err)
	}
	if _, err := s.AddSuppression(ctx, syndicate.Suppression{Email: "not an address"}); syndicate.ErrorCode(err) != syndicate.EINVALID {
		t.Errorf("bad address: %v", err)
	}
	if _, err := s.AddSuppression(ctx, syndicate.Suppression{Email: "b@example.com", Reason: "bored"}); syndicate.ErrorCode(err) != syndicate.EINVALID {
		t.Errorf("bad reason: %v", err)
	}
	// A batch with one bad address adds none.
	if _, err := s.AddSuppressions(ctx, []syndicate.Suppression{{Email: "c@example.com"}, {Email: "@"}}); err == nil {
		t.Error("a batch with a bad address was accepted")
	}
	var batch []syndicate.Suppression
	for i := range 1203 {
		batch = append(batch, syndicate.Suppression{Email: fmt.Sprintf("r%04d@example.com", i), CreatedAt: t0.Add(-time.Duration(i) * time.Hour)})
	}
	if n, err := s.AddSuppressions(ctx, batch); err != nil || n != 1203 {
		t.Fatalf("AddSuppressions = %d, %v", n, err)
	}
	var all []syndicate.Suppression
	for after := ""; ; {
		page, err := s.ListSuppressions(ctx, after, 500)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if len(page) < 500 {
			break
		}
		after = page[len(page)-1].Email
	}
	if len(all) != 1204 || all[0].Email != "Ann@example.com" || all[1].Email != "r0000@example.com" {
		t.Errorf("listed %d, first %v", len(all), all[:2])
	}
	among, err := s.SuppressedAmong(ctx, []string{"R0007@example.com", "nobody@example.com", "ann@example.com"})
	if err != nil || len(among) != 2 || among["r0007@example.com"].Reason != syndicate.SuppressedManual || among["ann@example.com"].Reason != syndicate.SuppressedBounced {
		t.Errorf("SuppressedAmong = %v, %v", among, err)
	}
	if err := s.RemoveSuppression(ctx, "ann@EXAMPLE.com"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.RemoveSuppression(ctx, "ann@example.com"), syndicate.ENOTFOUND)
	_, err = s.Suppression(ctx, "ann@example.com")
	wantCode(t, err, syndicate.ENOTFOUND)
}

func TestDeliveryOutcomesAndComplaintRate(t *testing.T) {
	s, _, _ := openTest(t)
	ctx := t.Context()
	for i, st := range []syndicate.DeliveryStatus{syndicate.StatusSent, syndicate.StatusSent, syndicate.StatusFailed, syndicate.StatusSent} {
		key := syndicate.DeliveryKey{Item: "a_1", Channel: syndicate.ChannelEmail, Subscriber: fmt.Sprintf("r%d@example.com", i)}
		if _, err := s.BeginDelivery(ctx, key); err != nil {
			t.Fatal(err)
		}
		if err := s.FinishDelivery(ctx, key, st, fmt.Sprintf("m%d@example.org", i), ""); err != nil {
			t.Fatal(err)
		}
	}
	d, err := s.DeliveryByMessageID(ctx, "<m0@example.org>")
	if err != nil || d.Subscriber != "r0@example.com" {
		t.Fatalf("DeliveryByMessageID = %+v, %v", d, err)
	}
	if got, err := s.DeliveryByID(ctx, d.ID); err != nil || got != d {
		t.Errorf("DeliveryByID = %+v, %v", got, err)
	}
	for _, mid := range []string{"nobody@example.org", "", fmt.Sprintf("%032x.%d@example.org", 0, d.ID)} {
		_, err = s.DeliveryByMessageID(ctx, mid)
		wantCode(t, err, syndicate.ENOTFOUND)
	}
	// Outcomes only move up: soft, then hard, then complaint; never back.
	for _, c := range []struct {
		st      syndicate.DeliveryStatus
		changed bool
	}{
		{syndicate.StatusSoftBounced, true}, {syndicate.StatusSoftBounced, false}, {syndicate.StatusBounced, true},
		{syndicate.StatusSoftBounced, false}, {syndicate.StatusComplained, true}, {syndicate.StatusBounced, false},
	} {
		changed, err := s.RecordDeliveryOutcome(ctx, d.ID, c.st, "note")
		if err != nil || changed != c.changed {
			t.Errorf("RecordDeliveryOutcome(%s) = %v, %v; want %v", c.st, changed, err, c.changed)
		}
	}
	failed, err := s.DeliveryByMessageID(ctx, "m2@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if changed, err := s.RecordDeliveryOutcome(ctx, failed.ID, syndicate.StatusBounced, "x"); err != nil || changed {
		t.Errorf("a failed row took an outcome: %v, %v", changed, err)
	}
	if _, err := s.RecordDeliveryOutcome(ctx, d.ID, syndicate.StatusSent, ""); syndicate.ErrorCode(err) != syndicate.EINVALID {
		t.Errorf("sent is no outcome: %v", err)
	}
	if _, err := s.RecordBounce(ctx, syndicate.Bounce{Key: "k1", Email: "r0@example.com", Kind: "complaint", At: t0}); err != nil {
		t.Fatal(err)
	}
	complaints, sent, err := s.ComplaintRate(ctx, t0.Add(-time.Hour))
	if err != nil || complaints != 1 || sent != 3 {
		t.Errorf("ComplaintRate = %d of %d, %v; want 1 of 3 (the failed row was not sent)", complaints, sent, err)
	}
	if complaints, sent, err := s.ComplaintRate(ctx, t0.Add(time.Hour)); err != nil || complaints != 0 || sent != 0 {
		t.Errorf("ComplaintRate after now = %d of %d, %v", complaints, sent, err)
	}
	// A Message-ID that carries its row's ID is read by that ID, and must be
	// the one the row recorded.
	key := syndicate.DeliveryKey{Item: "a_2", Channel: syndicate.ChannelEmail, Subscriber: "r0@example.com"}
	row, err := s.BeginDelivery(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	mid := fmt.Sprintf("%032x.%d@example.org", 7, row.ID)
	if err := s.FinishDelivery(ctx, key, syndicate.StatusSent, mid, ""); err != nil {
		t.Fatal(err)
	}
	if got, err := s.DeliveryByMessageID(ctx, "<"+mid+">"); err != nil || got.ID != row.ID {
		t.Errorf("DeliveryByMessageID(%s) = %+v, %v; want row %d", mid, got, err, row.ID)
	}
	for _, forged := range []string{
		fmt.Sprintf("%032x.%d@example.org", 8, row.ID),  // another hash
		fmt.Sprintf("%032x.0%d@example.org", 7, row.ID), // the number written otherwise
		fmt.Sprintf("%032x.%d@example.org", 7, d.ID),    // another row's number
		fmt.Sprintf("%032x.99999999999999999999@example.org", 7),
	} {
		_, err = s.DeliveryByMessageID(ctx, forged)
		wantCode(t, err, syndicate.ENOTFOUND)
	}
}
