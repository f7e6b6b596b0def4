package cells_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/oee"
)

// wantOEE is a cell's figures computed by hand: durations in minutes, factors in percent.
type wantOEE struct {
	working, excluded, planned, breakdowns, setup, run, small, reduced, ideal, netRun float64
	startupRejects, productionRejects, fullyProductive                                float64
	good, total, startupUnits, productionUnits                                        int
	a, pf, q, oee                                                                     float64
}

// wantPareto is a row of the Pareto of stop reasons: minutes and the cumulative percent.
type wantPareto struct {
	reason     string
	count      int
	minutes    float64
	cumulative float64
}

// checkOEE compares the book's OEE of a cell over [from, to) (one bucket) and its Pareto with
// the figures computed by hand: durations to the second, percentages to 0.1 point.
func checkOEE(t *testing.T, fl *floor, cell string, from, to time.Time, by oee.By, want wantOEE, pareto []wantPareto) {
	t.Helper()
	ctx := context.Background()
	rep, err := fl.book.OEE(ctx, book.OEEQuery{From: from, To: to, By: by, Cell: cell})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Cells) != 1 || len(rep.Cells[0].Buckets) != 1 {
		t.Fatalf("OEE of %s: %d cells, want one with one bucket: %+v", cell, len(rep.Cells), rep)
	}
	f := rep.Cells[0].Buckets[0]
	var bad []string
	dur := func(name string, got time.Duration, min float64) {
		if w := time.Duration(min * float64(time.Minute)).Round(time.Second); got.Round(time.Second) != w {
			bad = append(bad, fmt.Sprintf("%s %s, want %s", name, got, w))
		}
	}
	pct := func(name string, got, want float64) {
		if math.Abs(got*100-want) > 0.1 {
			bad = append(bad, fmt.Sprintf("%s %.2f %%, want %.2f %%", name, got*100, want))
		}
	}
	count := func(name string, got, want int) {
		if got != want {
			bad = append(bad, fmt.Sprintf("%s %d, want %d", name, got, want))
		}
	}
	dur("working", f.Working, want.working)
	dur("excluded", f.Excluded, want.excluded)
	dur("planned", f.Planned, want.planned)
	dur("breakdowns", f.Breakdowns, want.breakdowns)
	dur("setup", f.Setup, want.setup)
	dur("run", f.Run, want.run)
	dur("small stops", f.SmallStops, want.small)
	dur("reduced speed", f.ReducedSpeed, want.reduced)
	dur("ideal", f.Ideal, want.ideal)
	dur("net run", f.NetRun, want.netRun)
	dur("start-up rejects", f.StartupRejects, want.startupRejects)
	dur("production rejects", f.ProductionRejects, want.productionRejects)
	dur("fully productive", f.FullyProductive, want.fullyProductive)
	count("good", f.Good, want.good)
	count("total", f.Total, want.total)
	count("start-up reject units", f.StartupRejectUnits, want.startupUnits)
	count("production reject units", f.ProductionRejectUnits, want.productionUnits)
	pct("availability", f.Availability, want.a)
	pct("performance", f.Performance, want.pf)
	pct("quality", f.Quality, want.q)
	pct("OEE", f.OEE, want.oee)
	if len(bad) > 0 {
		t.Errorf("OEE of %s:\n%s", cell, strings.Join(bad, "\n"))
	}

	rows, err := fl.book.StopPareto(ctx, from, to, cell)
	if err != nil {
		t.Fatal(err)
	}
	var got, w []string
	for _, r := range rows {
		got = append(got, fmt.Sprintf("%s x%d %.1fm %.1f%%", r.Reason, r.Count, r.Minutes, r.Cumulative))
	}
	for _, r := range pareto {
		w = append(w, fmt.Sprintf("%s x%d %.1fm %.1f%%", r.reason, r.count, r.minutes, r.cumulative))
	}
	if strings.Join(got, "\n") != strings.Join(w, "\n") {
		t.Errorf("Pareto of %s:\n%s\nwant:\n%s", cell, strings.Join(got, "\n"), strings.Join(w, "\n"))
	}
}
