package book

import (
	"context"
	"fmt"
)

// Refresh is for a book whose store other processes write too (several daemons on one
// PostgreSQL database): after another process's write it reads again what the book keeps in
// memory of the store, the cells out of service, and wakes the readers waiting in Changed
// (live pages, the planner, the cell controllers), which would otherwise hear only this
// Book's own writes. The readers are woken even when the read fails, since the store did
// change; the error says the cells out of service could not be read.
//
// A dispatch of this book between another process's write and the Refresh that follows it
// goes by the cells out of service as they were before that write.
func (b *Book) Refresh(ctx context.Context) error {
	defer b.notify.wake()
	return b.readDown(ctx)
}

// readDown replaces the cells out of service kept in memory by what the store holds; cells
// the factory no longer has are ignored. It excludes CellDown and CellUp meanwhile (downSync),
// so that the store's answer, read before one of them wrote, does not undo what it set.
func (b *Book) readDown(ctx context.Context) error {
	b.downSync.Lock()
	defer b.downSync.Unlock()
	var down []CellDown
	err := b.store.Read(ctx, func(tx ReadTx) error {
		var err error
		down, err = tx.CellsDown()
		return err
	})
	if err != nil {
		return fmt.Errorf("reading the cells out of service: %w", err)
	}
	now := make(map[string]string, len(down))
	for _, d := range down {
		if _, ok := b.cfg().cells[d.Cell]; ok {
			now[d.Cell] = d.Reason
		}
	}
	b.downMu.Lock()
	b.down = now
	b.downMu.Unlock()
	return nil
}
