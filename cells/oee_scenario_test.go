package cells_test

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/oee"
	"github.com/cellforge/cellforge/configs"
)

// scenario drives a clocked floor through a day at known instants: the machines' faults go
// through the plant's HTTP fault API, and the clock moves on only once the controllers have
// seen each change.
type scenario struct {
	t      *testing.T
	fl     *floor
	faults string // the plant's fault API
}

func newScenario(t *testing.T, fl *floor) *scenario {
	srv := httptest.NewServer(fl.plant.Handler())
	t.Cleanup(srv.Close)
	return &scenario{t: t, fl: fl, faults: srv.URL}
}

// at returns the time of day hh:mm of the scenario's day.
func at(hh, mm int) time.Time {
	return time.Date(shiftStart.Year(), shiftStart.Month(), shiftStart.Day(), hh, mm, 0, 0, time.UTC)
}

// to moves the floor's clock on to t.
func (s *scenario) to(t time.Time) {
	s.t.Helper()
	d := t.Sub(s.fl.clock.Now())
	if d < 0 {
		s.t.Fatalf("the clock is at %s, past %s", s.fl.clock.Now().Format(time.TimeOnly), t.Format(time.TimeOnly))
	}
	s.fl.clock.Advance(d)
}

// fault sets a device's faults through the plant's fault API (a JSON body of plant.Faults).
func (s *scenario) fault(device, body string) {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodPut, s.faults+"/devices/"+device+"/faults", strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		s.t.Fatalf("PUT faults of %s: %s %s", device, res.Status, b)
	}
}

// units waits for the controller to have recorded done units of an order's operation seq.
func (s *scenario) units(order string, seq, done int) {
	s.t.Helper()
	eventually(s.t, fmt.Sprintf("%d units of %s's step %d", done, order, seq), func() bool { return s.fl.op(order, seq).UnitsDone == done })
}

// machine waits for a cell's machine to be read in state.
func (s *scenario) machine(cell, state string) {
	s.t.Helper()
	eventually(s.t, cell+"'s machine "+state, func() bool { return s.fl.cells[cell].Status().Machine == state })
}

// earlyShift gives the factory three shifts, the early one from 06:00 to 14:00.
func earlyShift(f *configs.Factory) {
	f.Stops.Shifts = []configs.Shift{{Name: "early", Start: 6 * time.Hour}, {Name: "late", Start: 14 * time.Hour},
		{Name: "night", Start: 22 * time.Hour}}
}

// wantStop is a stop as the scenario expects it: times of the day, end zero while it lasts.
type wantStop struct {
	kind       book.StopKind
	start, end time.Time
	reason     string
}

func (s *scenario) stops(cell string, want []wantStop) []book.Stop {
	s.t.Helper()
	got, err := s.fl.book.Stops(context.Background(), book.StopFilter{Cell: cell})
	if err != nil {
		s.t.Fatal(err)
	}
	line := func(kind book.StopKind, start time.Time, end *time.Time, reason string) string {
		e := "open"
		if end != nil && !end.IsZero() {
			e = end.Format("15:04:05")
		}
		return fmt.Sprintf("%s %s-%s %q", kind, start.Format("15:04:05"), e, reason)
	}
	var g, w []string
	for _, st := range got {
		g = append(g, line(st.Kind, st.Start, st.End, st.Reason))
	}
	for _, st := range want {
		w = append(w, line(st.kind, st.start, &st.end, st.reason))
	}
	if strings.Join(g, "\n") != strings.Join(w, "\n") {
		s.t.Errorf("stops of %s:\n%s\nwant:\n%s", cell, strings.Join(g, "\n"), strings.Join(w, "\n"))
	}
	return got
}

