package buffer

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestOpenRemovesCursorTemporaries: a crash while the cursor was written leaves a temporary
// file beside it (of this version or of an older one); Open removes it and keeps the cursor.
func TestOpenRemovesCursorTemporaries(t *testing.T) {
	dir := t.TempDir()
	q := open(t, dir, Options{})
	appendN(t, q, 4)
	if _, err := q.Read(0, 4, 0); err != nil {
		t.Fatal(err)
	}
	q.Ack(1, 2)
	if err := q.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	left := []string{"." + cursorFile + ".1234", legacyCursorTmpFile}
	for _, name := range left {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("torn"), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	q = open(t, dir, Options{})
	for _, name := range left {
		if _, err := os.Stat(filepath.Join(dir, name)); !os.IsNotExist(err) {
			t.Errorf("%s is still there after Open (%v)", name, err)
		}
	}
	if got := seqsOf(readAll(t, q)); !slices.Equal(got, seqRange(3, 4)) {
		t.Errorf("Read after reopen = %v, want %v", got, seqRange(3, 4))
	}
}
