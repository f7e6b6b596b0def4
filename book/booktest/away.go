package booktest

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/cellforge/cellforge/book"
)

// Away is a store whose database can be made unreachable: while it is away, every read and
// write fails having done nothing, with an error wrapping book.ErrUnavailable, as a PostgreSQL
// store's do while its server is down. It is the fault a SQLite file cannot produce, for the
// tests of what answers an outage (the API's 503, the cell controllers keeping their writes);
// the daemon's own outage test stops a real PostgreSQL.
type Away struct {
	store book.Store
	away  atomic.Bool
	// Refused counts the reads and writes refused while away.
	Refused atomic.Int64
}

// NewAway wraps st, present until SetAway(true).
func NewAway(st book.Store) *Away { return &Away{store: st} }

// SetAway makes the database unreachable (true) or reachable again (false).
func (a *Away) SetAway(away bool) { a.away.Store(away) }

// Away reports whether the database is unreachable.
func (a *Away) Away() bool { return a.away.Load() }

func (a *Away) refuse() error {
	if !a.away.Load() {
		return nil
	}
	a.Refused.Add(1)
	return fmt.Errorf("%w: dial tcp 127.0.0.1:5432: connect: connection refused", book.ErrUnavailable)
}

// Read reads from the wrapped store unless it is away.
func (a *Away) Read(ctx context.Context, fn func(book.ReadTx) error) error {
	if err := a.refuse(); err != nil {
		return err
	}
	return a.store.Read(ctx, fn)
}

// Write writes to the wrapped store unless it is away.
func (a *Away) Write(ctx context.Context, fn func(book.Tx) error) error {
	if err := a.refuse(); err != nil {
		return err
	}
	return a.store.Write(ctx, fn)
}

// WriteBatch writes a batch to the wrapped store unless it is away.
func (a *Away) WriteBatch(ctx context.Context, events int, fill func(book.BatchTx) error, finish func(book.Tx) error) error {
	if err := a.refuse(); err != nil {
		return err
	}
	bs, ok := a.store.(book.BatchStore)
	if !ok {
		return errors.New("the wrapped store writes no batches")
	}
	return bs.WriteBatch(ctx, events, fill, finish)
}

var (
	_ book.Store      = (*Away)(nil)
	_ book.BatchStore = (*Away)(nil)
)
