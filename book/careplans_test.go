package book_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

// covered says which services of a repair's estimate a care plan covers, by holding.
func covered(r book.Repair) string {
	out := ""
	for _, l := range r.Estimate.Lines {
		if l.CoveredBy != nil {
			out += fmt.Sprintf("%s by %d; ", l.Service, l.CoveredBy.Holding)
		}
	}
	return out
}

func (fx *fixture) addPlan(t *testing.T, h book.CarePlanHolding) book.CarePlanHolding {
	t.Helper()
	h.Plan, h.Actor = "care", "ines"
	h, err := fx.book.AddCarePlan(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// left returns what the holdings of a customer still cover of a cleaning, now.
func (fx *fixture) left(t *testing.T, serial, customer string) string {
	t.Helper()
	ss, err := fx.book.CarePlans(context.Background(), serial, customer, fx.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	out := ""
	for _, s := range ss {
		out += fmt.Sprintf("%d:%d ", s.ID, s.Left["clean"])
	}
	return out
}

// TestCarePlanUsedOnceAndOnlyOnce: an entitlement is reserved by the estimate that applies it
// (a second repair finds none left), released when that estimate is declined or expires, and
// a holding whose term has ended covers nothing; the unit's holding is applied before its
// customer's.
func TestCarePlanUsedOnceAndOnlyOnce(t *testing.T) {
	ctx := context.Background()
	fx, serials := newRepairFixture(t, 5)
	h := fx.addPlan(t, book.CarePlanHolding{Customer: "Ana"})
	if got := fx.left(t, "", "Ana"); got != fmt.Sprintf("%d:1 ", h.ID) {
		t.Fatalf("left before any repair: %s", got)
	}
	r1, link1 := fx.counter(t, book.RepairIntake{Serial: serials[0]})
	r1, err := fx.diagnose(t, r1, "clean")
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := fx.counter(t, book.RepairIntake{Serial: serials[1]})
	if r2, err = fx.diagnose(t, r2, "clean", "fringe"); err != nil {
		t.Fatal(err)
	}
	if covered(r1) != fmt.Sprintf("clean by %d; ", h.ID) || covered(r2) != "" || r1.Estimate.StandardTotal != 0 {
		t.Fatalf("first repair covered %q (total %s), second %q", covered(r1), r1.Estimate.StandardTotal, covered(r2))
	}
	if got := fx.left(t, "", "Ana"); got != fmt.Sprintf("%d:0 ", h.ID) {
		t.Errorf("left with one estimate using it: %s", got)
	}

	// Declining releases the use: the next estimate applies it.
	if _, err := fx.book.Decide(ctx, link1, book.Decision{}, fx.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if got := fx.left(t, "", "Ana"); got != fmt.Sprintf("%d:1 ", h.ID) {
		t.Errorf("left after the decline: %s", got)
	}
	r3, _ := fx.counter(t, book.RepairIntake{Serial: serials[2]})
	if r3, err = fx.diagnose(t, r3, "clean"); err != nil || covered(r3) == "" {
		t.Fatalf("after the decline: covered %q, %v", covered(r3), err)
	}

	// Expiry releases it too, before anything acts on the expired estimate.
	fx.clock.Advance(15 * 24 * time.Hour)
	if got := fx.left(t, "", "Ana"); got != fmt.Sprintf("%d:1 ", h.ID) {
		t.Errorf("left after the estimate expired: %s", got)
	}
	// The unit's own holding goes first.
	hu := fx.addPlan(t, book.CarePlanHolding{Serial: serials[3]})
	r4, _ := fx.counter(t, book.RepairIntake{Serial: serials[3]})
	if r4, err = fx.diagnose(t, r4, "clean"); err != nil || covered(r4) != fmt.Sprintf("clean by %d; ", hu.ID) {
		t.Fatalf("unit's holding: covered %q, %v", covered(r4), err)
	}

	// A holding whose term ended covers nothing.
	fx.clock.Advance(366 * 24 * time.Hour)
	if got := fx.left(t, "", "Ana"); got != fmt.Sprintf("%d:0 ", h.ID) {
		t.Errorf("left after the plan's term: %s", got)
	}
	r5, _ := fx.counter(t, book.RepairIntake{Serial: serials[4]})
	if r5, err = fx.diagnose(t, r5, "clean"); err != nil || covered(r5) != "" {
		t.Fatalf("after the plan's term: covered %q, %v", covered(r5), err)
	}
}

// TestCarePlanTwoDiagnosesAtOnce: two diagnoses at once, one entitlement left: exactly one
// estimate applies it.
func TestCarePlanTwoDiagnosesAtOnce(t *testing.T) {
	ctx := context.Background()
	fx, serials := newRepairFixture(t, 2)
	h := fx.addPlan(t, book.CarePlanHolding{Customer: "Ana"})
	var rs []book.Repair
	var ops []int64
	for _, s := range serials {
		r, _ := fx.counter(t, book.RepairIntake{Serial: s})
		op := fx.diagnosisOp(t, r)
		fx.mustAct(t, op.ID, book.ActionStart)
		rs, ops = append(rs, r), append(ops, op.ID)
	}
	out := make([]book.Repair, len(rs))
	errs := make([]error, len(rs))
	var wg sync.WaitGroup
	for i := range rs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			now := fx.clock.Now()
			out[i], errs[i] = fx.book.Diagnose(ctx, book.DiagnoseRequest{Repair: rs[i].ID, Operation: ops[i], Findings: "dusty",
				Services: []string{"clean"}, Standard: now.Add(48 * time.Hour), Actor: "ines"})
		}()
	}
	wg.Wait()
	n := 0
	for i := range out {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if covered(out[i]) != "" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d estimates applied the one entitlement, want 1", n)
	}
	if got := fx.left(t, "", "Ana"); got != fmt.Sprintf("%d:0 ", h.ID) {
		t.Errorf("left: %s", got)
	}
}

// TestAddCarePlanBadInput: a plan not configured, a unit not finished, neither a unit nor a
// customer: field errors, nothing stored.
func TestAddCarePlanBadInput(t *testing.T) {
	ctx := context.Background()
	fx, serials := newRepairFixture(t, 1)
	fx.mustImport(t, "a", "order_id,sku,quantity\nV,RUG,1\n")
	v := fx.ops(t, "V")[0]
	fx.mustAct(t, v.ID, book.ActionStart)
	fx.mustAct(t, v.ID, book.ActionComplete) // one step of two: unit V's is made, not finished
	unfinished := orderUnits(t, fx, "V")[0].Serial
	tests := []struct {
		name  string
		h     book.CarePlanHolding
		field string
		is    error
	}{
		{name: "unknown plan", h: book.CarePlanHolding{Plan: "gold", Customer: "Ana"}, field: "plan"},
		{name: "no holder", h: book.CarePlanHolding{Plan: "care"}, field: "customer"},
		{name: "both", h: book.CarePlanHolding{Plan: "care", Serial: serials[0], Customer: "Ana"}, field: "customer"},
		{name: "unfinished unit", h: book.CarePlanHolding{Plan: "care", Serial: unfinished}, field: "serial"},
		{name: "unknown unit", h: book.CarePlanHolding{Plan: "care", Serial: "NOPE"}, is: book.ErrUnknownUnit},
		{name: "control character", h: book.CarePlanHolding{Plan: "care", Customer: "An\x07a"}, field: "customer"},
	}
	before := len(fx.events(t))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := fx.book.AddCarePlan(ctx, tt.h)
			var fe *book.FieldError
			switch {
			case tt.is != nil && !errors.Is(err, tt.is):
				t.Errorf("error %v, want %v", err, tt.is)
			case tt.is == nil && (!errors.As(err, &fe) || fe.Field != tt.field):
				t.Errorf("error %v, want a field error of %s", err, tt.field)
			}
		})
	}
	if after := len(fx.events(t)); after != before {
		t.Errorf("%d events after the refused holdings, %d before", after, before)
	}
	if ss, err := fx.book.CarePlans(ctx, serials[0], "Ana", fx.clock.Now()); err != nil || len(ss) != 0 {
		t.Errorf("holdings stored: %+v, %v", ss, err)
	}
}

