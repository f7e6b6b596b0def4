package book_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cellforge/cellforge/book"
)

// twin is a second book on the store of fx, as a second daemon on one database is.
func (fx *fixture) twin() *book.Book {
	return book.New(book.Config{Store: fx.store, Factory: fx.factory, Now: fx.clock.Now})
}

// TestRefreshHearsAnotherBooksWrites: a book sharing its store with another learns of the
// cells the other took out of service or brought back only by Refresh, whose readers of
// Changed wake then.
func TestRefreshHearsAnotherBooksWrites(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	other := fx.twin()
	cell := fx.factory.Cells[0].ID

	if _, err := other.CellDown(ctx, cell, "device in fault", "cell:"+book.Actor(cell)); err != nil {
		t.Fatal(err)
	}
	changed := fx.book.Changed()
	if _, down := fx.book.DownCells()[cell]; down {
		t.Fatal("the book knew of the other's write before Refresh")
	}
	if err := fx.book.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changed:
	default:
		t.Fatal("Refresh did not wake the readers of Changed")
	}
	if got := fx.book.DownCells()[cell]; got != "device in fault" {
		t.Fatalf("after Refresh, cell %s down for %q, want the other's reason", cell, got)
	}
	h, err := fx.book.Hold(ctx, cell)
	if err != nil || h.Down != "device in fault" {
		t.Fatalf("hold after Refresh: %+v %v", h, err)
	}

	// brought back by the other: this book forgets it, and its own CellUp then has nothing to do
	if _, err := other.CellUp(ctx, cell, "cell:"+book.Actor(cell)); err != nil {
		t.Fatal(err)
	}
	if err := fx.book.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if down := fx.book.DownCells(); len(down) != 0 {
		t.Fatalf("after the other's CellUp and Refresh: down %v, want none", down)
	}
}

// TestRefreshDoesNotUndoOwnCellDown: a Refresh racing this book's own CellDown and CellUp
// never leaves the memory and the store disagreeing once both are done.
func TestRefreshDoesNotUndoOwnCellDown(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	cell := fx.factory.Cells[0].ID
	for i := range 50 {
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				_, err := fx.book.CellDown(ctx, cell, "fault", "test")
				if err != nil {
					t.Error(err)
				}
			} else if _, err := fx.book.CellUp(ctx, cell, "test"); err != nil {
				t.Error(err)
			}
		}()
		go func() {
			defer wg.Done()
			if err := fx.book.Refresh(ctx); err != nil {
				t.Error(err)
			}
		}()
		wg.Wait()
		_, inMemory := fx.book.DownCells()[cell]
		stored := fx.twin()
		if err := stored.Load(ctx); err != nil {
			t.Fatal(err)
		}
		if _, inStore := stored.DownCells()[cell]; inStore != inMemory || inMemory != (i%2 == 0) {
			t.Fatalf("round %d: down in memory %v, in the store %v", i, inMemory, inStore)
		}
	}
}

// TestOnceAcrossBooks: the same Idempotency-Key sent to two books on one store at once runs
// its effect once: the store's record of the key decides, not a book's memory of its own runs.
// The book that did not run it says the key is in progress, and once the answer is stored
// either book replays it.
func TestOnceAcrossBooks(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	books := []*book.Book{fx.book, fx.twin()}
	var runs atomic.Int32
	release := make(chan struct{})
	idem := &book.Idempotency{Principal: "person:ana", Key: "k1", RequestHash: "h1"}
	results := make(chan error, len(books))
	for _, b := range books {
		go func() {
			_, _, _, err := b.Once(ctx, idem, func() (int, []byte, error) {
				runs.Add(1)
				<-release
				return 200, []byte("printed"), nil
			})
			results <- err
		}()
	}
	// the one that did not get the key answers while the other's effect is under way
	if err := <-results; !errors.Is(err, book.ErrIdempotencyInProgress) {
		t.Fatalf("first answer: %v, want ErrIdempotencyInProgress", err)
	}
	close(release)
	if err := <-results; err != nil {
		t.Fatalf("the run: %v", err)
	}
	if n := runs.Load(); n != 1 {
		t.Fatalf("the effect ran %d times, want once", n)
	}
	for i, b := range books {
		status, body, replayed, err := b.Once(ctx, idem, func() (int, []byte, error) { runs.Add(1); return 500, nil, nil })
		if err != nil || !replayed || status != 200 || string(body) != "printed" {
			t.Fatalf("book %d after the answer: %d %q replayed=%v %v", i, status, body, replayed, err)
		}
	}
	if n := runs.Load(); n != 1 {
		t.Fatalf("the effect ran %d times, want once", n)
	}
}
