package cells

import (
	"context"
	"fmt"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/configs"
)

// The job on the machine, as the book records it. A controller that starts under a machine
// that is done (a restart, or another daemon taking the cell over) cannot tell from the machine
// whose job it finished: the head of the queue's, woven while no controller watched, or the
// one before, after which the head was started in the book but its job never sent. The first
// must not be sent again (the order would be made twice), the second must be. So every job
// sent is recorded in the book, as the cell's job cursor, once the machine took it; a machine
// found done whose last job recorded is the head's finished the head's job.
//
// The record follows the command: a controller that dies between the two leaves the job
// unrecorded, and the next one sends it again only if the machine finished it within that
// instant (a machine found working is adopted as before).

// jobCursor names the book's record of the operation whose job was last sent to the machine.
func (c *Cell) jobCursor() string { return "job:" + c.id }

// recordSent records that the job of operation op was sent to the machine. A failure is
// logged: the job runs all the same.
func (c *Cell) recordSent(ctx context.Context, op int64) {
	if err := c.cfg.Book.SetCursor(ctx, c.jobCursor(), op); err != nil {
		c.log.Warn("recording the job sent to the machine", "operation", op, "err", err)
	}
}

// adoptFinished makes the job of head, running in the book, the controller's when the machine,
// found done by a controller that has no job, finished it (see above): its units are made, and
// runJob records them and completes the operation instead of sending the job again. It
// returns the job adopted, nil when the machine's done job is not head's.
func (c *Cell) adoptFinished(ctx context.Context, head *book.QueueEntry, v machineView) (*job, error) {
	if c.job != nil || v.state != configs.StateDone {
		return c.job, nil
	}
	op, ok, err := c.cfg.Book.Cursor(ctx, c.jobCursor())
	if err != nil {
		return nil, fmt.Errorf("reading the job last sent to device %s: %w", c.cfg.Device, err)
	}
	if !ok || op != head.ID {
		return nil, nil
	}
	// the machine made every unit of the job, which was what was left of the operation
	c.job = &job{op: head.ID, base: head.Quantity - head.Scrapped - v.units}
	c.log.Info("the machine finished the operation's job while no controller watched it", "operation", head.ID, "units", v.units)
	return c.job, nil
}
