package email

import (
	"context"
	"strings"
	"testing"
)

// TestReturnPathIsTheEnvelopeSender: a message with a ReturnPath (a VERP
// address) is sent with it as MAIL FROM, and the From header is unchanged.
func TestReturnPathIsTheEnvelopeSender(t *testing.T) {
	ts := newTestServer(t, nil)
	msgs := messages(2)
	msgs[0].ReturnPath = "bounces+1-00112233445566778899@bounces.news.example.com"
	if _, err := send(t, context.Background(), newSender(t, ts.url("")), msgs); err != nil {
		t.Fatal(err)
	}
	_, got := ts.received()
	if len(got) != 2 {
		t.Fatalf("server received %d messages, want 2", len(got))
	}
	if got[0].from != msgs[0].ReturnPath || got[1].from != "news@news.example.com" {
		t.Errorf("envelope senders %q and %q, want %q and the From address", got[0].from, got[1].from, msgs[0].ReturnPath)
	}
	if strings.Contains(string(got[0].data), "bounces+") {
		t.Errorf("the return path leaked into the message's headers:\n%s", got[0].data)
	}
	checkMessage(t, got[0].data, msgs[0])
	msgs[0].ReturnPath = "not an address"
	if _, err := Build(msgs[0]); err == nil {
		t.Error("Build accepted a bad return path")
	}
}
