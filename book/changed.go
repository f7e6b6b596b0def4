package book

import (
	"context"
	"errors"
	"sync"
)

// notifyingStore is the Store of a Book: it passes every call on to the store the Book was
// given and, after each Write that commits, wakes the readers waiting in Changed.
type notifyingStore struct {
	Store

	mu sync.Mutex
	// changed is closed at the next committed write and then replaced by a fresh channel.
	changed chan struct{}
}

func newNotifyingStore(s Store) *notifyingStore {
	return &notifyingStore{Store: s, changed: make(chan struct{})}
}

// Write runs the inner Write and, when it returns nil (the write committed), closes the
// channel that Changed handed out and installs a fresh one. A write that failed left nothing
// behind, so it wakes no one.
func (s *notifyingStore) Write(ctx context.Context, fn func(Tx) error) error {
	if err := s.Store.Write(ctx, fn); err != nil {
		return err
	}
	s.wake()
	return nil
}

// batches tells whether the inner store is a BatchStore.
func (s *notifyingStore) batches() bool {
	_, ok := s.Store.(BatchStore)
	return ok
}

// WriteBatch runs the inner store's WriteBatch (see batches) and wakes the readers as Write
// does, whatever it returns: a batch that failed leaves none of its rows behind, but the
// other writes meanwhile may have appended events with ids after the batch's (a store sets
// aside only so many ids for them before the batch's), which stay invisible until the batch's
// rows are removed; a reader following the log must not wait for the next write to see them.
func (s *notifyingStore) WriteBatch(ctx context.Context, events int, fill func(BatchTx) error, finish func(Tx) error) error {
	bs, ok := s.Store.(BatchStore)
	if !ok {
		return errors.New("the store cannot write a batch in several transactions")
	}
	err := bs.WriteBatch(ctx, events, fill, finish)
	s.wake()
	return err
}

// wake closes the channel that Changed handed out and installs a fresh one.
func (s *notifyingStore) wake() {
	s.mu.Lock()
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

func (s *notifyingStore) next() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// Changed returns a channel that is closed after the next write of the book commits: any
// write of this Book that succeeds (a transition, an import, a dispatch, a progress report),
// whether or not it changed what a given reader shows, and a large import that failed, whose
// removal may show events appended meanwhile (see notifyingStore.WriteBatch).
//
// A reader that follows the book (a live page, the planner) takes the channel first, then
// reads, then waits on the channel, and starts over when it is closed:
//
//	for {
//		changed := b.Changed()
//		// read the book and show or plan what was read
//		select {
//		case <-changed:
//		case <-ctx.Done():
//			return ctx.Err()
//		}
//	}
//
// Taking the channel before the read is what makes this safe: a write that commits between
// the read and the wait closes the channel the reader holds, so the reader reads again rather
// than missing it. Several writes may close one channel, so a reader sees the book as of its
// last read, not every step in between.
//
// Only writes made through this Book are seen; another process writing the same store, or
// code writing to the Store directly, closes nothing, until Refresh is called (a daemon calls
// it when its store tells of another daemon's write).
func (b *Book) Changed() <-chan struct{} { return b.notify.next() }
