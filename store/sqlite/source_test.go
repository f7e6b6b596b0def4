package sqlite

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"testing"
)

// TestOpenSource: a book is opened to be read whole only when no other process holds it, and
// it is held meanwhile; a path with no book is refused rather than a book made there.
func TestOpenSource(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cellforge.db")
	if _, err := OpenSource(ctx, path, nil); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("opening no book: %v, want fs.ErrNotExist", err)
	}
	daemon, err := Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenSource(ctx, path, nil); !errors.Is(err, ErrOwned) {
		t.Fatalf("opening a daemon's book: %v, want ErrOwned", err)
	}
	daemon.Close()

	src, err := OpenSource(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := src.DB().QueryRow(`SELECT count(*) FROM orders`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if _, err := src.DB().Exec(`DELETE FROM orders`); err == nil {
		t.Error("the source's database took a write")
	}
	// a daemon starting meanwhile is not the store's owner
	late, err := Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if late.lockFile != nil {
		t.Error("a store opened beside a source owns the store")
	}
	late.Close()
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	if err := probeLock(path); err != nil {
		t.Fatalf("the closed source still holds the store: %v", err)
	}
}
