package book_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/cellforge/cellforge/book"
)

// TestGenealogy follows an order of two rugs, one lost at the loom and remade: each unit's
// genealogy tells its state, its order's customer, the lots of each step, what it replaced or
// what replaced it, and its certificate's revisions.
func TestGenealogy(t *testing.T) {
	fx := newFixtureOf(t, "testdata/lots.yaml")
	ctx := context.Background()
	fx.mustImport(t, "winter", "order_id,sku,quantity,customer\nC,RUG,2,Cy <the> Dyer\n")
	ops := fx.ops(t, "C")
	if _, err := fx.startWith(t, ops[0].ID, map[string]string{"yarn": "Y-1", "mordant": "M-1"}); err != nil {
		t.Fatal(err)
	}
	fx.mustAct(t, ops[0].ID, book.ActionComplete)
	if _, err := fx.startWith(t, ops[1].ID, map[string]string{"warp": "W-1"}); err != nil {
		t.Fatal(err)
	}
	fx.scrap(t, ops[1].ID, 1, "broken warp")
	fx.mustAct(t, ops[1].ID, book.ActionComplete)
	remake, err := fx.remake("C")
	if err != nil {
		t.Fatal(err)
	}
	rops := fx.ops(t, "C")
	if _, err := fx.startWith(t, rops[0].ID, map[string]string{"yarn": "Y-2", "mordant": "M-1"}); err != nil {
		t.Fatal(err)
	}
	fx.mustAct(t, rops[0].ID, book.ActionComplete)
	if err := fx.book.AppendCertificateRevision(ctx, book.CertificateRevision{Serial: "C-1", Number: 1, Form: []byte(`{}`), Hash: "h1",
		IssuedAt: fx.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	first := ops[0].WorkOrder
	tests := []struct {
		serial    string
		state     book.UnitState
		steps     []string // step: lots, "role material lot" each
		remakes   int
		replaced  string
		revisions int
	}{
		{serial: "C-1", state: book.UnitLive, remakes: 1, revisions: 1, steps: []string{
			"dye: [made  dye-20261102-001] [consumed mordant M-1] [consumed yarn Y-1]", "weave: [consumed warp W-1]"}},
		{serial: "C-2", state: book.UnitScrapped, remakes: 1, steps: []string{
			"dye: [made  dye-20261102-001] [consumed mordant M-1] [consumed yarn Y-1]", "weave: [consumed warp W-1]"}},
		{serial: "C-3", state: book.UnitLive, replaced: "C-2", steps: []string{
			"dye: [made  dye-20261102-002] [consumed mordant M-1] [consumed yarn Y-2]"}},
	}
	for _, tc := range tests {
		t.Run(tc.serial, func(t *testing.T) {
			g, err := fx.book.Genealogy(ctx, tc.serial)
			if err != nil {
				t.Fatal(err)
			}
			if g.Unit.Serial != tc.serial || g.State != tc.state || g.Order.Customer != "Cy <the> Dyer" || g.Order.OrderID != "C" {
				t.Errorf("unit %+v %s of order %+v", g.Unit, g.State, g.Order)
			}
			var steps []string
			for _, s := range g.Steps {
				v := s.Operation.Capability + ":"
				for _, l := range s.Lots {
					v += fmt.Sprintf(" [%s %s %s]", l.Role, l.Material, l.Lot)
				}
				steps = append(steps, v)
				if len(s.Acts) == 0 {
					t.Errorf("step %s: no one acted on it", s.Operation.Capability)
				}
			}
			if fmt.Sprint(steps) != fmt.Sprint(tc.steps) {
				t.Errorf("steps = %q, want %q", steps, tc.steps)
			}
			if len(g.Remakes) != tc.remakes || (tc.remakes > 0 && g.Remakes[0].ID != remake.WorkOrder.ID) {
				t.Errorf("remakes = %+v, want %d", g.Remakes, tc.remakes)
			}
			var replaced string
			for _, u := range g.Replaced {
				replaced += u.Serial
			}
			if replaced != tc.replaced || (tc.replaced != "" && g.WorkOrder.RemakeOf != first) {
				t.Errorf("replaced %q (a remake of %d), want %q", replaced, g.WorkOrder.RemakeOf, tc.replaced)
			}
			if g.Revisions != tc.revisions || (tc.revisions > 0) == g.LastIssued.IsZero() {
				t.Errorf("revisions %d, last issued %v; want %d", g.Revisions, g.LastIssued, tc.revisions)
			}
		})
	}
	if _, err := fx.book.Genealogy(ctx, "C-9"); !errors.Is(err, book.ErrUnknownUnit) {
		t.Errorf("the genealogy of no unit: %v, want ErrUnknownUnit", err)
	}
}

// TestFind: a search names a unit by serial, an order by id or a lot by id, in that order;
// anything else is nothing found, and a control character, an empty or too long search is
// refused.
func TestFind(t *testing.T) {
	fx := newFixtureOf(t, "testdata/lots.yaml")
	ctx := context.Background()
	fx.mustImport(t, "winter", "order_id,sku,quantity,customer\nC,RUG,1,Cy\nY-1,RUG,1,An order named as a lot\n")
	op := fx.ops(t, "C")[0]
	if _, err := fx.startWith(t, op.ID, map[string]string{"yarn": "Y-1", "mordant": "M-1 <b>"}); err != nil {
		t.Fatal(err)
	}
	fx.mustAct(t, op.ID, book.ActionComplete)
	for _, tc := range []struct {
		name, text string
		want       book.FoundKind
		err        error
	}{
		{"a serial", "C-1", book.FoundUnit, nil},
		{"an order", "C", book.FoundOrder, nil},
		{"an order before a lot of the same id", "Y-1", book.FoundOrder, nil},
		{"a lot", "M-1 <b>", book.FoundLot, nil},
		{"a made lot", "dye-20261102-001", book.FoundLot, nil},
		{"a lot's prefix", "M-1", "", book.ErrNothingFound},
		{"nothing", "C-2", "", book.ErrNothingFound},
		{"empty", "", "", book.ErrInvalid},
		{"a line break", "C-1\n", "", book.ErrInvalid},
		{"a zero-width space", "C\u200b-1", "", book.ErrInvalid},
		{"129 characters", fmt.Sprintf("%0129d", 0), "", book.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := fx.book.Find(ctx, tc.text)
			if got != tc.want || !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
				t.Errorf("Find(%q) = %q, %v; want %q, %v", tc.text, got, err, tc.want, tc.err)
			}
		})
	}
	if _, err := fx.book.Find(ctx, fmt.Sprintf("%0128d", 0)); !errors.Is(err, book.ErrNothingFound) {
		t.Errorf("a search of 128 characters: %v, want nothing found", err)
	}
	if _, err := fx.book.Genealogy(ctx, "C-1\x00"); !errors.Is(err, book.ErrInvalid) {
		t.Errorf("the genealogy of a serial with NUL: %v, want ErrInvalid", err)
	}
}
