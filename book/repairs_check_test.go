package book_test

import (
	"context"
	"errors"
	"testing"

	"github.com/cellforge/cellforge/book"
)

// TestCheckRepairIntake: the check refuses what OpenRepair refuses, with the same field, and
// stores nothing either way.
func TestCheckRepairIntake(t *testing.T) {
	ctx := context.Background()
	fx, serials := newRepairFixture(t, 1)
	tests := []struct {
		name    string
		in      book.RepairIntake
		field   string
		unknown bool
	}{
		{name: "good", in: book.RepairIntake{Serial: serials[0], Customer: "Ana", Checklist: map[string]string{"fringe": "yes"}}},
		{name: "no name", in: book.RepairIntake{Serial: serials[0]}, field: "customer"},
		{name: "a control character", in: book.RepairIntake{Serial: serials[0], Customer: "Ana", Contact: "ana\x00@example.org"}, field: "contact"},
		{name: "an unknown checklist item", in: book.RepairIntake{Serial: serials[0], Customer: "Ana", Checklist: map[string]string{"smell": "yes"}},
			field: "checklist.smell"},
		{name: "a serial of no unit", in: book.RepairIntake{Serial: "NOPE-1", Customer: "Ana"}, unknown: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Source = book.SourcePublic
			before := fx.rowCounts(t)
			err := fx.book.CheckRepairIntake(ctx, tt.in)
			var fe *book.FieldError
			switch {
			case tt.unknown:
				if !errors.Is(err, book.ErrUnknownUnit) {
					t.Errorf("check = %v, want ErrUnknownUnit", err)
				}
			case tt.field == "":
				if err != nil {
					t.Errorf("check = %v", err)
				}
			case !errors.As(err, &fe) || fe.Field != tt.field:
				t.Errorf("check = %v, want a field error of %s", err, tt.field)
			}
			if after := fx.rowCounts(t); after != before {
				t.Errorf("the check stored something: %s, before %s", after, before)
			}
			// OpenRepair answers the same
			_, _, openErr := fx.book.OpenRepair(ctx, tt.in)
			if (err == nil) != (openErr == nil) || err != nil && err.Error() != openErr.Error() {
				t.Errorf("check = %v, OpenRepair = %v", err, openErr)
			}
		})
	}
}
