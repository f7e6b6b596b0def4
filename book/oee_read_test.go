package book_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/booktest"
	"github.com/cellforge/cellforge/book/intake"
	"github.com/cellforge/cellforge/book/oee"
	"github.com/cellforge/cellforge/configs"
)

// stopStore is the book's SQLite store recording the from of every read of the units counted.
type stopStore struct {
	book.Store
	mu        sync.Mutex
	reads     []time.Time       // the from of every UnitCounts
	stopReads []book.StopFilter // every Stops
}

type stopTx struct {
	book.ReadTx
	s *stopStore
}

func (s *stopStore) Read(ctx context.Context, fn func(book.ReadTx) error) error {
	return s.Store.Read(ctx, func(tx book.ReadTx) error { return fn(stopTx{tx, s}) })
}

func (t stopTx) Stops(f book.StopFilter) ([]book.Stop, error) {
	t.s.mu.Lock()
	t.s.stopReads = append(t.s.stopReads, f)
	t.s.mu.Unlock()
	return t.ReadTx.Stops(f)
}

func (t stopTx) UnitCounts(from, to time.Time, cell string) ([]book.UnitCount, error) {
	t.s.mu.Lock()
	t.s.reads = append(t.s.reads, from)
	t.s.mu.Unlock()
	return t.ReadTx.UnitCounts(from, to, cell)
}

// addStop stores a stop as it was, whenever it was.
func (s *stopStore) addStop(t testing.TB, st book.Stop) {
	t.Helper()
	if err := s.Write(context.Background(), func(tx book.Tx) error { return tx.InsertStop(&st) }); err != nil {
		t.Fatal(err)
	}
}