// TestOEEScenarioEarlyShift is the early shift, 06:00 to 14:00, of a loom, a dye station and a
// manual label station on one clock, with the hand computation their figures must equal. The
// prompt is 2 minutes; the reasons are the default tree (break: loss none; changeover:
// set-up; breakdown, no-operator, other: breakdowns).
//
// The loom (weave-1) takes 20 minutes a unit (the simulated loom's unit time at its default
// speed); the routing's standard is 15 minutes. Its faults are not mapped to reasons, and
// auto-start is off (a person starts each job).
//
//	06:00-06:30  no work                                   excluded  30m
//	06:30        S1, 12 scarves, queued: idle, work waiting (reason no-operator, given at 07:00)
//	06:45        started; units at 07:05 07:25 ... 08:45 (6)
//	08:50-09:05  paused for a break (reason break, loss none)  excluded 15m
//	08:50        one unit scrapped (after the first good one: a production reject)
//	09:05        resumed: 5 units left; units at 09:25, 09:45
//	10:00-10:25  warp break (fault API), reset at 10:25; reason breakdown given at 10:30
//	10:25        resumed: 3 left; a unit at 10:45
//	10:50-10:51  paused, reason other: a small stop (under the prompt)
//	10:51        resumed: 2 left; units at 11:11, 11:31; the controller completes at 11:31
//	11:31-14:00  no work                                   excluded 149m
//
//	W = 480m; E = 30 + 15 + 149 = 194m; P = W - E = 286m
//	breakdowns = idle 15m + warp break 25m = 40m; setup 0
//	R = P - 40 = 246m; A = 246/286 = 86.01 %
//	T = 11 done + 1 scrapped = 12; I = 12 x 15m = 180m
//	Pf = 180/246 = 73.17 %; performance loss 66m = small stops 1m + reduced speed 65m
//	G = 11; production rejects 1 (15m), start-up 0; Q = 11/12 = 91.67 %
//	OEE = A x Pf x Q = 180/286 x 11/12 = 57.69 %; fully productive = OEE x P = 165m
//	Pareto (stops at least 2m, not no-work): breakdown 25m (45.45 %), break 15m (72.73 %),
//	no-operator 15m (100 %); the 1m small stop is left out.
//
// The dye station (dye-1, auto-start on) dyes 4 skeins in one batch, a standard of 25 minutes
// a skein, with a two-hour hold.
//
//	06:00-07:00  no work                                   excluded  60m
//	07:00        K1 imported and started: filling and heating, a setup stop (changeover)
//	07:30        read holding: producing (the bath held from about 07:10 to 09:10, then rinsed
//	             and drained)
//	09:30        read done: the 4 skeins recorded and the step completed
//	09:30-14:00  no work                                   excluded 270m
//
//	W = 480m; E = 330m; P = 150m; setup 30m; R = 120m; A = 120/150 = 80 %
//	T = G = 4; I = 100m; Pf = 100/120 = 83.33 % (reduced speed 20m); Q = 100 %
//	OEE = 100/150 = 66.67 %; Pareto: changeover 30m (100 %)
//
// The label station (label-1, no machine) labels S1's scarves once woven, a standard of a
// minute each.
//
//	06:00-11:31  no work                                   excluded 331m
//	11:31-11:40  idle with the label step queued (no reason: awaiting)   breakdowns 9m
//	11:40-12:00  labelling; completed with 10 good of the 11: the first label misprinted, a
//	             start-up reject (scrapped at the operation's first good count)
//	12:00-14:00  no work                                   excluded 120m
//
//	W = 480m; E = 451m; P = 29m; breakdowns 9m; R = 20m; A = 20/29 = 68.97 %
//	T = 11; I = 11m; Pf = 11/20 = 55 % (reduced speed 9m); G = 10; Q = 10/11 = 90.91 %
//	OEE = 10/29 = 34.48 %; Pareto: awaiting 9m (100 %)
func TestOEEScenarioEarlyShift(t *testing.T) {
	ctx := context.Background()
	fl := newClockedFloor(t, at(6, 0), 24*time.Hour, stopsFloor(false, earlyShift, func(f *configs.Factory) {
		f.Stops.MachineFaults = map[string]string{} // the tablet asks for the loom's faults
		for i := range f.Products {
			switch f.Products[i].SKU {
			case "SCARF":
				f.Products[i].Routing[0].UnitTime = 15 * time.Minute
			case "SKEIN":
				f.Products[i].Routing[0].UnitTime = 25 * time.Minute
			}
		}
	})...)
	s := newScenario(t, fl)
	w := watchStops(fl, "weave-1")
	w.expect(t, "no work at 06:00", book.StopCondition{Kind: book.StopNoWork})
	dye := watchStops(fl, "dye-1")
	dye.expect(t, "no work at the dye station", book.StopCondition{Kind: book.StopNoWork})
	label := watchStops(fl, "label-1")
	label.expect(t, "no work at the label station", book.StopCondition{Kind: book.StopNoWork})

	s.to(at(6, 30))
	fl.importCSV("order_id,sku,quantity\nS1,SCARF,12\n")
	weave := fl.op("S1", 0)
	idle := w.expect(t, "idle with work waiting", book.StopCondition{Kind: book.StopIdle, Operation: weave.ID})

	s.to(at(6, 45))
	fl.act(weave.ID, book.ActionStart, "")
	w.expect(t, "weaving", book.StopCondition{})
	s.machine("weave-1", configs.StateRunning)
	s.to(at(7, 0))
	if _, err := fl.book.GiveStopReason(ctx, idle.ID, "no-operator", "person:ana"); err != nil {
		t.Fatal(err)
	}
	fl.importCSV("order_id,sku,quantity\nK1,SKEIN,4\n")
	bath := fl.op("K1", 0)
	dye.expect(t, "filling and heating", book.StopCondition{Kind: book.StopSetup, Operation: bath.ID, Reason: "changeover"})
	s.to(at(7, 30))
	s.machine("dye-1", "hold")
	dye.expect(t, "holding", book.StopCondition{})

	s.to(at(8, 50))
	s.units("S1", 0, 6)
	fl.act(weave.ID, book.ActionPause, "break")
	w.expect(t, "the break", book.StopCondition{Kind: book.StopPaused, Operation: weave.ID, Detail: "break", Reason: "break"})
	s.machine("weave-1", configs.StateIdle)
	if _, err := fl.book.Transition(ctx, book.TransitionRequest{Operation: weave.ID, Action: book.ActionScrap, Actor: "ana",
		Quantity: 1, Reason: "snagged weft"}); err != nil {
		t.Fatal(err)
	}

	s.to(at(9, 5))
	fl.act(weave.ID, book.ActionResume, "")
	w.expect(t, "weaving after the break", book.StopCondition{})
	s.machine("weave-1", configs.StateRunning)

	s.to(at(9, 30))
	eventually(t, "the batch to complete", func() bool { return fl.op("K1", 0).State == book.Done })
	dye.expect(t, "no work once dyed", book.StopCondition{Kind: book.StopNoWork})

	s.to(at(10, 0))
	s.units("S1", 0, 8)
	s.fault("loom-a", `{"machine_fault": 1}`)
	warp := w.expect(t, "the warp break", book.StopCondition{Kind: book.StopFault, Operation: weave.ID, Detail: "warp break"})
	s.to(at(10, 25))
	s.fault("loom-a", `{}`)
	if err := fl.cells["weave-1"].Reset(ctx, "person:ana", "warp tied"); err != nil {
		t.Fatal(err)
	}
	w.expect(t, "weaving after the reset", book.StopCondition{})
	s.machine("weave-1", configs.StateRunning)
	s.to(at(10, 30))
	if _, err := fl.book.GiveStopReason(ctx, warp.ID, "breakdown", "person:ana"); err != nil {
		t.Fatal(err)
	}

	s.to(at(10, 50))
	s.units("S1", 0, 9)
	fl.act(weave.ID, book.ActionPause, "other")
	w.expect(t, "a short stop", book.StopCondition{Kind: book.StopPaused, Operation: weave.ID, Detail: "other", Reason: "other"})
	s.machine("weave-1", configs.StateIdle)
	s.to(at(10, 51))
	fl.act(weave.ID, book.ActionResume, "")
	w.expect(t, "weaving after the short stop", book.StopCondition{})
	s.machine("weave-1", configs.StateRunning)

	s.to(at(11, 31))
	eventually(t, "the loom's step to complete", func() bool { return fl.op("S1", 0).State == book.Done })
	w.expect(t, "no work once woven", book.StopCondition{Kind: book.StopNoWork})
	if op := fl.op("S1", 0); op.UnitsDone != 11 || op.Scrapped != 1 {
		t.Fatalf("the loom's step made %d and scrapped %d, want 11 and 1", op.UnitsDone, op.Scrapped)
	}
	labelling := fl.op("S1", 1)
	label.expect(t, "idle with the label step queued", book.StopCondition{Kind: book.StopIdle, Operation: labelling.ID})
	if left := labelling.Quantity - labelling.Scrapped; left != 11 {
		t.Fatalf("the label step has %d units left, want the 11 woven", left)
	}
	s.to(at(11, 40))
	fl.act(labelling.ID, book.ActionStart, "")
	label.expect(t, "labelling", book.StopCondition{})
	s.to(at(12, 0))
	good := 10
	if _, err := fl.book.Transition(ctx, book.TransitionRequest{Operation: labelling.ID, Action: book.ActionComplete, Actor: "ana",
		Good: &good, Reason: "first label misprinted"}); err != nil {
		t.Fatal(err)
	}
	label.expect(t, "no work once labelled", book.StopCondition{Kind: book.StopNoWork})
	s.to(at(14, 0))

	s.stops("weave-1", []wantStop{
		{kind: book.StopNoWork, start: at(6, 0), end: at(6, 30)},
		{kind: book.StopIdle, start: at(6, 30), end: at(6, 45), reason: "no-operator"},
		{kind: book.StopPaused, start: at(8, 50), end: at(9, 5), reason: "break"},
		{kind: book.StopFault, start: at(10, 0), end: at(10, 25), reason: "breakdown"},
		{kind: book.StopPaused, start: at(10, 50), end: at(10, 51), reason: "other"},
		{kind: book.StopNoWork, start: at(11, 31)},
	})
	s.stops("dye-1", []wantStop{
		{kind: book.StopNoWork, start: at(6, 0), end: at(7, 0)},
		{kind: book.StopSetup, start: at(7, 0), end: at(7, 30), reason: "changeover"},
		{kind: book.StopNoWork, start: at(9, 30)},
	})
	s.stops("label-1", []wantStop{
		{kind: book.StopNoWork, start: at(6, 0), end: at(11, 31)},
		{kind: book.StopIdle, start: at(11, 31), end: at(11, 40)},
		{kind: book.StopNoWork, start: at(12, 0)},
	})

	// The figures by shift: the early one, 06:00 to 14:00, as computed above.
	from, to := at(6, 0), at(14, 0)
	checkOEE(t, fl, "weave-1", from, to, oee.ByShift, wantOEE{
		working: 480, excluded: 194, planned: 286, breakdowns: 40, run: 246, small: 1, reduced: 65, ideal: 180,
		netRun: 180, productionRejects: 15, fullyProductive: 165,
		good: 11, total: 12, productionUnits: 1,
		a: 86.01, pf: 73.17, q: 91.67, oee: 57.69,
	}, []wantPareto{
		{reason: "breakdown", count: 1, minutes: 25, cumulative: 45.45},
		{reason: "break", count: 1, minutes: 15, cumulative: 72.73},
		{reason: "no-operator", count: 1, minutes: 15, cumulative: 100},
	})
	checkOEE(t, fl, "dye-1", from, to, oee.ByShift, wantOEE{
		working: 480, excluded: 330, planned: 150, setup: 30, run: 120, reduced: 20, ideal: 100,
		netRun: 100, fullyProductive: 100,
		good: 4, total: 4,
		a: 80, pf: 83.33, q: 100, oee: 66.67,
	}, []wantPareto{
		{reason: "changeover", count: 1, minutes: 30, cumulative: 100},
	})
	checkOEE(t, fl, "label-1", from, to, oee.ByShift, wantOEE{
		working: 480, excluded: 451, planned: 29, breakdowns: 9, run: 20, reduced: 9, ideal: 11,
		netRun: 11, startupRejects: 1, fullyProductive: 10,
		good: 10, total: 11, startupUnits: 1,
		a: 68.97, pf: 55, q: 90.91, oee: 34.48,
	}, []wantPareto{
		{reason: "awaiting", count: 1, minutes: 9, cumulative: 100},
	})
}

