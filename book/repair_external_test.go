package book_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/book"
)

// TestOpenRepairExternal: a repair opened with an external id is opened once: the same intake
// again returns it (without a link) and opens no second repair or work order; the id for
// another item or customer is refused naming external; an external id too long is refused.
func TestOpenRepairExternal(t *testing.T) {
	ctx := context.Background()
	fx, serials := newRepairFixture(t, 1)
	in := book.RepairIntake{Source: book.SourceCounter, Serial: serials[0], Customer: "Ana", External: " NR-1 ", Actor: "ines"}
	first, link, err := fx.book.OpenRepair(ctx, in)
	if err != nil || link == "" || first.External != "NR-1" || first.State != book.RepairReceived {
		t.Fatalf("first open: %+v, link %q, %v", first, link, err)
	}
	again, link, err := fx.book.OpenRepair(ctx, in)
	if err != nil || link != "" || again.ID != first.ID || again.DiagnosisWorkOrder != first.DiagnosisWorkOrder {
		t.Fatalf("open again: %+v, link %q, %v; want %s without a link", again, link, err, first.ID)
	}
	if rs, err := fx.book.Repairs(ctx, book.RepairFilter{}); err != nil || len(rs) != 1 {
		t.Fatalf("repairs after opening twice: %d, %v; want 1", len(rs), err)
	}
	var fe *book.FieldError
	other := in
	other.Customer = "Bo"
	if _, _, err := fx.book.OpenRepair(ctx, other); !errors.As(err, &fe) || fe.Field != "external" {
		t.Errorf("the id for another customer: %v; want a field error naming external", err)
	}
	long := in
	long.External = strings.Repeat("x", book.MaxRepairExternal+1)
	if _, _, err := fx.book.OpenRepair(ctx, long); !errors.As(err, &fe) || fe.Field != "external" {
		t.Errorf("a long external id: %v; want a field error naming external", err)
	}
	item := book.RepairIntake{Source: book.SourceCounter, Item: "unit S-9 made at another site", Kind: "rug", Customer: "Ana", External: "NR-2"}
	r2, _, err := fx.book.OpenRepair(ctx, item)
	if err != nil || r2.ID == first.ID {
		t.Fatalf("a second external id: %+v, %v", r2, err)
	}
	if r, err := fx.book.Repair(ctx, r2.ID); err != nil || r.External != "NR-2" {
		t.Errorf("read back: %+v, %v", r, err)
	}
	if rs, err := fx.book.Repairs(ctx, book.RepairFilter{}); err != nil || len(rs) != 2 {
		t.Errorf("repairs: %d, %v; want 2", len(rs), err)
	}
}

// TestRepairNetworkHelpers: the kinds repaired, a repair found by its external id, and the
// candidate of a diagnosis with the diagnosis step's operation.
func TestRepairNetworkHelpers(t *testing.T) {
	ctx := context.Background()
	fx, serials := newRepairFixture(t, 1)
	if kinds := fx.book.RepairKinds(); len(kinds) == 0 || kinds[0] != "rug" {
		t.Errorf("RepairKinds = %v", kinds)
	}
	r, _, err := fx.book.OpenRepair(ctx, book.RepairIntake{Source: book.SourceCounter, Serial: serials[0], Customer: "Ana", External: "NR-7"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := fx.book.RepairByExternal(ctx, "NR-7"); err != nil || got.ID != r.ID || got.State != book.RepairReceived {
		t.Errorf("RepairByExternal(NR-7) = %+v, %v", got, err)
	}
	if _, err := fx.book.RepairByExternal(ctx, "NR-8"); !errors.Is(err, book.ErrNotFound) {
		t.Errorf("RepairByExternal(NR-8) = %v; want ErrNotFound", err)
	}
	c, err := fx.book.DiagnosisCandidate()
	if err != nil || len(c.Operations) != 1 || c.Order.Quantity != 1 {
		t.Errorf("DiagnosisCandidate = %+v, %v", c, err)
	}
}
