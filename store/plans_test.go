package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"syndicate"
)

// TestPlanBatches: a fan-out's planned batches count as queued email
// deliveries everywhere the ledger is read, until each batch begins and
// makes its rows (queued, keeping the time they were planned), or an
// editor cancels them first and they come out cancelled.
func TestPlanBatches(t *testing.T) {
	st, clock, _ := openTest(t)
	ctx := context.Background()
	b0 := []string{"Reader2@Example.COM", "reader0@example.com", "reader1@example.com"}
	b1 := []string{"reader5@example.com", "reader4@example.com"}
	plans := []syndicate.EmailPlan{{Item: "i1", Bucket: 0, Emails: b0}, {Item: "i1", Bucket: 1, Emails: b1}}
	if err := st.PlanBatches(ctx, plans); err != nil {
		t.Fatal(err)
	}
	planned := clock.Now()
	clock.Set(planned.Add(time.Minute))
	// Planned again (the fan-out ran twice): the first plan stays.
	if err := st.PlanBatches(ctx, []syndicate.EmailPlan{{Item: "i1", Bucket: 0, Emails: []string{"other@example.com"}}}); err != nil {
		t.Fatal(err)
	}
	if got, err := st.PlannedEmails(ctx, "i1", 0); err != nil || fmt.Sprint(got) != fmt.Sprint(b0) {
		t.Errorf("PlannedEmails(0) = %v, %v; want the first plan %v", got, err, b0)
	}

	wantCounts := func(when string, queued, cancelled int) {
		t.Helper()
		counts, err := st.DeliveryCounts(ctx, "i1")
		if err != nil {
			t.Fatal(err)
		}
		em := counts[syndicate.ChannelEmail]
		if em[syndicate.StatusQueued] != queued || em[syndicate.StatusCancelled] != cancelled {
			t.Errorf("%s: DeliveryCounts = %v, want %d queued and %d cancelled", when, counts, queued, cancelled)
		}
		items, err := st.ItemCounts(ctx, []string{"i1"})
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(items["i1"]) != fmt.Sprint(counts) {
			t.Errorf("%s: ItemCounts = %v, want %v", when, items["i1"], counts)
		}
		un, _, err := st.UnfinishedDeliveries(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if un[syndicate.ChannelEmail][syndicate.StatusQueued] != queued {
			t.Errorf("%s: UnfinishedDeliveries = %v, want %d queued emails", when, un, queued)
		}
		ps, err := st.UnfinishedItems(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, p := range ps {
			if p.Item == "i1" {
				n = p.Unfinished
			}
		}
		if want := queued + em[syndicate.StatusSending]; n != want {
			t.Errorf("%s: UnfinishedItems = %+v, want i1 with %d", when, ps, want)
		}
	}
	wantCounts("planned", 5, 0)
	ds, err := st.Deliveries(ctx, "i1")
	if err != nil {
		t.Fatal(err)
	}
	var subs []string
	for _, d := range ds {
		subs = append(subs, syndicate.EmailKey(d.Subscriber))
		if d.ID != 0 || d.Status != syndicate.StatusQueued || !d.CreatedAt.Equal(planned) {
			t.Errorf("planned delivery %+v, want queued, without an ID, created %v", d, planned)
		}
	}
	if want := "[reader0@example.com reader1@example.com reader2@example.com reader4@example.com reader5@example.com]"; fmt.Sprint(subs) != want {
		t.Errorf("Deliveries = %v, want %v", subs, want)
	}
	review, err := st.DeliveriesToReview(ctx, "i1", 2)
	if err != nil || len(review) != 2 || syndicate.EmailKey(review[0].Subscriber) != "reader0@example.com" || review[1].Status != syndicate.StatusQueued {
		t.Errorf("DeliveriesToReview(2) = %+v, %v; want the first two planned emails, queued", review, err)
	}
	stalled, err := st.StalledPlans(ctx, "", planned)
	if err != nil || len(stalled) != 0 {
		t.Errorf("StalledPlans before they were planned = %v, %v; want none", stalled, err)
	}

	// Batch 0 begins with its first chunk (two of its three): its rows
	// are made, the chunk's sending, created when planned.
	keys := make([]syndicate.DeliveryKey, len(b0))
	for i, e := range b0 {
		keys[i] = syndicate.DeliveryKey{Item: "i1", Channel: syndicate.ChannelEmail, Subscriber: e}
	}
	clock.Set(planned.Add(2 * time.Minute))
	before, err := st.BeginPlan(ctx, "i1", 0, keys[:2])
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range before {
		if d.ID == 0 || d.Subscriber != b0[i] || d.Status != syndicate.StatusQueued || d.Attempts != 0 || !d.CreatedAt.Equal(planned) {
			t.Errorf("before of %s: %+v, want its new row as it was: queued, never tried, created %v", b0[i], d, planned)
		}
	}
	wantCounts("batch 0 begun", 3, 0)
	if got, err := st.PlannedEmails(ctx, "i1", 0); err != nil || len(got) != 0 {
		t.Errorf("PlannedEmails of a begun batch = %v, %v; want none", got, err)
	}
	rows, err := st.Deliveries(ctx, "i1")
	if err != nil {
		t.Fatal(err)
	}
	row := map[string]syndicate.Delivery{}
	for _, d := range rows {
		row[syndicate.EmailKey(d.Subscriber)] = d
	}
	for i, k := range keys {
		d := row[syndicate.EmailKey(k.Subscriber)]
		want, attempts := syndicate.StatusSending, 1
		if i == 2 {
			want, attempts = syndicate.StatusQueued, 0
		}
		if d.Status != want || d.Attempts != attempts || !d.CreatedAt.Equal(planned) || !d.UpdatedAt.Equal(clock.Now()) {
			t.Errorf("row of %s: %+v, want %s after %d attempts, created %v", k.Subscriber, d, want, attempts, planned)
		}
	}
	if err := st.FinishDeliveries(ctx, []syndicate.DeliveryResult{{Key: keys[0], Status: syndicate.StatusSent, RemoteID: "m@x"}}); err != nil {
		t.Fatal(err)
	}
	// The second chunk, and the first again (the task retried): the plan
	// is begun, so they are begun as BeginDeliveries would.
	if before, err := st.BeginPlan(ctx, "i1", 0, keys[2:]); err != nil || before[0].Status != syndicate.StatusQueued || before[0].ID == 0 {
		t.Errorf("BeginPlan of the second chunk = %+v, %v; want its queued row", before, err)
	}
	if before, err := st.BeginPlan(ctx, "i1", 0, keys[:2]); err != nil || before[0].Status != syndicate.StatusSent || before[1].Status != syndicate.StatusSending {
		t.Errorf("BeginPlan of the first chunk again = %+v, %v; want sent and sending", before, err)
	}
	counts, _ := st.DeliveryCounts(ctx, "i1")
	if em := counts[syndicate.ChannelEmail]; em[syndicate.StatusSent] != 1 || em[syndicate.StatusSending] != 2 || em[syndicate.StatusQueued] != 2 {
		t.Errorf("after the second chunk: %v, want 1 sent, 2 sending, 2 queued", counts)
	}
	stalled, err = st.StalledPlans(ctx, "", clock.Now())
	if err != nil || len(stalled) != 1 || stalled[0].Bucket != 1 || !stalled[0].CreatedAt.Equal(planned) {
		t.Errorf("StalledPlans = %+v, %v; want batch 1 alone", stalled, err)
	}
	k9 := syndicate.DeliveryKey{Item: "i1", Channel: syndicate.ChannelEmail, Subscriber: "reader9@example.com"}
	if before, err := st.BeginPlan(ctx, "i1", 7, []syndicate.DeliveryKey{k9}); err != nil || before[0].Status != syndicate.StatusQueued || before[0].ID == 0 {
		t.Errorf("BeginPlan of a batch never planned = %+v, %v; want its row made and begun", before, err)
	}

	// An editor cancels: batch 1's emails are cancelled, and its rows are
	// made cancelled when its task comes.
	n, err := st.CancelPlans(ctx, "i1")
	if err != nil || n != len(b1) {
		t.Errorf("CancelPlans = %d, %v; want %d", n, err, len(b1))
	}
	if n, err := st.CancelPlans(ctx, "i1"); err != nil || n != 0 {
		t.Errorf("CancelPlans again = %d, %v; want 0", n, err)
	}
	counts, _ = st.DeliveryCounts(ctx, "i1")
	if em := counts[syndicate.ChannelEmail]; em[syndicate.StatusCancelled] != 2 || em[syndicate.StatusQueued] != 0 {
		t.Errorf("after CancelPlans: %v, want 2 cancelled, none queued", counts)
	}
	if un, _, _ := st.UnfinishedDeliveries(ctx); un[syndicate.ChannelEmail][syndicate.StatusQueued] != 0 {
		t.Errorf("a cancelled plan is unfinished: %v", un)
	}
	if stalled, _ := st.StalledPlans(ctx, "", clock.Now()); len(stalled) != 0 {
		t.Errorf("a cancelled plan is stalled: %+v", stalled)
	}
	k4 := syndicate.DeliveryKey{Item: "i1", Channel: syndicate.ChannelEmail, Subscriber: "reader4@example.com"}
	before, err = st.BeginPlan(ctx, "i1", 1, []syndicate.DeliveryKey{k4})
	if err != nil || before[0].Status != syndicate.StatusCancelled || before[0].ID == 0 {
		t.Errorf("row of a cancelled plan %+v, %v; want a cancelled row", before, err)
	}
	counts, _ = st.DeliveryCounts(ctx, "i1")
	if em := counts[syndicate.ChannelEmail]; em[syndicate.StatusCancelled] != 2 || em[syndicate.StatusSending] != 3 {
		t.Errorf("after the cancelled batch began: %v, want 2 cancelled (counted once)", counts)
	}

	if err := st.PlanBatches(ctx, []syndicate.EmailPlan{{Item: "i1", Bucket: 3}}); syndicate.ErrorCode(err) != syndicate.EINVALID {
		t.Errorf("a plan without addresses: %v, want EINVALID", err)
	}
}

// TestSubscriberAddresses: a fan-out page is the active subscribers of one
// frequency, in ID order, with their addresses.
func TestSubscriberAddresses(t *testing.T) {
	st, _, _ := openTest(t)
	ctx := context.Background()
	var active []string
	for i := range 9 {
		e := fmt.Sprintf("Reader%d@Example.COM", i)
		freq := syndicate.Instant
		if i == 4 {
			freq = syndicate.Daily // another frequency
		}
		if _, _, err := st.UpsertSubscriber(ctx, syndicate.Subscriber{Email: e, Frequency: freq}); err != nil {
			t.Fatal(err)
		}
		if i == 6 {
			if err := st.SetSubscriberStatus(ctx, e, syndicate.SubscriberUnsubscribed); err != nil {
				t.Fatal(err)
			}
		}
		if i != 4 && i != 6 {
			active = append(active, syndicate.EmailKey(e))
		}
	}
	var got []string
	var after int64
	for {
		page, err := st.SubscriberAddresses(ctx, syndicate.Instant, after, 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range page {
			if s.ID <= after {
				t.Errorf("subscriber %d after %d: not in ID order", s.ID, after)
			}
			got = append(got, syndicate.EmailKey(s.Email))
			after = s.ID
		}
		if len(page) < 3 {
			break
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(active) {
		t.Errorf("pages %v, want %v", got, active)
	}
	if _, err := st.SubscriberAddresses(ctx, syndicate.Instant, 0, 0); syndicate.ErrorCode(err) != syndicate.EINVALID {
		t.Errorf("page size 0: %v, want EINVALID", err)
	}
}
