package book_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/booktest"
	"github.com/cellforge/cellforge/book/oee"
	"github.com/cellforge/cellforge/configs"
)

// paretoFixture is two cells working 08:00-16:00 Monday to Friday, from Monday 2 November 2026
// on: stops of every reason, none, no work, short ones, over the evening and the weekend, one
// still open; the clock on Friday 13 November at 12:00.
func paretoFixture(t *testing.T) (*book.Book, *stopStore, []oee.Cell, time.Time) {
	t.Helper()
	f, err := configs.Parse("pareto.yaml", []byte(booktest.OEEYearFactory(2)), nil)
	if err != nil {
		t.Fatal(err)
	}
	f.Stops = configs.DefaultStops()
	st, _ := booktest.Store(t, "book.db")
	ss := &stopStore{Store: st}
	now := time.Date(2026, 11, 13, 12, 0, 0, 0, time.UTC)
	b := book.New(book.Config{Store: ss, Factory: f, Now: func() time.Time { return now }})
	mon := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	reasons := []string{"breakdown", "changeover", "", "material", "break", "other"}
	var all []book.Stop
	add := func(s book.Stop) {
		ss.addStop(t, s)
		all = append(all, s)
	}
	for d := range 12 {
		day := mon.AddDate(0, 0, d)
		for c, cell := range []string{"cell-00", "cell-01"} {
			for i := range 4 {
				start := day.Add(time.Duration(9+2*i+c) * time.Hour)
				add(book.Stop{Cell: cell, Kind: book.StopFault, Start: start, End: ptr(start.Add(time.Duration(1+7*i) * time.Minute)),
					Reason: reasons[(d+i+c)%len(reasons)]})
			}
			// Over the evening, the night and into the next morning; no reason.
			add(book.Stop{Cell: cell, Kind: book.StopFault, Start: day.Add(15 * time.Hour), End: ptr(day.Add(33 * time.Hour)), Reason: reasons[(d+c)%3]})
		}
		add(book.Stop{Cell: "cell-00", Kind: book.StopNoWork, Start: day.Add(13 * time.Hour), End: ptr(day.Add(14 * time.Hour))})
	}
	// Open since Thursday 14:30.
	add(book.Stop{Cell: "cell-01", Kind: book.StopFault, Start: mon.AddDate(0, 0, 10).Add(14*time.Hour + 30*time.Minute)})
	cells := make([]oee.Cell, 2)
	for i, id := range []string{"cell-00", "cell-01"} {
		cells[i] = oee.Cell{ID: id, Hours: f.CellHours(id)}
	}
	for _, s := range all {
		i := map[string]int{"cell-00": 0, "cell-01": 1}[s.Cell]
		os := oee.Stop{NoWork: s.Kind == book.StopNoWork, Start: s.Start, Reason: s.Reason}
		if s.End != nil {
			os.End = *s.End
		}
		cells[i].Stops = append(cells[i].Stops, os)
	}
	return b, ss, cells, now
}

func TestStopParetoKeptDaysAddUpToTheWindow(t *testing.T) {
	b, _, cells, now := paretoFixture(t)
	day := func(d int, h time.Duration) time.Time { return time.Date(2026, 11, 2+d, 0, 0, 0, 0, time.UTC).Add(h) }
	tests := []struct {
		name     string
		from, to time.Time
	}{
		{"from midnight, stops over it before", day(1, 0), day(9, 0)},
		{"from a working hour", day(1, 10*time.Hour), day(8, 0)},
		{"from the evening", day(2, 17*time.Hour), day(12, 0)},
		{"the weekend at the start", day(5, 3*time.Hour), day(9, 11*time.Hour)},
		{"until after now", day(0, 0), day(20, 0)},
		{"one day", day(3, 0), day(4, 0)},
		{"no closed day", day(10, 0), day(11, 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := oee.Pareto(cells, tc.from, tc.to, now, configs.DefaultStops())
			for _, pass := range []string{"cold", "warm"} {
				got, err := b.StopPareto(context.Background(), tc.from, tc.to, "")
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s: Pareto\n%+v\nwant\n%+v", pass, got, want)
				}
			}
		})
	}
}

func TestStopParetoReadsAClosedDayOnce(t *testing.T) {
	b, ss, _, _ := paretoFixture(t)
	ctx := context.Background()
	day := func(d int) time.Time { return time.Date(2026, 11, 2+d, 0, 0, 0, 0, time.UTC) }
	// Friday 13 12:00: the days up to Wednesday 11 closed, Thursday 12 within the reason window.
	first, err := b.StopPareto(ctx, day(0), day(12), "")
	if err != nil {
		t.Fatal(err)
	}
	ss.mu.Lock()
	ss.stopReads = nil
	ss.mu.Unlock()
	// A stop on a closed day added now (it cannot happen) is not read again.
	ss.addStop(t, book.Stop{Cell: "cell-00", Kind: book.StopFault, Start: day(3).Add(10*time.Hour + 30*time.Minute), End: ptr(day(3).Add(11 * time.Hour)), Reason: "breakdown"})
	second, err := b.StopPareto(ctx, day(0), day(12), "")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(first, second) {
		t.Errorf("a closed day read again:\n%+v\nfirst\n%+v", second, first)
	}
	// Only the stops over the window's start (for those a kept day leaves out) and the open days.
	for _, f := range ss.stopReads {
		if f.From.Before(day(10)) && f.To.After(day(0).Add(time.Millisecond)) {
			t.Errorf("stops read again from %v to %v", f.From, f.To)
		}
	}
	if len(ss.stopReads) == 0 {
		t.Error("the open days were not read")
	}
}
