// Package bounce turns bounces and complaints from every source (provider
// webhooks, delivery status notifications, feedback-loop reports) into one
// Event, and applies each through the Processor: a hard bounce suppresses
// the address and marks the subscriber bounced, soft bounces are counted
// and suppress the address after Processor.SoftLimit in SoftWindow, and a
// complaint unsubscribes and suppresses it. The delivery's ledger row
// records the outcome. Applying the same event twice changes nothing more.
package bounce

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"syndicate"
	"syndicate/signed"
)

// Kind is what happened to a message.
type Kind string

// The kinds of event.
const (
	Hard      Kind = "hard"      // the address does not exist or refuses mail for good
	Soft      Kind = "soft"      // a passing failure: mailbox full, server busy, greylisted
	Complaint Kind = "complaint" // the recipient marked the message as spam
)

// Event is one bounce or complaint, from whatever source.
type Event struct {
	Kind Kind
	// Address is the recipient the source names; may be empty when the
	// message is matched by Token or MessageID.
	Address string
	// MessageID is the Message-ID of the email it is about, without angle
	// brackets; empty if the source does not give it.
	MessageID string
	// Token is the VERP token of the return path the report came back to
	// (see signed.VERPToken); empty if none.
	Token string
	// Provider names the source: ses, postmark, sendgrid, mailgun, dsn, arf.
	Provider string
	// ID is the provider's own ID of the event, if it has one; events with
	// the same provider and ID are one event.
	ID string
	// Diagnostic is the remote server's reply or the provider's
	// description; Code its enhanced status code (RFC 3463: "5.1.1").
	Diagnostic string
	Code       string
	// Time is when the provider saw it; zero means when it is processed.
	Time time.Time
	// Verified says the source proved who sent the event (a webhook whose
	// signature checked). An unverified event (any mail to the bounce
	// mailbox) is applied only when it matches a delivery in the ledger,
	// so a forged report cannot suppress an address we never mailed.
	Verified bool
}

// The stores the Processor uses; *store.Store satisfies all of them.
type (
	// Ledger finds the delivery an event is about and records its outcome.
	Ledger interface {
		DeliveryByID(ctx context.Context, id int64) (syndicate.Delivery, error)
		DeliveryByMessageID(ctx context.Context, messageID string) (syndicate.Delivery, error)
		RecordDeliveryOutcome(ctx context.Context, id int64, status syndicate.DeliveryStatus, note string) (bool, error)
	}
	// Events keeps each event once and counts them.
	Events interface {
		RecordBounce(ctx context.Context, b syndicate.Bounce) (applied bool, err error)
		MarkBounceApplied(ctx context.Context, key string) error
		CountBounces(ctx context.Context, email, kind string, since time.Time) (int, error)
	}
	// Suppressor suppresses addresses and changes subscribers' status.
	Suppressor interface {
		AddSuppression(ctx context.Context, s syndicate.Suppression) (bool, error)
		SetSubscriberStatus(ctx context.Context, email string, st syndicate.SubscriberStatus) error
	}
	// Store is all three.
	Store interface {
		Ledger
		Events
		Suppressor
	}
)

// Defaults of the soft-bounce rule.
const (
	DefaultSoftLimit  = 3
	DefaultSoftWindow = 7 * 24 * time.Hour
)

// Processor applies events. Zero fields take the defaults.
type Processor struct {
	Store Store
	// Secret checks VERP tokens (the key of signed links); empty means a
	// token never verifies and only the Message-ID matches.
	Secret string
	// SoftLimit soft bounces within SoftWindow suppress the address.
	SoftLimit  int
	SoftWindow time.Duration
	Now        func() time.Time
	Log        *slog.Logger
}

// Outcome says what Process did.
type Outcome string

// The outcomes of Process.
const (
	Suppressed   Outcome = "suppressed"   // the address is now on the suppression list
	Counted      Outcome = "counted"      // a soft bounce, counted; not yet suppressed
	Duplicate    Outcome = "duplicate"    // this event was applied before; nothing changed
	Unsubscribed Outcome = "unsubscribed" // a complaint: unsubscribed and suppressed
)

// Result is what Process did with one event.
type Result struct {
	Outcome Outcome
	Address string // the address it applied to
	// Delivery is the ledger row the event matched; 0 if none.
	Delivery int64
}

// ErrUnmatched is returned (wrapped in an EINVALID error) for an event
// that names no address, or an unverified one that matches no delivery.
var ErrUnmatched = errors.New("it matches no email we sent (by VERP return path or Message-ID)")

func (p *Processor) now() time.Time {
	if p.Now != nil {
		return p.Now().UTC()
	}
	return time.Now().UTC()
}

