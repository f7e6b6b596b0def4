package book_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/configs"
)

// useSerial makes fx's book make serials by pattern from now on.
func useSerial(t *testing.T, fx *fixture, pattern string) {
	t.Helper()
	p, err := configs.ParseSerialPattern(pattern)
	if err != nil {
		t.Fatal(err)
	}
	fx.factory.Provenance.Serial = p // the book reads the factory it was given
}

// orderUnits returns the units of an order.
func orderUnits(t *testing.T, fx *fixture, orderID string) []book.Unit {
	t.Helper()
	units, err := fx.book.UnitsOfOrder(context.Background(), orderID)
	if err != nil {
		t.Fatal(err)
	}
	return units
}

// unitList shows units as "serial" for a live unit and "serial x<operation>:<reason>" for a
// scrapped one, in order.
func unitList(units []book.Unit) string {
	var out []string
	for _, u := range units {
		s := u.Serial
		if u.Scrapped != nil {
			s += fmt.Sprintf(" x%d:%s", u.Scrapped.Operation, u.Scrapped.Reason)
		}
		out = append(out, s)
	}
	return strings.Join(out, ", ")
}

func (fx *fixture) progress(t *testing.T, op int64, done int) {
	t.Helper()
	if _, err := fx.book.Progress(context.Background(), op, done, "cell"); err != nil {
		t.Fatalf("progress %d of operation %d: %v", done, op, err)
	}
}

func (fx *fixture) completeWith(t *testing.T, op int64, good int, reason string) {
	t.Helper()
	if _, err := fx.book.Transition(context.Background(), book.TransitionRequest{Operation: op, Action: book.ActionComplete,
		Actor: "ana", Good: &good, Reason: reason}); err != nil {
		t.Fatalf("completing operation %d with %d good: %v", op, good, err)
	}
}

// checkLiveUnits checks that LiveUnits tells a work order's live units as Units reads them
// all: how many, the first two and the last.
func checkLiveUnits(t *testing.T, fx *fixture, workOrder int64) {
	t.Helper()
	ctx := context.Background()
	all, err := fx.book.Units(ctx, workOrder)
	if err != nil {
		t.Fatal(err)
	}
	var live []book.Unit
	for _, u := range all {
		if u.Scrapped == nil {
			live = append(live, u)
		}
	}
	first, last, count, err := fx.book.LiveUnits(ctx, workOrder, 2)
	if err != nil {
		t.Fatal(err)
	}
	wantLast := book.Unit{}
	if len(live) > 0 {
		wantLast = live[len(live)-1]
	}
	if count != len(live) || !slices.Equal(first, live[:min(2, len(live))]) || last != wantLast {
		t.Errorf("work order %d: LiveUnits = %q, last %q, %d; want %q of %d", workOrder, unitList(first), last.Serial, count,
			unitList(live), len(live))
	}
}

