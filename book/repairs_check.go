package book

import "context"

// CheckRepairIntake checks what intake gives as OpenRepair would, storing nothing: a form
// that carries photos checks its fields first, so that a refused request leaves no photo in
// the photo store. Its photos are checked as given (give none to check the fields alone).
// The errors are OpenRepair's.
func (b *Book) CheckRepairIntake(ctx context.Context, in RepairIntake) error {
	a, err := b.aftercare()
	if err != nil {
		return err
	}
	return b.store.Read(ctx, func(tx ReadTx) error {
		_, err := b.checkIntake(tx, a, in)
		return err
	})
}
