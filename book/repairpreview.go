package book

import (
	"context"
	"time"
)

// PreviewEstimate returns the estimate a diagnosis of repair id choosing services would make
// now, with the promise dates standard and express, and stores nothing: the care plan
// entitlements it would apply are read, not reserved. Only a received repair is diagnosed, so
// only one has a preview (a *RepairStateError otherwise); bad services are a *FieldError.
func (b *Book) PreviewEstimate(ctx context.Context, id string, services []string, standard, express time.Time) (Estimate, error) {
	a, err := b.aftercare()
	if err != nil {
		return Estimate{}, err
	}
	var e Estimate
	err = b.store.Read(ctx, func(tx ReadTx) error {
		now := b.clock()
		r, err := readRepair(tx, id, now)
		if err != nil {
			return err
		}
		if r.State != RepairReceived {
			return &RepairStateError{Repair: r.ID, State: r.State, Action: "be estimated", Want: []RepairState{RepairReceived}}
		}
		if err := checkServices(a, r.Kind, services); err != nil {
			return err
		}
		covered, _, err := b.coverage(tx, a, r, services, now)
		if err != nil {
			return err
		}
		if e, err = PriceEstimate(a, services, covered, standard, express); err != nil {
			return err
		}
		e.At = now
		return nil
	})
	return e, err
}