// oeeFixture is a book of testdata/factory.yaml (no working hours: always) with the default
// stops section, on stopStore. Monday 2 November 2026, from 08:00 UTC (booktest.Start):
// SCARF x3 at weave-1 (weave, 20 min a unit): started 08:00, its machine counts 1 at 09:00, a
// person scraps 1 at 09:30 (after the first good unit: a production reject) and completes the
// last one at 10:00.
func oeeFixture(t *testing.T) (*book.Book, *stopStore, *booktest.Clock) {
	t.Helper()
	f := booktest.Factory(t, "testdata/factory.yaml")
	f.Stops = configs.DefaultStops()
	st, _ := booktest.Store(t, "book.db")
	ss := &stopStore{Store: st}
	clock := booktest.NewClock(booktest.Start)
	b := book.New(book.Config{Store: ss, Factory: f, Now: clock.Now})
	ctx := context.Background()
	rr, err := intake.NewCSV(strings.NewReader("order_id,sku,quantity\nS1,SCARF,3\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Import(ctx, book.ImportRequest{Drop: "winter", Rows: rr, Actor: "planner"}); err != nil {
		t.Fatal(err)
	}
	wos, err := b.WorkOrders(ctx, book.WorkOrderFilter{})
	if err != nil || len(wos) != 1 {
		t.Fatalf("work orders %v, %v", wos, err)
	}
	d, err := b.WorkOrder(ctx, wos[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	op := d.Operations[0]
	if op.Cell != "weave-1" {
		t.Fatalf("weave at %q, want weave-1", op.Cell)
	}
	act := func(a book.Action, q int, reason string) {
		t.Helper()
		if _, err := b.Transition(ctx, book.TransitionRequest{Operation: op.ID, Action: a, Actor: "ana", Quantity: q, Reason: reason}); err != nil {
			t.Fatalf("%s: %v", a, err)
		}
	}
	act(book.ActionStart, 0, "")
	clock.Advance(time.Hour)
	if _, err := b.Progress(ctx, op.ID, 1, "cell:weave-1"); err != nil {
		t.Fatal(err)
	}
	clock.Advance(30 * time.Minute)
	act(book.ActionScrap, 1, "broken warp")
	clock.Advance(30 * time.Minute)
	act(book.ActionComplete, 0, "")
	return b, ss, clock
}

func TestOEEReadsTheUnitsTheBookCounted(t *testing.T) {
	b, ss, clock := oeeFixture(t)
	end := func(t time.Time) *time.Time { return &t }
	day := func(d, h int) time.Time { return time.Date(2026, 11, 2+d, h, 0, 0, 0, time.UTC) }
	ss.addStop(t, book.Stop{Cell: "weave-1", Kind: book.StopSetup, Start: day(0, 7), End: end(day(0, 8).Add(30 * time.Minute)), Reason: "changeover"})
	ss.addStop(t, book.Stop{Cell: "weave-1", Kind: book.StopNoWork, Start: day(0, 12), End: end(day(1, 0))})
	clock.Set(day(2, 12))
	rep, err := b.OEE(context.Background(), book.OEEQuery{From: day(0, 0), To: day(1, 0), By: oee.ByDay, Cell: "weave-1"})
	if err != nil {
		t.Fatal(err)
	}
	// Monday around the clock: W = 86,400 s; the no-work 12:00-24:00 excluded, P = 43,200; the
	// changeover 07:00-08:30 is set-up, 5,400 s; R = 37,800. Units: 1 counted, 1 scrapped, 1
	// completed, 20 min each: T = 3, I = 3,600 = net run time, G = 2, the scrap after the first
	// good unit a production reject of 1,200 s, fully productive 2,400 s; OEE = 2,400 / 43,200.
	if len(rep.Cells) != 1 || len(rep.Buckets) != 1 {
		t.Fatalf("report %+v, want one cell and one day", rep)
	}
	f := rep.Cells[0].Buckets[0]
	if f.Working != 86400*time.Second || f.Planned != 43200*time.Second || f.Setup != 5400*time.Second || f.Run != 37800*time.Second ||
		f.Ideal != time.Hour || f.Good != 2 || f.Total != 3 || f.StartupRejectUnits != 0 || f.ProductionRejectUnits != 1 ||
		f.FullyProductive != 2400*time.Second || f.ProductionRejects != 1200*time.Second || f.OEE != 2400.0/43200 {
		t.Errorf("Monday at weave-1: %v", f)
	}
	if rep.Total.Good != 2 || rep.Total.Total != 3 {
		t.Errorf("total %v", rep.Total)
	}
}

func TestOEEReadsAClosedBucketOnce(t *testing.T) {
	b, ss, clock := oeeFixture(t)
	day := func(d int) time.Time { return time.Date(2026, 11, 2+d, 0, 0, 0, 0, time.UTC) }
	// Wednesday 12:00: Monday ended more than the reason window (24h) ago, Tuesday did not.
	clock.Set(day(2).Add(12 * time.Hour))
	q := book.OEEQuery{From: day(0), To: day(2), By: oee.ByDay}
	first, err := b.OEE(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	// A stop on Monday added now (it cannot happen: Monday is closed) is not read again; those
	// on Tuesday are.
	ss.addStop(t, book.Stop{Cell: "weave-1", Kind: book.StopFault, Start: day(0).Add(13 * time.Hour), End: ptr(day(0).Add(14 * time.Hour))})
	ss.addStop(t, book.Stop{Cell: "weave-1", Kind: book.StopFault, Start: day(1).Add(13 * time.Hour), End: ptr(day(1).Add(14 * time.Hour))})
	// One from Monday 23:00 to Tuesday 01:00 counts its hour on Tuesday, though it started before
	// what is read.
	ss.addStop(t, book.Stop{Cell: "weave-1", Kind: book.StopFault, Start: day(0).Add(23 * time.Hour), End: ptr(day(1).Add(time.Hour))})
	second, err := b.OEE(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if len(ss.reads) != 2 || !ss.reads[0].Equal(day(0)) || !ss.reads[1].Equal(day(1)) {
		t.Errorf("units read from %v, want Monday then Tuesday only", ss.reads)
	}
	w := 1 // weave-1, second in the factory's order
	if second.Cells[w].Buckets[0] != first.Cells[w].Buckets[0] || second.Cells[w].Buckets[0].Breakdowns != 0 {
		t.Errorf("Monday read again: %v, first %v", second.Cells[w].Buckets[0], first.Cells[w].Buckets[0])
	}
	if got := second.Cells[w].Buckets[1].Breakdowns; got != 2*time.Hour {
		t.Errorf("Tuesday's breakdowns %v, want the two hours of the new stops", got)
	}
	if second.Total.Good != 2 || second.Totals[0].Total != 3 {
		t.Errorf("totals %v / %v", second.Total, second.Totals[0])
	}
}

func ptr(t time.Time) *time.Time { return &t }

func TestOEERefusesBadQueries(t *testing.T) {
	b, _, _ := oeeFixture(t)
	from := booktest.Start
	tests := []struct {
		name  string
		q     book.OEEQuery
		field string
	}{
		{"an unknown cell", book.OEEQuery{From: from, To: from.Add(time.Hour), By: oee.ByDay, Cell: "loom-9"}, "cell"},
		{"no from", book.OEEQuery{To: from, By: oee.ByDay}, "from"},
		{"to before from", book.OEEQuery{From: from, To: from.Add(-time.Hour), By: oee.ByDay}, "to"},
		{"an unknown bucket", book.OEEQuery{From: from, To: from.Add(time.Hour), By: "month"}, "by"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := b.OEE(context.Background(), tc.q)
			var fe *book.FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field || !errors.Is(err, book.ErrInvalid) {
				t.Fatalf("got %v, want a field error naming %s", err, tc.field)
			}
		})
	}
}

func TestStopParetoAndFirstPassYield(t *testing.T) {
	b, ss, clock := oeeFixture(t)
	ctx := context.Background()
	mon := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	ss.addStop(t, book.Stop{Cell: "weave-1", Kind: book.StopFault, Start: mon.Add(11 * time.Hour), End: ptr(mon.Add(11*time.Hour + 30*time.Minute)), Reason: "breakdown"})
	ss.addStop(t, book.Stop{Cell: "pack-1", Kind: book.StopIdle, Start: mon.Add(11 * time.Hour), End: ptr(mon.Add(11*time.Hour + 10*time.Minute))})
	clock.Set(mon.Add(12 * time.Hour))
	p, err := b.StopPareto(ctx, mon, mon.Add(24*time.Hour), "")
	if err != nil {
		t.Fatal(err)
	}
	// Breakdown 30 min (75 %), the idle stop 10 min, ended 50 min ago: awaiting (100 %).
	if len(p) != 2 || p[0].Reason != "breakdown" || p[0].Minutes != 30 || p[0].Cumulative != 75 || p[1].Reason != oee.Awaiting || p[1].Count != 1 {
		t.Errorf("Pareto %+v", p)
	}
	// The weave step ended with 2 good of 3: 2/3 at weave-1 and for SCARF; packing has not ended.
	for _, by := range []book.YieldBy{book.YieldBySKU, book.YieldByCell} {
		y, err := b.FirstPassYield(ctx, mon, mon.Add(24*time.Hour), by)
		if err != nil {
			t.Fatal(err)
		}
		key := map[book.YieldBy]string{book.YieldBySKU: "SCARF", book.YieldByCell: "weave-1"}[by]
		if len(y) != 1 || y[0].Key != key || y[0].FirstPass != 2 || y[0].Total != 3 {
			t.Errorf("first-pass yield by %s: %+v", by, y)
		}
	}
	if _, err := b.FirstPassYield(ctx, mon, mon.Add(time.Hour), "drop"); !errors.Is(err, book.ErrInvalid) {
		t.Errorf("by drop: %v, want invalid", err)
	}
}

func TestOEEScrapAfterAGoodUnitBeforeTheWindowIsAProductionReject(t *testing.T) {
	b, _, clock := oeeFixture(t)
	clock.Set(booktest.Start.Add(24 * time.Hour))
	// From 09:15, after the machine's good unit at 09:00: the scrap at 09:30 follows a good unit
	// of its operation, though the completion at 10:00 is the operation's last count read.
	from := booktest.Start.Add(75 * time.Minute)
	rep, err := b.OEE(context.Background(), book.OEEQuery{From: from, To: from.Add(2 * time.Hour), By: oee.ByDay, Cell: "weave-1"})
	if err != nil {
		t.Fatal(err)
	}
	if f := rep.Total; f.ProductionRejectUnits != 1 || f.StartupRejectUnits != 0 || f.Good != 1 {
		t.Errorf("rejects: production %d, start-up %d, good %d; want 1, 0, 1", f.ProductionRejectUnits, f.StartupRejectUnits, f.Good)
	}
}
