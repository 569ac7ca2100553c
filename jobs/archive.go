package jobs

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"syndicate"
	"syndicate/templates"
)

// Archiver keeps the public copies of sent emails (the archive).
type Archiver interface {
	// SaveArchivedEmail stores e unless a copy with its ID is kept already.
	SaveArchivedEmail(ctx context.Context, e syndicate.ArchivedEmail) error
}

// archive keeps the hosted copy of the email of item, before its fan-out
// queues the first batch so the "view in browser" link works when the
// email arrives. The copy is rendered with no subscriber: no address, no
// unsubscribe token, no preferences link. It does nothing with Archive
// off or a store that keeps no archive.
func (h *Handler) archive(ctx context.Context, item string, freq syndicate.Frequency, arts []syndicate.Article) error {
	ar, ok := h.Store.(Archiver)
	if !ok || !h.archiving() || len(arts) == 0 {
		return nil
	}
	now := h.now()
	e, err := h.Templates.RenderEmail(templates.EmailData{
		Brand:        h.Brand,
		Frequency:    freq,
		Articles:     arts,
		Date:         now,
		FullContent:  h.FullContent,
		SubscribeURL: strings.TrimRight(h.Brand.BaseURL, "/") + "/subscribe",
	})
	if err != nil {
		return fmt.Errorf("render the archive copy of %s: %w", item, err)
	}
	if err := ar.SaveArchivedEmail(ctx, syndicate.ArchivedEmail{
		ID: item, Frequency: freq, Subject: e.Subject, Summary: strings.Join(strings.Fields(arts[0].Summary), " "), HTML: e.HTML, SentAt: now,
	}); err != nil {
		return fmt.Errorf("archive %s: %w", item, err)
	}
	return nil
}

// archiving reports whether sent emails get a public copy: the archive
// is on, the store keeps one, and there is a public URL to show it at.
func (h *Handler) archiving() bool {
	_, ok := h.Store.(Archiver)
	return h.Archive && ok && h.Brand.BaseURL != ""
}

// viewURL is the hosted copy of item's email, or "" when not archiving.
func (h *Handler) viewURL(item string) string {
	if !h.archiving() {
		return ""
	}
	return ArchiveURL(h.Brand.BaseURL, item)
}

// ArchiveURL is the public page of one archived email under base.
func ArchiveURL(base, item string) string {
	return strings.TrimRight(base, "/") + "/archive/" + url.PathEscape(item)
}
