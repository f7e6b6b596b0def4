package book_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

// TestOnce: an effect outside the book runs at most once per key, its answer is replayed, a
// failed run frees the key, and a key stays reserved while its run is under way.
func TestOnce(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	runs := 0
	printLabel := func() (int, []byte, error) { runs++; return 200, []byte(`{"serial":"A-1"}`), nil }
	idem := &book.Idempotency{Principal: "person:ana", Key: "k1", RequestHash: "h1"}

	status, body, replayed, err := fx.book.Once(ctx, idem, printLabel)
	if err != nil || status != 200 || string(body) != `{"serial":"A-1"}` || replayed || runs != 1 {
		t.Fatalf("first: %d %s replayed=%v err=%v runs=%d", status, body, replayed, err, runs)
	}
	status, body, replayed, err = fx.book.Once(ctx, idem, printLabel)
	if err != nil || status != 200 || string(body) != `{"serial":"A-1"}` || !replayed || runs != 1 {
		t.Errorf("retry: %d %s replayed=%v err=%v runs=%d, want the first answer and no run", status, body, replayed, err, runs)
	}
	if _, _, _, err := fx.book.Once(ctx, &book.Idempotency{Principal: "person:ana", Key: "k1", RequestHash: "other"}, printLabel); !errors.Is(err, book.ErrIdempotencyMismatch) || runs != 1 {
		t.Errorf("same key, other request: %v (runs %d), want ErrIdempotencyMismatch", err, runs)
	}
	// Keys are the principal's own.
	if _, _, replayed, err := fx.book.Once(ctx, &book.Idempotency{Principal: "person:bo", Key: "k1", RequestHash: "h1"}, printLabel); err != nil || replayed || runs != 2 {
		t.Errorf("another person's key: replayed=%v err=%v runs=%d, want a run of its own", replayed, err, runs)
	}

	// A run that had no effect (an error) frees its key.
	offline := errors.New("printer offline")
	failing := &book.Idempotency{Principal: "person:ana", Key: "k2", RequestHash: "h2"}
	if _, _, _, err := fx.book.Once(ctx, failing, func() (int, []byte, error) { return 0, nil, offline }); !errors.Is(err, offline) {
		t.Fatalf("failed run: %v", err)
	}
	if _, _, replayed, err := fx.book.Once(ctx, failing, printLabel); err != nil || replayed || runs != 3 {
		t.Errorf("retry after a failed run: replayed=%v err=%v runs=%d, want it run", replayed, err, runs)
	}

	// While a run is under way its key is reserved: a second request does not run it again.
	started, release := make(chan struct{}), make(chan struct{})
	slow := &book.Idempotency{Principal: "person:ana", Key: "k3", RequestHash: "h3"}
	done := make(chan error, 1)
	go func() {
		_, _, _, err := fx.book.Once(ctx, slow, func() (int, []byte, error) {
			close(started)
			<-release
			return 202, nil, nil
		})
		done <- err
	}()
	<-started
	if _, _, _, err := fx.book.Once(ctx, slow, printLabel); !errors.Is(err, book.ErrIdempotencyInProgress) || runs != 3 {
		t.Errorf("during the run: %v (runs %d), want ErrIdempotencyInProgress", err, runs)
	}
	close(release)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the slow run did not end")
	}
	if status, _, replayed, err := fx.book.Once(ctx, slow, printLabel); err != nil || !replayed || status != 202 {
		t.Errorf("after the run: %d replayed=%v err=%v, want its answer", status, replayed, err)
	}

	// Without a key the effect simply runs.
	if _, _, replayed, err := fx.book.Once(ctx, nil, printLabel); err != nil || replayed || runs != 4 {
		t.Errorf("no key: replayed=%v err=%v runs=%d", replayed, err, runs)
	}
}