// TestRepairMeasuresOfPlansAndDecisions: a customer holding a plan is the reuse rate's; a
// declined estimate is decided, not approved, and earns nothing; an expired one neither.
func TestRepairMeasuresOfPlansAndDecisions(t *testing.T) {
	ctx := context.Background()
	fx, serials := newRepairFixture(t, 3)
	fx.mustImport(t, "a", "order_id,sku,quantity,customer\nB,SCARF,1,Bea\n")
	from := fx.clock.Now()
	fx.addPlan(t, book.CarePlanHolding{Serial: serials[2]}) // Ana's, through her unit
	_, link := fx.estimated(t, serials[0])
	if _, err := fx.book.Decide(ctx, link, book.Decision{}, fx.clock.Now()); err != nil {
		t.Fatal(err)
	}
	fx.estimated(t, serials[1])
	fx.clock.Advance(15 * 24 * time.Hour)
	m, err := fx.book.RepairMeasures(ctx, from, fx.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("repaired %d of %d, plans %d of %d customers, decided %d, approved %d, revenue %s, ready %d, states %v",
		m.RepairedUnits, m.FinishedUnits, m.PlanCustomers, m.OrderCustomers, m.Decided, m.Approved, m.Revenue, m.Ready, m.States)
	want := "repaired 2 of 3, plans 1 of 2 customers, decided 1, approved 0, revenue 0.00, ready 0, states map[declined:1 expired:1]"
	if got != want {
		t.Errorf("measures\n got %s\nwant %s", got, want)
	}
	if _, err := fx.book.RepairMeasures(ctx, from, from); !errors.Is(err, book.ErrInvalid) {
		t.Errorf("an empty window: %v", err)
	}
}
