package cells

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/cellforge/cellforge/book"
)

// LabelPrinter prints unit labels.
type LabelPrinter interface {
	PrintLabel(ctx context.Context, l Label) error
}

// Label is what a unit's label shows.
type Label struct {
	SKU, Drop, Serial, URL, Title string
}

// ErrNoPrinter is returned when a label is asked of a cell without a label printer.
var ErrNoPrinter = errors.New("the cell has no label printer")

// ErrNoUnit is returned when a label is owed for a unit the book holds no record of.
var ErrNoUnit = errors.New("the label's unit has no record")

// ErrNotFinished is returned when the label of a unit that is not finished yet is asked for.
var ErrNotFinished = book.ErrNotFinished

// ReprintLabel prints the label of unit unit (1-based; 0 is the last unit finished) of
// operation op again, as when it was finished, and returns its serial. The operation must
// have run at this cell, and the unit must be finished: counted by the cell's machine, or part
// of the operation's good units once it is done.
//
// The label is stored as owed (see [book.Book.ReprintLabel]) and printed with the labels the
// cell owes, oldest first. When the printer fails, the label stays owed (the controller prints
// it once the printer answers again, after a restart too) and ReprintLabel returns its serial
// together with the error: asking again would print it twice.
func (c *Cell) ReprintLabel(ctx context.Context, op int64, unit int) (serial string, err error) {
	if c.cfg.Labels == nil {
		return "", fmt.Errorf("cell %s: %w", c.id, ErrNoPrinter)
	}
	l, err := c.cfg.Book.ReprintLabel(ctx, c.id, op, unit)
	if err != nil {
		return "", err
	}
	serial = Serial(l)
	c.log.Info("label reprint", "operation", op, "serial", serial)
	if err := c.printOwed(ctx); err != nil {
		c.unsettle() // Run prints it when the printer answers again
		return serial, err
	}
	return serial, nil
}

// Serial is the serial of a unit's label: the unit's stored serial (see [book.Unit]).
func Serial(l book.OwedLabel) string { return l.Serial }

// label is what the label owed shows.
func (c *Cell) label(l book.OwedLabel) Label {
	title := l.SKU
	if p, ok := c.cfg.Current().Product(l.SKU); ok {
		title = p.Name
	}
	serial := Serial(l)
	return Label{
		SKU: l.SKU, Drop: l.Drop, Serial: serial, Title: title,
		URL: strings.ReplaceAll(c.cfg.Current().Printing.ProvenanceURL, "{serial}", url.PathEscape(serial)),
	}
}

// printBatch is how many owed labels are read at a time.
const printBatch = 50

// printOwed prints the labels the cell owes, oldest first, stopping at the first failure. A
// label is forgotten only once the printer confirmed it (the driver checks the printer's status
// after sending), so that a label is printed once, unless the process dies between the
// printer's confirmation and the book's record of it: then that one label prints again after
// the restart, with the same serial, which tells the copy. One caller prints at a time, so
// that no label is printed twice.
func (c *Cell) printOwed(ctx context.Context) error {
	if c.cfg.Labels == nil {
		return nil
	}
	c.printMu.Lock()
	defer c.printMu.Unlock()
	if err := forgetPrinted(ctx, &c.labelsPrinted, c.cfg.Book.LabelPrinted); err != nil {
		return fmt.Errorf("recording labels printed: %w", err)
	}
	for {
		owed, total, err := c.cfg.Book.OwedLabels(ctx, c.id, printBatch)
		if err != nil {
			return err
		}
		c.setOwed(total)
		if len(owed) == 0 {
			return nil
		}
		for i, l := range owed {
			if err := ctx.Err(); err != nil {
				return err
			}
			if l.Serial == "" {
				// The book makes a unit in the transaction that owes its label; a label without
				// one would print a unit no page knows.
				return fmt.Errorf("label %d: unit %d of work order %d has no record: %w", l.ID, l.Unit, l.WorkOrder, ErrNoUnit)
			}
			// Not cancelled once sent (the driver's own timeout bounds it): a print cut off
			// after the printer took it would be owed still, and print again.
			if err := c.cfg.Labels.PrintLabel(context.WithoutCancel(ctx), c.label(l)); err != nil {
				return fmt.Errorf("label %s: %w", Serial(l), err)
			}
			// Recorded even when ctx ends now: the label is on paper.
			if err := c.cfg.Book.LabelPrinted(context.WithoutCancel(ctx), l.ID); err != nil {
				// Kept, and recorded before the next print: it is not printed again.
				keepPrinted(&c.labelsPrinted, l.ID)
				return fmt.Errorf("label %s printed: %w", Serial(l), err)
			}
			c.setOwed(total - i - 1)
		}
	}
}

func (c *Cell) setOwed(n int) {
	c.mu.Lock()
	c.owed = n
	c.mu.Unlock()
}
