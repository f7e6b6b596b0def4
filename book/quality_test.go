package book_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/oee"
	"github.com/cellforge/cellforge/configs"
)

// qualityFixture is the test factory with a checklist on RUG's weave step (its second): a
// pass-or-fail item and a measurement, 160 ± 2 cm.
func qualityFixture(t *testing.T) *fixture {
	t.Helper()
	fx := newFixture(t)
	for i, p := range fx.factory.Products {
		if p.SKU == "RUG" {
			fx.factory.Products[i].Routing[1].Checks = []configs.Check{
				{Name: "No loose knots"},
				{Name: "Width", Measure: true, Unit: "cm", Min: 158, Max: 162},
			}
		}
	}
	fx.book = book.New(book.Config{Store: fx.store, Factory: fx.factory, Now: fx.clock.Now})
	return fx
}

func pass(b bool) *bool        { return &b }
func value(v float64) *float64 { return &v }

// goodChecks answers the weave step's checklist, the width given.
func goodChecks(width float64) []book.CheckResult {
	return []book.CheckResult{{Name: "No loose knots", Pass: pass(true)}, {Name: "Width", Value: value(width)}}
}

// atWeave imports a RUG of 2 units as order A, completes its dye step and starts its weave
// step, and returns the operations of its work order.
func atWeave(t *testing.T, fx *fixture) []book.Operation {
	t.Helper()
	fx.mustImport(t, "winter", "order_id,sku,quantity\nA,RUG,2\n")
	ops := fx.ops(t, "A")
	fx.mustAct(t, ops[0].ID, book.ActionStart)
	fx.mustAct(t, ops[0].ID, book.ActionComplete)
	fx.mustAct(t, ops[1].ID, book.ActionStart)
	return fx.ops(t, "A")
}

func (fx *fixture) complete(ops int64, actor book.Actor, checks []book.CheckResult) (book.TransitionResult, error) {
	return fx.book.Transition(context.Background(), book.TransitionRequest{Operation: ops, Action: book.ActionComplete,
		Actor: actor, Checks: checks})
}

func (fx *fixture) decide(t *testing.T, id int64, d book.NCState, note string, manager bool) (book.NonConformance, error) {
	t.Helper()
	return fx.book.DecideNonConformance(context.Background(), book.NCDecision{ID: id, Decision: d, Note: note,
		Actor: "person:ana", MayAccept: manager})
}

// failWeave fails the weave step's check of order A (too narrow) and returns the
// non-conformance it opened and the operations.
func failWeave(t *testing.T, fx *fixture) (book.NonConformance, []book.Operation) {
	t.Helper()
	ops := atWeave(t, fx)
	res, err := fx.complete(ops[1].ID, "person:ana", goodChecks(150))
	if err != nil {
		t.Fatal(err)
	}
	if res.NonConformance == nil {
		t.Fatal("a failed check opened no non-conformance")
	}
	return *res.NonConformance, ops
}

