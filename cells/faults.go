package cells

import (
	"context"
	"fmt"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/configs"
)

// Reset clears the cell's fault, as the floor does once the cause is fixed: it forgets a fault
// a person reported and asks the cell's machine, if it has one, to clear its own (the
// profile's reset command). by is who reset the cell and note what they did about the fault:
// the book records both with the reset. The cell comes back into service when nothing holds
// it down any more: for a machine, when it reports that it left the fault. Reset of a cell
// without a machine and without a reported fault returns ErrManual: there is nothing to clear.
// A note the book refuses (too long) is refused before anything is done.
//
// When the machine's reset command fails, the reported fault is kept too, so that such an
// error means nothing changed; an error storing the cleared report comes after the machine
// was told to reset, and the report is then kept.
func (c *Cell) Reset(ctx context.Context, by book.Actor, note string) error {
	note, err := book.ResetNote(note)
	if err != nil {
		return fmt.Errorf("cell %s: %w", c.id, err)
	}
	reset := book.CellReset{Actor: by, Note: note, Machine: c.cfg.Machine != nil}
	if c.cfg.Machine == nil {
		was, err := c.clearReported(ctx, reset)
		if err != nil {
			return err
		}
		if !was {
			return fmt.Errorf("cell %s: %w", c.id, ErrManual)
		}
		return nil
	}
	if err := c.cfg.Machine.Command(ctx, configs.CommandReset, nil); err != nil {
		return fmt.Errorf("resetting device %s: %w", c.cfg.Device, err)
	}
	c.log.Info("machine reset requested", "device", c.cfg.Device, "by", by)
	_, err = c.clearReported(ctx, reset)
	return err
}

// clearReported forgets a reported fault, in the book and here, and wakes Run; it reports
// whether there was one.
func (c *Cell) clearReported(ctx context.Context, reset book.CellReset) (bool, error) {
	c.reportMu.Lock()
	defer c.reportMu.Unlock()
	stored, err := c.cfg.Book.ClearReport(ctx, c.id, reset)
	if err != nil {
		return false, fmt.Errorf("cell %s: %w", c.id, err)
	}
	c.mu.Lock()
	was := c.reported
	c.reported, c.reportedCode = "", ""
	c.mu.Unlock()
	if !stored && was == "" {
		return false, nil
	}
	c.log.Info("reported fault cleared", "was", was, "by", reset.Actor, "note", reset.Note)
	c.wake()
	return true, nil
}

// ReportFault records a fault a person reported at the cell (code is one of the factory's fault
// reasons, by who reported it). The report is stored when ReportFault returns: the controller
// takes the cell down with the reason "fault reported by <by>: <code>" (pausing the operation
// running there and stopping the machine, if any) and keeps it down, even while the machine
// reports no fault and across restarts, until Reset. The controller's Run acts on the report.
func (c *Cell) ReportFault(ctx context.Context, code, by string) error {
	reason := fmt.Sprintf("fault reported by %s: %s", by, code)
	c.reportMu.Lock()
	defer c.reportMu.Unlock()
	if err := c.cfg.Book.ReportFault(ctx, book.CellReport{Cell: c.id, Code: code, Reason: reason, By: by}); err != nil {
		return fmt.Errorf("cell %s: %w", c.id, err)
	}
	c.mu.Lock()
	c.reported, c.reportedCode = reason, code
	c.mu.Unlock()
	c.log.Warn("fault reported", "code", code, "by", by)
	c.wake()
	return nil
}

// reportedFault returns the down reason of a reported fault, "" when none.
func (c *Cell) reportedFault() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reported
}

// report returns the down reason of a reported fault and the code it was reported with, read
// together (a reset may clear them at any moment), "" when none.
func (c *Cell) report() (reason, code string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reported, c.reportedCode
}

// stopForReport stops a machine still working its job while the cell is down for a reported
// fault, recording the units it made first. The job is sent again, for what is left, when the
// cell comes back.
func (c *Cell) stopForReport(ctx context.Context, v machineView) error {
	if !v.online || !v.running() {
		return nil
	}
	q, err := c.cfg.Book.Queue(ctx, c.id, 2) // the head, and whether another is held (see adopt)
	if err != nil {
		return fmt.Errorf("reading queue: %w", err)
	}
	if len(q) > 0 && q[0].State != book.Queued {
		if c.job == nil {
			c.adopt(q, v)
		}
		if c.job != nil && c.job.op == q[0].ID {
			if err := c.recordProgress(ctx, &q[0], v); err != nil {
				return err
			}
		}
	}
	if err := c.cfg.Machine.Command(ctx, configs.CommandStop, nil); err != nil {
		return fmt.Errorf("stopping device %s: %w", c.cfg.Device, err)
	}
	if c.job != nil {
		c.job.stop = true
	}
	c.log.Info("machine stopped for a reported fault")
	return nil
}
