package book_test

import (
	"context"
	"errors"
	"testing"

	"github.com/cellforge/cellforge/book"
)

// TestFindRepair: a search names a repair by its id or by the address of its staff page that
// a parcel slip's QR code holds, before the order of the same id its diagnosis belongs to; an
// address of another page or of no repair finds nothing.
func TestFindRepair(t *testing.T) {
	fx, serials := newRepairFixture(t, 1)
	r, _ := fx.counter(t, book.RepairIntake{Serial: serials[0]})
	ctx := context.Background()
	for _, tc := range []struct {
		name, text string
		want       book.FoundKind
		id         string
		err        error
	}{
		{"a repair id", r.ID, book.FoundRepair, r.ID, nil},
		{"a slip's address", "https://studio.example/manager/repairs/" + r.ID, book.FoundRepair, r.ID, nil},
		{"a slip's address over http with a port and a slash", "http://10.0.0.5:8080/manager/repairs/" + r.ID + "/", book.FoundRepair, r.ID, nil},
		{"a unit still", serials[0], book.FoundUnit, "", nil},
		{"a repair of no id", "R-000999", "", "", book.ErrNothingFound},
		{"the address of a repair of no id", "https://studio.example/manager/repairs/R-000999", "", "", book.ErrNothingFound},
		{"the address of another page", "https://studio.example/u/" + r.ID, "", "", book.ErrNothingFound},
		{"an address with a query", "https://studio.example/manager/repairs/" + r.ID + "?x=1", "", "", book.ErrNothingFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := fx.book.Find(ctx, tc.text)
			if got != tc.want || !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
				t.Fatalf("Find(%q) = %q, %v; want %q, %v", tc.text, got, err, tc.want, tc.err)
			}
			if id, ok := book.RepairIDOf(tc.text); tc.id != "" && (!ok || id != tc.id) {
				t.Errorf("RepairIDOf(%q) = %q, %v; want %q", tc.text, id, ok, tc.id)
			}
		})
	}
}