// TestOEEScenarioReworkAtAManualCell is a morning at the finishing table (finish-1, no
// machine): two rugs pass their check, two fail it and are reworked. RUG's finishing step has
// a checklist and a standard of 10 minutes a rug.
//
//	06:00-08:00  no work                                   excluded 120m
//	08:00        R1 and R2 (2 rugs each) queued: idle, work waiting (awaiting)  10m
//	08:10-08:30  R1 finished; its check passes (2 good)
//	08:30-08:35  idle, R2 waiting (awaiting)                5m
//	08:35-08:55  R2 finished; its check fails (width 165 cm): paused for the check, a check
//	             stop (reason quality-check: set-up and adjustments)  15m
//	09:10        rework decided: R2's step completes (2 units, production rejects), the rework
//	             (2 units) is queued at the table: idle (awaiting)  5m
//	09:15-09:35  the rework finished; its check passes (2 units: production rejects, rework)
//	09:35-14:00  no work                                   excluded 265m
//
//	W = 480m; E = 385m; P = 95m; breakdowns = 10 + 5 + 5 = 20m; setup = 15m; R = 60m
//	A = 60/95 = 63.16 %; T = 6, I = 60m, Pf = 100 %; G = 2, production rejects 4 (40m)
//	Q = 2/6 = 33.33 %; OEE = 20/95 = 21.05 %; fully productive 20m
//	Pareto: awaiting 3 stops 20m (57.14 %), quality-check 15m (100 %)
func TestOEEScenarioReworkAtAManualCell(t *testing.T) {
	ctx := context.Background()
	fl := newClockedFloor(t, at(6, 0), 24*time.Hour, stopsFloor(true, earlyShift)...)
	s := newScenario(t, fl)
	w := watchStops(fl, "finish-1")
	w.expect(t, "no work at 06:00", book.StopCondition{Kind: book.StopNoWork})
	pass, width := true, 160.5
	good := []book.CheckResult{{Name: "No loose knots", Pass: &pass}, {Name: "Width", Value: &width}}

	s.to(at(8, 0))
	fl.importCSV("order_id,sku,quantity\nR1,RUG,2\nR2,RUG,2\n")
	r1, r2 := fl.op("R1", 0), fl.op("R2", 0)
	w.expect(t, "idle with two rugs waiting", book.StopCondition{Kind: book.StopIdle})
	s.to(at(8, 10))
	fl.act(r1.ID, book.ActionStart, "")
	w.expect(t, "finishing R1", book.StopCondition{})
	s.to(at(8, 30))
	if _, err := fl.book.Transition(ctx, book.TransitionRequest{Operation: r1.ID, Action: book.ActionComplete, Actor: "ana", Checks: good}); err != nil {
		t.Fatal(err)
	}
	w.expect(t, "idle, R2 waiting", book.StopCondition{Kind: book.StopIdle, Operation: r2.ID})
	s.to(at(8, 35))
	fl.act(r2.ID, book.ActionStart, "")
	w.expect(t, "finishing R2", book.StopCondition{})
	s.to(at(8, 55))
	wide := 165.0
	res, err := fl.book.Transition(ctx, book.TransitionRequest{Operation: r2.ID, Action: book.ActionComplete, Actor: "ana",
		Checks: []book.CheckResult{{Name: "No loose knots", Pass: &pass}, {Name: "Width", Value: &wide}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.NonConformance == nil {
		t.Fatalf("a width of 165 cm opened no non-conformance: %+v", res)
	}
	w.expect(t, "R2 waiting for the decision", book.StopCondition{Kind: book.StopCheck, Operation: r2.ID, Reason: "quality-check"})
	s.to(at(9, 10))
	if _, err := fl.book.DecideNonConformance(ctx, book.NCDecision{ID: res.NonConformance.ID, Decision: book.NCRework, Actor: "ana"}); err != nil {
		t.Fatal(err)
	}
	rework := fl.op("R2", 1)
	if rework.ReworkOf != r2.ID || rework.Cell != "finish-1" {
		t.Fatalf("the rework %+v, want R2's step redone at finish-1", rework)
	}
	w.expect(t, "idle, the rework waiting", book.StopCondition{Kind: book.StopIdle, Operation: rework.ID})
	s.to(at(9, 15))
	fl.act(rework.ID, book.ActionStart, "")
	w.expect(t, "reworking", book.StopCondition{})
	s.to(at(9, 35))
	if _, err := fl.book.Transition(ctx, book.TransitionRequest{Operation: rework.ID, Action: book.ActionComplete, Actor: "ana", Checks: good}); err != nil {
		t.Fatal(err)
	}
	w.expect(t, "no work once reworked", book.StopCondition{Kind: book.StopNoWork})
	s.to(at(14, 0))

	s.stops("finish-1", []wantStop{
		{kind: book.StopNoWork, start: at(6, 0), end: at(8, 0)},
		{kind: book.StopIdle, start: at(8, 0), end: at(8, 10)},
		{kind: book.StopIdle, start: at(8, 30), end: at(8, 35)},
		{kind: book.StopCheck, start: at(8, 55), end: at(9, 10), reason: "quality-check"},
		{kind: book.StopIdle, start: at(9, 10), end: at(9, 15)},
		{kind: book.StopNoWork, start: at(9, 35)},
	})
	checkOEE(t, fl, "finish-1", at(6, 0), at(14, 0), oee.ByShift, wantOEE{
		working: 480, excluded: 385, planned: 95, breakdowns: 20, setup: 15, run: 60, ideal: 60,
		netRun: 60, productionRejects: 40, fullyProductive: 20,
		good: 2, total: 6, productionUnits: 4,
		a: 63.16, pf: 100, q: 33.33, oee: 21.05,
	}, []wantPareto{
		{reason: "awaiting", count: 3, minutes: 20, cumulative: 57.14},
		{reason: "quality-check", count: 1, minutes: 15, cumulative: 100},
	})
	// First-pass yield: R1's 2 rugs of the 4 finished at non-rework operations (the rework left
	// out), 50 %, by SKU and by cell.
	for _, by := range []book.YieldBy{book.YieldBySKU, book.YieldByCell} {
		ys, err := fl.book.FirstPassYield(ctx, at(6, 0), at(14, 0), by)
		if err != nil {
			t.Fatal(err)
		}
		key := map[book.YieldBy]string{book.YieldBySKU: "RUG", book.YieldByCell: "finish-1"}[by]
		i := slices.IndexFunc(ys, func(y oee.Yield) bool { return y.Key == key })
		if i < 0 || ys[i].FirstPass != 2 || ys[i].Total != 4 || math.Abs(ys[i].Yield*100-50) > 0.1 {
			t.Errorf("first-pass yield by %s = %+v, want 2 of 4 (50 %%) for %s", by, ys, key)
		}
	}
}
