package book_test

import (
	"context"
	"errors"
	"testing"

	"github.com/cellforge/cellforge/book"
)

// TestCounterIntakeOwesAParcelSlip: with a slip printer named, a repair taken in at the counter
// owes its slip from the transaction that opens it; a public request owes none (its customer
// prints the slip from the repair's page); a reprint owes one more; without a slip printer
// nothing is owed and a reprint is refused.
func TestCounterIntakeOwesAParcelSlip(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		printer string
		want    int
	}{
		{name: "a slip printer", printer: "labeller-1", want: 1},
		{name: "no slip printer", printer: "", want: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fx, serials := newRepairFixture(t, 2)
			fx.factory.Aftercare.SlipPrinter = tc.printer
			counter, _ := fx.counter(t, book.RepairIntake{Serial: serials[0]})
			if _, _, err := fx.book.OpenRepair(ctx, book.RepairIntake{Source: book.SourcePublic, Serial: serials[1],
				Customer: "Ana", Contact: "ana@example.com", Description: "a loose fringe"}); err != nil {
				t.Fatalf("a public request: %v", err)
			}
			owed, n, err := fx.book.OwedSlips(ctx, 0)
			if err != nil || n != tc.want || len(owed) != tc.want {
				t.Fatalf("OwedSlips = %+v, %d, %v; want %d", owed, n, err, tc.want)
			}
			if tc.want == 1 {
				s := owed[0]
				if s.Repair != counter.ID || s.Customer != "Ana" || s.Serial != serials[0] || !s.IntakeAt.Equal(counter.IntakeAt) || s.Reprint {
					t.Errorf("slip owed = %+v, want the counter intake's %s", s, counter.ID)
				}
				if err := fx.book.SlipPrinted(ctx, s.ID); err != nil {
					t.Fatal(err)
				}
			}
			_, err = fx.book.ReprintSlip(ctx, counter.ID)
			switch {
			case tc.printer == "" && !errors.Is(err, book.ErrInvalid):
				t.Errorf("a reprint without a slip printer = %v, want ErrInvalid", err)
			case tc.printer != "" && err != nil:
				t.Errorf("a reprint: %v", err)
			}
			want := 0
			if tc.printer != "" {
				want = 1
			}
			if owed, n, err := fx.book.OwedSlips(ctx, 1); err != nil || n != want || (want == 1 && !owed[0].Reprint) {
				t.Errorf("after the print and a reprint: OwedSlips = %+v, %d, %v; want the reprint alone", owed, n, err)
			}
		})
	}
}