// TestUnitsAreMadeWhenFirstCounted: a unit becomes a record in the transaction that first
// counts it, by the machine's count or by the completion of its step, and a later step's
// count makes none.
func TestUnitsAreMadeWhenFirstCounted(t *testing.T) {
	start := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		// run acts on order A's two steps, weave and pack; after each step's name, the units
		// A must have
		run  func(t *testing.T, fx *fixture, weave, pack int64) []string
		want []string
	}{
		{name: "counted one by one", run: func(t *testing.T, fx *fixture, weave, pack int64) []string {
			fx.mustAct(t, weave, book.ActionStart)
			fx.progress(t, weave, 2)
			a := unitList(orderUnits(t, fx, "A"))
			fx.clock.Advance(time.Hour)
			fx.progress(t, weave, 3)
			b := unitList(orderUnits(t, fx, "A"))
			fx.clock.Advance(time.Hour)
			fx.mustAct(t, weave, book.ActionComplete)
			return []string{a, b, unitList(orderUnits(t, fx, "A"))}
		}, want: []string{"A-1, A-2", "A-1, A-2, A-3", "A-1, A-2, A-3, A-4, A-5"}},
		{name: "completed without a count", run: func(t *testing.T, fx *fixture, weave, pack int64) []string {
			fx.mustAct(t, weave, book.ActionStart)
			a := unitList(orderUnits(t, fx, "A"))
			fx.mustAct(t, weave, book.ActionComplete)
			return []string{a, unitList(orderUnits(t, fx, "A"))}
		}, want: []string{"", "A-1, A-2, A-3, A-4, A-5"}},
		{name: "a later step makes none", run: func(t *testing.T, fx *fixture, weave, pack int64) []string {
			fx.mustAct(t, weave, book.ActionStart)
			fx.mustAct(t, weave, book.ActionComplete)
			before := orderUnits(t, fx, "A")
			fx.clock.Advance(time.Hour)
			fx.mustAct(t, pack, book.ActionStart)
			fx.progress(t, pack, 5)
			fx.mustAct(t, pack, book.ActionComplete)
			if after := orderUnits(t, fx, "A"); !slices.Equal(before, after) {
				t.Errorf("the pack step changed the units: %+v, were %+v", after, before)
			}
			return []string{unitList(before)}
		}, want: []string{"A-1, A-2, A-3, A-4, A-5"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fx := newFixtureOf(t, "testdata/units.yaml")
			fx.clock.Set(start)
			fx.mustImport(t, "a", "order_id,sku,quantity,customer\nA,SCARF,5,Ines\n")
			ops := fx.ops(t, "A")
			if got := tc.run(t, fx, ops[0].ID, ops[1].ID); !slices.Equal(got, tc.want) {
				t.Errorf("units after each step:\n%q\nwant\n%q", got, tc.want)
			}
			units := orderUnits(t, fx, "A")
			for i, u := range units {
				if u.Number != i+1 || u.OrderUnit != i+1 || u.Seq != int64(i+1) || u.WorkOrder != ops[0].WorkOrder ||
					u.OrderID != "A" || u.SKU != "SCARF" || u.Drop != "a" || u.Scrapped != nil {
					t.Errorf("unit %d = %+v", i+1, u)
				}
			}
			if tc.name == "counted one by one" {
				// made when counted: two at the first count, one at the next, two at completion
				want := []time.Time{start, start, start.Add(time.Hour), start.Add(2 * time.Hour), start.Add(2 * time.Hour)}
				for i, u := range units {
					if !u.CreatedAt.Equal(want[i]) {
						t.Errorf("unit %d made at %v, want %v", i+1, u.CreatedAt, want[i])
					}
				}
			}
		})
	}
}

// TestUnitsOutliveARestart: a restarted daemon reads the same units, finds them by serial, and
// goes on with the studio's sequence where it stopped.
func TestUnitsOutliveARestart(t *testing.T) {
	ctx := context.Background()
	fx := newFixtureOf(t, "testdata/units.yaml")
	useSerial(t, fx, "U{seq:4}")
	fx.mustImport(t, "a", "order_id,sku,quantity\nA,SCARF,3\nB,SCARF,2\n")
	weave := fx.ops(t, "A")[0]
	fx.mustAct(t, weave.ID, book.ActionStart)
	fx.progress(t, weave.ID, 3)
	before := orderUnits(t, fx, "A")

	fx.restart(t)
	if after := orderUnits(t, fx, "A"); !slices.Equal(after, before) {
		t.Fatalf("units after a restart = %+v, want %+v", after, before)
	}
	u, err := fx.book.Unit(ctx, "U0002")
	if err != nil || u != before[1] {
		t.Errorf("Unit(U0002) after a restart = %+v, %v; want %+v", u, err, before[1])
	}
	b := fx.ops(t, "B")[0]
	fx.mustAct(t, weave.ID, book.ActionComplete) // weave-1 is free for B
	fx.mustAct(t, b.ID, book.ActionStart)
	fx.progress(t, b.ID, 1)
	if got := unitList(orderUnits(t, fx, "B")); got != "U0004" {
		t.Errorf("B's units after the restart = %q, want U0004: the sequence goes on", got)
	}
}

