package planner_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/cells/planner"
)

// openFloor is a fixture with n open work orders, imported in batches of 1,000, and a current
// plan of them: each work order is a rug or a scarf of the test factory, of 2 or 3 operations.
func openFloor(b *testing.B, n int) *fixture {
	b.Helper()
	fx := newFixture(b)
	for start := 0; start < n; start += 1000 {
		fx.importCSV(b, "later", batch(fmt.Sprintf("B%d-", start), 1000, "RUG-INDIGO", "SCARF", "RUG-MADDER"))
	}
	if err := fx.planner.Replan(context.Background(), false); err != nil {
		b.Fatal(err)
	}
	return fx
}

// BenchmarkReplan re-plans a book of open work orders after a change: the repair alone (as after
// progress on a running operation) and the repair with the 300 ms search (as after a batch).
// Each work order is a rug or a scarf of the test factory: 2 or 3 operations.
func BenchmarkReplan(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		fx := openFloor(b, n)
		b.Run(fmt.Sprintf("repair-%d", n), func(b *testing.B) {
			for b.Loop() {
				if err := fx.planner.Replan(context.Background(), false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPromise checks promises against a floor of 10,000 open work orders with a current
// plan: the standard and express dates of a repair's work order (PromiseWork: an hour at a
// loom and five minutes at the packing table, planned behind the queue and ahead of it, two
// repairs of the plan without a search), beside the promise check of a batch of one order
// (Promise, as the planner's page asks it: a repair of the plan and the 300 ms search) and the
// read of the open work from the book that both begin with.
func BenchmarkPromise(b *testing.B) {
	const n = 10000
	ctx := context.Background()
	fx := openFloor(b, n)
	batch, err := fx.book.PreviewImport(ctx, book.ImportRequest{Drop: "later", Rows: rows(b, batch("P", 1, "SCARF"))})
	if err != nil || len(batch) != 1 {
		b.Fatalf("preview: %d candidates, %v", len(batch), err)
	}
	repair := book.Candidate{
		Order: book.Order{OrderID: "R-000001-W", SKU: "repair:reweave", Quantity: 1},
		Operations: []book.Operation{
			{Seq: 0, Name: "reweave", Capability: "weave", Quantity: 1, UnitTime: time.Hour, State: book.Ready},
			{Seq: 1, Name: "pack", Capability: "pack", Quantity: 1, UnitTime: 5 * time.Minute, State: book.Pending},
		},
	}
	b.Run(fmt.Sprintf("express-%d", n), func(b *testing.B) {
		var w planner.WorkPromise
		for b.Loop() {
			if w, err = fx.planner.PromiseWork(ctx, repair); err != nil {
				b.Fatal(err)
			}
		}
		// The dates, as hours from now: the express one must be ahead of the queue.
		b.ReportMetric(w.Standard.Sub(fx.clock.Now()).Hours(), "standard-h")
		b.ReportMetric(w.Express.Sub(fx.clock.Now()).Hours(), "express-h")
	})
	b.Run(fmt.Sprintf("peer-batch-%d", n), func(b *testing.B) {
		for b.Loop() {
			if _, err := fx.planner.Promise(ctx, "later", batch); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run(fmt.Sprintf("peer-read-%d", n), func(b *testing.B) {
		for b.Loop() {
			if _, _, err := fx.book.OpenWork(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}
