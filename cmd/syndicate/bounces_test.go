package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"

	"syndicate"
	"syndicate/bounce"
	"syndicate/config"
	"syndicate/internal/bouncetest"
)

// runWith runs the program with env and stdin and returns stdout, stderr
// and the exit code.
func runWith(t *testing.T, env map[string]string, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), append([]string{"syndicate"}, args...), func(k string) string { return env[k] }, strings.NewReader(stdin), &out, &errb)
	code := report(err, &errb)
	return out.String(), errb.String(), code
}

func TestBouncesIngest(t *testing.T) {
	k := bouncetest.New(t)
	d := k.Sent(t, "a_1", "left.long.ago@example.net", "8e7d6c5b4a39281706f5e4d3c2b1a09f@example.org")
	env := map[string]string{"SYNDICATE_DATABASE_URL": k.URL, "SYNDICATE_SECRET": bouncetest.Secret}
	b, err := os.ReadFile("../../bounce/testdata/dsn-postfix-failed.eml")
	if err != nil {
		t.Fatal(err)
	}
	dsn := strings.ReplaceAll(string(b), "VERPTOKEN", bouncetest.Token(d))
	out, errOut, code := runWith(t, env, dsn, "bounces", "ingest")
	if code != 0 || !strings.Contains(out, "left.long.ago@example.net: suppressed") {
		t.Fatalf("ingest: exit %d\n%s%s", code, out, errOut)
	}
	want := bouncetest.State{Subscriber: syndicate.SubscriberBounced, Suppressed: syndicate.SuppressedBounced, Delivery: syndicate.StatusBounced}
	if got := k.State(t, "left.long.ago@example.net", "8e7d6c5b4a39281706f5e4d3c2b1a09f@example.org"); got != want {
		t.Errorf("after ingest: %+v, want %+v", got, want)
	}
	if out, _, code := runWith(t, env, dsn, "bounces", "ingest"); code != 0 || !strings.Contains(out, "duplicate") {
		t.Errorf("the same report again: exit %d\n%s", code, out)
	}
	// Bad input: exit 1 and one sentence.
	for name, msg := range map[string]string{
		"not a report":   "From: a@example.com\nSubject: hi\n\nhello\n",
		"forged token":   strings.ReplaceAll(string(b), "VERPTOKEN", "1-00112233445566778899"),
		"unknown report": strings.ReplaceAll(strings.ReplaceAll(string(b), "VERPTOKEN", "x"), "8e7d6c5b", "00000000"),
	} {
		_, errOut, code := runWith(t, env, msg, "bounces", "ingest")
		if code != 1 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || !strings.HasPrefix(errOut, "syndicate: ") {
			t.Errorf("%s: exit %d, stderr %q; want 1 and one sentence", name, code, errOut)
		}
	}
}

// TestBouncesIngestTempFail: a database that cannot be reached makes
// ingest exit 75, so the mail server keeps the message and tries again.
func TestBouncesIngestTempFail(t *testing.T) {
	env := map[string]string{"SYNDICATE_DATABASE_URL": "postgres://nobody@127.0.0.1:1/none?connect_timeout=2", "SYNDICATE_SECRET": bouncetest.Secret}
	_, errOut, code := runWith(t, env, "From: a@example.com\n\nhi\n", "bounces", "ingest")
	if code != exTempFail || !strings.Contains(errOut, "try again later") {
		t.Errorf("exit %d, stderr %q; want 75 and a sentence", code, errOut)
	}
}

