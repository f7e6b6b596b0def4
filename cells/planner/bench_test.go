package planner_test

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkReplan re-plans a book of open work orders after a change: the repair alone (as after
// progress on a running operation) and the repair with the 300 ms search (as after a batch).
// Each work order is a rug or a scarf of the test factory: 2 or 3 operations.
func BenchmarkReplan(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		fx := newFixture(b)
		for start := 0; start < n; start += 1000 {
			fx.importCSV(b, "later", batch(fmt.Sprintf("B%d-", start), 1000, "RUG-INDIGO", "SCARF", "RUG-MADDER"))
		}
		if err := fx.planner.Replan(context.Background(), false); err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("repair-%d", n), func(b *testing.B) {
			for b.Loop() {
				if err := fx.planner.Replan(context.Background(), false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
