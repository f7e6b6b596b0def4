package book

import (
	"context"
	"fmt"
)

// Cursor returns where a follower of the event log (the ticket printer) stands, as stored: the
// id of the last event it handled. ok is false before it stored one.
func (b *Book) Cursor(ctx context.Context, name string) (after int64, ok bool, err error) {
	err = b.store.Read(ctx, func(tx ReadTx) error {
		after, ok, err = tx.Cursor(name)
		return err
	})
	if err != nil {
		return 0, false, fmt.Errorf("reading cursor %s: %w", name, err)
	}
	return after, ok, nil
}

// SetCursor stores where a follower of the event log stands: after restarts it resumes there.
func (b *Book) SetCursor(ctx context.Context, name string, after int64) error {
	err := b.store.Write(ctx, func(tx Tx) error { return tx.SetCursor(name, after) })
	if err != nil {
		return fmt.Errorf("storing cursor %s: %w", name, err)
	}
	return nil
}
