package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/cellforge/cellforge/store/storetest"
)

// The SQLite store's own tests use the fixtures and comparisons of the conformance suite
// (storetest's exported helpers); these are what only they need.

// t0 is the tests' "now", the suite's.
var t0 = storetest.T0

// openTest opens a store on a new file that is closed when the test ends. The file starts as
// a copy of a store migrated once per test binary (migrating takes 2-3 s under the race
// detector, opening the copy about 0.2 s); the tests of migrating open new files with Open.
func openTest(tb testing.TB) (*Store, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "cellforge.db")
	if err := os.WriteFile(path, migratedFile(tb), 0o644); err != nil {
		tb.Fatal(err)
	}
	s, err := Open(context.Background(), path, nil)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s, path
}

// migrated holds the bytes of a store's file just migrated and closed, made once.
var migrated struct {
	once sync.Once
	data []byte
	err  error
}

// migratedFile returns the bytes of a new store's file, migrated and closed (closing the last
// connection checkpoints the write-ahead log into the file).
func migratedFile(tb testing.TB) []byte {
	tb.Helper()
	migrated.once.Do(func() {
		dir, err := os.MkdirTemp("", "cellforge-sqlite-test-")
		if err != nil {
			migrated.err = err
			return
		}
		defer os.RemoveAll(dir)
		path := filepath.Join(dir, "cellforge.db")
		s, err := Open(context.Background(), path, nil)
		if err == nil {
			err = s.Close()
		}
		if err == nil {
			migrated.data, err = os.ReadFile(path)
		}
		migrated.err = err
	})
	if migrated.err != nil {
		tb.Fatalf("migrating the tests' first store: %v", migrated.err)
	}
	return migrated.data
}

func mkdir(dir string) error { return os.MkdirAll(dir, 0o755) }

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
