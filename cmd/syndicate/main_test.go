package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	// The test binary doubles as the syndicate command for scripts and the
	// end-to-end tests (testscript puts it on PATH).
	testscript.Main(m, map[string]func(){"syndicate": main})
}

// TestScripts runs testdata/script/*.txtar against the real binary. Each
// script has its own SQLite file and in-memory Redis.
func TestScripts(t *testing.T) {
	// Each script has an embedded Redis and a directory of its own; the
	// kill script mostly waits on asynq's lease, so the scripts run beside
	// the parallel end-to-end tests.
	t.Parallel()
	samples, err := filepath.Abs("../../../shared/samples/articles")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			mr := miniredis.NewMiniRedis()
			if err := mr.Start(); err != nil {
				return err
			}
			env.Defer(mr.Close)
			env.Setenv("SYNDICATE_REDIS_URL", "redis://"+mr.Addr()+"/0")
			env.Setenv("SYNDICATE_DATABASE_URL", "sqlite:"+filepath.Join(env.WorkDir, "syndicate.db"))
			env.Setenv("SAMPLES", samples)
			return nil
		},
		Condition: func(cond string) (bool, error) {
			if cond == "samples" {
				_, err := os.Stat(samples)
				return err == nil, nil
			}
			return false, nil
		},
	})
}

// TestExitCodes checks the contract scripts rely on: 0 success, 1 failure,
// 2 misuse, and one sentence on stderr.
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.md")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// Nothing listens on port 1: repair cannot reach Redis.
	noRedis := filepath.Join(dir, "noredis.yaml")
	if err := os.WriteFile(noRedis, []byte("redis_url: redis://127.0.0.1:1/0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) string {
		if k == "SYNDICATE_DATABASE_URL" {
			return "sqlite:" + filepath.Join(dir, "s.db")
		}
		return ""
	}
	cases := []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"--help"}, 0, ""},
		{[]string{"publish", "--help"}, 0, ""},
		{[]string{"nosuchcommand"}, 2, "unknown command"},
		{[]string{"publish"}, 2, "takes one article file"},
		{[]string{"publish", "--nosuchflag", "x.md"}, 2, "unknown flag"},
		{[]string{"preview", "--channel", "myspace", empty}, 2, `unknown channel "myspace"`},
		{[]string{"subscribers", "add", "--frequency", "hourly", "a@example.com"}, 2, `frequency "hourly"`},
		{[]string{"preview", empty}, 1, "empty"},
		{[]string{"preview", filepath.Join(dir, "missing.md")}, 1, "missing.md"},
		{[]string{"subscribers", "add", "not-an-address"}, 1, `"not-an-address"`},
		{[]string{"subscribers", "list"}, 0, ""},
		{[]string{"repair", "now"}, 2, "takes no arguments"},
		{[]string{"repair", "--grace", "10ms"}, 2, "--grace 10ms is shorter than 1s"},
		{[]string{"repair", "--config", noRedis}, 1, "cannot reach Redis"},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		err := run(context.Background(), append([]string{"syndicate"}, c.args...), getenv, strings.NewReader(""), &out, &errb)
		code := report(err, &errb)
		if code != c.code {
			t.Errorf("syndicate %s: exit %d, want %d (stderr %q)", strings.Join(c.args, " "), code, c.code, errb.String())
		}
		if c.err != "" && !strings.Contains(errb.String(), c.err) {
			t.Errorf("syndicate %s: stderr %q does not mention %q", strings.Join(c.args, " "), errb.String(), c.err)
		}
		if c.code != 0 && strings.Count(strings.TrimSpace(errb.String()), "\n") > 0 {
			t.Errorf("syndicate %s: stderr is more than one line: %q", strings.Join(c.args, " "), errb.String())
		}
	}
}