// TestCompleteRefusesBadChecks: answers that do not fit the step's checklist are refused with
// an error naming the item, and nothing is stored: the operation still runs, no check, no
// event.
func TestCompleteRefusesBadChecks(t *testing.T) {
	tests := []struct {
		name   string
		step   int // 0: dye, without a checklist; 1: weave
		actor  book.Actor
		checks []book.CheckResult
		want   string
		is     error
	}{
		{name: "none given", step: 1, checks: nil, want: "checks: No loose knots is missing", is: book.ErrInvalid},
		{name: "an item missing", step: 1, checks: []book.CheckResult{{Name: "No loose knots", Pass: pass(true)}},
			want: "checks: Width is missing", is: book.ErrInvalid},
		{name: "not a number", step: 1, checks: []book.CheckResult{{Name: "No loose knots", Pass: pass(true)}, {Name: "Width", Value: value(math.NaN())}},
			want: "checks[1].value: NaN is not a finite number", is: book.ErrInvalid},
		{name: "infinite", step: 1, checks: []book.CheckResult{{Name: "No loose knots", Pass: pass(true)}, {Name: "Width", Value: value(math.Inf(1))}},
			want: "checks[1].value: +Inf is not a finite number", is: book.ErrInvalid},
		{name: "a measurement without a value", step: 1, checks: []book.CheckResult{{Name: "No loose knots", Pass: pass(true)}, {Name: "Width", Pass: pass(true)}},
			want: "checks[1].value: Width is a measurement: give its value in cm", is: book.ErrInvalid},
		{name: "pass or fail given a value", step: 1, checks: []book.CheckResult{{Name: "No loose knots", Value: value(1)}, {Name: "Width", Value: value(160)}},
			want: "checks[0].pass: No loose knots is pass or fail: give pass true or false", is: book.ErrInvalid},
		{name: "a name not in the checklist", step: 1, checks: append(goodChecks(160), book.CheckResult{Name: "Colour", Pass: pass(true)}),
			want: `checks[2].name: "Colour" is not in the checklist of step 2 (weave) of RUG`, is: book.ErrInvalid},
		{name: "an item twice", step: 1, checks: append(goodChecks(160), book.CheckResult{Name: "Width", Value: value(161)}),
			want: "checks[2].name: Width is answered twice", is: book.ErrInvalid},
		{name: "checks for a step without a checklist", step: 0, checks: goodChecks(160),
			want: "checks: step 1 (dye) of RUG has no checklist", is: book.ErrInvalid},
		{name: "a cell controller", step: 1, actor: "cell:weave-1", checks: nil, is: book.ErrCheckRequired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := qualityFixture(t)
			fx.mustImport(t, "winter", "order_id,sku,quantity\nA,RUG,2\n")
			ops := fx.ops(t, "A")
			if tt.step == 1 {
				fx.mustAct(t, ops[0].ID, book.ActionStart)
				fx.mustAct(t, ops[0].ID, book.ActionComplete)
			}
			op := ops[tt.step]
			fx.mustAct(t, op.ID, book.ActionStart)
			before := len(fx.events(t))
			actor := tt.actor
			if actor == "" {
				actor = "person:ana"
			}
			_, err := fx.complete(op.ID, actor, tt.checks)
			if !errors.Is(err, tt.is) {
				t.Fatalf("err = %v, want one wrapping %v", err, tt.is)
			}
			if tt.want != "" && err.Error() != tt.want {
				t.Errorf("err = %q, want %q", err, tt.want)
			}
			if n := len(fx.events(t)); n != before {
				t.Errorf("%d events after the refusal, want %d", n, before)
			}
			if cs, _ := fx.book.Checks(context.Background(), op.ID); len(cs) != 0 {
				t.Errorf("checks stored: %+v", cs)
			}
			if got := fx.ops(t, "A")[tt.step]; got.State != book.Running {
				t.Errorf("operation is %s, want still running", got.State)
			}
		})
	}
}

// TestChecksAllPass: a checklist all passed completes the step as before, with the check
// recorded and its event.
func TestChecksAllPass(t *testing.T) {
	fx := qualityFixture(t)
	ops := atWeave(t, fx)
	res, err := fx.complete(ops[1].ID, "person:ana", goodChecks(161.5))
	if err != nil {
		t.Fatal(err)
	}
	if res.Operation.State != book.Done || res.NonConformance != nil {
		t.Fatalf("operation %s, non-conformance %v: want done, none", res.Operation.State, res.NonConformance)
	}
	cs, err := fx.book.Checks(context.Background(), ops[1].ID)
	if err != nil || len(cs) != 1 {
		t.Fatalf("checks = %+v, %v: want one", cs, err)
	}
	c := cs[0]
	if !c.Passed || c.Units != 2 || c.Step != 1 || c.By != "person:ana" || len(c.Outcomes) != 2 ||
		*c.Outcomes[1].Value != 161.5 || *c.Outcomes[1].Min != 158 || c.Outcomes[1].Unit != "cm" {
		t.Errorf("check = %+v", c)
	}
	if got := fx.ops(t, "A")[2]; got.State != book.Queued {
		t.Errorf("the next step is %s, want queued", got.State)
	}
	if !hasEvent(fx.events(t), book.EventQualityChecked, ops[1].ID, "passed") {
		t.Error("no quality.checked event")
	}
}

func hasEvent(evs []book.Event, kind string, op int64, reason string) bool {
	for _, e := range evs {
		if e.Kind == kind && e.Operation == op && strings.HasPrefix(e.Reason, reason) {
			return true
		}
	}
	return false
}

