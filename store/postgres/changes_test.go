package postgres

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/store/postgres/pgtest"
)

// TestChangesHearsOtherStoresWrites: a store listening for changes is called once it listens,
// then after each write another store on the database commits, and not after its own.
func TestChangesHearsOtherStoresWrites(t *testing.T) {
	url := pgtest.URL(t)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	open := func() *Store {
		st, err := Open(ctx, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	me, other := open(), open()
	var calls atomic.Int32
	done := make(chan struct{})
	go func() {
		defer close(done)
		me.Changes(ctx, func() { calls.Add(1) })
	}()
	waitCalls := func(n int32, what string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for calls.Load() < n {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d calls, want %d", what, calls.Load(), n)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitCalls(1, "once listening")
	if err := me.Write(ctx, func(book.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if err := other.Write(ctx, func(book.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	waitCalls(2, "after the other store's write")
	// this store's own write was notified just before the other's: had it been heard, the
	// count would have passed 2 with the other's
	if n := calls.Load(); n != 2 {
		t.Fatalf("%d calls after one write of its own and one of another store, want 2", n)
	}
	stop()
	<-done
}
