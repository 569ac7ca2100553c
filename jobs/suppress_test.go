package jobs_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"syndicate"
	"syndicate/jobs"
	"syndicate/signed"
)

// TestSuppressedAddressIsNeverMailed: an address on the suppression list
// is skipped even though its subscriber row says active; the others go
// out with a VERP return path naming their ledger row; an address refused
// during the send lands on the list.
func TestSuppressedAddressIsNeverMailed(t *testing.T) {
	f := newFixture(t, 3)
	ctx := context.Background()
	f.h.VERPDomain = "bounces.news.example.com"
	mailer := &fakeMailer{fail: func(m syndicate.Message, _ int) error {
		if m.To == "r03@example.com" {
			return &syndicate.SendError{Outcome: syndicate.Bounced, Code: 550, Message: "5.1.1 no such user"}
		}
		return nil
	}}
	f.h.Mailer = mailer
	if _, err := f.st.AddSuppression(ctx, syndicate.Suppression{Email: "R02@example.com", Reason: syndicate.SuppressedManual}); err != nil {
		t.Fatal(err)
	}
	emails := []string{"r01@example.com", "r02@example.com", "r03@example.com"}
	task, _ := jobs.NewEmailBatchTask(f.art.ID, syndicate.Instant, []string{f.art.ID}, 0, emails, 3)
	if err := handle(f.h, task); err != nil {
		t.Fatal(err)
	}
	if got := mailer.byRecipient(); len(got["r02@example.com"]) != 0 || len(got["r01@example.com"]) != 1 {
		t.Fatalf("mailed %v; want r01 once and r02 never", got)
	}
	ds, err := f.st.Deliveries(ctx, f.art.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		switch d.Subscriber {
		case "r02@example.com":
			if d.Status != syndicate.StatusSkipped || !strings.Contains(d.Error, "suppression list") {
				t.Errorf("suppressed row: %s %q", d.Status, d.Error)
			}
		case "r01@example.com":
			mailer.mu.Lock()
			rp := mailer.sent[0].ReturnPath
			mailer.mu.Unlock()
			id, err := signed.VerifyVERP(f.h.Secret, signed.VERPTokenOf(rp))
			if err != nil || id != d.ID || !strings.HasSuffix(rp, "@bounces.news.example.com") {
				t.Errorf("return path %q names row %d, %v; want row %d", rp, id, err, d.ID)
			}
		}
	}
	if sup, err := f.st.Suppression(ctx, "r03@example.com"); err != nil || sup.Reason != syndicate.SuppressedBounced {
		t.Errorf("address refused during the send: suppression %+v, %v", sup, err)
	}
}

// TestSuppressedAddressGetsNoConfirmation: signing up again with an
// address on the list sends no confirmation email.
func TestSuppressedAddressGetsNoConfirmation(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	mailer := &fakeMailer{}
	f.h.Mailer = mailer
	if _, err := f.st.AddSuppression(ctx, syndicate.Suppression{Email: "ann@example.com", Reason: syndicate.SuppressedComplained}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.st.SignUp(ctx, syndicate.Subscriber{Email: "ann@example.com"}); err != nil {
		t.Fatal(err)
	}
	task, _ := jobs.NewConfirmTask("ann@example.com", time.Now(), 3)
	if err := handle(f.h, task); err != nil {
		t.Fatal(err)
	}
	if n := len(mailer.byRecipient()["ann@example.com"]); n != 0 {
		t.Errorf("a suppressed address got %d confirmation emails", n)
	}
}
