package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

// pgCluster is a throwaway PostgreSQL cluster of the test's own, run as the
// postgres user (PostgreSQL will not run as root), so the test may
// restart it without disturbing any other.
type pgCluster struct {
	t         *testing.T
	bin, data string
	dir, port string
}

func startPostgres(t *testing.T) *pgCluster {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	if len(bins) == 0 {
		t.Skip("PostgreSQL is not installed")
	}
	if _, err := exec.LookPath("runuser"); err != nil || os.Geteuid() != 0 {
		t.Skip("a cluster of the test's own needs root and runuser, to run it as postgres")
	}
	sort.Strings(bins)
	dir, err := os.MkdirTemp("", "syndicate-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if out, err := exec.Command("chown", "postgres", dir).CombinedOutput(); err != nil {
		t.Skipf("chown the cluster's folder to postgres: %v: %s", err, out)
	}
	pg := &pgCluster{t: t, bin: bins[len(bins)-1], data: filepath.Join(dir, "data"), dir: dir, port: portOf(t, freeAddr(t))}
	pg.ctl("initdb", "-D", pg.data, "-U", "postgres", "--auth=trust")
	pg.ctl("pg_ctl", "-D", pg.data, "-l", filepath.Join(dir, "postgres.log"), "-w",
		"-o", "-p "+pg.port+" -k "+dir+" -c listen_addresses=127.0.0.1 -c fsync=off", "start")
	t.Cleanup(func() {
		cmd := exec.Command("runuser", "-u", "postgres", "--", filepath.Join(pg.bin, "pg_ctl"), "-D", pg.data, "-m", "immediate", "stop")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Logf("stop postgres: %v: %s", err, out)
		}
	})
	return pg
}

// ctl runs a PostgreSQL program as the postgres user.
func (pg *pgCluster) ctl(prog string, args ...string) {
	pg.t.Helper()
	cmd := exec.Command("runuser", append([]string{"-u", "postgres", "--", filepath.Join(pg.bin, prog)}, args...)...)
	cmd.Dir = pg.dir
	if out, err := cmd.CombinedOutput(); err != nil {
		pg.t.Fatalf("%s: %v: %s", prog, err, out)
	}
}

func (pg *pgCluster) url() string {
	return "postgres://postgres@127.0.0.1:" + pg.port + "/postgres?sslmode=disable"
}

// TestEndToEndPostgresRestart restarts PostgreSQL (pg_ctl restart -m
// fast) in the middle of a send: the send completes, every subscriber has
// the email, a second copy only ever with the same Message-ID, and the
// ledger ends all final.
func TestEndToEndPostgresRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	pg := startPostgres(t)
	e := newE2E(t, "SYNDICATE_DATABASE_URL="+pg.url(), "SYNDICATE_CONCURRENCY=2", "SYNDICATE_BATCH_SIZE=5",
		"SYNDICATE_RECONCILE_GRACE=1s")
	const n = 30
	emails := e.addSubscribers(n)
	e.sink.Delay = 60 * time.Millisecond
	e.start("worker")
	const title = "Tram Line Extended"
	path := e.write("article.md", articleMD(title, "https://news.example.com/tram"))
	e.run("publish", path)
	waitFor(t, "a third of the emails", func() bool { return len(e.sink.Messages()) >= n/3 })
	pg.ctl("pg_ctl", "-D", pg.data, "-m", "fast", "-w", "restart", "-l", filepath.Join(pg.dir, "postgres.log"),
		"-o", "-p "+pg.port+" -k "+pg.dir+" -c listen_addresses=127.0.0.1 -c fsync=off")
	if sent := len(e.sink.Messages()); sent >= n {
		t.Fatalf("the send finished (%d messages) before the restart", sent)
	}
	e.sink.Delay = 0
	e.run("publish", path, "--wait", "--timeout", "3m")

	twice := e.checkDelivered(title, "https://news.example.com/tram", emails)
	if twice > 0 {
		t.Errorf("%d of %d subscribers got the email twice: the workers must retry their statements, not the sends", twice, n)
	}
}