// TestFailedCheckPausesAndOpensNonConformance: a failed item keeps the step from completing:
// it is paused for the check, its units done stay, a non-conformance opens.
func TestFailedCheckPausesAndOpensNonConformance(t *testing.T) {
	fx := qualityFixture(t)
	nc, ops := failWeave(t, fx)
	op := fx.ops(t, "A")[1]
	if op.State != book.Paused || op.Reason != "quality-check" || op.EndedAt != nil {
		t.Errorf("operation = %s (%q), want paused for quality-check", op.State, op.Reason)
	}
	if next := fx.ops(t, "A")[2]; next.State != book.Pending {
		t.Errorf("the next step is %s, want pending", next.State)
	}
	if nc.State != book.NCOpen || nc.Operation != ops[1].ID || len(nc.Failed) != 1 || nc.Failed[0] != "Width" || nc.SKU != "RUG" {
		t.Errorf("non-conformance = %+v", nc)
	}
	open, err := fx.book.NonConformances(context.Background(), book.NCFilter{State: book.NCOpen})
	if err != nil || len(open) != 1 || open[0].ID != nc.ID {
		t.Errorf("open non-conformances = %+v, %v", open, err)
	}
	evs := fx.events(t)
	if !hasEvent(evs, book.EventQualityChecked, op.ID, "failed: Width") || !hasEvent(evs, book.EventNCOpened, op.ID, "non-conformance") {
		t.Error("missing quality.checked or nonconformance.opened event")
	}
	// Only a decision moves the operation on: no non-conformance is left open behind it.
	for _, a := range []book.Action{book.ActionResume, book.ActionScrap} {
		if _, err := fx.act(t, op.ID, a, "x"); !errors.Is(err, book.ErrAwaitingDecision) {
			t.Errorf("%s before the decision: %v, want ErrAwaitingDecision", a, err)
		}
	}
}

// TestReworkDecision: rework inserts an operation right after the failed one, of the same
// step, queued at the same cell; the next step waits for it; completing it asks the
// checklist again.
func TestReworkDecision(t *testing.T) {
	fx := qualityFixture(t)
	nc, ops := failWeave(t, fx)
	cell := fx.ops(t, "A")[1].Cell
	got, err := fx.decide(t, nc.ID, book.NCRework, "", false)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != book.NCRework || got.Rework == 0 || got.DecidedBy != "person:ana" {
		t.Errorf("decided = %+v", got)
	}
	after := fx.ops(t, "A")
	if len(after) != 4 {
		t.Fatalf("%d operations, want 4", len(after))
	}
	failed, rework, pack := after[1], after[2], after[3]
	if failed.State != book.Done {
		t.Errorf("failed operation is %s, want done", failed.State)
	}
	if rework.ID != got.Rework || rework.Seq != 2 || rework.Step != 1 || rework.ReworkOf != ops[1].ID ||
		rework.Name != "Rework: weave" || rework.Quantity != 2 || rework.State != book.Queued || rework.Cell != cell {
		t.Errorf("rework = %+v, want seq 2, step 1, queued at %s", rework, cell)
	}
	if pack.ID != ops[2].ID || pack.Seq != 3 || pack.Step != 2 || pack.State != book.Pending {
		t.Errorf("pack = %+v, want seq 3, step 2, pending", pack)
	}
	fx.mustAct(t, rework.ID, book.ActionStart)
	if _, err := fx.complete(rework.ID, "person:ana", nil); err == nil || !strings.Contains(err.Error(), "is missing") {
		t.Fatalf("completing the rework without its checks: %v, want the checklist asked", err)
	}
	if _, err := fx.complete(rework.ID, "person:ana", goodChecks(160)); err != nil {
		t.Fatal(err)
	}
	if p := fx.ops(t, "A")[3]; p.State != book.Queued {
		t.Errorf("pack is %s after the rework, want queued", p.State)
	}
	// The plan's inputs see the inserted operation in routing order.
	work, _, err := fx.book.OpenWork(context.Background())
	if err != nil || len(work) != 1 || len(work[0].Operations) != 4 || work[0].Operations[2].ID != rework.ID {
		t.Errorf("open work = %+v, %v", work, err)
	}
}