func TestSuppressionsCommands(t *testing.T) {
	k := bouncetest.New(t)
	env := map[string]string{"SYNDICATE_DATABASE_URL": k.URL}
	dir := t.TempDir()
	if out, _, code := runWith(t, env, "", "suppressions", "add", "Ann@Example.com", "--reason", "complained"); code != 0 || !strings.Contains(out, "suppressed Ann@example.com (complained)") {
		t.Fatalf("add: %d %s", code, out)
	}
	if out, _, code := runWith(t, env, "", "suppressions", "add", "ann@example.com"); code != 0 || !strings.Contains(out, "already suppressed") {
		t.Errorf("add again: %d %s", code, out)
	}
	if _, errOut, code := runWith(t, env, "", "suppressions", "add", "bob@example.com", "--reason", "bored"); code != 2 || !strings.Contains(errOut, "not one of") {
		t.Errorf("bad reason: %d %s", code, errOut)
	}
	file := dir + "/list.csv"
	csv := "email,reason,date,detail\nbob@example.com,bounced,2026-11-01,imported from the old system\ncarl@example.com,,,\nann@example.com,manual,,\n"
	if err := os.WriteFile(file, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, _, code := runWith(t, env, "", "suppressions", "import", file); code != 0 || !strings.Contains(out, "2 suppressed, 1 already were") {
		t.Errorf("import: %d %s", code, out)
	}
	bad := "email,reason\nnot-an-address,manual\ndora@example.com,bored\neve@example.com,manual\n"
	_, errOut, code := runWith(t, env, bad, "suppressions", "import", "-")
	if code != 1 || !strings.Contains(errOut, "-:2:") || !strings.Contains(errOut, "-:3:") {
		t.Errorf("bad import: %d %s", code, errOut)
	}
	out, _, _ := runWith(t, env, "", "suppressions", "list")
	for _, want := range []string{"Ann@example.com  complained", "bob@example.com  bounced     2026-11-01  imported from the old system", "carl@example.com  manual"} {
		if !strings.Contains(strings.Join(strings.Fields(out), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("list does not show %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "eve@") {
		t.Errorf("a refused import added rows:\n%s", out)
	}
	exported, _, code := runWith(t, env, "", "suppressions", "export")
	if code != 0 || !strings.HasPrefix(exported, "email,reason,date,detail\n") || strings.Count(exported, "\n") != 4 {
		t.Fatalf("export: %d\n%s", code, exported)
	}
	// What export writes, import reads back into an empty list unchanged.
	k2 := bouncetest.New(t)
	env2 := map[string]string{"SYNDICATE_DATABASE_URL": k2.URL}
	if out, errOut, code := runWith(t, env2, exported, "suppressions", "import", "-"); code != 0 || !strings.Contains(out, "3 suppressed") {
		t.Fatalf("round trip: %d %s %s", code, out, errOut)
	}
	if again, _, _ := runWith(t, env2, "", "suppressions", "export"); again != exported {
		t.Errorf("export after the round trip differs:\n%s\nwas\n%s", again, exported)
	}
	if out, _, code := runWith(t, env, "", "suppressions", "remove", "ANN@example.com"); code != 0 || !strings.Contains(out, "removed") {
		t.Errorf("remove: %d %s", code, out)
	}
	if _, errOut, code := runWith(t, env, "", "suppressions", "remove", "ann@example.com"); code != 1 || !strings.Contains(errOut, "not on the suppression list") {
		t.Errorf("remove again: %d %s", code, errOut)
	}
}

func TestComplaintVerdict(t *testing.T) {
	for _, c := range []struct {
		complaints, sent int
		level            string
	}{{0, 0, ""}, {0, 1000, ""}, {1, 1000, ""}, {2, 1000, "warning"}, {3, 1000, "warning"}, {4, 1000, "error"}, {1, 10, "error"}} {
		if level, msg := complaintVerdict(c.complaints, c.sent); level != c.level || (c.sent > 0) != (msg != "") {
			t.Errorf("complaintVerdict(%d, %d) = %q, %q; want level %q", c.complaints, c.sent, level, msg, c.level)
		}
	}
}

// TestConfigCheckComplaintRate: config check fails when the last 30 days'
// complaint rate is over 0.3 %.
func TestConfigCheckComplaintRate(t *testing.T) {
	k := bouncetest.New(t)
	mr := miniredis.RunT(t)
	env := map[string]string{"SYNDICATE_DATABASE_URL": k.URL, "SYNDICATE_REDIS_URL": "redis://" + mr.Addr() + "/0", "SYNDICATE_SECRET": bouncetest.Secret}
	for i := range 20 {
		k.Sent(t, "a_1", fmt.Sprintf("r%02d@example.com", i), fmt.Sprintf("m%02d@example.org", i))
	}
	out, _, code := runWith(t, env, "", "config", "check")
	// config check prints one table: mark, name, then the reply after spaces.
	if code != 0 || !regexp.MustCompile(`✓ complaint rate +0\.00% \(0 complaints for 20 emails`).MatchString(out) {
		t.Fatalf("no complaints: exit %d\n%s", code, out)
	}
	p := bounceProcessor(mustConfig(t, env), k.Store, nil)
	if _, err := p.Process(t.Context(), bounceEvent("r01@example.com", "m01@example.org")); err != nil {
		t.Fatal(err)
	}
	out, _, code = runWith(t, env, "", "config", "check")
	if code != 1 || !regexp.MustCompile(`✗ complaint rate +5\.00% \(1 complaints for 20 emails in the last 30 days\) is over 0\.3%`).MatchString(out) {
		t.Errorf("one complaint in 20: exit %d\n%s", code, out)
	}
}

func mustConfig(t *testing.T, env map[string]string) config.Config {
	t.Helper()
	cfg, err := config.Load("", false, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func bounceEvent(email, messageID string) bounce.Event {
	return bounce.Event{Kind: bounce.Complaint, Address: email, MessageID: messageID, Provider: "test", ID: "c1", Verified: true}
}

// TestSubscriberAddOfSuppressedAddress: adding a suppressed address says
// it will not be mailed.
func TestSubscriberAddOfSuppressedAddress(t *testing.T) {
	k := bouncetest.New(t)
	env := map[string]string{"SYNDICATE_DATABASE_URL": k.URL}
	if _, _, code := runWith(t, env, "", "suppressions", "add", "ann@example.com", "--reason", "bounced"); code != 0 {
		t.Fatal("suppressions add failed")
	}
	out, errOut, code := runWith(t, env, "", "subscribers", "add", "ann@example.com")
	if code != 0 || !strings.Contains(out, "added ann@example.com") || !strings.Contains(errOut, "on the suppression list (bounced") {
		t.Errorf("add of a suppressed address: %d\n%s%s", code, out, errOut)
	}
}
