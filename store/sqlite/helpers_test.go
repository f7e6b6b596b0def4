package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/cellforge/cellforge/store/storetest"
)

// The SQLite store's own tests use the fixtures and comparisons of the conformance suite
// (storetest's exported helpers); these are what only they need.

// t0 is the tests' "now", the suite's.
var t0 = storetest.T0

// openTest opens a store on a new file that is closed when the test ends.
func openTest(tb testing.TB) (*Store, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "cellforge.db")
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

func mkdir(dir string) error { return os.MkdirAll(dir, 0o755) }

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