// TestScrapDecision: scrap scraps the failed operation's units and so its work order.
func TestScrapDecision(t *testing.T) {
	fx := qualityFixture(t)
	nc, ops := failWeave(t, fx)
	if _, err := fx.decide(t, nc.ID, book.NCScrap, "", false); err != nil {
		t.Fatal(err)
	}
	after := fx.ops(t, "A")
	if after[1].State != book.Scrapped || after[1].Scrapped != 2 || after[1].Reason != "quality-check" || after[2].State != book.Scrapped {
		t.Errorf("operations after scrap = %+v", after)
	}
	wo, err := fx.book.WorkOrder(context.Background(), ops[1].WorkOrder)
	if err != nil || wo.State != book.WorkScrapped {
		t.Errorf("work order = %s, %v, want scrapped", wo.State, err)
	}
}

// TestAcceptDecision: only a manager accepts, and only with a note; the operation completes.
func TestAcceptDecision(t *testing.T) {
	fx := qualityFixture(t)
	nc, _ := failWeave(t, fx)
	if _, err := fx.decide(t, nc.ID, book.NCAccept, "fine for the outlet", false); !errors.Is(err, book.ErrForbidden) {
		t.Errorf("an operator accepting: %v, want ErrForbidden", err)
	}
	var fe *book.FieldError
	if _, err := fx.decide(t, nc.ID, book.NCAccept, "  ", true); !errors.As(err, &fe) || fe.Field != "note" {
		t.Errorf("accepting without a note: %v, want a field error on note", err)
	}
	if _, err := fx.decide(t, nc.ID, book.NCAccept, strings.Repeat("x", 501), true); !errors.As(err, &fe) || fe.Field != "note" {
		t.Errorf("accepting with a long note: %v, want a field error on note", err)
	}
	got, err := fx.decide(t, nc.ID, book.NCAccept, "fine for the outlet", true)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != book.NCAccept || got.Note != "fine for the outlet" {
		t.Errorf("decided = %+v", got)
	}
	after := fx.ops(t, "A")
	if len(after) != 3 || after[1].State != book.Done || after[2].State != book.Queued {
		t.Errorf("operations after accept = %+v", after)
	}
}

// TestConcurrentDecisions: twenty identical decisions at once add one rework operation and
// return the same decision; another decision after is refused as decided.
func TestConcurrentDecisions(t *testing.T) {
	fx := qualityFixture(t)
	nc, _ := failWeave(t, fx)
	var wg sync.WaitGroup
	errs := make([]error, 20)
	got := make([]book.NonConformance, 20)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = fx.book.DecideNonConformance(context.Background(),
				book.NCDecision{ID: nc.ID, Decision: book.NCRework, Actor: "person:ana"})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("decision %d: %v", i, err)
		}
		if got[i].Rework != got[0].Rework || got[i].State != book.NCRework {
			t.Errorf("decision %d = %+v, want %+v", i, got[i], got[0])
		}
	}
	reworks := 0
	for _, op := range fx.ops(t, "A") {
		if op.ReworkOf != 0 {
			reworks++
		}
	}
	if reworks != 1 {
		t.Errorf("%d rework operations, want 1", reworks)
	}
	if _, err := fx.decide(t, nc.ID, book.NCScrap, "", false); !errors.Is(err, book.ErrDecided) {
		t.Errorf("another decision: %v, want ErrDecided", err)
	}
	if _, err := fx.decide(t, 999, book.NCScrap, "", false); !errors.Is(err, book.ErrNotFound) {
		t.Errorf("an unknown non-conformance: %v, want ErrNotFound", err)
	}
}

// TestQualitySurvivesRestart: checks, non-conformances, and the operations' steps and rework
// links are read back after the store is opened again.
func TestQualitySurvivesRestart(t *testing.T) {
	fx := qualityFixture(t)
	nc, ops := failWeave(t, fx)
	dec, err := fx.decide(t, nc.ID, book.NCRework, "redo the edge", false)
	if err != nil {
		t.Fatal(err)
	}
	fx.restart(t)
	back, err := fx.book.NonConformance(context.Background(), nc.ID)
	if err != nil || back.State != book.NCRework || back.Rework != dec.Rework || back.Note != "redo the edge" || back.DecidedAt == nil {
		t.Errorf("non-conformance after restart = %+v, %v", back, err)
	}
	cs, err := fx.book.Checks(context.Background(), ops[1].ID)
	if err != nil || len(cs) != 1 || cs[0].Passed || *cs[0].Outcomes[1].Value != 150 {
		t.Errorf("checks after restart = %+v, %v", cs, err)
	}
	after := fx.ops(t, "A")
	if len(after) != 4 || after[2].ReworkOf != ops[1].ID || after[2].Step != 1 || after[3].Step != 2 {
		t.Errorf("operations after restart = %+v", after)
	}
}