// TestSerialPatterns makes the serials of the studio's pattern from every token.
func TestSerialPatterns(t *testing.T) {
	tests := []struct {
		pattern string
		want    string
	}{
		{pattern: configs.DefaultSerial, want: "A-1, A-2, B-1"},
		{pattern: "{drop}.{sku}.{seq:3}", want: "a.SCARF.001, a.SCARF.002, a-b.TAG.003"},
		{pattern: "{year}-{order}-{n}", want: "2026-A-1, 2026-A-2, 2026-B-1"},
		{pattern: "R{year}{seq:6}", want: "R2026000001, R2026000002, R2026000003"},
	}
	for _, tc := range tests {
		t.Run(tc.pattern, func(t *testing.T) {
			fx := newFixtureOf(t, "testdata/units.yaml")
			useSerial(t, fx, tc.pattern)
			fx.mustImport(t, "a", "order_id,sku,quantity\nA,SCARF,2\n")
			fx.mustImport(t, "a-b", "order_id,sku,quantity\nB,TAG,1\n")
			for _, order := range []string{"A", "B"} {
				op := fx.ops(t, order)[0]
				fx.mustAct(t, op.ID, book.ActionStart)
				fx.mustAct(t, op.ID, book.ActionComplete)
			}
			got := unitList(append(orderUnits(t, fx, "A"), orderUnits(t, fx, "B")...))
			if got != tc.want {
				t.Errorf("serials = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestSerialYearIsTheStudios: {year} is the year where the studio works (its working hours'
// time zone), not UTC's, when the two differ.
func TestSerialYearIsTheStudios(t *testing.T) {
	loc, err := time.LoadLocation("Pacific/Kiritimati") // UTC+14
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	for _, tc := range []struct {
		name string
		zone *configs.Hours
		want string
	}{
		{name: "around the clock, UTC", zone: nil, want: "2026-A-1"},
		{name: "the studio's hours' zone", zone: &configs.Hours{Location: loc}, want: "2027-A-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fx := newFixtureOf(t, "testdata/units.yaml")
			fx.factory.Hours = tc.zone
			useSerial(t, fx, "{year}-{order}-{n}")
			fx.clock.Set(time.Date(2026, 12, 31, 12, 0, 0, 0, time.UTC))
			fx.mustImport(t, "a", "order_id,sku,quantity\nA,TAG,1\n")
			op := fx.ops(t, "A")[0]
			fx.mustAct(t, op.ID, book.ActionStart)
			fx.progress(t, op.ID, 1)
			if got := unitList(orderUnits(t, fx, "A")); got != tc.want {
				t.Errorf("serial = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestSerialsAreUniqueAcrossManyWorkOrders drives many work orders through counts, scraps,
// completions and remakes in a random order and checks what must hold of every unit: serials
// unique and as the pattern makes them, the studio's sequence without gaps, each work order's
// units numbered from 1 and its live units its lowest-numbered.
func TestSerialsAreUniqueAcrossManyWorkOrders(t *testing.T) {
	for _, pattern := range []string{"{drop}-{seq:3}", configs.DefaultSerial} {
		t.Run(pattern, func(t *testing.T) {
			ctx := context.Background()
			rng := rand.New(rand.NewPCG(15, 1))
			fx := newFixtureOf(t, "testdata/units.yaml")
			useSerial(t, fx, pattern)
			var orders []string
			remakes := 0
			for _, drop := range []string{"a", "a-b"} {
				var csv strings.Builder
				csv.WriteString("order_id,sku,quantity\n")
				for i := range 12 {
					id := fmt.Sprintf("%s-%d", drop, i)
					fmt.Fprintf(&csv, "%s,%s,%d\n", id, []string{"SCARF", "TAG"}[i%2], 1+rng.IntN(4))
					orders = append(orders, id)
				}
				fx.mustImport(t, drop, csv.String())
			}
			for range 400 {
				// act on the head of a random cell's queue
				cell := []string{"weave-1", "pack-1"}[rng.IntN(2)]
				q, err := fx.book.Queue(ctx, cell, 1)
				if err != nil {
					t.Fatal(err)
				}
				if len(q) == 0 {
					continue
				}
				op := q[0].Operation
				if op.State == book.Queued {
					fx.mustAct(t, op.ID, book.ActionStart)
					continue
				}
				left := op.Quantity - op.Scrapped
				switch r := rng.IntN(10); {
				case r < 4 && op.UnitsDone < left:
					fx.progress(t, op.ID, op.UnitsDone+1)
				case r < 5 && left > 1:
					fx.scrap(t, op.ID, 1, "stain")
				case r < 6 && left > 1:
					fx.completeWith(t, op.ID, left-1, "torn")
				case r < 7:
					fx.scrap(t, op.ID, 0, "fire")
				default:
					fx.mustAct(t, op.ID, book.ActionComplete)
				}
				if rng.IntN(8) == 0 {
					order := orders[rng.IntN(len(orders))]
					_, err := fx.remake(order)
					if err != nil && !errors.Is(err, book.ErrNotShort) {
						t.Fatalf("remake of %s: %v", order, err)
					}
					if err == nil {
						remakes++
					}
				}
			}

			seen := map[string]bool{}
			var seqs []int64
			scrapped := 0
			for _, order := range orders {
				units := orderUnits(t, fx, order)
				before := map[int64]int{} // the units of the order's work orders before each
				n := 0
				for _, wo := range fx.detail(t, order).WorkOrders {
					before[wo.ID] = n
					n += wo.Quantity
				}
				for i, u := range units {
					if seen[u.Serial] {
						t.Errorf("serial %s twice", u.Serial)
					}
					seen[u.Serial] = true
					seqs = append(seqs, u.Seq)
					want := fx.factory.Provenance.Serial.Format(configs.SerialFields{OrderID: u.OrderID, SKU: u.SKU, Drop: u.Drop,
						OrderUnit: u.OrderUnit, Year: u.CreatedAt.Year(), Seq: u.Seq})
					if u.Serial != want || u.OrderUnit != before[u.WorkOrder]+u.Number {
						t.Errorf("unit %+v: want serial %s, order unit %d", u, want, before[u.WorkOrder]+u.Number)
					}
					if i == 0 || u.WorkOrder != units[i-1].WorkOrder {
						if u.Number != 1 {
							t.Errorf("work order %d's first unit is number %d", u.WorkOrder, u.Number)
						}
					} else {
						prev := units[i-1]
						if u.Number != prev.Number+1 {
							t.Errorf("work order %d: unit %d after unit %d", u.WorkOrder, u.Number, prev.Number)
						}
						if prev.Scrapped != nil && u.Scrapped == nil {
							t.Errorf("work order %d: live unit %d above scrapped unit %d", u.WorkOrder, u.Number, prev.Number)
						}
					}
					if u.Scrapped != nil {
						scrapped++
					}
				}
			}
			for _, order := range orders {
				for _, wo := range fx.detail(t, order).WorkOrders {
					checkLiveUnits(t, fx, wo.ID)
				}
			}
			slices.Sort(seqs)
			for i, s := range seqs {
				if s != int64(i+1) {
					t.Fatalf("seqs %v: want 1 to %d without gaps", seqs, len(seqs))
				}
			}
			t.Logf("%d units, %d scrapped, %d remakes", len(seqs), scrapped, remakes)
			if len(seqs) < 40 || scrapped == 0 || remakes == 0 {
				t.Errorf("the run made %d units, %d scrapped, %d remakes: too few to tell", len(seqs), scrapped, remakes)
			}
		})
	}
}

// TestScrapMarksTheHighestNumberedLiveUnits: scrapping at a step marks the work order's
// highest-numbered live units scrapped, with the step and the reason, so that the labels of a
// later step carry the live units' serials; scrapping units not counted yet marks none.
func TestScrapMarksTheHighestNumberedLiveUnits(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, fx *fixture, weave, pack int64)
		want string // the units, "x" the step: "w" weave, "p" pack
		// labels are the serials of the labels the pack step owes
		labels string
	}{
		{name: "at a later step", run: func(t *testing.T, fx *fixture, weave, pack int64) {
			fx.mustAct(t, weave, book.ActionStart)
			fx.mustAct(t, weave, book.ActionComplete)
			fx.mustAct(t, pack, book.ActionStart)
			fx.scrap(t, pack, 2, "stain")
			fx.completeWith(t, pack, 2, "torn")
		}, want: "A-1, A-2, A-3 xp:torn, A-4 xp:stain, A-5 xp:stain", labels: "A-1, A-2"},
		{name: "before the first step counted them", run: func(t *testing.T, fx *fixture, weave, pack int64) {
			fx.mustAct(t, weave, book.ActionStart)
			fx.progress(t, weave, 3)
			fx.scrap(t, weave, 1, "moth")
			fx.mustAct(t, weave, book.ActionComplete)
			fx.mustAct(t, pack, book.ActionStart)
			fx.mustAct(t, pack, book.ActionComplete)
		}, want: "A-1, A-2, A-3, A-4", labels: "A-1, A-2, A-3, A-4"},
		{name: "counted, then scrapped at the same step", run: func(t *testing.T, fx *fixture, weave, pack int64) {
			fx.mustAct(t, weave, book.ActionStart)
			fx.progress(t, weave, 5)
			fx.scrap(t, weave, 1, "moth")
			fx.mustAct(t, weave, book.ActionComplete)
			fx.mustAct(t, pack, book.ActionStart)
			fx.progress(t, pack, 2)
			fx.mustAct(t, pack, book.ActionComplete)
		}, want: "A-1, A-2, A-3, A-4, A-5 xw:moth", labels: "A-1, A-2, A-3, A-4"},
		{name: "every unit left", run: func(t *testing.T, fx *fixture, weave, pack int64) {
			fx.mustAct(t, weave, book.ActionStart)
			fx.mustAct(t, weave, book.ActionComplete)
			fx.mustAct(t, pack, book.ActionStart)
			fx.progress(t, pack, 1)
			fx.scrap(t, pack, 0, "fire")
		}, want: "A-1 xp:fire, A-2 xp:fire, A-3 xp:fire, A-4 xp:fire, A-5 xp:fire", labels: "A-1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			fx := newFixtureOf(t, "testdata/units.yaml")
			fx.mustImport(t, "a", "order_id,sku,quantity\nA,SCARF,5\n")
			ops := fx.ops(t, "A")
			tc.run(t, fx, ops[0].ID, ops[1].ID)
			got := unitList(orderUnits(t, fx, "A"))
			got = strings.ReplaceAll(got, fmt.Sprintf(" x%d:", ops[0].ID), " xw:")
			got = strings.ReplaceAll(got, fmt.Sprintf(" x%d:", ops[1].ID), " xp:")
			if got != tc.want {
				t.Errorf("units = %q, want %q", got, tc.want)
			}
			checkLiveUnits(t, fx, ops[0].WorkOrder)
			labels, _, err := fx.book.OwedLabels(ctx, "pack-1", 0)
			if err != nil {
				t.Fatal(err)
			}
			var serials []string
			for _, l := range labels {
				serials = append(serials, l.Serial)
			}
			if s := strings.Join(serials, ", "); s != tc.labels {
				t.Errorf("labels owed = %q, want %q", s, tc.labels)
			}
		})
	}
}

// TestLabelsCarryTheStoredSerial: a label owed at a step that makes its units (the first and
// only step of a TAG) carries the serial made in the same transaction, counted or not, after a
// restart too, and so does a reprint.
func TestLabelsCarryTheStoredSerial(t *testing.T) {
	ctx := context.Background()
	fx := newFixtureOf(t, "testdata/units.yaml")
	useSerial(t, fx, "T{seq:3}")
	fx.mustImport(t, "a", "order_id,sku,quantity\nX,TAG,3\n")
	op := fx.ops(t, "X")[0]
	fx.mustAct(t, op.ID, book.ActionStart)
	fx.progress(t, op.ID, 1)
	fx.mustAct(t, op.ID, book.ActionComplete)
	fx.restart(t)
	labels, _, err := fx.book.OwedLabels(ctx, "pack-1", 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range labels {
		got = append(got, fmt.Sprintf("%d:%s", l.Unit, l.Serial))
	}
	if want := []string{"1:T001", "2:T002", "3:T003"}; !slices.Equal(got, want) {
		t.Errorf("labels owed (unit:serial) = %q, want %q", got, want)
	}
	l, err := fx.book.ReprintLabel(ctx, "pack-1", op.ID, 2)
	if err != nil || l.Serial != "T002" {
		t.Errorf("ReprintLabel(unit 2) = %+v, %v; want serial T002", l, err)
	}
}

// TestUnitLookups: a serial, work order or order that is not in the book is a clear error.
func TestUnitLookups(t *testing.T) {
	ctx := context.Background()
	fx := newFixtureOf(t, "testdata/units.yaml")
	fx.mustImport(t, "a", "order_id,sku,quantity\nA,TAG,1\n")
	op := fx.ops(t, "A")[0]
	if units, err := fx.book.Units(ctx, op.WorkOrder); err != nil || len(units) != 0 {
		t.Errorf("Units of a work order that counted nothing = %+v, %v; want none", units, err)
	}
	fx.mustAct(t, op.ID, book.ActionStart)
	fx.mustAct(t, op.ID, book.ActionComplete)
	if units, err := fx.book.Units(ctx, op.WorkOrder); err != nil || unitList(units) != "A-1" {
		t.Errorf("Units = %+v, %v; want A-1", units, err)
	}
	if u, err := fx.book.Unit(ctx, "A-1"); err != nil || u.WorkOrder != op.WorkOrder || u.Number != 1 {
		t.Errorf("Unit(A-1) = %+v, %v", u, err)
	}
	_, err := fx.book.Unit(ctx, "A-2")
	if !errors.Is(err, book.ErrUnknownUnit) || !errors.Is(err, book.ErrNotFound) || !strings.Contains(err.Error(), `"A-2"`) {
		t.Errorf("Unit(A-2) = %v, want an unknown unit naming the serial", err)
	}
	if _, err := fx.book.Units(ctx, 4242); !errors.Is(err, book.ErrUnknownWorkOrder) {
		t.Errorf("Units(4242) = %v, want an unknown work order", err)
	}
	if _, _, _, err := fx.book.LiveUnits(ctx, 4242, 2); !errors.Is(err, book.ErrUnknownWorkOrder) {
		t.Errorf("LiveUnits(4242) = %v, want an unknown work order", err)
	}
	if _, err := fx.book.UnitsOfOrder(ctx, "nope"); !errors.Is(err, book.ErrUnknownOrder) {
		t.Errorf("UnitsOfOrder(nope) = %v, want an unknown order", err)
	}
}

// TestSerialTakenRefusesTheCount: a pattern that cannot tell two units apart ({drop} and
// {order} both hold '-') makes a count that would repeat a serial fail, naming both units, and
// change nothing; the floor's count stays as it was.
func TestSerialTakenRefusesTheCount(t *testing.T) {
	ctx := context.Background()
	fx := newFixtureOf(t, "testdata/units.yaml")
	useSerial(t, fx, "{drop}-{order}-{n}")
	fx.mustImport(t, "a", "order_id,sku,quantity\nb-c,TAG,1\n")
	fx.mustImport(t, "a-b", "order_id,sku,quantity\nc,TAG,1\n")
	first, second := fx.ops(t, "b-c")[0], fx.ops(t, "c")[0]
	fx.mustAct(t, first.ID, book.ActionStart)
	fx.progress(t, first.ID, 1)
	fx.mustAct(t, first.ID, book.ActionComplete)
	fx.mustAct(t, second.ID, book.ActionStart)
	events := len(fx.events(t))

	_, err := fx.book.Progress(ctx, second.ID, 1, "cell")
	if !errors.Is(err, book.ErrSerialTaken) || !strings.Contains(err.Error(), `serial "a-b-c-1" is unit 1 of work order`) {
		t.Errorf("Progress = %v, want the serial taken, naming the unit that holds it", err)
	}
	_, err = fx.book.Transition(ctx, book.TransitionRequest{Operation: second.ID, Action: book.ActionComplete, Actor: "ana"})
	if !errors.Is(err, book.ErrSerialTaken) {
		t.Errorf("complete = %v, want the serial taken", err)
	}
	if op, _ := fx.book.Operation(ctx, second.ID); op.UnitsDone != 0 || op.State != book.Running {
		t.Errorf("refused count changed the operation: %+v", op)
	}
	if n := len(fx.events(t)); n != events {
		t.Errorf("refused count appended %d events", n-events)
	}
	if units := orderUnits(t, fx, "c"); len(units) != 0 {
		t.Errorf("refused count made units %+v", units)
	}
	if labels, _, _ := fx.book.OwedLabels(ctx, "pack-1", 0); len(labels) != 1 {
		t.Errorf("labels owed = %+v, want only b-c's", labels)
	}
}
