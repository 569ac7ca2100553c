package main

import (
	"testing"

	"syndicate/internal/testdb"
)

// TestEndToEndScaleOutPostgres: three worker processes on one PostgreSQL
// database send one publish to 10 000 subscribers. Every subscriber gets
// exactly one email (not one per worker, none lost between them) and the
// ledger ends all sent. It needs PostgreSQL (SYNDICATE_TEST_DATABASE_URL,
// set by CI); SQLite is one machine's database and is not scaled out.
func TestEndToEndScaleOutPostgres(t *testing.T) {
	if !testdb.Postgres() {
		t.Skip("needs PostgreSQL: set " + testdb.EnvVar)
	}
	const n = 10000
	e := newE2E(t, "SYNDICATE_CONCURRENCY=4")
	emails := e.addSubscribers(n)
	for range 3 {
		e.start("worker")
	}
	const title = "Harbour Dredging Starts"
	const url = "https://news.example.com/dredging"
	e.run("publish", e.write("article.md", articleMD(title, url)), "--wait", "--timeout", "10m")
	got := e.received(title)
	for _, addr := range emails {
		if len(got[addr]) != 1 {
			t.Errorf("%s got %d emails, want 1", addr, len(got[addr]))
		}
	}
	if len(got) != n {
		t.Errorf("%d addresses got the email, want %d", len(got), n)
	}
	e.checkDelivered(title, url, emails)
}
