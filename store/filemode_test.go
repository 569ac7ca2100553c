package store_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"syndicate/store"
)

// A new SQLite database, and the -wal and -shm files SQLite makes beside
// it, are readable and writable by their owner only: they hold every
// subscriber's address. An existing file keeps its mode.
func TestSQLiteFileIsPrivate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix file modes")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "new.db")
	s, err := store.Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	// Open has migrated the schema, so the WAL and its index exist while
	// the store is open.
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if m := st.Mode().Perm(); m != 0o600 {
			t.Errorf("%s has mode %o, want 600", filepath.Base(p), m)
		}
	}

	old := filepath.Join(dir, "old.db")
	if err := os.WriteFile(old, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(old, 0o640); err != nil {
		t.Fatal(err)
	}
	s2, err := store.Open(context.Background(), "sqlite:"+old)
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(old); err != nil || st.Mode().Perm() != 0o640 {
		t.Errorf("existing file: %v, %v; want its mode 640 kept", st.Mode(), err)
	}
}