// TestReworkQueuedAtTheSameCell: the rework goes to the cell where its step failed, though the
// dispatcher would send it to a less loaded one; when that cell is down, it is dispatched as
// usual.
func TestReworkQueuedAtTheSameCell(t *testing.T) {
	for _, down := range []bool{false, true} {
		t.Run(map[bool]string{false: "cell up", true: "cell down"}[down], func(t *testing.T) {
			fx := qualityFixture(t)
			ctx := context.Background()
			// A and C weave at weave-1 (C the longer), B at weave-2.
			fx.mustImport(t, "winter", "order_id,sku,quantity\nA,RUG,2\nB,RUG,2\nC,RUG,3\n")
			for _, id := range []string{"A", "B", "C"} {
				dye := fx.ops(t, id)[0]
				fx.mustAct(t, dye.ID, book.ActionStart)
				fx.mustAct(t, dye.ID, book.ActionComplete)
			}
			a, c := fx.ops(t, "A")[1], fx.ops(t, "C")[1]
			if a.Cell != c.Cell {
				t.Fatalf("A weaves at %s, C at %s: want the same cell", a.Cell, c.Cell)
			}
			fx.mustAct(t, a.ID, book.ActionStart)
			res, err := fx.complete(a.ID, "person:ana", goodChecks(150))
			if err != nil || res.NonConformance == nil {
				t.Fatalf("failing A's check: %v", err)
			}
			if down {
				if _, err := fx.book.CellDown(ctx, a.Cell, "warp break", book.Actor("cell:"+a.Cell)); err != nil {
					t.Fatal(err)
				}
			}
			nc, err := fx.decide(t, res.NonConformance.ID, book.NCRework, "", false)
			if err != nil {
				t.Fatal(err)
			}
			rework := fx.ops(t, "A")[2]
			if rework.ID != nc.Rework || rework.State != book.Queued {
				t.Fatalf("rework = %+v", rework)
			}
			if same := rework.Cell == a.Cell; same == down {
				t.Errorf("the rework is queued at %s; A failed at %s (down %v)", rework.Cell, a.Cell, down)
			}
		})
	}
}

// TestOEECountsFailedChecksAndRework: the units of an operation whose check failed and of its
// rework are counted in OEE's total but none as good, and first-pass yield leaves the rework
// out and counts the failed operation's units as not first pass.
func TestOEECountsFailedChecksAndRework(t *testing.T) {
	fx := qualityFixture(t)
	nc, _ := failWeave(t, fx)
	rw, err := fx.decide(t, nc.ID, book.NCRework, "", false)
	if err != nil {
		t.Fatal(err)
	}
	fx.mustAct(t, rw.Rework, book.ActionStart)
	if _, err := fx.complete(rw.Rework, "person:ana", goodChecks(160)); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	from, to := fx.clock.Now().Add(-24*time.Hour), fx.clock.Now().Add(time.Second)
	fx.clock.Advance(2 * time.Second)
	rep, err := fx.book.OEE(ctx, book.OEEQuery{From: from, To: to, By: oee.ByDay, Cell: nc.Cell})
	if err != nil {
		t.Fatal(err)
	}
	// The weave cell: 2 units done at the failed operation, 2 at its rework: 4 in all, none good.
	if rep.Total.Total != 4 || rep.Total.Good != 0 || rep.Total.ProductionRejectUnits != 4 {
		t.Errorf("weave cell: total %d, good %d, production rejects %d; want 4, 0, 4",
			rep.Total.Total, rep.Total.Good, rep.Total.ProductionRejectUnits)
	}
	y, err := fx.book.FirstPassYield(ctx, from, to, book.YieldByCell)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range y {
		if e.Key == nc.Cell && (e.FirstPass != 0 || e.Total != 2) {
			t.Errorf("first-pass yield at %s: %d of %d, want 0 of 2 (the rework left out)", e.Key, e.FirstPass, e.Total)
		}
	}
}
