package web

import (
	"testing"

	"syndicate"
	"syndicate/bounce"
)

// checkParsed is what every bounce body parser promises: events of a
// known kind, or an EINVALID error; never a panic.
func checkParsed(t *testing.T, events []bounce.Event, err error) {
	if err != nil {
		if syndicate.ErrorCode(err) != syndicate.EINVALID {
			t.Fatalf("error is not EINVALID: %v", err)
		}
		return
	}
	for _, e := range events {
		if e.Kind != bounce.Hard && e.Kind != bounce.Soft && e.Kind != bounce.Complaint {
			t.Fatalf("event of kind %q", e.Kind)
		}
	}
}

func FuzzParseSES(f *testing.F) {
	f.Add(`{"notificationType":"Bounce","bounce":{"bounceType":"Permanent","bouncedRecipients":[{"emailAddress":"jane@example.com","status":"5.1.1"}],"timestamp":"2016-01-27T14:59:38.237Z","feedbackId":"x"},"mail":{"commonHeaders":{"messageId":"<m@example.org>"}}}`)
	f.Add(`{"eventType":"Complaint","complaint":{"complainedRecipients":[{"emailAddress":"a@example.com"}],"complaintFeedbackType":"abuse"}}`)
	f.Add(`{"notificationType":"Delivery"}`)
	f.Fuzz(func(t *testing.T, body string) {
		events, _, err := parseSES([]byte(body))
		checkParsed(t, events, err)
	})
}

func FuzzParsePostmark(f *testing.F) {
	f.Add(`{"RecordType":"Bounce","ID":42,"Type":"HardBounce","Email":"john@example.com","BouncedAt":"2019-11-05T16:33:54.9070259Z"}`)
	f.Add(`{"RecordType":"SpamComplaint","Type":"SpamComplaint","Email":"john@example.com"}`)
	f.Fuzz(func(t *testing.T, body string) {
		events, _, err := parsePostmark([]byte(body))
		checkParsed(t, events, err)
	})
}

func FuzzParseSendGrid(f *testing.F) {
	f.Add(`[{"email":"a@example.com","timestamp":1513299569,"event":"bounce","type":"bounce","status":"5.0.0"},{"email":"b@example.com","event":"spamreport"},{"event":"open"}]`)
	f.Fuzz(func(t *testing.T, body string) {
		events, _, err := parseSendGrid([]byte(body))
		checkParsed(t, events, err)
	})
}

func FuzzParseMailgun(f *testing.F) {
	f.Add(`{"signature":{"timestamp":"1","token":"t","signature":"s"},"event-data":{"event":"failed","severity":"permanent","recipient":"alice@example.com","timestamp":1521233123.501324,"message":{"headers":{"message-id":"m@example.org"}}}}`)
	f.Add(`{"event-data":{"event":"complained","recipient":"alice@example.com","timestamp":-1e300}}`)
	f.Fuzz(func(t *testing.T, body string) {
		events, _, err := parseMailgun([]byte(body))
		checkParsed(t, events, err)
	})
}
