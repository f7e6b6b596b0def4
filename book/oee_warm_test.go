package book_test

import (
	"context"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/oee"
)

func TestWarmOEEKeepsTheClosedBucketsBeforeAnyoneAsks(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 11, 2+d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		name  string
		since time.Time
		// read is the earliest a query from Monday reads after warming: Tuesday, the day not
		// closed, or Monday when nothing was warmed.
		read time.Time
	}{
		{"from Monday", day(0), day(1)},
		{"from long ago", time.Time{}, day(1)},
		{"from Tuesday: Monday left cold", day(1), day(0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, ss, clock := oeeFixture(t)
			ctx := context.Background()
			// Wednesday 12:00: Monday closed, Tuesday within the reason window.
			clock.Set(day(2).Add(12 * time.Hour))
			if err := b.WarmOEE(ctx, tc.since); err != nil {
				t.Fatal(err)
			}
			ss.mu.Lock()
			ss.reads, ss.stopReads = nil, nil
			ss.mu.Unlock()
			for _, by := range []oee.By{oee.ByShift, oee.ByDay} {
				if _, err := b.OEE(ctx, book.OEEQuery{From: day(0), To: day(2), By: by}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := b.StopPareto(ctx, day(0), day(2), ""); err != nil {
				t.Fatal(err)
			}
			for _, from := range ss.reads {
				if from.Before(tc.read) {
					t.Errorf("units read from %v, want from %v on", from, tc.read)
				}
			}
			for _, f := range ss.stopReads {
				// The stops over the window's start are read (for those a kept day leaves out).
				if f.From.Before(tc.read) && f.To.After(f.From.Add(time.Millisecond)) {
					t.Errorf("stops read from %v to %v, want from %v on", f.From, f.To, tc.read)
				}
			}
			if len(ss.reads) == 0 {
				t.Error("the open day was not read")
			}
		})
	}
}
