package cells

import (
	"context"
	"time"

	"github.com/cellforge/cellforge/configs"
)

// calm is what a cell was last reconciled with when that reconcile left it nothing to do but
// wait: no job on its machine, no readings or prints left to retry, no error. Until the book
// is written, the machine reads otherwise, its connection is found or lost, a person reports
// or clears a fault, or the factory is reloaded, another reconcile would read the same queue
// and decide the same, so a tick skips it (see quiet): a cell whose machine idles costs a
// tick no query and no allocation, however often the machine is polled.
type calm struct {
	ok bool
	// changed is the book's Changed channel, taken before that reconcile read the book.
	changed <-chan struct{}
	factory *configs.Factory
	// online and unknown are the machine's presence as that reconcile began.
	online, unknown bool
}

// reconcile reconciles the book and the machine, unless nothing changed since a reconcile that
// left the cell calm.
func (c *Cell) reconcile(ctx context.Context) error {
	if c.quiet() {
		return nil
	}
	// Taken before anything is read: a write while the reconcile runs closes it, and the next
	// tick reconciles again.
	next := calm{changed: c.cfg.Book.Changed(), factory: c.cfg.Current()}
	c.mu.Lock()
	c.stale = false
	next.online, next.unknown = c.presence(c.now())
	c.mu.Unlock()
	settled, err := c.reconcileAll(ctx)
	c.calm = calm{}
	if err == nil && settled && c.job == nil && len(c.kept) == 0 {
		next.ok = true
		c.calm = next
	}
	return err
}

// quiet reports whether the cell is as calm as its last reconcile left it, which then need not
// be done again. It reads no book and allocates nothing.
func (c *Cell) quiet() bool {
	if !c.calm.ok || c.cfg.Current() != c.calm.factory {
		return false
	}
	select {
	case <-c.calm.changed:
		return false
	default:
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if online, unknown := c.presence(now); c.stale || online != c.calm.online || unknown != c.calm.unknown {
		return false
	}
	c.status.UpdatedAt = now
	return true
}

// presence tells whether the machine answers (online) and whether that is still unknown at the
// start (see view); under mu.
func (c *Cell) presence(now time.Time) (online, unknown bool) {
	switch {
	case c.cfg.Machine == nil:
		return false, false
	case !c.seen && now.Sub(c.started) < c.cfg.LostAfter:
		return false, true
	case !c.seen || now.Sub(c.lastOK) >= c.cfg.LostAfter:
		return false, false
	}
	return true, false
}

// unsettle makes the next tick reconcile in full: something happened that the book's changes
// and the machine's readings may not show (someone else acted first, a print failed).
func (c *Cell) unsettle() {
	c.mu.Lock()
	c.stale = true
	c.mu.Unlock()
}
