package webhook

import (
	"context"
	"fmt"
	"net/http"
)

// TargetCheck is what one target answered to Check.
type TargetCheck struct {
	Name   string // "target 2 (hooks.slack.com)": never the token-bearing path
	Status int    // the HTTP status; 0 when there was no answer
	Err    error  // no answer, or an answer that says the URL is wrong
}

// Check asks each target whether it is there with a HEAD request, through
// the same guarded transport as the posts, and posts nothing. Any answer
// means reachable (receivers that only take POST say 405), except 404 and
// 410, which say the URL (its token) is not known there, and a 5xx.
func (c *Client) Check(ctx context.Context) []TargetCheck {
	out := make([]TargetCheck, 0, len(c.targets))
	for _, t := range c.targets {
		tc := TargetCheck{Name: t.name}
		req, err := http.NewRequestWithContext(ctx, http.MethodHead, t.key, nil)
		if err != nil {
			tc.Err = fmt.Errorf("%s: the URL cannot be requested", t.name) // the error would quote the URL
			out = append(out, tc)
			continue
		}
		resp, err := c.http.Do(req)
		if err != nil {
			tc.Err = fmt.Errorf("%s: %w", t.name, unwrapURLError(err))
			out = append(out, tc)
			continue
		}
		resp.Body.Close() // a HEAD answer has no body to read
		tc.Status = resp.StatusCode
		switch {
		case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
			tc.Err = fmt.Errorf("%s answered %s: the webhook URL is not known there", t.name, resp.Status)
		case resp.StatusCode >= 500:
			tc.Err = fmt.Errorf("%s answered %s", t.name, resp.Status)
		}
		out = append(out, tc)
	}
	return out
}
