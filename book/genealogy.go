package book

import (
	"context"
	"fmt"
	"time"
)

// Genealogy is a unit's whole story as the studio's staff see it: its story (each operation
// that made it, with who acted, its readings and lots; the makers' notes and photos, private
// ones too), its order with the customer, what it replaced or what replaced it, and its
// certificate's revisions. It holds personal data (the customer, people's names): never for
// the public.
type Genealogy struct {
	Story
	// State is where the unit stands: live, finished or scrapped.
	State UnitState
	// Order is the unit's order, with its customer.
	Order Order
	// Replaced, for a unit of a remake, are the scrapped units of the work order the remake
	// makes up for (WorkOrder.RemakeOf), by number.
	Replaced []Unit
	// Remakes are the work orders of the order that make up for units its work order lost, by
	// id: a scrapped unit's replacement is among their units.
	Remakes []WorkOrder
	// Revisions is how many revisions the unit's certificate has; LastIssued when the newest
	// was issued (zero without one).
	Revisions  int
	LastIssued time.Time
}

// Genealogy returns the genealogy of the unit with a serial, in one read: an error wrapping
// ErrUnknownUnit when no unit has it, and one wrapping ErrInvalid when CheckFind refuses it.
func (b *Book) Genealogy(ctx context.Context, serial string) (Genealogy, error) {
	if err := CheckFind("serial", serial); err != nil {
		return Genealogy{}, err
	}
	var g Genealogy
	err := b.store.Read(ctx, func(tx ReadTx) error {
		var err error
		if g.Story, err = b.storyOf(tx, serial); err != nil {
			return err
		}
		wo := g.WorkOrder
		g.State = g.Unit.StateIn(wo)
		g.Finished = g.State == UnitFinished
		found, err := tx.Orders([]string{wo.OrderID})
		if err != nil {
			return fmt.Errorf("reading order %q: %w", wo.OrderID, err)
		}
		g.Order = found[wo.OrderID]
		wos, err := tx.WorkOrdersOf([]string{wo.OrderID})
		if err != nil {
			return fmt.Errorf("reading the work orders of order %q: %w", wo.OrderID, err)
		}
		for _, w := range wos {
			if w.RemakeOf == wo.ID {
				g.Remakes = append(g.Remakes, w)
			}
		}
		if wo.RemakeOf != 0 {
			units, err := tx.Units(wo.RemakeOf)
			if err != nil {
				return fmt.Errorf("reading the units of work order %d: %w", wo.RemakeOf, err)
			}
			for _, r := range units {
				if r.Scrapped != nil {
					g.Replaced = append(g.Replaced, r)
				}
			}
		}
		revs, err := tx.CertificateRevisions(serial)
		if err != nil {
			return fmt.Errorf("reading the certificate of unit %q: %w", serial, err)
		}
		if g.Revisions = len(revs); g.Revisions > 0 {
			g.LastIssued = revs[len(revs)-1].IssuedAt
		}
		return nil
	})
	return g, err
}
