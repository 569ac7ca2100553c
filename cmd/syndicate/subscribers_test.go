package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"syndicate"
	"syndicate/store"
)

// hostile holds what old rows may carry from before names were checked:
// an OSC title change and a screen clear, a C1 CSI, a bidi override and a
// zero-width space.
var hostile = []string{"\x1b]0;pwned\x07\x1b[2J", "\u009b31m", "\u202e", "\u200b"}

// runCLI runs the program against the SQLite file db and returns stdout,
// stderr and the exit code.
func runCLI(t *testing.T, db string, args ...string) (string, string, int) {
	t.Helper()
	getenv := func(k string) string {
		if k == "SYNDICATE_DATABASE_URL" {
			return "sqlite:" + db
		}
		return ""
	}
	var out, errb bytes.Buffer
	err := run(context.Background(), append([]string{"syndicate"}, args...), getenv, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), report(err, &errb)
}

// assertNoRawControls fails if s holds any rune a terminal would act on or
// hide.
func assertNoRawControls(t *testing.T, what, s string) {
	t.Helper()
	for _, r := range s {
		if r != '\n' && !strconv.IsPrint(r) {
			t.Errorf("%s writes %U raw:\n%q", what, r, s)
			return
		}
	}
}

func TestSubscriberOutputEscapesStoredRows(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "s.db")
	st, err := store.Open(ctx, "sqlite:"+db)
	if err != nil {
		t.Fatal(err)
	}
	// Rows written before these rules, straight into the table: the store
	// would refuse them now.
	raw, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	name := "Mallory" + strings.Join(hostile, "")
	email := "esc\u202e@example.com"
	if _, err := raw.ExecContext(ctx, `INSERT INTO subscribers (email, email_key, name, frequency, status, created_at, updated_at)
		VALUES (?, ?, ?, 'instant', 'active', 1, 1)`, email, email, name); err != nil {
		t.Fatal(err)
	}

	// Deliveries keep the address and the server's reply, which is remote text.
	art := syndicate.Article{Title: "T", URL: "https://example.com/t", Summary: "S"}
	if _, err := st.SaveArticle(ctx, art); err != nil {
		t.Fatal(err)
	}
	saved, err := st.FindArticle(ctx, art.URL)
	if err != nil {
		t.Fatal(err)
	}
	key := syndicate.DeliveryKey{Item: saved.ID, Channel: syndicate.ChannelEmail, Subscriber: email}
	if err := st.EnsureDeliveries(ctx, []syndicate.DeliveryKey{key}); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishDelivery(ctx, key, syndicate.StatusFailed, "", "550 no such user "+strings.Join(hostile, "")); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	out, _, code := runCLI(t, db, "subscribers", "list")
	if code != 0 {
		t.Fatalf("subscribers list: exit %d", code)
	}
	assertNoRawControls(t, "subscribers list", out)
	if want := `Mallory\x1b]0;pwned\a\x1b[2J\u009b31m\u202e\u200b`; !strings.Contains(out, want) {
		t.Errorf("subscribers list = %q, want the name escaped as %s", out, want)
	}
	if !strings.Contains(out, `esc\u202e@example.com`) {
		t.Errorf("subscribers list = %q, want the address escaped", out)
	}

	out, _, code = runCLI(t, db, "subscribers", "list", "--json")
	if code != 0 {
		t.Fatalf("subscribers list --json: exit %d", code)
	}
	assertNoRawControls(t, "subscribers list --json", out)
	var subs []syndicate.Subscriber
	if err := json.Unmarshal([]byte(out), &subs); err != nil || len(subs) != 1 || subs[0].Name != name || subs[0].Email != email {
		t.Errorf("subscribers list --json = %q (%v), want the stored row back exactly", out, err)
	}

	out, _, code = runCLI(t, db, "status", saved.ID)
	if code != 0 {
		t.Fatalf("status: exit %d", code)
	}
	assertNoRawControls(t, "status", out)
	if !strings.Contains(out, `esc\u202e@example.com`) || !strings.Contains(out, `550 no such user \x1b]0;pwned`) {
		t.Errorf("status = %q, want the address and the reply escaped", out)
	}
	out, _, code = runCLI(t, db, "status", "--json", saved.ID)
	if code != 0 {
		t.Fatalf("status --json: exit %d", code)
	}
	assertNoRawControls(t, "status --json", out)
	var ds []deliveryJSON
	if err := json.Unmarshal([]byte(out), &ds); err != nil || len(ds) != 1 || ds[0].Subscriber != email || !strings.HasSuffix(ds[0].Error, strings.Join(hostile, "")) {
		t.Errorf("status --json = %q (%v), want the row back exactly", out, err)
	}
}

func TestTermSafe(t *testing.T) {
	for in, want := range map[string]string{
		"Zoë 李 😀 \"x\" \\": "Zoë 李 😀 \"x\" \\",
		"a\x1b[2Jb":        `a\x1b[2Jb`,
		"a\nb\tc\rd":       `a\nb\tc\rd`,
		"a\u202eb\u200bc":  `a\u202eb\u200bc`,
		"a\u009bb":         `a\u009bb`,
		"a\xffb":           `a\xffb`,
		"a\U000e0001b":     `a\U000e0001b`, // a tag character (Cf) above U+FFFF
	} {
		if got := termSafe(in); got != want {
			t.Errorf("termSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWriteJSONEscapesAboveBMP(t *testing.T) {
	var b bytes.Buffer
	in := map[string]string{"n": "a\U000e0001b\u2028😀"}
	if err := writeJSON(&b, in); err != nil {
		t.Fatal(err)
	}
	assertNoRawControls(t, "writeJSON", b.String())
	var back map[string]string
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || back["n"] != in["n"] || !utf8.Valid(b.Bytes()) {
		t.Errorf("writeJSON = %q (%v), want %q back", b.String(), err, in["n"])
	}
}
