package book_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/book"
)

// startWith starts an operation with the lots it consumes.
func (fx *fixture) startWith(t *testing.T, op int64, lots map[string]string) (book.TransitionResult, error) {
	t.Helper()
	return fx.book.Transition(context.Background(), book.TransitionRequest{Operation: op, Action: book.ActionStart, Actor: "ana", Lots: lots})
}

func (fx *fixture) lots(t *testing.T, op int64) book.OperationLots {
	t.Helper()
	l, err := fx.book.Lots(context.Background(), op)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestMadeLots: the first start of an operation of a batch step makes a lot whose id follows
// the pattern with the studio's sequence, unique; a pause and a resume make no second one, and
// the sequence goes on after the store opens again; other steps make none.
func TestMadeLots(t *testing.T) {
	fx := newFixtureOf(t, "testdata/lots.yaml")
	fx.mustImport(t, "winter", "order_id,sku,quantity\nA,RUG,1\nB,RUG,1\nC,RUG,1\nS,SCARF,1\n")
	var made []string
	for _, id := range []string{"A", "B", "C"} {
		dye := fx.ops(t, id)[0]
		fx.mustAct(t, dye.ID, book.ActionStart)
		if id == "B" {
			// A pause and a resume make no second lot.
			if _, err := fx.act(t, dye.ID, book.ActionPause, "vat too cold"); err != nil {
				t.Fatal(err)
			}
			fx.mustAct(t, dye.ID, book.ActionResume)
		}
		fx.mustAct(t, dye.ID, book.ActionComplete)
		made = append(made, fx.lots(t, dye.ID).Made)
		if id == "A" {
			// The store opens again: the sequence goes on from where it was.
			fx.restart(t)
		}
	}
	want := []string{"dye-20261102-001", "dye-20261102-002", "dye-20261102-003"}
	if !slices.Equal(made, want) {
		t.Errorf("made lots = %q, want %q", made, want)
	}
	weave := fx.ops(t, "A")[1]
	fx.mustAct(t, weave.ID, book.ActionStart)
	if got := fx.lots(t, weave.ID).Made; got != "" {
		t.Errorf("a weave step made lot %q, want none", got)
	}
	dye := fx.ops(t, "A")[0]
	if got := fx.lots(t, dye.ID).Made; got != want[0] {
		t.Errorf("after a restart A's lot = %q, want %q", got, want[0])
	}
	scarf := fx.ops(t, "S")[0]
	if l := fx.lots(t, scarf.ID); l.Made != "" || !slices.Equal(l.Missing, []string{"warp"}) {
		t.Errorf("scarf's lots = %+v, want none made and warp missing", l)
	}
	var kinds int
	for _, e := range fx.events(t) {
		if e.Kind == book.EventOperationLots {
			kinds++
		}
	}
	if kinds != 3 {
		t.Errorf("%d %s events, want 3 (one per made lot)", kinds, book.EventOperationLots)
	}
}

// TestConsumedLotsRefused: a lot id that is empty, too long, holds a control or format
// character or a space at an end, or a material the step does not consume, refuses the whole
// start or record with an error naming the field, and nothing is stored: not the other lots,
// not the made lot, not the start.
func TestConsumedLotsRefused(t *testing.T) {
	long := strings.Repeat("y", 65)
	tests := []struct {
		name string
		lots map[string]string
		want string // in the error, which wraps book.ErrInvalid
	}{
		{name: "a material the step does not consume", lots: map[string]string{"yarn": "Y-1", "warp": "W-1"},
			want: `lots.warp: step "dye" does not consume "warp" (it consumes yarn, mordant)`},
		{name: "empty", lots: map[string]string{"yarn": "Y-1", "mordant": ""}, want: "lots.mordant: the lot id is empty"},
		{name: "too long", lots: map[string]string{"yarn": long}, want: "lots.yarn: the lot id is 65 characters long, more than 64"},
		{name: "a tab", lots: map[string]string{"yarn": "Y\t1"}, want: "lots.yarn: the lot id holds the control character U+0009 at character 2"},
		{name: "a line feed", lots: map[string]string{"yarn": "Y-1\nDROP"}, want: "U+000A at character 4"},
		{name: "a carriage return", lots: map[string]string{"yarn": "Y-1\r"}, want: "U+000D"},
		{name: "NUL", lots: map[string]string{"yarn": "Y\x001"}, want: "U+0000"},
		{name: "DEL", lots: map[string]string{"yarn": "Y\x7f1"}, want: "U+007F"},
		{name: "a C1 control", lots: map[string]string{"yarn": "Y\u00851"}, want: "U+0085"},
		{name: "a zero-width space", lots: map[string]string{"yarn": "Y-\u200b1"}, want: "U+200B"},
		{name: "a right-to-left override", lots: map[string]string{"yarn": "\u202eY-1"}, want: "U+202E at character 1"},
		{name: "a byte-order mark", lots: map[string]string{"yarn": "\ufeffY-1"}, want: "U+FEFF"},
		{name: "a line separator", lots: map[string]string{"yarn": "Y\u20281"}, want: "U+2028"},
		{name: "a leading space", lots: map[string]string{"yarn": " Y-1"}, want: `lots.yarn: the lot id " Y-1" begins or ends with a space`},
		{name: "a trailing space", lots: map[string]string{"yarn": "Y-1 "}, want: "begins or ends with a space"},
		{name: "not UTF-8", lots: map[string]string{"yarn": "Y\xff1"}, want: "lots.yarn: the lot id is not valid UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fx := newFixtureOf(t, "testdata/lots.yaml")
			fx.mustImport(t, "winter", "order_id,sku,quantity\nA,RUG,1\nB,RUG,1\n")
			dye := fx.ops(t, "A")[0]
			before := len(fx.events(t))
			_, err := fx.startWith(t, dye.ID, tc.lots)
			if !errors.Is(err, book.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("start: error = %v, want ErrInvalid saying %q", err, tc.want)
			}
			if op := fx.ops(t, "A")[0]; op.State != book.Queued || op.Version != dye.Version {
				t.Errorf("after a refused start the operation is %s at version %d, want queued at %d", op.State, op.Version, dye.Version)
			}
			if l := fx.lots(t, dye.ID); l.Made != "" || len(l.Consumed) != 0 {
				t.Errorf("after a refused start lots = %+v, want none", l)
			}
			if n := len(fx.events(t)); n != before {
				t.Errorf("%d events after a refused start, want %d", n, before)
			}

			// The same lots recorded on a running operation are refused whole too.
			other := fx.ops(t, "B")[0]
			if _, err := fx.startWith(t, other.ID, map[string]string{"yarn": "Y-0"}); err != nil {
				t.Fatal(err)
			}
			before = len(fx.events(t))
			_, err = fx.book.RecordLots(context.Background(), book.RecordLotsRequest{Operation: other.ID, Lots: tc.lots, Actor: "ana"})
			if !errors.Is(err, book.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("record: error = %v, want ErrInvalid saying %q", err, tc.want)
			}
			l := fx.lots(t, other.ID)
			if len(l.Consumed) != 1 || l.Consumed[0].Lot != "Y-0" || !slices.Equal(l.Missing, []string{"mordant"}) {
				t.Errorf("after a refused record lots = %+v, want yarn Y-0 alone, mordant missing", l)
			}
			if n := len(fx.events(t)); n != before {
				t.Errorf("%d events after a refused record, want %d", n, before)
			}
		})
	}
}

