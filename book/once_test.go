package book_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

// TestOnce: an effect outside the book runs at most once per key, its answer is replayed, a
// failed run frees the key, and a request with the key of a run under way waits for its answer.
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

	// While a run is under way its key is reserved: a second request (a double tap) does not
	// run it again, it waits for the first answer and gets it replayed.
	started, release := make(chan struct{}), make(chan struct{})
	slow := &book.Idempotency{Principal: "person:ana", Key: "k3", RequestHash: "h3"}
	done := make(chan error, 1)
	go func() {
		_, _, _, err := fx.book.Once(ctx, slow, func() (int, []byte, error) {
			close(started)
			<-release
			return 202, []byte(`{"serial":"A-3"}`), nil
		})
		done <- err
	}()
	<-started
	impatient, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	_, _, _, err = fx.book.Once(impatient, slow, printLabel)
	cancel()
	if !errors.Is(err, book.ErrIdempotencyInProgress) || !errors.Is(err, context.DeadlineExceeded) || runs != 3 {
		t.Errorf("during the run, until the request's own end: %v (runs %d), want it to wait, then ErrIdempotencyInProgress", err, runs)
	}
	type answer struct {
		status   int
		body     string
		replayed bool
		err      error
	}
	waiter := make(chan answer, 1)
	go func() {
		status, body, replayed, err := fx.book.Once(ctx, slow, printLabel)
		waiter <- answer{status, string(body), replayed, err}
	}()
	close(release)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the slow run did not end")
	}
	select {
	case a := <-waiter:
		if a != (answer{202, `{"serial":"A-3"}`, true, nil}) || runs != 3 {
			t.Errorf("the request that waited: %+v (runs %d), want the first answer replayed", a, runs)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the request that waited did not end")
	}
	if status, _, replayed, err := fx.book.Once(ctx, slow, printLabel); err != nil || !replayed || status != 202 {
		t.Errorf("after the run: %d replayed=%v err=%v, want its answer", status, replayed, err)
	}

	// A run that fails frees its key for the request that waited: that one runs.
	started, release = make(chan struct{}), make(chan struct{})
	flaky := &book.Idempotency{Principal: "person:ana", Key: "k4", RequestHash: "h4"}
	go func() {
		_, _, _, err := fx.book.Once(ctx, flaky, func() (int, []byte, error) {
			close(started)
			<-release
			return 0, nil, offline
		})
		done <- err
	}()
	<-started
	go func() {
		status, body, replayed, err := fx.book.Once(ctx, flaky, printLabel)
		waiter <- answer{status, string(body), replayed, err}
	}()
	close(release)
	if err := <-done; !errors.Is(err, offline) {
		t.Fatalf("failed run: %v", err)
	}
	if a := <-waiter; a != (answer{200, `{"serial":"A-1"}`, false, nil}) || runs != 4 {
		t.Errorf("the request after a failed run: %+v (runs %d), want a run of its own", a, runs)
	}

	// A key reserved by a daemon that stopped before it answered stays in progress: the effect
	// may or may not have happened.
	stopped := &book.Idempotency{Principal: "person:ana", Key: "k5", RequestHash: "h5"}
	if err := fx.store.Write(ctx, func(tx book.Tx) error {
		return tx.PutIdempotency(book.IdempotencyRecord{Principal: stopped.Principal, Key: stopped.Key,
			RequestHash: stopped.RequestHash, CreatedAt: fx.clock.Now()})
	}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := fx.book.Once(ctx, stopped, printLabel); !errors.Is(err, book.ErrIdempotencyInProgress) || runs != 4 {
		t.Errorf("a key a stopped daemon reserved: %v (runs %d), want ErrIdempotencyInProgress at once", err, runs)
	}

	// Without a key the effect simply runs.
	if _, _, replayed, err := fx.book.Once(ctx, nil, printLabel); err != nil || replayed || runs != 5 {
		t.Errorf("no key: replayed=%v err=%v runs=%d", replayed, err, runs)
	}
}
