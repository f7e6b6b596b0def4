package book

import (
	"context"
	"errors"
	"fmt"

	"github.com/cellforge/cellforge/configs"
)

// What a site of a network needs of its repairs: the kinds it repairs, a repair by the
// network's id (its External), and the candidate of a diagnosis for a promise.

// RepairKinds returns the ids of the kinds of items the studio repairs, in the order of its
// aftercare section; none when it has no aftercare section.
func (b *Book) RepairKinds() []string {
	a := b.cfg().factory.Aftercare
	if a == nil {
		return nil
	}
	kinds := make([]string, len(a.Kinds))
	for i, k := range a.Kinds {
		kinds[i] = k.ID
	}
	return kinds
}

// RepairByExternal returns the repair opened for the external id external, in its state now;
// an error wrapping ErrNotFound when the book holds none.
func (b *Book) RepairByExternal(ctx context.Context, external string) (Repair, error) {
	var r Repair
	err := b.store.Read(ctx, func(tx ReadTx) error {
		var err error
		r, err = tx.RepairByExternal(external)
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("repair of external id %q: %w", external, ErrNotFound)
		}
		if err == nil {
			derive(&r, b.clock())
		}
		return err
	})
	return r, err
}

// DiagnosisCandidate returns the work order a repair's diagnosis would add (the aftercare
// section's diagnosis step), for a promise of its date; ErrNoAftercare wrapped when the studio
// takes no repairs.
func (b *Book) DiagnosisCandidate() (Candidate, error) {
	if _, err := b.aftercare(); err != nil {
		return Candidate{}, err
	}
	o := Order{SKU: configs.DiagnosisSKU, Quantity: 1, Priority: 1}
	return Candidate{Order: o, Operations: b.routing(o)}, nil
}