// TestRecordLots: a person records the lots an operation started without, and corrects one,
// while it runs, is paused or is done; not before it starts nor once scrapped.
func TestRecordLots(t *testing.T) {
	fx := newFixtureOf(t, "testdata/lots.yaml")
	ctx := context.Background()
	fx.mustImport(t, "winter", "order_id,sku,quantity\nA,RUG,1\nB,RUG,2\n")
	a := fx.ops(t, "A")[0]
	record := func(op int64, lots map[string]string) (book.OperationLots, error) {
		return fx.book.RecordLots(ctx, book.RecordLotsRequest{Operation: op, Lots: lots, Actor: "ines"})
	}
	if _, err := record(a.ID, map[string]string{"yarn": "Y-1"}); !errors.Is(err, book.ErrLotsNotRecordable) {
		t.Errorf("recording on a queued operation: error = %v, want ErrLotsNotRecordable", err)
	}
	fx.mustAct(t, a.ID, book.ActionStart) // as a machine starts it: no lots
	if l := fx.lots(t, a.ID); !slices.Equal(l.Missing, []string{"yarn", "mordant"}) || l.Made == "" {
		t.Errorf("lots after a start without any = %+v, want a made lot and yarn, mordant missing", l)
	}
	l, err := record(a.ID, map[string]string{"yarn": "Y-9"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(l.Missing, []string{"mordant"}) || len(l.Consumed) != 1 || l.Consumed[0].Actor != "ines" {
		t.Errorf("lots = %+v, want yarn Y-9 by ines, mordant missing", l)
	}
	fx.mustAct(t, a.ID, book.ActionComplete)
	// A correction once done replaces the lot; the same lot again changes nothing.
	if _, err := record(a.ID, map[string]string{"yarn": "Y-1", "mordant": "M-1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := record(a.ID, map[string]string{"yarn": "Y-1"}); err != nil {
		t.Fatal(err)
	}
	var reasons []string
	for _, e := range opEvents(t, fx, a.ID) {
		if e.Kind == book.EventOperationLots {
			reasons = append(reasons, e.Reason)
		}
	}
	want := []string{"lots: made dye-20261102-001", "lots: yarn Y-9", "lots: mordant M-1; yarn Y-1"}
	if !slices.Equal(reasons, want) {
		t.Errorf("lot events = %q, want %q", reasons, want)
	}
	if _, err := fx.book.LotTrace(ctx, "Y-9"); !errors.Is(err, book.ErrUnknownLot) {
		t.Errorf("trace of the corrected lot: error = %v, want ErrUnknownLot", err)
	}
	b := fx.ops(t, "B")[0]
	fx.scrap(t, b.ID, 0, "dropped in the vat")
	if _, err := record(b.ID, map[string]string{"yarn": "Y-1"}); !errors.Is(err, book.ErrLotsNotRecordable) {
		t.Errorf("recording on a scrapped operation: error = %v, want ErrLotsNotRecordable", err)
	}
	if _, err := fx.act(t, a.ID, book.ActionPause, "x"); err == nil {
		t.Fatal("paused a done operation")
	}
	if _, err := fx.book.Transition(ctx, book.TransitionRequest{Operation: a.ID, Action: book.ActionComplete, Actor: "ana",
		Lots: map[string]string{"yarn": "Y-1"}}); !errors.Is(err, book.ErrInvalid) {
		t.Errorf("lots given to complete: error = %v, want ErrInvalid", err)
	}
}

// TestLotTrace follows a hand-counted scenario: five rug orders dyed in five baths from two
// yarn lots, woven on two warp lots, one of them remade from the other yarn lot; each trace
// lists exactly the work orders whose operations made or consumed the lot.
func TestLotTrace(t *testing.T) {
	fx := newFixtureOf(t, "testdata/lots.yaml")
	ctx := context.Background()
	fx.mustImport(t, "winter", "order_id,sku,quantity,customer\nA,RUG,2,Ada\nB,RUG,1,Bo\nC,RUG,3,Cy\nD,RUG,1,Di\nE,RUG,1,Ed\nF,RUG,1,Flo\n")
	// dye runs an order's dye bath from a yarn lot ("" starts it as a machine does and records
	// the lot afterwards) and weaves it on a warp lot ("": not woven).
	dye := func(order, yarn, warp string, scrap int) {
		t.Helper()
		op := fx.ops(t, order)[0]
		if order == "E" {
			fx.mustAct(t, op.ID, book.ActionStart)
			if _, err := fx.book.RecordLots(ctx, book.RecordLotsRequest{Operation: op.ID, Lots: map[string]string{"yarn": yarn}, Actor: "ana"}); err != nil {
				t.Fatal(err)
			}
		} else if _, err := fx.startWith(t, op.ID, map[string]string{"yarn": yarn, "mordant": "M-1"}); err != nil {
			t.Fatal(err)
		}
		if scrap > 0 {
			fx.scrap(t, op.ID, scrap, "uneven dye")
		}
		fx.mustAct(t, op.ID, book.ActionComplete)
		if warp != "" {
			weave := fx.ops(t, order)[1]
			if _, err := fx.startWith(t, weave.ID, map[string]string{"warp": warp}); err != nil {
				t.Fatal(err)
			}
			fx.mustAct(t, weave.ID, book.ActionComplete)
		}
	}
	dye("A", "Y-1", "W-1", 0) // bath dye-...-001
	dye("B", "Y-1", "W-2", 0) // 002
	dye("C", "Y-1", "", 1)    // 003; one unit lost
	dye("D", "Y-2", "W-1", 0) // 004
	dye("E", "Y-2", "", 0)    // 005
	remake, err := fx.remake("C")
	if err != nil {
		t.Fatal(err)
	}
	remadeDye := remake.WorkOrder.ID
	dye("C", "Y-2", "", 0) // the remake: 006
	// F is not dyed at all. C's first work order is woven on W-2, losing a unit.
	firstC, err := fx.book.WorkOrder(ctx, fx.detail(t, "C").WorkOrders[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	weaveC := firstC.Operations[1]
	if _, err := fx.startWith(t, weaveC.ID, map[string]string{"warp": "W-2"}); err != nil {
		t.Fatal(err)
	}
	fx.scrap(t, weaveC.ID, 1, "broken warp")

	woOf := func(order string) int64 {
		_, wo, err := fx.book.Order(ctx, order)
		if err != nil {
			t.Fatal(err)
		}
		return wo.ID
	}
	first := func(order string) int64 {
		d := fx.detail(t, order)
		return d.WorkOrders[0].ID
	}
	tests := []struct {
		lot   string
		made  bool
		want  []string // order/work order/role/material per traced work order
		units []string // the traced units, "serial state", by work order and number
	}{
		{lot: "Y-1", want: []string{
			fmt.Sprintf("A/%d/consumed/yarn", woOf("A")), fmt.Sprintf("B/%d/consumed/yarn", woOf("B")), fmt.Sprintf("C/%d/consumed/yarn", first("C"))},
			units: []string{"A-1 live", "A-2 live", "B-1 live", "C-1 live", "C-2 scrapped"}},
		{lot: "Y-2", want: []string{
			fmt.Sprintf("D/%d/consumed/yarn", woOf("D")), fmt.Sprintf("E/%d/consumed/yarn", woOf("E")), fmt.Sprintf("C/%d/consumed/yarn", remadeDye)},
			units: []string{"D-1 live", "E-1 live", "C-4 live"}},
		{lot: "W-1", want: []string{fmt.Sprintf("A/%d/consumed/warp", woOf("A")), fmt.Sprintf("D/%d/consumed/warp", woOf("D"))},
			units: []string{"A-1 live", "A-2 live", "D-1 live"}},
		{lot: "W-2", want: []string{fmt.Sprintf("B/%d/consumed/warp", woOf("B")), fmt.Sprintf("C/%d/consumed/warp", first("C"))},
			units: []string{"B-1 live", "C-1 live", "C-2 scrapped"}},
		{lot: "M-1", want: []string{
			fmt.Sprintf("A/%d/consumed/mordant", woOf("A")), fmt.Sprintf("B/%d/consumed/mordant", woOf("B")),
			fmt.Sprintf("C/%d/consumed/mordant", first("C")), fmt.Sprintf("D/%d/consumed/mordant", woOf("D")),
			fmt.Sprintf("C/%d/consumed/mordant", remadeDye)},
			units: []string{"A-1 live", "A-2 live", "B-1 live", "C-1 live", "C-2 scrapped", "D-1 live", "C-4 live"}},
		{lot: "dye-20261102-002", made: true, want: []string{fmt.Sprintf("B/%d/made/", woOf("B"))}, units: []string{"B-1 live"}},
		{lot: "dye-20261102-006", made: true, want: []string{fmt.Sprintf("C/%d/made/", remadeDye)}, units: []string{"C-4 live"}},
	}
	for _, tc := range tests {
		t.Run(tc.lot, func(t *testing.T) {
			tr, err := fx.book.LotTrace(ctx, tc.lot)
			if err != nil {
				t.Fatal(err)
			}
			var got, units []string
			customers := map[string]string{"A": "Ada", "B": "Bo", "C": "Cy", "D": "Di", "E": "Ed"}
			for _, wo := range tr.WorkOrders {
				for _, u := range wo.Uses {
					got = append(got, fmt.Sprintf("%s/%d/%s/%s", wo.OrderID, wo.ID, u.Role, u.Material))
				}
				for _, u := range wo.Units {
					units = append(units, fmt.Sprintf("%s %s", u.Serial, u.State))
				}
				if wo.Customer != customers[wo.OrderID] {
					t.Errorf("work order %d: customer %q, want %q", wo.ID, wo.Customer, customers[wo.OrderID])
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("traced = %q, want %q", got, tc.want)
			}
			if !slices.Equal(units, tc.units) {
				t.Errorf("traced units = %q, want %q", units, tc.units)
			}
			if (tr.Made != nil) != tc.made {
				t.Errorf("made = %+v, want made %v", tr.Made, tc.made)
			}
			if tc.made && (tr.Made.Capability != "dye" || len(tr.Consumed) != 0) {
				t.Errorf("made by %+v, consumed by %+v: want a dye step alone", tr.Made, tr.Consumed)
			}
		})
	}
	if _, err := fx.book.LotTrace(ctx, "Y-3"); !errors.Is(err, book.ErrUnknownLot) {
		t.Errorf("trace of a lot never used: error = %v, want ErrUnknownLot", err)
	}
	if _, err := fx.book.LotTrace(ctx, "Y\n1"); !errors.Is(err, book.ErrInvalid) {
		t.Errorf("trace of a lot id with a line break: error = %v, want ErrInvalid", err)
	}
	like, err := fx.book.LotsLike(ctx, "dye-20261102-00", 3)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"dye-20261102-001", "dye-20261102-002", "dye-20261102-003"}; !slices.Equal(like, want) {
		t.Errorf("LotsLike = %q, want %q", like, want)
	}
}
