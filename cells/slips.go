package cells

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/cellforge/cellforge/book"
)

// SlipPrinter prints repairs' parcel slips: the studio's label printer that
// configs.Aftercare.SlipPrinter names.
type SlipPrinter interface {
	PrintSlip(ctx context.Context, s Slip) error
}

// Slip is what a repair's parcel slip shows.
type Slip struct {
	// Repair is the repair's id, printed large.
	Repair   string
	Customer string
	// Serial is the repaired unit's serial; Item, what staff wrote about an item the studio did
	// not make, when Serial is empty.
	Serial, Item string
	Intake       time.Time
	// URL is the repair's staff page, for the slip's QR code.
	URL string
}

// ErrNoSlipPrinter is returned when a slip is asked of a cell that does not hold the studio's
// slip printer.
var ErrNoSlipPrinter = errors.New("the cell does not hold the slip printer")

// slip is what the slip owed shows: the cell's SlipURL with the repair's id for {id}.
func (c *Cell) slip(s book.OwedSlip) Slip {
	return Slip{Repair: s.Repair, Customer: s.Customer, Serial: s.Serial, Item: s.Item, Intake: s.IntakeAt,
		URL: strings.ReplaceAll(c.cfg.SlipURL, "{id}", url.PathEscape(s.Repair))}
}

// ReprintSlip prints the parcel slip of repair id again. The slip is stored as owed (see
// [book.Book.ReprintSlip]) and printed with the slips owed, oldest first, after the labels the
// cell owes. When the printer fails, the slip stays owed (the controller prints it once the
// printer answers again, after a restart too) and ReprintSlip returns owed true with the
// error: asking again would print it twice.
func (c *Cell) ReprintSlip(ctx context.Context, id string) (owed bool, err error) {
	if c.cfg.Slips == nil {
		return false, fmt.Errorf("cell %s: %w", c.id, ErrNoSlipPrinter)
	}
	s, err := c.cfg.Book.ReprintSlip(ctx, id)
	if err != nil {
		return false, err
	}
	c.log.Info("slip reprint", "repair", s.Repair)
	if err := c.printOwedSlips(ctx); err != nil {
		c.unsettle() // Run prints it when the printer answers again
		return true, err
	}
	return false, nil
}

// printOwedSlips prints the parcel slips owed, oldest first, stopping at the first failure, as
// printOwed prints labels: a slip is forgotten only once the printer confirmed it, so that it
// is printed once but for the windows the printer protocol leaves open (docs/ARCHITECTURE.md);
// a copy carries the same repair id, which tells it.
func (c *Cell) printOwedSlips(ctx context.Context) error {
	if c.cfg.Slips == nil {
		return nil
	}
	c.printMu.Lock()
	defer c.printMu.Unlock()
	if err := forgetPrinted(ctx, &c.slipsPrinted, c.cfg.Book.SlipPrinted); err != nil {
		return fmt.Errorf("recording slips printed: %w", err)
	}
	for {
		owed, total, err := c.cfg.Book.OwedSlips(ctx, printBatch)
		if err != nil {
			return err
		}
		c.setSlipsOwed(total)
		if len(owed) == 0 {
			return nil
		}
		for i, s := range owed {
			if err := ctx.Err(); err != nil {
				return err
			}
			// Not cancelled once sent, as a label.
			if err := c.cfg.Slips.PrintSlip(context.WithoutCancel(ctx), c.slip(s)); err != nil {
				return fmt.Errorf("slip of repair %s: %w", s.Repair, err)
			}
			if err := c.cfg.Book.SlipPrinted(context.WithoutCancel(ctx), s.ID); err != nil {
				// Kept, and recorded before the next print: it is not printed again.
				keepPrinted(&c.slipsPrinted, s.ID)
				return fmt.Errorf("slip of repair %s printed: %w", s.Repair, err)
			}
			c.setSlipsOwed(total - i - 1)
		}
	}
}

func (c *Cell) setSlipsOwed(n int) {
	c.mu.Lock()
	c.slipsOwed = n
	c.mu.Unlock()
}
