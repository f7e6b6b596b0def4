package book

import (
	"context"
	"fmt"
	"time"
)

// A repair taken in at the counter owes its parcel slip when the studio names a slip printer
// (configs.Aftercare.SlipPrinter): the book records the slip as owed in the transaction that
// opens the repair, so that a slip is owed until it is printed, across restarts. A public
// request owes none: its customer prints the slip from the repair's page and the parcel
// arrives with it. A reprint asked for is owed the same way, for a repair in any state. The
// controller of the cell holding the slip printer prints what is owed, oldest first, and
// forgets each slip only once the printer confirmed it (SlipPrinted).

// OwedSlip is a repair's parcel slip that the slip printer owes, with what it shows.
type OwedSlip struct {
	ID int64
	// Repair is the repair's id ("R-000042").
	Repair   string
	Customer string
	// Serial is the repaired unit's serial, empty for an item the studio did not make.
	Serial string
	// Item is what staff wrote about an item that is not a unit.
	Item string
	// IntakeAt is when the repair was opened.
	IntakeAt time.Time
	// Reprint is true for a slip asked for again (ReprintSlip).
	Reprint bool
	OwedAt  time.Time
}

// oweSlip records r's slip as owed at now in tx, when the studio prints slips.
func (b *Book) oweSlip(tx Tx, r Repair, reprint bool, now time.Time) error {
	if a := b.cfg().factory.Aftercare; a == nil || a.SlipPrinter == "" {
		return nil
	}
	if err := tx.OweSlip(r.ID, reprint, now); err != nil {
		return fmt.Errorf("owing the slip of repair %s: %w", r.ID, err)
	}
	return nil
}

// ReprintSlip records a repair's parcel slip as owed again and returns it. It wraps
// ErrNoAftercare when the studio takes no repairs, ErrInvalid when it prints no slips, and
// ErrNotFound for an unknown repair.
func (b *Book) ReprintSlip(ctx context.Context, id string) (OwedSlip, error) {
	a, err := b.aftercare()
	if err != nil {
		return OwedSlip{}, err
	}
	if a.SlipPrinter == "" {
		return OwedSlip{}, fmt.Errorf("%w: the studio prints no parcel slips (aftercare.slip_printer)", ErrInvalid)
	}
	var out OwedSlip
	err = b.store.Write(ctx, func(tx Tx) error {
		now := b.clock()
		r, err := readRepair(tx, id, now)
		if err != nil {
			return err
		}
		if err := b.oweSlip(tx, r, true, now); err != nil {
			return err
		}
		out = OwedSlip{Repair: r.ID, Customer: r.Customer, Serial: r.Serial, Item: r.Item, IntakeAt: r.IntakeAt,
			Reprint: true, OwedAt: now}
		return nil
	})
	if err != nil {
		return OwedSlip{}, err
	}
	return out, nil
}

// OwedSlips returns up to limit (all when limit <= 0) parcel slips owed, oldest first, and
// how many are owed in all.
func (b *Book) OwedSlips(ctx context.Context, limit int) ([]OwedSlip, int, error) {
	var (
		out   []OwedSlip
		total int
	)
	err := b.store.Read(ctx, func(tx ReadTx) error {
		var err error
		if out, err = tx.OwedSlips(limit); err != nil {
			return err
		}
		total = len(out)
		if limit > 0 && total == limit {
			total, err = tx.CountOwedSlips()
		}
		return err
	})
	return out, total, err
}

// SlipPrinted forgets an owed slip: its printer confirmed it. A slip no longer owed is no
// error.
func (b *Book) SlipPrinted(ctx context.Context, id int64) error {
	return b.store.Write(ctx, func(tx Tx) error {
		if _, err := tx.DeleteOwedSlip(id); err != nil {
			return fmt.Errorf("forgetting printed slip %d: %w", id, err)
		}
		return nil
	})
}