func (p *Processor) log() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Process applies e: it finds the delivery (by VERP token, then by
// Message-ID), records the event once, and carries out its outcome. The
// steps after recording are each idempotent and the event is marked
// applied only after all of them, so an error part-way is safe to retry
// with the same event, and a replay of an applied event does nothing.
func (p *Processor) Process(ctx context.Context, e Event) (Result, error) {
	switch e.Kind {
	case Hard, Soft, Complaint:
	default:
		return Result{}, syndicate.Errorf(syndicate.EINVALID, "bounce kind %q is not hard, soft or complaint", e.Kind)
	}
	d, err := p.match(ctx, e)
	if err != nil {
		return Result{}, err
	}
	addr := e.Address
	if d.ID != 0 {
		// The ledger knows whom it mailed; a report may name a forwarding
		// address instead.
		addr = d.Subscriber
	} else if !e.Verified {
		return Result{}, syndicate.Errorf(syndicate.EINVALID, "%s: %v", describe(e), ErrUnmatched)
	}
	if n, err := syndicate.NormalizeEmail(addr); err == nil {
		addr = n
	} else {
		return Result{}, syndicate.Errorf(syndicate.EINVALID, "%s: the recipient %q is not an address: %v", describe(e), addr, ErrUnmatched)
	}
	at := e.Time
	if at.IsZero() || at.After(p.now().Add(time.Hour)) {
		at = p.now()
	}
	rec := syndicate.Bounce{Key: eventKey(e, addr, at), Email: addr, Kind: string(e.Kind), Provider: e.Provider,
		DeliveryID: d.ID, Diagnostic: diagnostic(e), At: at}
	applied, err := p.Store.RecordBounce(ctx, rec)
	if err != nil {
		return Result{}, err
	}
	res := Result{Address: addr, Delivery: d.ID, Outcome: Duplicate}
	if applied {
		return res, nil
	}
	if res.Outcome, err = p.apply(ctx, e, rec); err != nil {
		return Result{}, err
	}
	if err := p.Store.MarkBounceApplied(ctx, rec.Key); err != nil {
		return Result{}, err
	}
	p.log().Info("bounce applied", "kind", e.Kind, "provider", e.Provider, "delivery", d.ID, "outcome", res.Outcome)
	return res, nil
}

// match returns the ledger row e is about, or the zero Delivery.
func (p *Processor) match(ctx context.Context, e Event) (syndicate.Delivery, error) {
	if e.Token != "" {
		id, err := signed.VerifyVERP(p.Secret, e.Token)
		if err != nil {
			return syndicate.Delivery{}, syndicate.Errorf(syndicate.EINVALID, "%s: the return path's token is not one we made", describe(e))
		}
		d, err := p.Store.DeliveryByID(ctx, id)
		if err == nil {
			return d, nil
		}
		if syndicate.ErrorCode(err) != syndicate.ENOTFOUND {
			return syndicate.Delivery{}, err
		}
	}
	if e.MessageID != "" {
		d, err := p.Store.DeliveryByMessageID(ctx, e.MessageID)
		if err == nil {
			return d, nil
		}
		if syndicate.ErrorCode(err) != syndicate.ENOTFOUND {
			return syndicate.Delivery{}, err
		}
	}
	return syndicate.Delivery{}, nil
}

// apply carries out the outcome of the recorded event r.
func (p *Processor) apply(ctx context.Context, e Event, r syndicate.Bounce) (Outcome, error) {
	var (
		status  syndicate.DeliveryStatus
		outcome Outcome
		reason  syndicate.SuppressionReason
		subSt   syndicate.SubscriberStatus
	)
	switch e.Kind {
	case Hard:
		status, outcome, reason, subSt = syndicate.StatusBounced, Suppressed, syndicate.SuppressedBounced, syndicate.SubscriberBounced
	case Complaint:
		status, outcome, reason, subSt = syndicate.StatusComplained, Unsubscribed, syndicate.SuppressedComplained, syndicate.SubscriberUnsubscribed
	case Soft:
		status, outcome = syndicate.StatusSoftBounced, Counted
		limit, window := p.SoftLimit, p.SoftWindow
		if limit <= 0 {
			limit = DefaultSoftLimit
		}
		if window <= 0 {
			window = DefaultSoftWindow
		}
		n, err := p.Store.CountBounces(ctx, r.Email, string(Soft), p.now().Add(-window))
		if err != nil {
			return "", err
		}
		if n >= limit {
			outcome, reason, subSt = Suppressed, syndicate.SuppressedBounced, syndicate.SubscriberBounced
			r.Diagnostic = fmt.Sprintf("%d soft bounces in %s; the last: %s", n, window, r.Diagnostic)
		}
	}
	if r.DeliveryID != 0 {
		if _, err := p.Store.RecordDeliveryOutcome(ctx, r.DeliveryID, status, r.Diagnostic); err != nil {
			return "", err
		}
	}
	if reason == "" {
		return outcome, nil
	}
	if _, err := p.Store.AddSuppression(ctx, syndicate.Suppression{Email: r.Email, Reason: reason, Detail: r.Provider + ": " + r.Diagnostic, CreatedAt: r.At}); err != nil {
		return "", err
	}
	if err := p.Store.SetSubscriberStatus(ctx, r.Email, subSt); err != nil && syndicate.ErrorCode(err) != syndicate.ENOTFOUND {
		return "", err
	}
	return outcome, nil
}

// eventKey identifies e: the provider's own ID when it gives one, else a
// digest of what the event says, so the same report read twice is one.
func eventKey(e Event, addr string, at time.Time) string {
	if e.ID != "" {
		return e.Provider + ":" + e.ID
	}
	sum := sha256.Sum256([]byte(strings.Join([]string{e.Provider, string(e.Kind), syndicate.EmailKey(addr),
		strings.ToLower(e.MessageID), strings.ToLower(e.Token), at.UTC().Format(time.RFC3339)}, "\x00")))
	return e.Provider + ":" + hex.EncodeToString(sum[:16])
}

// diagnostic is what the ledger and the suppression list say of e, bounded.
func diagnostic(e Event) string {
	s := strings.TrimSpace(e.Diagnostic)
	if e.Code != "" && !strings.Contains(s, e.Code) {
		s = strings.TrimSpace(e.Code + " " + s)
	}
	if s == "" {
		s = string(e.Kind) + " bounce"
		if e.Kind == Complaint {
			s = "spam complaint"
		}
	}
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) > 500 {
		s = strings.ToValidUTF8(s[:500], "") + "…"
	}
	return s
}

// describe names e for errors.
func describe(e Event) string {
	what := string(e.Kind) + " bounce"
	if e.Kind == Complaint {
		what = "complaint"
	}
	if e.Address != "" {
		what += " of " + e.Address
	}
	return fmt.Sprintf("the %s %s", e.Provider, what)
}
